//! Any bytes as the raw grayscale pixels of a frame: the ported binarizer gives rxing's
//! `HybridBinarizer` matrix, bit for bit, and neither panics.
#![no_main]

use guichet_scan::decode::binarize::{ported_black_matrix, rxing_black_matrix};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the width (the port's edge blocks overlap unless it is a multiple
    // of 8), the rest are the pixels.
    if let Some((&w, pixels)) = data.split_first() {
        let width = u32::from(w).max(1);
        let height = pixels.len() as u32 / width;
        let pixels = pixels[..(width * height) as usize].to_vec();
        if let Some(frame) = image::GrayImage::from_raw(width, height, pixels) {
            assert_eq!(ported_black_matrix(&frame), rxing_black_matrix(&frame));
        }
    }
});
