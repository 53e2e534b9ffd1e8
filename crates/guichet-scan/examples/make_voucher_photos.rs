//! Writes the voucher photo set `fixtures/scan/vouchers/` and the code-free frames
//! `fixtures/scan/no-code/`: real TEST ONLY PN1 codes rendered as QR codes on a coupon, then
//! degraded like a webcam photo of a printed coupon (or of a phone screen), 1280×720 JPEG
//! (the generator: `benches/support/voucher_photos.rs`).
//!
//! ```sh
//! cargo run --release -p guichet-scan --example make_voucher_photos
//! ```
//!
//! Deterministic: one fixed seed, no clock, so a second run writes the same bytes. Each image
//! `NNN-<degradation>.jpg` has its expected text in `NNN-<degradation>.txt`.

use std::fs;
use std::path::{Path, PathBuf};

#[path = "../benches/support/voucher_photos.rs"]
mod voucher_photos;

const PER_DEGRADATION: usize = 10;
const NO_CODE_FRAMES: usize = 6;

fn main() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let root = fixtures.join("scan");
    let codes = voucher_photos::pn1_codes(&fixtures);
    let photos = voucher_photos::photo_set(
        voucher_photos::SEED,
        &codes,
        PER_DEGRADATION,
        NO_CODE_FRAMES,
    );
    let vouchers = fresh_dir(&root.join("vouchers"));
    let no_code = fresh_dir(&root.join("no-code"));
    for photo in &photos {
        let dir = if photo.text.is_some() {
            &vouchers
        } else {
            &no_code
        };
        let bytes = voucher_photos::jpeg(&photo.image, photo.quality);
        fs::write(dir.join(format!("{}.jpg", photo.stem)), bytes).expect("write JPEG");
        if let Some(text) = &photo.text {
            fs::write(dir.join(format!("{}.txt", photo.stem)), text)
                .expect("write the expected text");
        }
    }
    println!(
        "wrote {} voucher photos and {NO_CODE_FRAMES} code-free frames under {}",
        photos.len() - NO_CODE_FRAMES,
        root.display()
    );
}

fn fresh_dir(dir: &Path) -> PathBuf {
    if dir.exists() {
        fs::remove_dir_all(dir).expect("remove the old set");
    }
    fs::create_dir_all(dir).expect("create the set's folder");
    dir.to_path_buf()
}
