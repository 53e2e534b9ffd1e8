//! The signed envelope around a bundle document.
//!
//! ```json
//! {"format":"guichet-trust-bundle-v1","signer":"<kid hex>","payload":"<base64>","signature":"<hex>"}
//! ```
//! The signature is Ed25519 (`verify_strict`) over [`SIGNING_CONTEXT`] followed by the payload
//! bytes exactly as carried (base64-decoded). Nothing is re-serialised before checking, so there
//! is no canonicalisation to get wrong, and the payload is parsed only once it is authentic.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::BundleError;
use crate::kid::Kid;

/// The envelope's `format` value for this version.
pub const FORMAT: &str = "guichet-trust-bundle-v1";
/// Prefixed to the payload bytes before signing: the format name and a line feed, so a
/// platform root signature made for anything else can never pass as a bundle.
pub const SIGNING_CONTEXT: &[u8] = b"guichet-trust-bundle-v1\n";
/// Larger files are refused before parsing.
pub const MAX_BUNDLE_BYTES: usize = 32 * 1024 * 1024;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    format: String,
    signer: Kid,
    payload: String,
    signature: String,
}

fn signed_message(payload: &[u8]) -> Vec<u8> {
    [SIGNING_CONTEXT, payload].concat()
}

/// Checks the envelope and its signature by one of the pinned root keys; returns the
/// authentic payload bytes.
pub fn open(bytes: &[u8], pinned_roots: &[VerifyingKey]) -> Result<Vec<u8>, BundleError> {
    if bytes.len() > MAX_BUNDLE_BYTES {
        return Err(BundleError::Malformed(format!(
            "the file is {} bytes, more than the {MAX_BUNDLE_BYTES} a bundle may have",
            bytes.len()
        )));
    }
    let envelope: Envelope = serde_json::from_slice(bytes)
        .map_err(|e| BundleError::Malformed(format!("not a trust bundle envelope: {e}")))?;
    if envelope.format != FORMAT {
        return Err(BundleError::Malformed(format!(
            "unsupported format {:?} (expected {FORMAT:?})",
            envelope.format
        )));
    }
    let payload = STANDARD
        .decode(&envelope.payload)
        .map_err(|e| BundleError::Malformed(format!("payload is not base64: {e}")))?;
    let mut signature = [0; 64];
    hex::decode_to_slice(&envelope.signature, &mut signature)
        .map_err(|_| BundleError::Malformed("signature is not 128 hex digits".into()))?;
    let root = pinned_roots
        .iter()
        .find(|root| Kid::of_public_key(root.as_bytes()) == envelope.signer)
        .ok_or(BundleError::WrongSigner {
            signer: envelope.signer,
        })?;
    root.verify_strict(
        &signed_message(&payload),
        &Signature::from_bytes(&signature),
    )
    .map_err(|_| BundleError::BadSignature)?;
    Ok(payload)
}

/// The issuer side: wraps payload bytes in an envelope signed by the platform root key.
pub fn seal(payload: &[u8], root: &SigningKey) -> Vec<u8> {
    let envelope = Envelope {
        format: FORMAT.to_owned(),
        signer: Kid::of_public_key(root.verifying_key().as_bytes()),
        payload: STANDARD.encode(payload),
        signature: hex::encode(root.sign(&signed_message(payload)).to_bytes()),
    };
    let mut bytes = serde_json::to_vec_pretty(&envelope).expect("an envelope always serialises");
    bytes.push(b'\n');
    bytes
}
