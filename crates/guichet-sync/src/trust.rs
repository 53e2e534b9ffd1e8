//! The trust bundle in force on this kiosk, kept as the signed file `bundle.json`.
//!
//! It is replaced only through `TrustBundle::accept_update_after`: signed by a pinned root,
//! with a sequence strictly higher than the bundle in force and never lower than the highest
//! sequence the kiosk ever accepted, which the ledger keeps (`Ledger::highest_bundle_sequence`):
//! deleting `bundle.json` does not let an older bundle in. The file is re-verified every time it is
//! loaded; a file that no longer verifies (edited, damaged, or older than the highest
//! accepted) is moved aside, kept under a dated name, and the kiosk starts without a bundle
//! until a sync or a USB import installs a good one.

use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;
use guichet_core::{BundleError, TrustBundle};
use guichet_ledger::{Ledger, LedgerError, LedgerSettings, LEDGER_FILE};
use jiff::Timestamp;

use crate::files::write_atomically;

const BUNDLE_FILE: &str = "bundle.json";

/// Why a bundle was refused or could not be kept.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// The offered file does not verify or is not newer.
    #[error("{code}: {0}", code = .0.code())]
    Refused(#[from] BundleError),
    /// The kiosk's own file cannot be read or written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The ledger, which keeps the highest bundle sequence accepted, cannot be read or
    /// written.
    #[error("the ledger keeps the highest bundle sequence accepted: {0}")]
    Ledger(#[from] LedgerError),
}

/// A `bundle.json` found unusable at load, moved aside and kept for a person to look at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetAside {
    /// Where the file is now: `bundle.json.refused-<UTC time>` in the data directory.
    pub kept_as: PathBuf,
    /// The refusal's code: `MALFORMED`, `WRONG_SIGNER`, `BAD_SIGNATURE` or `NOT_NEWER`.
    pub code: &'static str,
    /// The refusal, in words.
    pub reason: String,
}

/// The kiosk's trust bundle and where it lives.
#[derive(Debug)]
pub struct TrustStore {
    path: PathBuf,
    ledger_path: PathBuf,
    bundle: Option<TrustBundle>,
    set_aside: Option<SetAside>,
}

impl TrustStore {
    /// Loads `bundle.json` from the data directory, verifying it against the pinned roots and
    /// the highest sequence the ledger recorded (no file yet: a store without a bundle).
    ///
    /// A file that does not verify, or is older than a bundle accepted before, is moved aside
    /// ([`set_aside`](Self::set_aside) says where and why) and the store has no bundle: the
    /// kiosk starts, refuses coupons with the reason, and a sync or an import recovers. Only
    /// a file that cannot be read or moved, or an unusable ledger, is an error.
    pub fn load(data_dir: &Path, roots: &[VerifyingKey]) -> Result<TrustStore, TrustError> {
        let mut store = TrustStore {
            path: data_dir.join(BUNDLE_FILE),
            ledger_path: data_dir.join(LEDGER_FILE),
            bundle: None,
            set_aside: None,
        };
        match store.reload(roots) {
            Ok(()) => {}
            Err(TrustError::Refused(_)) => {
                // Under the lock, and read again: another process may have just replaced it.
                let _lock = store.lock()?;
                match store.reload(roots) {
                    Err(TrustError::Refused(refusal)) => store.move_aside(&refusal)?,
                    other => other?,
                }
            }
            Err(error) => return Err(error),
        }
        if let Some(sequence) = store.bundle.as_ref().map(TrustBundle::sequence) {
            // A bundle written just before a crash, or by a version that kept no sequence.
            if store.ledger_path.exists() && store.highest_recorded()? < Some(sequence) {
                store.record(sequence)?;
            }
        }
        Ok(store)
    }

    /// Installs the bundle received at enrollment (the kiosk had none).
    pub(crate) fn install_first(
        data_dir: &Path,
        bytes: &[u8],
        roots: &[VerifyingKey],
    ) -> Result<TrustStore, TrustError> {
        let mut store = TrustStore {
            path: data_dir.join(BUNDLE_FILE),
            ledger_path: data_dir.join(LEDGER_FILE),
            bundle: None,
            set_aside: None,
        };
        store.accept(bytes, roots)?;
        Ok(store)
    }

