//! The finder gate on the fixture photos: it lets every frame that holds a code through, and
//! stops every code-free frame (which then gets the sharpened and midrange retries and one in
//! turn).

use std::path::{Path, PathBuf};

use guichet_scan::decode::{self, gate, Attempt, DecoderConfig};

fn photos(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/scan")
        .join(folder);
    let mut photos: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .collect();
    photos.sort();
    photos
}

fn gray(path: &Path) -> image::GrayImage {
    image::open(path).unwrap().to_luma8()
}

/// The stream's cascade (finder gate on) with no limit on the work, so that what runs depends
/// on the frame alone.
fn untimed() -> DecoderConfig {
    DecoderConfig::default().unlimited()
}

#[test]
fn the_gate_lets_every_voucher_photo_through_and_stops_every_code_free_frame() {
    let max_side = DecoderConfig::default().max_side;
    let vouchers = photos("vouchers");
    assert_eq!(vouchers.len(), 100);
    for path in vouchers {
        assert!(gate::worth_retrying(&gray(&path), max_side), "{path:?}");
    }
    let empty = photos("no-code");
    assert_eq!(empty.len(), 6);
    for path in empty {
        assert!(!gate::worth_retrying(&gray(&path), max_side), "{path:?}");
    }
}

#[test]
fn codes_only_a_retry_reads_are_read_and_code_free_frames_get_three_retries() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/scan/vouchers");
    // A dark-mode phone screen and a blurred print: the primary attempt reads neither (the
    // blurred one is read by the sharpening retry, which comes before contrast stretching).
    for (stem, attempt) in [
        ("070-phone-screen", Attempt::RxingInverted),
        ("012-blur", Attempt::RxingSharpened),
    ] {
        let image = gray(&dir.join(format!("{stem}.jpg")));
        let text = std::fs::read_to_string(dir.join(format!("{stem}.txt"))).unwrap();
        let result = decode::decode_frame(&image, &untimed());
        assert!(!result.no_finder_patterns, "{stem}");
        assert_eq!(result.codes.len(), 1, "{stem}");
        assert_eq!(result.codes[0].text, text, "{stem}");
        assert_eq!(result.codes[0].attempt, attempt, "{stem}");
    }
    for path in photos("no-code") {
        let result = decode::decode_frame(&gray(&path), &untimed());
        assert!(result.codes.is_empty(), "{path:?}");
        assert!(result.no_finder_patterns, "{path:?}");
        // The primary attempt, the sharpened and midrange retries, the first retry in turn.
        assert_eq!(result.attempts, 4, "{path:?}");
    }
}
