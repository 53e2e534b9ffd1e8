//! The two QR decoders, each call isolated by `catch_unwind`.
//!
//! rqrr is known to panic on some images (an assertion in its perspective code fires on
//! degenerate capstone groups); rxing is a large port and is treated the same way. A panic inside
//! one call is caught and counted, and the frame goes on to the next attempt. Both engines build
//! their own state from the pixels on every call, so nothing they own outlives a panic.
//!
//! rxing's QR reader is driven step by step (binarize, find the finder patterns, group them in
//! sets, sample and decode each set), as its `QrReader::decode_multiple` does, so that the
//! finder-pattern sets of the primary attempt are kept for the finder gate ([`super::gate`])
//! and the binarization is [`binarize`]'s.

use std::panic::{catch_unwind, AssertUnwindSafe};

use image::GrayImage;
use rxing::common::{BitMatrix, DetectorRXingResult};
use rxing::qrcode::cpp_port::decoder::Decode;
use rxing::qrcode::cpp_port::detector::{FindFinderPatterns, GenerateFinderPatternSets, SampleQR};
use serde::Serialize;

use super::binarize;

/// Which decoder read a code.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// [rqrr](https://crates.io/crates/rqrr) (a Rust port of quirc).
    Rqrr,
    /// [rxing](https://crates.io/crates/rxing) (a Rust port of ZXing; its port of zxing-cpp's QR
    /// reader).
    Rxing,
}

/// A decoder panicked on this input (caught; the frame goes on).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct EnginePanicked;

/// Every grid rqrr finds, decoded (a macro because rqrr does not export the buffer type its
/// `prepare_from_*` constructors return, so no function can name it).
macro_rules! read_grids {
    ($prepared:expr) => {
        $prepared
            .detect_grids()
            .into_iter()
            .filter_map(|grid| grid.decode().ok())
            .map(|(_, text)| text)
            .collect()
    };
}

/// rqrr on a grayscale image, with its own thresholding.
pub fn rqrr_gray(image: &GrayImage) -> Result<Vec<String>, EnginePanicked> {
    if image.width() == 0 || image.height() == 0 {
        return Ok(Vec::new());
    }
    let (w, h) = (image.width() as usize, image.height() as usize);
    let pixels = image.as_raw();
    caught(|| {
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
        read_grids!(prepared)
    })
}

/// rqrr on an image already thresholded (`true` = black, row-major).
pub fn rqrr_bitmap(
    width: usize,
    height: usize,
    black: &[bool],
) -> Result<Vec<String>, EnginePanicked> {
    if width == 0 || height == 0 || black.len() != width * height {
        return Ok(Vec::new());
    }
    caught(|| {
        let mut prepared =
            rqrr::PreparedImage::prepare_from_bitmap(width, height, |x, y| black[y * width + x]);
        read_grids!(prepared)
    })
}

/// What rxing found in one image.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct RxingReading {
    /// The texts read.
    pub texts: Vec<String>,
    /// How many finder-pattern sets (three finder patterns placed as on a code) its detector
    /// found, read or not.
    pub finder_sets: usize,
    /// How many finder patterns its detector found, in sets or not.
    pub finder_patterns: usize,
    /// The share of neighbouring pixels along the binarized image's rows (every eighth row)
    /// that differ, black then white or white then black: about 0.5 on sensor noise, where
    /// every finder search is slow; at most 0.14 on the webcam-like video frames (tuning part).
    pub row_changes: f64,
}

/// rxing's QR reader (zxing-cpp's detector, rxing's local-block binarization through
/// [`binarize`]) on a grayscale image; `try_harder` searches every row for finder
/// patterns instead of a sample of them.
pub fn rxing_gray(image: &GrayImage, try_harder: bool) -> Result<RxingReading, EnginePanicked> {
    caught(|| black_matrix(image, |matrix| read_qr(matrix, try_harder)).unwrap_or_default())
}

/// [`rxing_gray`] on zxing-cpp's midrange binarization
/// ([`binarize::midrange_black_matrix`]) instead of rxing's: with `try_harder`, how zxing-cpp
/// 3.1.1 reads a frame by default (its QR reader is the one rxing ported).
pub fn rxing_gray_midrange(
    image: &GrayImage,
    try_harder: bool,
) -> Result<RxingReading, EnginePanicked> {
    caught(|| {
        binarize::midrange_black_matrix(image)
            .map(|matrix| read_qr(&matrix, try_harder))
            .unwrap_or_default()
    })
}

/// How many finder-pattern sets rxing's detector (as in [`rxing_gray`]) finds in `image`,
/// without sampling or decoding them, looking only for patterns whose modules are at least
/// `min_module_size` pixels (0: any).
pub fn rxing_finder_sets(image: &GrayImage, min_module_size: u32) -> Result<usize, EnginePanicked> {
    caught(|| {
        black_matrix(image, |matrix| {
            let mut patterns = FindFinderPatterns(matrix, false, min_module_size);
            GenerateFinderPatternSets(&mut patterns).len()
        })
        .unwrap_or_default()
    })
}

/// `f` on the black matrix of `image` (`None` for an image rxing cannot binarize).
fn black_matrix<T>(image: &GrayImage, f: impl FnOnce(&BitMatrix) -> T) -> Option<T> {
    binarize::black_matrix(image).as_ref().map(f)
}