    /// Reads `bundle.json` again if another store (the sync loop, an import) replaced it.
    /// A file that does not verify, or is older than the highest sequence accepted, is an
    /// error and leaves the bundle in memory in force.
    pub fn reload(&mut self, roots: &[VerifyingKey]) -> Result<(), TrustError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => {
                let on_disk = TrustBundle::open(&bytes, roots)?;
                if let Some(highest) = self.highest_recorded()? {
                    if on_disk.sequence() < highest {
                        return Err(TrustError::Refused(BundleError::NotNewer {
                            current: highest,
                            offered: on_disk.sequence(),
                        }));
                    }
                }
                if self
                    .bundle
                    .as_ref()
                    .is_none_or(|b| on_disk.sequence() > b.sequence())
                {
                    self.bundle = Some(on_disk);
                    self.set_aside = None;
                }
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.file_error(e)),
        }
    }

    /// Renames the unusable `bundle.json` to `bundle.json.refused-<UTC time>` (never over
    /// another file) and remembers why.
    fn move_aside(&mut self, refusal: &BundleError) -> Result<(), TrustError> {
        let stamp = Timestamp::now().strftime("%Y%m%dT%H%M%SZ").to_string();
        let name = |n: u32| {
            let suffix = if n == 0 {
                String::new()
            } else {
                format!("-{n}")
            };
            self.path
                .with_file_name(format!("{BUNDLE_FILE}.refused-{stamp}{suffix}"))
        };
        let kept_as = (0..).map(name).find(|p| !p.exists()).expect("a free name");
        std::fs::rename(&self.path, &kept_as).map_err(|e| self.file_error(e))?;
        self.bundle = None;
        self.set_aside = Some(SetAside {
            kept_as,
            code: refusal.code(),
            reason: refusal.to_string(),
        });
        Ok(())
    }

    /// The highest bundle sequence the ledger recorded; `None` when it recorded none or
    /// there is no ledger yet.
    fn highest_recorded(&self) -> Result<Option<u64>, TrustError> {
        if !self.ledger_path.exists() {
            return Ok(None);
        }
        let ledger = Ledger::open(&self.ledger_path, LedgerSettings::default())?;
        Ok(ledger.highest_bundle_sequence()?)
    }

    /// Records `sequence` as accepted in the ledger. Without a ledger file yet (enrollment
    /// from the command line, before the kiosk first opened its ledger) nothing is created
    /// here: the next [`load`](Self::load) with a ledger records the bundle in force.
    fn record(&self, sequence: u64) -> Result<(), TrustError> {
        if !self.ledger_path.exists() {
            return Ok(());
        }
        let mut ledger = Ledger::open(&self.ledger_path, LedgerSettings::default())?;
        ledger.record_bundle_sequence(sequence)?;
        Ok(())
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

    fn file_error(&self, source: std::io::Error) -> TrustError {
        TrustError::File {
            path: self.path.clone(),
            source,
        }
    }

    /// The bundle in force, if any.
    pub fn bundle(&self) -> Option<&TrustBundle> {
        self.bundle.as_ref()
    }

    /// The `bundle.json` found unusable at load and moved aside, until a good bundle is
    /// installed: why the kiosk has no bundle.
    pub fn set_aside(&self) -> Option<&SetAside> {
        self.set_aside.as_ref()
    }

    /// Accepts `bytes` as the new bundle if it verifies, is newer than the one in force and is
    /// not older than the highest sequence the ledger recorded (a kiosk that lost its file may
    /// install that same sequence again), then keeps the file and records its sequence in the
    /// ledger. Returns the new sequence.
    ///
    /// The sync loop and an admin's USB import may offer bundles at the same time, each from
    /// its own `TrustStore`: an exclusive lock on `bundle.lock` serialises them, and the file
    /// is read again under the lock, so neither can replace a newer bundle the other has just
    /// written. The file is written before the sequence is recorded: after a crash between
    /// the two, [`load`](Self::load) records it.
    pub fn accept(&mut self, bytes: &[u8], roots: &[VerifyingKey]) -> Result<u64, TrustError> {
        let _lock = self.lock()?;
        match self.reload(roots) {
            // A damaged file on disk does not block a good update; the bundle in memory
            // was verified when it was loaded.
            Ok(()) | Err(TrustError::Refused(_)) => {}
            Err(error) => return Err(error),
        }
        let highest = self.highest_recorded()?;
        let offered =
            TrustBundle::accept_update_after(self.bundle.as_ref(), highest, bytes, roots)?;
        write_atomically(&self.path, bytes, false).map_err(|e| self.file_error(e))?;
        let sequence = offered.sequence();
        self.bundle = Some(offered);
        self.set_aside = None;
        self.record(sequence)?;
        Ok(sequence)
    }
}
