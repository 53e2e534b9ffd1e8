//! Fixture loading shared by the core's integration tests and benchmarks.

use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey};
use guichet_core::TrustBundle;

/// A path under the repository root.
pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

fn key_field(name: &str, field: &str) -> [u8; 32] {
    let path = repo_path(&format!("fixtures/keys/{name}.json"));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let mut bytes = [0; 32];
    hex::decode_to_slice(json[field].as_str().unwrap(), &mut bytes).unwrap();
    bytes
}

/// A TEST ONLY signing key from `fixtures/keys/`.
pub fn test_signing_key(name: &str) -> SigningKey {
    SigningKey::from_bytes(&key_field(name, "seed_hex"))
}

/// The TEST ONLY platform root public key.
pub fn test_root() -> VerifyingKey {
    VerifyingKey::from_bytes(&key_field("test-only-platform-root", "public_key_hex")).unwrap()
}

/// A fixture bundle, such as `"seq1"`.
pub fn test_bundle(name: &str) -> TrustBundle {
    let bytes = std::fs::read(repo_path(&format!(
        "fixtures/bundles/test-only-bundle-{name}.json"
    )))
    .unwrap();
    TrustBundle::open(&bytes, &[test_root()]).unwrap()
}