/// rxing's multi-code QR reader (`QrReader::decode_multiple`, QR codes only, no minimum module
/// size), step by step so that the finder-pattern sets it found are kept.
fn read_qr(matrix: &BitMatrix, try_harder: bool) -> RxingReading {
    let mut patterns = FindFinderPatterns(matrix, try_harder, 0);
    let finder_patterns = patterns.len();
    let sets = GenerateFinderPatternSets(&mut patterns);
    let mut used = Vec::new();
    let mut texts = Vec::new();
    for set in &sets {
        let corners = [set.bl, set.tl, set.tr];
        if corners.iter().any(|c| used.contains(c)) {
            continue;
        }
        let Ok(detected) = SampleQR(matrix, set) else {
            continue;
        };
        let Ok(decoded) = Decode(detected.getBits()) else {
            continue;
        };
        if decoded.isValid() {
            used.extend(corners);
            texts.push(decoded.text());
        }
    }
    RxingReading {
        texts,
        finder_sets: sets.len(),
        finder_patterns,
        row_changes: row_changes(matrix),
    }
}

/// [`RxingReading::row_changes`] of `matrix`.
fn row_changes(matrix: &BitMatrix) -> f64 {
    let (mut changes, mut pairs) = (0u64, 0u64);
    for y in (0..matrix.height()).step_by(8) {
        let row = matrix.getRow(y);
        let words = row.getBitArray();
        for (i, &word) in words.iter().enumerate() {
            // Bit k against bit k + 1 (the next word's first bit for the last one).
            let top = usize::BITS - 1;
            let next = words.get(i + 1).map_or(word >> top, |n| n & 1);
            changes += u64::from((word ^ ((word >> 1) | (next << top))).count_ones());
        }
        // Bits past the width are unset: a row ending black counts one change too many, at
        // most one per row.
        pairs += u64::from(matrix.width().saturating_sub(1));
    }
    if pairs == 0 {
        0.0
    } else {
        changes as f64 / pairs as f64
    }
}

fn caught<T, F: FnOnce() -> T>(f: F) -> Result<T, EnginePanicked> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|_| EnginePanicked)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use qrcode::{Color, QrCode};
    use rxing::common::HybridBinarizer;
    use rxing::multi::MultipleBarcodeReader;
    use rxing::qrcode::cpp_port::QrReader;
    use rxing::{BarcodeFormat, BinaryBitmap, DecodeHints, Luma8Source};

    use super::*;

    /// rxing's own multi-code QR reader on its own binarizer.
    fn qr_reader(image: &GrayImage) -> Vec<String> {
        let source = Luma8Source::new_with_slice(image.as_raw(), image.width(), image.height());
        let hints = DecodeHints {
            PossibleFormats: Some([BarcodeFormat::QR_CODE].into_iter().collect()),
            ..DecodeHints::default()
        };
        let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(source.unwrap()));
        QrReader
            .decode_multiple_with_hints(&mut bitmap, &hints)
            .map(|results| results.iter().map(|r| r.getText().to_owned()).collect())
            .unwrap_or_default()
    }

    /// Two codes side by side, 5 pixels per module, on white.
    fn two_codes() -> GrayImage {
        let mut image = GrayImage::from_pixel(400, 200, image::Luma([255]));
        for (text, left) in [("PN1:LEFT", 20), ("PN1:RIGHT", 220)] {
            let code = QrCode::new(text.as_bytes()).unwrap();
            let side = code.width() as u32;
            for (i, color) in code.to_colors().into_iter().enumerate() {
                if color == Color::Dark {
                    let (mx, my) = (i as u32 % side, i as u32 / side);
                    for (dx, dy) in (0..25).map(|d| (d % 5, d / 5)) {
                        image.put_pixel(left + 5 * mx + dx, 40 + 5 * my + dy, image::Luma([0]));
                    }
                }
            }
        }
        image
    }

    #[test]
    fn the_step_by_step_reader_reads_what_rxings_reader_reads() {
        let two = two_codes();
        let reading = rxing_gray(&two, false).unwrap();
        let mut texts = reading.texts.clone();
        texts.sort();
        assert_eq!(texts, ["PN1:LEFT", "PN1:RIGHT"]);
        assert!(reading.finder_sets >= 2);
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/scan");
        let mut images = vec![two];
        for name in [
            "vouchers/000-perspective.jpg",
            "vouchers/070-phone-screen.jpg",
            "vouchers/084-small.jpg",
            "no-code/002-noise.jpg",
        ] {
            images.push(image::open(fixtures.join(name)).unwrap().to_luma8());
        }
        for image in &images {
            let mut ours = rxing_gray(image, false).unwrap().texts;
            let mut theirs = qr_reader(image);
            ours.sort();
            theirs.sort();
            assert_eq!(ours, theirs);
        }
        let noise = &images[4];
        assert_eq!(rxing_gray(noise, false).unwrap().finder_sets, 0);
        assert_eq!(rxing_finder_sets(noise, 0), Ok(0));
        assert_eq!(rxing_finder_sets(&images[1], 0), Ok(1));
    }

    #[test]
    fn row_changes_tell_sensor_noise_from_codes_on_paper() {
        // Stripes one pixel wide: every neighbouring pair differs.
        let stripes = GrayImage::from_fn(100, 48, |x, _| image::Luma([255 * (x % 2) as u8]));
        let reading = rxing_gray(&stripes, false).unwrap();
        assert!(reading.row_changes > 0.95, "{}", reading.row_changes);
        let flat = GrayImage::from_pixel(100, 48, image::Luma([200]));
        assert_eq!(rxing_gray(&flat, false).unwrap().row_changes, 0.0);
        // Two codes on white: few changes, six finder patterns.
        let two = rxing_gray(&two_codes(), false).unwrap();
        assert!(two.row_changes < 0.1, "{}", two.row_changes);
        assert!(two.finder_patterns >= 6, "{}", two.finder_patterns);
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/scan");
        let noise = image::open(fixtures.join("no-code/002-noise.jpg")).unwrap();
        let noise = rxing_gray(&noise.to_luma8(), false).unwrap();
        assert!(noise.row_changes > 0.4, "{}", noise.row_changes);
    }
}
