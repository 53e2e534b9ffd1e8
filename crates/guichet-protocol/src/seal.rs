//! Enrollment sealed to the platform's sync key: the one-time code, the device's public key,
//! its label and a nonce travel encrypted to a key the kiosk found in a root-signed bundle whose
//! roots have the fingerprint the admin gave, so that anyone else (a fake platform, a relay, a
//! proxy) learns nothing and can only pass the kiosk's own enrollment on.
//!
//! The sync key is Ed25519; its X25519 twin is the same secret scalar
//! (`SigningKey::to_scalar_bytes`) and the birational map of its public point
//! (`VerifyingKey::to_montgomery`). The kiosk makes a one-time X25519 key, and
//! ```text
//! shared = X25519(ephemeral secret, montgomery(sync key))
//! key    = HKDF-SHA256(salt = ephemeral public ‖ sync public (Ed25519, 32 + 32 bytes),
//!                      ikm = shared, info = "guichet-enroll-seal-v1")   (32 bytes)
//! sealed = ChaCha20-Poly1305(key, nonce = 12 zero bytes, aad = "guichet-enroll-seal-v1",
//!                            plaintext = the JSON of [`EnrollPayload`])
//! ```
//! The key is used once (the ephemeral key is new for every attempt), so the fixed nonce is
//! safe. The caller passes the randomness in: nothing here reads a random source.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use ed25519_dalek::{SigningKey, VerifyingKey};
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use x25519_dalek::{PublicKey, StaticSecret};

use crate::signing::{parse_public_key, public_key_hex};

/// The domain of the seal: HKDF info and AEAD associated data.
pub const SEAL_CONTEXT: &str = "guichet-enroll-seal-v1";
/// The largest sealed payload a platform opens (the code, a key, a label and a nonce fit in far
/// less).
pub const MAX_SEALED_BYTES: usize = 4096;

/// What the kiosk seals: everything a stranger must neither read nor change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollPayload {
    /// The one-time enrollment code an admin gave (case and dashes do not matter).
    pub code: String,
    /// The device's Ed25519 public key, 64 hex digits (the private half never leaves it).
    pub device_public_key: String,
    /// A name for the kiosk, shown to admins (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// 16 random bytes (32 hex digits) the platform's signed answer is bound to.
    pub nonce: String,
}

/// `POST /v1/enroll` body: the payload sealed to one of the bundle's sync keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedEnroll {
    /// The sync key (Ed25519 public half, 64 hex) the payload is sealed to.
    pub sync_key: String,
    /// The kiosk's one-time X25519 public key, 64 hex digits.
    pub ephemeral_key: String,
    /// The ChaCha20-Poly1305 ciphertext and tag, hex.
    pub sealed: String,
}

/// Why a sealed enrollment cannot be opened.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// A field is not the hex it should be, or the payload is too large.
    #[error("the sealed enrollment is malformed: {0}")]
    Malformed(String),
    /// Sealed to another key than the one given to open it.
    #[error("the enrollment is sealed to another sync key")]
    OtherKey,
    /// The ciphertext does not open (changed on the way, or sealed to another key).
    #[error("the sealed enrollment does not open with the platform's sync key")]
    DoesNotOpen,
}

fn cipher(shared: &[u8; 32], ephemeral: &[u8; 32], sync_key: &VerifyingKey) -> ChaCha20Poly1305 {
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(ephemeral);
    salt[32..].copy_from_slice(sync_key.as_bytes());
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(Some(&salt[..]), shared)
        .expand(SEAL_CONTEXT.as_bytes(), &mut key)
        .expect("32 bytes is a valid HKDF-SHA256 length");
    ChaCha20Poly1305::new(&key.into())
}

fn aead_payload(message: &[u8]) -> Payload<'_, '_> {
    Payload {
        msg: message,
        aad: SEAL_CONTEXT.as_bytes(),
    }
}

