//! Any bytes as an authentic bundle payload (signed here by the TEST ONLY root), so the
//! document parser and validator are reached: an error or a bundle, never a panic.
#![no_main]

#[path = "fixtures.rs"]
mod fixtures;

use std::sync::OnceLock;

use ed25519_dalek::SigningKey;
use guichet_core::bundle::envelope;
use guichet_core::TrustBundle;
use libfuzzer_sys::fuzz_target;

static ROOT: OnceLock<SigningKey> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let root = ROOT.get_or_init(fixtures::root_signing_key);
    let sealed = envelope::seal(data, root);
    if let Ok(bundle) = TrustBundle::open(&sealed, &[root.verifying_key()]) {
        assert_eq!(bundle.document().sequence, bundle.sequence());
    }
});
