//! The signer directory: the root key, the issuer keys (mode 0600, in a 0700 directory) and
//! the document of the last bundle signed, against which the next one is shown; during a root
//! rotation (`schema/trust-bundle.md`, "Rotating the root"), the next root key, then a marker
//! until the bundle that drops the old root is signed.

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

    /// The next root key's file, between `root-rotate` and the next bundle signed.
    fn next_root_key_file(&self) -> PathBuf {
        self.path.join("platform-root-key-next.json")
    }

    /// Present from the bundle that lists both roots until the one that lists the new root
    /// alone is signed.
    fn rotation_pending_file(&self) -> PathBuf {
        self.path.join("root-rotation-pending")
    }

    /// Starts a root rotation: makes the next root key (refused while one waits); its public
    /// half. The next bundle signed lists both roots and is signed by the current one.
    pub fn rotate_root(&self) -> Result<VerifyingKey, Error> {
        self.root_key()?;
        let next = self.next_root_key_file();
        if next.exists() || self.rotation_pending_file().exists() {
            return Err(Error::Invalid(
                "a root rotation is already under way: sign the next bundles first".into(),
            ));
        }
        keys::write_root_key(&next, &keys::generate_key()?)?;
        Ok(keys::read_root_key(&next)?.verifying_key())
    }

    /// `document` with the roots this signer's rotation puts in it: the current and the next
    /// root while a next one waits (signed by the current), then the new root alone (signed
    /// by it); unchanged otherwise (kiosks keep the roots they pin).
    pub fn prepare(&self, mut document: BundleDocument) -> Result<BundleDocument, Error> {
        let current = self.root_key()?.verifying_key();
        let hex = |key: &VerifyingKey| hex::encode(key.as_bytes());
        if self.next_root_key_file().exists() {
            let next = keys::read_root_key(&self.next_root_key_file())?.verifying_key();
            document.roots = vec![hex(&current), hex(&next)];
        } else if self.rotation_pending_file().exists() {
            document.roots = vec![hex(&current)];
        }
        Ok(document)
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
        let root = self.root_key()?;
        let file = crate::seal::seal_checked(document, &root)?;
        std::fs::write(out, &file).map_err(io(format!("cannot write {}", out.display())))?;
        let path = self.last_signed_file();
        let json = serde_json::to_vec_pretty(document).map_err(|e| Error::Io(e.to_string()))?;
        std::fs::write(&path, json).map_err(io(format!("cannot write {}", path.display())))?;
        self.advance_rotation(document, &root)
    }

    /// After a bundle is signed: the one listing both roots retires the current root (kept
    /// under `platform-root-key-retired-KID.json`) and makes the next one current; the one
    /// listing the new root alone ends the rotation.
    fn advance_rotation(&self, document: &BundleDocument, root: &SigningKey) -> Result<(), Error> {
        let pending = self.rotation_pending_file();
        let next = self.next_root_key_file();
        if next.exists() && document.roots.len() == 2 {
            let kid = Kid::of_public_key(root.verifying_key().as_bytes());
            let retired = self
                .path
                .join(format!("platform-root-key-retired-{kid}.json"));
            let rename = |from: &Path, to: &Path| {
                std::fs::rename(from, to).map_err(io(format!("cannot rename {}", from.display())))
            };
            std::fs::write(&pending, b"")
                .map_err(io(format!("cannot write {}", pending.display())))?;
            rename(&self.root_key_file(), &retired)?;
            rename(&next, &self.root_key_file())?;
        } else if pending.exists() && document.roots.len() == 1 {
            std::fs::remove_file(&pending)
                .map_err(io(format!("cannot remove {}", pending.display())))?;
        }
        Ok(())
    }
}
