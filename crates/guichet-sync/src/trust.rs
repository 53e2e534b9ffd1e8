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

    /// The bundle in force, if any.
    pub fn bundle(&self) -> Option<&TrustBundle> {
        self.bundle.as_ref()
    }

    /// Accepts `bytes` as the new bundle if it verifies and is newer, then keeps the file.
    /// Returns the new sequence.
    pub fn accept(&mut self, bytes: &[u8], roots: &[VerifyingKey]) -> Result<u64, TrustError> {
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
