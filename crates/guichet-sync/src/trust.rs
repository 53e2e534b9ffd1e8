//! The trust bundle in force on this kiosk, kept as the signed file `bundle.json`.
//!
//! It is replaced only through `TrustBundle::accept_update_after`: signed by a pinned root,
//! with a sequence strictly higher than the bundle in force and never lower than the highest
//! sequence the kiosk ever accepted, which the ledger keeps (`Ledger::highest_bundle_sequence`):
//! deleting `bundle.json` does not let an older bundle in. The file is re-verified every time it is
//! loaded; a file that no longer verifies (edited, damaged, or older than the highest
//! accepted) is moved aside, kept under a dated name, and the kiosk starts without a bundle
//! until a sync or a USB import installs a good one.
//!
//! Beside it, `freshness.json` keeps the freshness statements accepted for that bundle
//! (`schema/trust-bundle.md`, "Freshness statements"): signed by a sync key the bundle lists,
//! each freshens the bundle and may add restrictions. They are applied in order at every
//! load; a statement is dropped from the file only when a newer one restricts at least as
//! much, so no restriction a kiosk learned is ever lifted by a sync key.

use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;
use guichet_core::{BundleError, TrustBundle};
use guichet_ledger::{Ledger, LedgerError, LedgerSettings, LEDGER_FILE};
use jiff::Timestamp;

use crate::files::write_atomically;

const BUNDLE_FILE: &str = "bundle.json";
/// The freshness statements accepted for the bundle in force, in the data directory.
pub const FRESHNESS_FILE: &str = "freshness.json";

/// `freshness.json`: the statements (each file as received) accepted for one bundle.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct StatementsFile {
    /// The bundle they were accepted for.
    bundle_sequence: u64,
    /// Each statement's file as received, oldest first.
    statements: Vec<String>,
}

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

/// `bundle` with the freshness statements `freshness.json` (in `data_dir`) keeps for it
/// applied, as the kiosk holds it in force (`guichet doctor` reads it this way).
pub fn with_kept_statements(data_dir: &Path, bundle: TrustBundle) -> TrustBundle {
    kept_statements(data_dir, &bundle).0
}

