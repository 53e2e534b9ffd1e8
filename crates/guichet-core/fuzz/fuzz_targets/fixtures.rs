//! The TEST ONLY fixtures the fuzz targets check against, compiled in.
#![allow(dead_code)] // each target uses a different part

use ed25519_dalek::{SigningKey, VerifyingKey};
use guichet_core::TrustBundle;

/// The TEST ONLY platform root key file.
const ROOT_KEY_FILE: &str = include_str!("../../../../fixtures/keys/test-only-platform-root.json");

pub fn root_signing_key() -> SigningKey {
    let (_, after) = ROOT_KEY_FILE.split_once("\"seed_hex\": \"").expect("the key file has a seed");
    let mut seed = [0; 32];
    hex::decode_to_slice(&after[..64], &mut seed).expect("the seed is 64 hex digits");
    SigningKey::from_bytes(&seed)
}

pub fn root() -> VerifyingKey {
    root_signing_key().verifying_key()
}

pub fn bundle() -> TrustBundle {
    let bytes = include_bytes!("../../../../fixtures/bundles/test-only-bundle-seq1.json");
    TrustBundle::open(bytes, &[root()]).expect("the fixture bundle opens")
}