/// Seals `payload` to `sync_key` with the one-time secret `ephemeral_secret` (32 random bytes).
pub fn seal(
    payload: &EnrollPayload,
    sync_key: &VerifyingKey,
    ephemeral_secret: [u8; 32],
) -> SealedEnroll {
    let secret = StaticSecret::from(ephemeral_secret);
    let ephemeral = PublicKey::from(&secret);
    let recipient = PublicKey::from(sync_key.to_montgomery().to_bytes());
    let shared = secret.diffie_hellman(&recipient);
    let plaintext = serde_json::to_vec(payload).expect("the payload serialises");
    let sealed = cipher(shared.as_bytes(), ephemeral.as_bytes(), sync_key)
        .encrypt(&[0u8; 12].into(), aead_payload(&plaintext))
        .expect("ChaCha20-Poly1305 seals any payload of this size");
    SealedEnroll {
        sync_key: public_key_hex(sync_key),
        ephemeral_key: hex::encode(ephemeral.as_bytes()),
        sealed: hex::encode(sealed),
    }
}

/// Opens a sealed enrollment with the platform's sync key. The payload is parsed only after
/// the AEAD tag verified.
pub fn open(request: &SealedEnroll, sync_key: &SigningKey) -> Result<EnrollPayload, SealError> {
    let named = parse_public_key(&request.sync_key)
        .map_err(|e| SealError::Malformed(format!("sync_key: {e}")))?;
    if named != sync_key.verifying_key() {
        return Err(SealError::OtherKey);
    }
    let mut ephemeral = [0u8; 32];
    hex::decode_to_slice(&request.ephemeral_key, &mut ephemeral)
        .map_err(|e| SealError::Malformed(format!("ephemeral_key: {e}")))?;
    if request.sealed.len() > 2 * MAX_SEALED_BYTES {
        return Err(SealError::Malformed("sealed: too large".into()));
    }
    let sealed =
        hex::decode(&request.sealed).map_err(|e| SealError::Malformed(format!("sealed: {e}")))?;
    let secret = StaticSecret::from(sync_key.to_scalar_bytes());
    let shared = secret.diffie_hellman(&PublicKey::from(ephemeral));
    if !shared.was_contributory() {
        return Err(SealError::DoesNotOpen);
    }
    let plaintext = cipher(shared.as_bytes(), &ephemeral, &named)
        .decrypt(&[0u8; 12].into(), aead_payload(&sealed))
        .map_err(|_| SealError::DoesNotOpen)?;
    serde_json::from_slice(&plaintext).map_err(|e| SealError::Malformed(format!("payload: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload() -> EnrollPayload {
        EnrollPayload {
            code: "K7QF-9XMP-2D".into(),
            device_public_key: "ab".repeat(32),
            label: Some("comptoir 1".into()),
            nonce: "01".repeat(16),
        }
    }

    #[test]
    fn only_the_sync_key_opens_what_was_sealed_to_it() {
        let sync = SigningKey::from_bytes(&[7; 32]);
        let sealed = seal(&payload(), &sync.verifying_key(), [9; 32]);
        assert!(!sealed.sealed.contains(&hex::encode("K7QF")));
        assert_eq!(open(&sealed, &sync).unwrap(), payload());

        let other = SigningKey::from_bytes(&[8; 32]);
        assert_eq!(open(&sealed, &other), Err(SealError::OtherKey));
        let mut renamed = sealed.clone();
        renamed.sync_key = public_key_hex(&other.verifying_key());
        assert_eq!(open(&renamed, &other), Err(SealError::DoesNotOpen));
    }

    #[test]
    fn any_changed_byte_fails_to_open_and_no_input_panics() {
        let sync = SigningKey::from_bytes(&[7; 32]);
        let sealed = seal(&payload(), &sync.verifying_key(), [9; 32]);
        for i in 0..sealed.sealed.len() {
            let mut changed = sealed.clone();
            let mut chars: Vec<char> = changed.sealed.chars().collect();
            chars[i] = if chars[i] == '0' { '1' } else { '0' };
            changed.sealed = chars.into_iter().collect();
            assert!(open(&changed, &sync).is_err(), "byte {i}");
        }
        let mut changed = sealed.clone();
        changed.ephemeral_key = "00".repeat(32);
        assert_eq!(open(&changed, &sync), Err(SealError::DoesNotOpen));
        for bad in ["", "zz", &"ab".repeat(40)] {
            let mut changed = sealed.clone();
            changed.ephemeral_key = bad.to_string();
            assert!(matches!(
                open(&changed, &sync),
                Err(SealError::Malformed(_))
            ));
            let mut changed = sealed.clone();
            changed.sealed = bad.to_string();
            assert!(open(&changed, &sync).is_err());
        }
    }
}