/// Applies the statements `freshness.json` keeps for `bundle`, in order; returns the result
/// and the statements applied. A statement that no longer applies (about another bundle, a
/// file edited by hand) is left out: the kiosk then only looks staler, and the next sync
/// brings a new one.
fn kept_statements(data_dir: &Path, bundle: &TrustBundle) -> (TrustBundle, Vec<String>) {
    let path = data_dir.join(FRESHNESS_FILE);
    let kept: StatementsFile = match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|error| {
            tracing::warn!(
                "{}: {error}; its statements are not applied",
                path.display()
            );
            StatementsFile::default()
        }),
        Err(_) => StatementsFile::default(),
    };
    let mut fresh = bundle.clone();
    let mut statements = Vec::new();
    if kept.bundle_sequence == bundle.sequence() {
        for statement in kept.statements {
            match fresh.with_freshness(statement.as_bytes()) {
                Ok((next, _)) => {
                    fresh = next;
                    statements.push(statement);
                }
                Err(refusal) => tracing::warn!("a kept freshness statement: {refusal}"),
            }
        }
    }
    (fresh, statements)
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
    /// The root-signed bundle as the file says.
    bundle: Option<TrustBundle>,
    /// `bundle` with the freshness statements of `statements` applied: what is in force.
    fresh: Option<TrustBundle>,
    /// The statements accepted for `bundle`, as kept in `freshness.json`.
    statements: Vec<String>,
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
        let mut store = TrustStore::empty(data_dir);
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
        let mut store = TrustStore::empty(data_dir);
        store.accept(bytes, roots)?;
        Ok(store)
    }

    fn empty(data_dir: &Path) -> TrustStore {
        TrustStore {
            path: data_dir.join(BUNDLE_FILE),
            ledger_path: data_dir.join(LEDGER_FILE),
            bundle: None,
            fresh: None,
            statements: Vec::new(),
            set_aside: None,
        }
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
                self.apply_statements();
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.file_error(e)),
        }
    }

    /// Applies the statements `freshness.json` keeps for the bundle in force.
    fn apply_statements(&mut self) {
        let Some(bundle) = &self.bundle else {
            return;
        };
        let data_dir = self.path.parent().unwrap_or(Path::new("."));
        let (fresh, statements) = kept_statements(data_dir, bundle);
        self.fresh = Some(fresh);
        self.statements = statements;
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
        self.fresh = None;
        self.statements.clear();
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

    /// The bundle in force, if any, with the freshness statements accepted for it applied:
    /// what the verifier asks and what staleness counts from.
    pub fn bundle(&self) -> Option<&TrustBundle> {
        self.fresh.as_ref().or(self.bundle.as_ref())
    }

    /// Pins the roots the bundle in force lists, if it lists any (a root rotation): from
    /// then on bundles are checked against them. Returns them when the pinned keys changed.
    /// Called after every load and update, so a crash between `bundle.json` and
    /// `device.json` is mended at the next start.
    pub fn follow_roots(&self) -> Result<Option<Vec<VerifyingKey>>, crate::IdentityError> {
        let Some(roots) = self.bundle.as_ref().and_then(TrustBundle::roots) else {
            return Ok(None);
        };
        let data_dir = self.path.parent().unwrap_or(Path::new("."));
        Ok(crate::identity::pin_roots(data_dir, roots)?.then(|| roots.to_vec()))
    }

    /// Accepts a freshness statement (`bytes`, as received) for the bundle in force: signed
    /// by a sync key that bundle lists, about that bundle, newer than the freshness in force
    /// (`TrustBundle::with_freshness`). Keeps it in `freshness.json` (dropping the older ones
    /// it covers) and returns whether it was new; a statement already in force, or older,
    /// changes nothing and is not an error.
    pub fn accept_freshness(
        &mut self,
        bytes: &[u8],
        roots: &[VerifyingKey],
    ) -> Result<bool, TrustError> {
        let _lock = self.lock()?;
        match self.reload(roots) {
            Ok(()) | Err(TrustError::Refused(_)) => {}
            Err(error) => return Err(error),
        }
        let (Some(bundle), Some(fresh)) = (&self.bundle, self.bundle()) else {
            return Err(TrustError::Refused(BundleError::Malformed(
                "a freshness statement, but no bundle in force".into(),
            )));
        };
        let (next, _) = match fresh.with_freshness(bytes) {
            Ok(accepted) => accepted,
            Err(BundleError::OldStatement { .. }) => return Ok(false),
            Err(refusal) => return Err(refusal.into()),
        };
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
            TrustError::Refused(BundleError::Malformed("a statement is UTF-8 JSON".into()))
        })?;
        // Older statements stay kept unless this one alone restricts at least as much.
        let (alone, _) = bundle.with_freshness(bytes)?;
        let covered = self.statements.iter().all(|older| {
            bundle
                .open_statement(older.as_bytes())
                .is_ok_and(|older| alone.refuses_all_of(&older))
        });
        let mut statements = if covered {
            Vec::new()
        } else {
            self.statements.clone()
        };
        statements.push(text);
        let file = StatementsFile {
            bundle_sequence: bundle.sequence(),
            statements,
        };
        let bytes = serde_json::to_vec_pretty(&file).expect("statements always serialise");
        let path = self.path.with_file_name(FRESHNESS_FILE);
        write_atomically(&path, &bytes, false).map_err(|source| TrustError::File {
            path: path.clone(),
            source,
        })?;
        self.fresh = Some(next);
        self.statements = file.statements;
        Ok(true)
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
        // The statements kept were about the previous bundle: none applies any more.
        self.apply_statements();
        self.record(sequence)?;
        Ok(sequence)
    }
}
