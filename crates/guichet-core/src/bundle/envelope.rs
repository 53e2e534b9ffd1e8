//! The signed envelope around a bundle document.
//!
//! ```json
//! {"format":"guichet-trust-bundle-v1","signer":"<kid hex>","payload":"<base64>","signature":"<hex>"}
//! ```
//! The signature is Ed25519 (`verify_strict`) over the format name and a line feed, followed
//! by the payload bytes exactly as carried (base64-decoded). The same envelope carries a
//! freshness statement (`guichet-freshness-v1`, signed by a sync key): the format name in the
//! signed bytes keeps one kind of signature from passing as the other. Nothing is re-serialised before checking, so there
//! is no canonicalisation to get wrong, and the payload is parsed only once it is authentic.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::BundleError;
use crate::kid::Kid;

/// The envelope's `format` value for this version.
pub const FORMAT: &str = "guichet-trust-bundle-v1";
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

/// What is signed: the format name, a line feed, then the payload bytes as carried.
fn signed_message(format: &str, payload: &[u8]) -> Vec<u8> {
    [format.as_bytes(), b"\n", payload].concat()
}

/// A kind of signed document carried in this envelope: its `format` name (also the signing
/// context, followed by a line feed) and the largest file accepted.
#[derive(Clone, Copy, Debug)]
pub(super) struct Kind {
    /// The `format` member, and the signed message's prefix before its line feed.
    pub format: &'static str,
    /// Larger files are refused before parsing.
    pub max_bytes: usize,
}

/// The trust bundle, signed by a platform root.
pub(super) const BUNDLE: Kind = Kind {
    format: FORMAT,
    max_bytes: MAX_BUNDLE_BYTES,
};

/// Checks the envelope and its signature by one of the pinned root keys; returns the
/// authentic payload bytes.
pub fn open(bytes: &[u8], pinned_roots: &[VerifyingKey]) -> Result<Vec<u8>, BundleError> {
    open_as(BUNDLE, bytes, pinned_roots).map(|(payload, _)| payload)
}

/// [`open`] for a document of `kind`, signed by one of `signers`; returns the authentic
/// payload bytes and the key that signed them.
pub(super) fn open_as(
    kind: Kind,
    bytes: &[u8],
    signers: &[VerifyingKey],
) -> Result<(Vec<u8>, VerifyingKey), BundleError> {
    let Kind { format, max_bytes } = kind;
    if bytes.len() > max_bytes {
        return Err(BundleError::Malformed(format!(
            "the file is {} bytes, more than the {max_bytes} a {format} file may have",
            bytes.len()
        )));
    }
    let envelope: Envelope = serde_json::from_slice(bytes)
        .map_err(|e| BundleError::Malformed(format!("not a {format} envelope: {e}")))?;
    if envelope.format != format {
        return Err(BundleError::Malformed(format!(
            "unsupported format {:?} (expected {format:?})",
            envelope.format
        )));
    }
    let payload = STANDARD
        .decode(&envelope.payload)
        .map_err(|e| BundleError::Malformed(format!("payload is not base64: {e}")))?;
    let mut signature = [0; 64];
    hex::decode_to_slice(&envelope.signature, &mut signature)
        .map_err(|_| BundleError::Malformed("signature is not 128 hex digits".into()))?;
    let signer = signers
        .iter()
        .find(|key| Kid::of_public_key(key.as_bytes()) == envelope.signer)
        .ok_or(BundleError::WrongSigner {
            signer: envelope.signer,
        })?;
    signer
        .verify_strict(
            &signed_message(format, &payload),
            &Signature::from_bytes(&signature),
        )
        .map_err(|_| BundleError::BadSignature)?;
    Ok((payload, *signer))
}

/// The issuer side: wraps payload bytes in an envelope signed by the platform root key.
pub fn seal(payload: &[u8], root: &SigningKey) -> Vec<u8> {
    seal_as(BUNDLE, payload, root)
}

/// [`seal`] for a document of `kind`, signed by `key`.
pub(super) fn seal_as(kind: Kind, payload: &[u8], key: &SigningKey) -> Vec<u8> {
    let envelope = Envelope {
        format: kind.format.to_owned(),
        signer: Kid::of_public_key(key.verifying_key().as_bytes()),
        payload: STANDARD.encode(payload),
        signature: hex::encode(key.sign(&signed_message(kind.format, payload)).to_bytes()),
    };
    let mut bytes = serde_json::to_vec_pretty(&envelope).expect("an envelope always serialises");
    bytes.push(b'\n');
    bytes
}
