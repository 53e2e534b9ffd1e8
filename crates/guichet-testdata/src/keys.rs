//! The TEST ONLY keys. Their seeds are public: SHA-256 of `"guichet TEST ONLY key: <name>"`.

use ed25519_dalek::{SigningKey, VerifyingKey};
use guichet_core::Kid;
use serde_json::json;
use sha2::{Digest, Sha256};

/// A named test key.
pub struct TestKey {
    /// File stem under `fixtures/keys/`, always starting with `test-only-`.
    pub name: &'static str,
    /// What the key is for in the fixtures.
    pub role: &'static str,
    /// The private key (from the public seed).
    pub signing: SigningKey,
}

/// The platform root key the fixtures' kiosk pins.
pub const ROOT: &str = "test-only-platform-root";
/// A root key the kiosk does not pin (wrong signer).
pub const OTHER_ROOT: &str = "test-only-other-root";
/// An issuer key listed as active.
pub const ISSUER_ACTIVE: &str = "test-only-issuer-active";
/// An issuer key listed as retired.
pub const ISSUER_RETIRED: &str = "test-only-issuer-retired";
/// An issuer key listed as compromised.
pub const ISSUER_COMPROMISED: &str = "test-only-issuer-compromised";
/// An issuer key no bundle lists.
pub const ISSUER_UNLISTED: &str = "test-only-issuer-unlisted";

const ROLES: [(&str, &str); 6] = [
    (
        ROOT,
        "platform root key pinned by the test kiosk; signs the fixture trust bundles",
    ),
    (
        OTHER_ROOT,
        "a platform root key no test kiosk pins (wrong-signer cases)",
    ),
    (ISSUER_ACTIVE, "issuer key listed as active, provider 1"),
    (ISSUER_RETIRED, "issuer key listed as retired, provider 2"),
    (
        ISSUER_COMPROMISED,
        "issuer key listed as compromised, provider 1",
    ),
    (
        ISSUER_UNLISTED,
        "issuer key that no fixture bundle lists (UNKNOWN_ISSUER)",
    ),
];

impl TestKey {
    /// The key with this name (one of the constants above).
    pub fn named(name: &'static str) -> TestKey {
        let role = ROLES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, role)| *role)
            .unwrap_or_else(|| panic!("no test key named {name}"));
        let seed: [u8; 32] = Sha256::digest(format!("guichet TEST ONLY key: {name}")).into();
        TestKey {
            name,
            role,
            signing: SigningKey::from_bytes(&seed),
        }
    }

    /// Every test key.
    pub fn all() -> Vec<TestKey> {
        ROLES.iter().map(|(name, _)| TestKey::named(name)).collect()
    }

    /// The public key.
    pub fn public(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// The key id.
    pub fn kid(&self) -> Kid {
        Kid::of_public_key(self.public().as_bytes())
    }

    /// The key file's content.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "warning": "TEST ONLY. This seed is public: never use this key outside tests and demos.",
            "name": self.name,
            "role": self.role,
            "derivation": format!("seed = SHA-256(\"guichet TEST ONLY key: {}\")", self.name),
            "seed_hex": hex::encode(self.signing.to_bytes()),
            "public_key_hex": hex::encode(self.public().as_bytes()),
            "kid": self.kid().to_hex(),
        })
    }
}
