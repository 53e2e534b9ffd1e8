//! The TEST ONLY fixtures the fuzz targets check against, compiled in.
#![allow(dead_code)] // each target uses a different part

use ed25519_dalek::{SigningKey, VerifyingKey};
use guichet_core::TrustBundle;

/// The TEST ONLY platform root's seed (fixtures/keys/test-only-platform-root.json).
const ROOT_SEED_HEX: &str = "d84bf3a0cf0c1de8dd62190acf92da2e7f897b18a3575e01326408bbe1787b01";

pub fn root_signing_key() -> SigningKey {
    let mut seed = [0; 32];
    for (i, byte) in seed.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&ROOT_SEED_HEX[2 * i..2 * i + 2], 16).unwrap();
    }
    SigningKey::from_bytes(&seed)
}

pub fn root() -> VerifyingKey {
    root_signing_key().verifying_key()
}

pub fn bundle() -> TrustBundle {
    let bytes = include_bytes!("../../../../fixtures/bundles/test-only-bundle-seq1.json");
    TrustBundle::open(bytes, &[root()]).expect("the fixture bundle opens")
}
