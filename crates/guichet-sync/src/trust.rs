//! The trust bundle in force on this kiosk, kept as the signed file `bundle.json`.
//!
//! It is replaced only through `TrustBundle::accept_update`: signed by a pinned root and with
//! a strictly higher sequence. The file is re-verified every time it is loaded, so a file
//! edited or swapped on disk is refused rather than trusted.

use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;
use guichet_core::{BundleError, TrustBundle};

use crate::files::write_atomically;

const BUNDLE_FILE: &str = "bundle.json";

/// Why a bundle was refused or could not be kept.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// The offered file does not verify or is not newer.
    #[error("{code}: {0}", code = .0.code())]
    Refused(#[from] BundleError),
    /// The kiosk's own file cannot be read or written.
    #[error("{path}: {detail}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
}

/// The kiosk's trust bundle and where it lives.
#[derive(Debug)]
pub struct TrustStore {
    path: PathBuf,
    bundle: Option<TrustBundle>,
}

impl TrustStore {
    /// Loads `bundle.json` from the data directory, verifying it against the pinned roots
    /// (no file yet: a store without a bundle).
    pub fn load(data_dir: &Path, roots: &[VerifyingKey]) -> Result<TrustStore, TrustError> {
        let path = data_dir.join(BUNDLE_FILE);
        let bundle = match std::fs::read(&path) {
            Ok(bytes) => Some(TrustBundle::open(&bytes, roots)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(TrustError::File {
                    path,
                    detail: e.to_string(),
                })
            }
        };
        Ok(TrustStore { path, bundle })
    }

    /// Installs the bundle received at enrollment (the kiosk had none).
    pub(crate) fn install_first(
        data_dir: &Path,
        bytes: &[u8],
        roots: &[VerifyingKey],
    ) -> Result<TrustStore, TrustError> {
        let mut store = TrustStore {
            path: data_dir.join(BUNDLE_FILE),
            bundle: None,
        };
        store.accept(bytes, roots)?;
        Ok(store)
    }

    /// Reads `bundle.json` again if another store (the sync loop, an import) replaced it.
    pub fn reload(&mut self, roots: &[VerifyingKey]) -> Result<(), TrustError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => {
                let on_disk = TrustBundle::open(&bytes, roots)?;
                if self
                    .bundle
                    .as_ref()
                    .is_none_or(|b| on_disk.sequence() > b.sequence())
                {
                    self.bundle = Some(on_disk);
                }
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.file_error(e)),
        }
    }

    fn lock(&self) -> Result<std::fs::File, TrustError> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| self.file_error(e))?;
        }
        let path = self.path.with_extension("lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| self.file_error(e))?;
        file.lock().map_err(|e| self.file_error(e))?;
        Ok(file)
    }

    fn file_error(&self, e: std::io::Error) -> TrustError {
        TrustError::File {
            path: self.path.clone(),
            detail: e.to_string(),
        }
    }

    /// The bundle in force, if any.
    pub fn bundle(&self) -> Option<&TrustBundle> {
        self.bundle.as_ref()
    }

    /// Accepts `bytes` as the new bundle if it verifies and is newer than the one in force,
    /// then keeps the file. Returns the new sequence.
    ///
    /// The sync loop and an admin's USB import may offer bundles at the same time, each from
    /// its own `TrustStore`: an exclusive lock on `bundle.lock` serialises them, and the file
    /// is read again under the lock, so neither can replace a newer bundle the other has just
    /// written.
    pub fn accept(&mut self, bytes: &[u8], roots: &[VerifyingKey]) -> Result<u64, TrustError> {
        let _lock = self.lock()?;
        match self.reload(roots) {
            // A damaged file on disk does not block a good update; the bundle in memory
            // was verified when it was loaded.
            Ok(()) | Err(TrustError::Refused(_)) => {}
            Err(error) => return Err(error),
        }
        let offered = TrustBundle::accept_update(self.bundle.as_ref(), bytes, roots)?;
        write_atomically(&self.path, bytes, false).map_err(|e| TrustError::File {
            path: self.path.clone(),
            detail: e.to_string(),
        })?;
        let sequence = offered.sequence();
        self.bundle = Some(offered);
        Ok(sequence)
    }
}
