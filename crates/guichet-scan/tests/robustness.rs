//! No input makes decoding or the replay source panic, hang or grow memory: random bytes as
//! frames, 0×0, tiny and huge frames, truncated and corrupt image files (memory: `memory.rs`).

use std::path::Path;
use std::time::{Duration, Instant};

use guichet_scan::decode::{self, DecoderConfig};
use guichet_scan::source::replay::{decode_image_bytes, ReplaySource};
use guichet_scan::source::{Frame, FrameSource, SourceError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random_frame(rng: &mut ChaCha8Rng, width: u32, height: u32) -> image::GrayImage {
    let mut bytes = vec![0u8; (width * height) as usize];
    rng.fill(&mut bytes[..]);
    image::GrayImage::from_raw(width, height, bytes).unwrap()
}

#[test]
fn random_degenerate_and_huge_frames_give_no_code_and_no_panic() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let config = DecoderConfig::still_image();
    for (w, h) in [
        (0, 0),
        (0, 10),
        (10, 0),
        (1, 1),
        (2, 3),
        (21, 21),
        (640, 1),
        (1, 480),
        (320, 240),
    ] {
        let result = decode::decode_frame(&random_frame(&mut rng, w, h), &config);
        assert!(result.codes.is_empty(), "{w}×{h}");
    }
    // A 24-megapixel frame is downscaled first and stays within a few budgets.
    let huge = random_frame(&mut rng, 6000, 4000);
    let started = Instant::now();
    let result = decode::decode_frame(&huge, &DecoderConfig::default());
    assert!(result.codes.is_empty());
    assert!(started.elapsed() < Duration::from_secs(20));
    // Frames too large or with a wrong buffer are refused before anything is allocated.
    assert!(matches!(
        Frame::from_luma(100_000, 100_000, Vec::new()),
        Err(SourceError::BadFrame(_))
    ));
    assert!(matches!(
        Frame::from_luma(10, 10, vec![0; 99]),
        Err(SourceError::BadFrame(_))
    ));
}

#[test]
fn corrupt_truncated_and_lying_image_files_are_errors() {
    let photo = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/scan/vouchers/000-perspective.jpg"),
    )
    .unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut random = vec![0u8; 4096];
    rng.fill(&mut random[..]);
    // A PNG header claiming 1,000,000 × 1,000,000 pixels.
    let mut lying_png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    lying_png.extend(1_000_000u32.to_be_bytes());
    lying_png.extend(1_000_000u32.to_be_bytes());
    lying_png.extend([8, 0, 0, 0, 0, 0, 0, 0, 0]);
    let mut flipped = photo.clone();
    for i in (600..flipped.len()).step_by(97) {
        flipped[i] ^= 0x5a;
    }
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("random", random),
        ("lying PNG", lying_png),
        ("JPEG header only", photo[..200].to_vec()),
    ];
    for (name, bytes) in &cases {
        assert!(decode_image_bytes(bytes).is_err(), "{name}");
    }
    // Damaged JPEG data may decode to a damaged picture or fail; either way no panic.
    for bytes in [photo[..photo.len() / 2].to_vec(), flipped] {
        if let Ok(image) = decode_image_bytes(&bytes) {
            let _ = decode::decode_frame(&image, &DecoderConfig::default());
        }
    }
    // In a replayed folder, each bad file is one BadFrame and the replay goes on.
    let dir = std::env::temp_dir().join(format!("guichet-scan-corrupt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (i, (_, bytes)) in cases.iter().enumerate() {
        std::fs::write(dir.join(format!("{i}.png")), bytes).unwrap();
    }
    std::fs::write(dir.join("9.jpg"), &photo).unwrap();
    let mut replay = ReplaySource::open(&dir, 0.0).unwrap();
    let mut bad = 0;
    let mut good = 0;
    loop {
        match replay.next_frame() {
            Ok(Some(_)) => good += 1,
            Ok(None) => break,
            Err(SourceError::BadFrame(_)) => bad += 1,
            Err(e) => panic!("{e}"),
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!((bad, good), (cases.len(), 1));
    assert!(matches!(
        ReplaySource::open(&dir, 1.0),
        Err(SourceError::Fatal(_))
    ));
}
