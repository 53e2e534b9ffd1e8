//! Deterministic TEST ONLY data for Guichet: keys, trust bundles, coupons and the test-vector
//! files under `schema/test-vectors/`.
//!
//! Everything is derived from fixed names and dates, so running the generator twice writes the
//! same bytes; CI runs it with `--check` to prove the committed files are what it makes.

pub mod bundle_vectors;
pub mod coupon_vectors;
pub mod keys;
pub mod world;

use std::path::PathBuf;

/// A file the generator writes, relative to the repository root.
pub struct GeneratedFile {
    /// Path relative to the repository root.
    pub path: PathBuf,
    /// Its exact content.
    pub bytes: Vec<u8>,
}

/// Pretty JSON with a final newline, as every generated file is written.
pub fn pretty_json(value: &serde_json::Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("JSON values serialise");
    bytes.push(b'\n');
    bytes
}

/// Every generated file: keys, bundles, demo coupons and test vectors.
pub fn generate(example_referential: &[u8]) -> Vec<GeneratedFile> {
    let world = world::World::new(example_referential);
    let mut files = Vec::new();
    for key in keys::TestKey::all() {
        files.push(GeneratedFile {
            path: PathBuf::from(format!("fixtures/keys/{}.json", key.name)),
            bytes: pretty_json(&key.to_json()),
        });
    }
    for (name, bytes) in world.bundle_files() {
        files.push(GeneratedFile {
            path: PathBuf::from(format!("fixtures/bundles/{name}.json")),
            bytes,
        });
    }
    files.push(GeneratedFile {
        path: PathBuf::from("fixtures/coupons/test-only-demo-codes.txt"),
        bytes: world
            .demo_codes()
            .join("\n")
            .into_bytes()
            .into_iter()
            .chain(*b"\n")
            .collect(),
    });
    files.push(GeneratedFile {
        path: PathBuf::from("schema/test-vectors/voucher-code-v1.json"),
        bytes: pretty_json(&coupon_vectors::document(&world)),
    });
    files.push(GeneratedFile {
        path: PathBuf::from("schema/test-vectors/trust-bundle-v1.json"),
        bytes: pretty_json(&bundle_vectors::document(&world)),
    });
    files
}
