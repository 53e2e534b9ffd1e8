//! `guichet ledger verify`'s check as a function, for the command and for `guichet doctor`:
//! the hash chain, the tables derived from it, SQLite's integrity, on a file opened
//! read-only (never changed).

use std::path::Path;

use guichet_ledger::{ChainBreak, Ledger, LedgerError, LedgerSettings, Mismatch};

/// What the check found.
#[derive(Debug)]
pub enum LedgerCheck {
    /// Everything agrees.
    Intact {
        /// Entries checked.
        entries: u64,
        /// `active_coupons` rows of pruned redemptions (kept on purpose, not checkable).
        pruned_active: u64,
    },
    /// The hash chain breaks after `good_entries`.
    ChainBroken {
        /// Entries checked before the break.
        good_entries: u64,
        /// The first broken link.
        problem: ChainBreak,
    },
    /// The chain is intact but the double-use guard or the outbox disagrees with it.
    TablesDisagree {
        /// Entries checked.
        entries: u64,
        /// Every disagreement.
        mismatches: Vec<Mismatch>,
    },
    /// SQLite's own `integrity_check` fails.
    Damaged(LedgerError),
}

impl LedgerCheck {
    /// Whether nothing is wrong.
    pub fn is_intact(&self) -> bool {
        matches!(self, LedgerCheck::Intact { .. })
    }
}

/// Checks the ledger at `path`, read-only. An error: the file cannot be opened or read at all.
pub fn check_ledger(path: &Path) -> Result<LedgerCheck, LedgerError> {
    let ledger = Ledger::open_read_only(path, LedgerSettings::default())?;
    let report = ledger.verify_chain()?;
    if let Some(problem) = report.first_break {
        return Ok(LedgerCheck::ChainBroken {
            good_entries: report.entries,
            problem,
        });
    }
    let check = ledger.cross_check()?;
    if !check.mismatches.is_empty() {
        return Ok(LedgerCheck::TablesDisagree {
            entries: report.entries,
            mismatches: check.mismatches,
        });
    }
    if let Err(error) = ledger.integrity_check() {
        return Ok(LedgerCheck::Damaged(error));
    }
    Ok(LedgerCheck::Intact {
        entries: report.entries,
        pruned_active: check.pruned_active,
    })
}

/// Checks the device's signature of every entry of the ledger at `path` (opened read-only)
/// against the public key of the kiosk whose data directory is `data_dir`; `None` when that
/// directory holds no enrollment to take the key from.
pub fn check_signatures(
    path: &Path,
    data_dir: &Path,
) -> Result<Option<guichet_ledger::SignatureReport>, LedgerError> {
    let Ok(identity) = guichet_sync::Identity::load(data_dir) else {
        return Ok(None);
    };
    let ledger = Ledger::open_read_only(path, LedgerSettings::default())?;
    ledger
        .check_entry_signatures(&identity.public_key())
        .map(Some)
}
