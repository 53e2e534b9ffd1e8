//! The signer directory: the root key, the issuer keys (mode 0600, in a 0700 directory) and
//! the document of the last bundle signed, against which the next one is shown.

use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey};
use guichet_core::bundle::document::BundleDocument;
use guichet_core::Kid;

use crate::error::{io, Error};
use crate::keys;

/// A signer directory.
#[derive(Clone, Debug)]
pub struct SignerDir {
    path: PathBuf,
}

impl SignerDir {
    /// The signer directory at `path` (made when a key is first written there).
    pub fn new(path: &Path) -> SignerDir {
        SignerDir {
            path: path.to_owned(),
        }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The root key's file.
    pub fn root_key_file(&self) -> PathBuf {
        self.path.join("platform-root-key.json")
    }

    /// An issuer key's file.
    pub fn issuer_key_file(&self, kid: Kid) -> PathBuf {
        self.path.join(format!("issuer-key-{kid}.json"))
    }

    fn last_signed_file(&self) -> PathBuf {
        self.path.join("last-signed-bundle.json")
    }

    /// Makes the directory (mode 0700) if it is not there.
    pub fn create(&self) -> Result<(), Error> {
        use std::os::unix::fs::DirBuilderExt;
        if !self.path.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&self.path)
                .map_err(io(format!("cannot create {}", self.path.display())))?;
        }
        Ok(())
    }

    /// The root key, made first if the directory has none; its public half.
    pub fn init(&self) -> Result<VerifyingKey, Error> {
        self.create()?;
        if !self.root_key_file().exists() {
            keys::write_root_key(&self.root_key_file(), &keys::generate_key()?)?;
        }
        Ok(self.root_key()?.verifying_key())
    }

    /// The root key.
    pub fn root_key(&self) -> Result<SigningKey, Error> {
        keys::read_root_key(&self.root_key_file())
    }

    /// A new issuer key, kept here: its kid and public half.
    pub fn new_issuer_key(&self) -> Result<(Kid, VerifyingKey), Error> {
        self.create()?;
        let key = keys::generate_key()?;
        let kid = Kid::of_public_key(key.verifying_key().as_bytes());
        keys::write_root_key(&self.issuer_key_file(kid), &key)?;
        Ok((kid, key.verifying_key()))
    }

    /// An issuer key kept here.
    pub fn issuer_key(&self, kid: Kid) -> Result<SigningKey, Error> {
        keys::read_root_key(&self.issuer_key_file(kid))
    }

    /// The document of the last bundle this directory's root signed, if any.
    pub fn last_signed_bundle(&self) -> Result<Option<BundleDocument>, Error> {
        let path = self.last_signed_file();
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| Error::Invalid(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::Io(format!("cannot read {}: {e}", path.display()))),
        }
    }

    /// Signs `document` with the root key (checked as a kiosk opens it), writes the bundle
    /// file to `out`, then keeps the document as the last signed; refuses a sequence not above
    /// the last one signed here.
    pub fn sign_bundle(&self, document: &BundleDocument, out: &Path) -> Result<(), Error> {
        if let Some(previous) = self.last_signed_bundle()? {
            if document.sequence <= previous.sequence {
                return Err(Error::Invalid(format!(
                    "the draft is bundle {}; this signer already signed bundle {}: draft a new one",
                    document.sequence, previous.sequence
                )));
            }
        }
        let file = crate::seal::seal_checked(document, &self.root_key()?)?;
        std::fs::write(out, &file).map_err(io(format!("cannot write {}", out.display())))?;
        let path = self.last_signed_file();
        let json = serde_json::to_vec_pretty(document).map_err(|e| Error::Io(e.to_string()))?;
        std::fs::write(&path, json).map_err(io(format!("cannot write {}", path.display())))
    }
}
