//! Sealing trust bundles, checked by the same code the kiosks run.

use ed25519_dalek::SigningKey;
use guichet_core::bundle::document::{BundleDocument, Referential, Rules};
use jiff::Timestamp;

use crate::error::Error;

/// Signs a bundle document with the root key and opens the result as a kiosk would
/// ([`guichet_signer::seal::seal_checked`]), so the platform never publishes a bundle that
/// kiosks refuse.
pub fn seal_checked(document: &BundleDocument, root: &SigningKey) -> Result<Vec<u8>, Error> {
    Ok(guichet_signer::seal::seal_checked(document, root)?)
}

/// Checks a referential with the core's bundle rules (3 levels, 9 areas, unique services),
/// by sealing it in an otherwise empty document with a key used for nothing else.
pub fn check_referential(referential: &Referential) -> Result<(), Error> {
    let document = BundleDocument {
        sequence: 0,
        issued_at: Timestamp::UNIX_EPOCH,
        expires_at: Timestamp::MAX,
        rules: Rules::default(),
        providers: Vec::new(),
        zones: Vec::new(),
        issuer_keys: Vec::new(),
        referential: referential.clone(),
        revocations: Vec::new(),
        roots: Vec::new(),
        sync_keys: Vec::new(),
    };
    let throwaway = SigningKey::from_bytes(&[0x42; 32]);
    seal_checked(&document, &throwaway)
        .map(drop)
        .map_err(|e| Error::Invalid(format!("invalid referential: {e}")))
}
