//! The two QR decoders, each call isolated by `catch_unwind`.
//!
//! rqrr is known to panic on some images (an assertion in its perspective code fires on
//! degenerate capstone groups); rxing is a large port and is treated the same way. A panic inside
//! one call is caught and counted, and the frame goes on to the next attempt. Both engines build
//! their own state from the pixels on every call, so nothing they own outlives a panic.

use std::panic::{catch_unwind, AssertUnwindSafe};

use image::GrayImage;
use rxing::common::HybridBinarizer;
use rxing::multi::MultipleBarcodeReader;
use rxing::qrcode::cpp_port::QrReader;
use rxing::{BarcodeFormat, BinaryBitmap, DecodeHints, Luma8Source};
use serde::Serialize;

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

/// rxing's QR reader (zxing-cpp's detector, hybrid local binarizer) on a grayscale image;
/// `try_harder` searches every row for finder patterns instead of a sample of them.
pub fn rxing_gray(image: &GrayImage, try_harder: bool) -> Result<Vec<String>, EnginePanicked> {
    if image.width() == 0 || image.height() == 0 {
        return Ok(Vec::new());
    }
    caught(|| {
        let Ok(source) = Luma8Source::new_with_slice(image.as_raw(), image.width(), image.height())
        else {
            return Vec::new();
        };
        let hints = DecodeHints {
            TryHarder: Some(try_harder),
            PossibleFormats: Some([BarcodeFormat::QR_CODE].into_iter().collect()),
            ..DecodeHints::default()
        };
        let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(source));
        QrReader
            .decode_multiple_with_hints(&mut bitmap, &hints)
            .map(|results| results.iter().map(|r| r.getText().to_owned()).collect())
            .unwrap_or_default()
    })
}

fn caught<F: FnOnce() -> Vec<String>>(f: F) -> Result<Vec<String>, EnginePanicked> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|_| EnginePanicked)
}
