//! Decoding many frames does not grow memory. Alone in its test binary: resident memory is
//! measured for the whole process, so no other test may allocate at the same time.

use guichet_scan::decode::{self, DecoderConfig};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random_frame(rng: &mut ChaCha8Rng, width: u32, height: u32) -> image::GrayImage {
    let mut bytes = vec![0u8; (width * height) as usize];
    rng.fill(&mut bytes[..]);
    image::GrayImage::from_raw(width, height, bytes).unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn decoding_many_random_frames_does_not_grow_memory() {
    fn resident_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let mut decoder = decode::Decoder::new(DecoderConfig::default());
    let frames: Vec<image::GrayImage> = (0..4).map(|_| random_frame(&mut rng, 320, 240)).collect();
    for frame in &frames {
        decoder.decode(frame);
    }
    let before = resident_kib();
    for i in 0..200 {
        let mut frame = frames[i % frames.len()].clone();
        frame
            .as_mut()
            .iter_mut()
            .take(64)
            .for_each(|p| *p = rng.random());
        assert!(decoder.decode(&frame).codes.is_empty());
    }
    let grown = resident_kib().saturating_sub(before);
    assert!(grown < 20 * 1024, "resident memory grew by {grown} KiB");
}
