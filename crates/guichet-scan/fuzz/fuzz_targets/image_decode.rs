//! Any bytes as an image file (replay source path), then the pixels through the QR cascade;
//! and the same bytes as raw grayscale pixels of a frame: no panic, no hang.
#![no_main]

use guichet_scan::decode::{decode_frame, DecoderConfig};
use guichet_scan::source::replay::decode_image_bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let config = DecoderConfig::default();
    if let Ok(image) = decode_image_bytes(data) {
        let _ = decode_frame(&image, &config);
    }
    // The bytes as a frame: the first byte picks the width.
    if let Some((&w, pixels)) = data.split_first() {
        let width = u32::from(w).max(1);
        let height = pixels.len() as u32 / width;
        let pixels = pixels[..(width * height) as usize].to_vec();
        if let Some(frame) = image::GrayImage::from_raw(width, height, pixels) {
            let _ = decode_frame(&frame, &config);
        }
    }
});
