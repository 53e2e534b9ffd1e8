//! Any bytes as a trust bundle file: an error or a bundle, never a panic.
#![no_main]

#[path = "fixtures.rs"]
mod fixtures;

use guichet_core::TrustBundle;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = TrustBundle::open(data, &[fixtures::root()]);
});
