//! The signed statement file: the document signed by a sync key, with the root keys and the
//! root-signed trust bundle that lists that key.
//!
//! ```json
//! {"format":"guichet-statement-v1","roots":["<hex>"],"bundle":"<bundle file>",
//!  "signer":"<sync key hex>","payload":"<base64>","signature":"<hex>"}
//! ```
//! The signature is Ed25519 (`verify_strict`) over [`SIGNING_CONTEXT`] followed by the payload
//! bytes exactly as carried: nothing is re-serialised before checking.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use guichet_core::bundle::TrustBundle;
use serde::{Deserialize, Serialize};

use super::{StatementDocument, StatementError};
use crate::fingerprint::{fingerprint_matches, root_fingerprint};

/// The file's `format` value for this version.
pub const FORMAT: &str = "guichet-statement-v1";
/// Prefixed to the payload before signing, so that no other signature by a sync key (an
/// answer to a kiosk) can pass as a statement, nor a statement as anything else.
pub const SIGNING_CONTEXT: &[u8] = b"guichet-statement-v1\n";
/// Larger files are refused before parsing (a bundle is at most 32 MiB; a month of a center's
/// lines is far less).
pub const MAX_STATEMENT_BYTES: usize = 64 * 1024 * 1024;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatementFile {
    format: String,
    roots: Vec<String>,
    bundle: String,
    signer: String,
    payload: String,
    signature: String,
}

/// What the platform signs a statement with.
pub struct StatementSeal<'a> {
    /// The platform's root public keys (64 hex digits each), whose fingerprint a verifier has.
    pub roots: &'a [String],
    /// The current trust bundle file, signed by those roots, listing `key` as a sync key.
    pub bundle: &'a str,
    /// The platform's sync key.
    pub key: &'a SigningKey,
}

/// A statement that verified: its document and the bundle sequence that vouched for its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedStatement {
    /// The signed document, checked.
    pub document: StatementDocument,
    /// The sequence of the trust bundle carried.
    pub bundle_sequence: u64,
    /// The sync key that signed, 64 hex digits.
    pub signer: String,
}

/// The signed file for `document` (not checked here: the platform makes it from its records;
/// tests use this to make wrong statements).
pub fn seal(document: &StatementDocument, seal: &StatementSeal<'_>) -> Vec<u8> {
    let payload = serde_json::to_vec(document).expect("a statement document always serialises");
    let file = StatementFile {
        format: FORMAT.to_owned(),
        roots: seal.roots.to_vec(),
        bundle: seal.bundle.to_owned(),
        signer: hex::encode(seal.key.verifying_key().as_bytes()),
        payload: STANDARD.encode(&payload),
        signature: hex::encode(
            seal.key
                .sign(&[SIGNING_CONTEXT, &payload].concat())
                .to_bytes(),
        ),
    };
    let mut bytes = serde_json::to_vec_pretty(&file).expect("a statement file always serialises");
    bytes.push(b'\n');
    bytes
}

/// The document a statement file carries, checked for consistency and totals but **not** for
/// its signature: for the platform reading back a file it issued and keeps in its own store
/// (its center page's spreadsheet export). Anyone else uses [`verify`].
pub fn issued_document(bytes: &[u8]) -> Result<StatementDocument, StatementError> {
    let file = parse_file(bytes)?;
    let payload = STANDARD
        .decode(&file.payload)
        .map_err(|e| StatementError::Malformed(format!("payload is not base64: {e}")))?;
    parse_document(&payload)
}

/// The file's envelope, of the supported format and size.
fn parse_file(bytes: &[u8]) -> Result<StatementFile, StatementError> {
    let malformed = |text: String| StatementError::Malformed(text);
    if bytes.len() > MAX_STATEMENT_BYTES {
        return Err(malformed(format!(
            "the file is {} bytes, more than the {MAX_STATEMENT_BYTES} a statement may have",
            bytes.len()
        )));
    }
    let file: StatementFile = serde_json::from_slice(bytes)
        .map_err(|e| malformed(format!("not a statement file: {e}")))?;
    if file.format != FORMAT {
        return Err(malformed(format!(
            "unsupported format {:?} (expected {FORMAT:?})",
            file.format
        )));
    }
    Ok(file)
}

/// The signed payload's document, checked.
fn parse_document(payload: &[u8]) -> Result<StatementDocument, StatementError> {
    let document: StatementDocument = serde_json::from_slice(payload)
        .map_err(|e| StatementError::Invalid(format!("not a statement document: {e}")))?;
    document.check()?;
    Ok(document)
}

/// Verifies a statement file against the platform root `fingerprint`, in the order of
/// `schema/statement.md`: the file, the roots against the fingerprint, the bundle against the
/// roots, the signer against the bundle's sync keys, the signature, the document, its totals.
pub fn verify(bytes: &[u8], fingerprint: &str) -> Result<VerifiedStatement, StatementError> {
    let malformed = |text: String| StatementError::Malformed(text);
    let file = parse_file(bytes)?;
    let roots = file
        .roots
        .iter()
        .map(|hex| {
            public_key(hex)
                .ok_or_else(|| malformed(format!("root key {hex:?} is not an Ed25519 public key")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (bundle, signer) = check_chain(&roots, fingerprint, file.bundle.as_bytes(), &file.signer)?;
    let payload = STANDARD
        .decode(&file.payload)
        .map_err(|e| malformed(format!("payload is not base64: {e}")))?;
    let mut signature = [0; 64];
    hex::decode_to_slice(&file.signature, &mut signature)
        .map_err(|_| malformed("signature is not 128 hex digits".into()))?;
    signer
        .verify_strict(
            &[SIGNING_CONTEXT, &payload].concat(),
            &Signature::from_bytes(&signature),
        )
        .map_err(|_| StatementError::BadSignature)?;
    let document = parse_document(&payload)?;
    Ok(VerifiedStatement {
        document,
        bundle_sequence: bundle.sequence(),
        signer: file.signer,
    })
}

/// Checks the chain a statement relies on, steps 2 to 4 of `schema/statement.md`: `roots` are
/// the keys `fingerprint` names, `bundle` is a valid trust bundle signed by one of them, and
/// it lists `signer` (64 hex digits) as a sync key. Returns the bundle and the signer's key.
/// The platform runs it once before it signs a month's statements.
pub fn check_chain(
    roots: &[VerifyingKey],
    fingerprint: &str,
    bundle: &[u8],
    signer: &str,
) -> Result<(TrustBundle, VerifyingKey), StatementError> {
    if roots.is_empty() || !fingerprint_matches(fingerprint, roots) {
        return Err(StatementError::WrongRoot {
            expected: fingerprint.trim().to_owned(),
            carried: root_fingerprint(roots),
        });
    }
    let bundle = TrustBundle::open(bundle, roots)?;
    let key = public_key(signer)
        .filter(|key| bundle.sync_keys().contains(key))
        .ok_or_else(|| StatementError::UnlistedSigner {
            signer: signer.to_owned(),
        })?;
    Ok((bundle, key))
}

/// The Ed25519 public key of 64 hex digits, if it is one.
fn public_key(text: &str) -> Option<VerifyingKey> {
    let mut bytes = [0; 32];
    hex::decode_to_slice(text, &mut bytes).ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}
