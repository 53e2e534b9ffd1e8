//! Sealing trust bundles, checked by the same code the kiosks run.

use ed25519_dalek::SigningKey;
use guichet_core::bundle::document::BundleDocument;
use guichet_core::TrustBundle;

use crate::error::Error;

/// Signs a bundle document with the root key and opens the result as a kiosk would, so the
/// platform never publishes a bundle that kiosks refuse.
pub fn seal_checked(document: &BundleDocument, root: &SigningKey) -> Result<Vec<u8>, Error> {
    let file = TrustBundle::seal(document, root);
    TrustBundle::open(&file, &[root.verifying_key()])
        .map_err(|e| Error::Invalid(format!("the bundle would be refused by kiosks: {e}")))?;
    Ok(file)
}
