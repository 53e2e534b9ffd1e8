//! The highest trust-bundle sequence this kiosk ever accepted, kept in `meta` so that
//! deleting `bundle.json` does not open the door to an older (pre-revocation) bundle.
//!
//! The ledger only keeps the number; the rule (an update must be strictly newer) is the core's
//! (`guichet_core::TrustBundle::accept_update_after`), applied by the trust store in `guichet-sync`.

use crate::error::LedgerError;
use crate::ledger::{meta_get, meta_set, Ledger};

/// `meta` key of the highest bundle sequence accepted.
const KEY: &str = "bundle_sequence";

impl Ledger {
    /// The highest trust-bundle sequence ever recorded with
    /// [`record_bundle_sequence`](Self::record_bundle_sequence); `None` when none was.
    pub fn highest_bundle_sequence(&self) -> Result<Option<u64>, LedgerError> {
        let text = meta_get(&self.conn, KEY).map_err(|e| self.sqlite(e))?;
        text.map(|text| self.parse_sequence(&text)).transpose()
    }

    /// Records that a bundle with `sequence` is in force. The highest value is kept: a lower
    /// one changes nothing. Returns the highest sequence now recorded.
    pub fn record_bundle_sequence(&mut self, sequence: u64) -> Result<u64, LedgerError> {
        let path = self.path.clone();
        let sqlite = |e| LedgerError::from_sqlite(&path, e);
        let tx = self.write()?;
        let recorded = match meta_get(&tx, KEY).map_err(sqlite)? {
            Some(text) => Some(parse(&path, &text)?),
            None => None,
        };
        let highest = recorded.map_or(sequence, |r| r.max(sequence));
        if recorded != Some(highest) {
            meta_set(&tx, KEY, &highest.to_string()).map_err(sqlite)?;
        }
        tx.commit().map_err(sqlite)?;
        Ok(highest)
    }

    fn parse_sequence(&self, text: &str) -> Result<u64, LedgerError> {
        parse(&self.path, text)
    }
}

fn parse(path: &std::path::Path, text: &str) -> Result<u64, LedgerError> {
    text.parse().map_err(|e| LedgerError::Corrupt {
        path: path.to_path_buf(),
        detail: format!("meta {KEY} = {text:?}: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LedgerSettings;

    #[test]
    fn the_highest_sequence_is_kept_across_opens_and_never_lowered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite3");
        let mut ledger = Ledger::open(&path, LedgerSettings::default()).unwrap();
        assert_eq!(ledger.highest_bundle_sequence().unwrap(), None);
        assert_eq!(ledger.record_bundle_sequence(3).unwrap(), 3);
        assert_eq!(ledger.record_bundle_sequence(2).unwrap(), 3);
        drop(ledger);
        let mut ledger = Ledger::open(&path, LedgerSettings::default()).unwrap();
        assert_eq!(ledger.highest_bundle_sequence().unwrap(), Some(3));
        assert_eq!(ledger.record_bundle_sequence(u64::MAX).unwrap(), u64::MAX);
        assert_eq!(ledger.highest_bundle_sequence().unwrap(), Some(u64::MAX));
    }

    #[test]
    fn a_damaged_value_is_an_error_not_zero() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger =
            Ledger::open(dir.path().join("l.sqlite3"), LedgerSettings::default()).unwrap();
        meta_set(&ledger.conn, KEY, "seven").unwrap();
        assert_eq!(
            ledger.highest_bundle_sequence().unwrap_err().code(),
            "CORRUPT"
        );
        assert_eq!(
            ledger.record_bundle_sequence(9).unwrap_err().code(),
            "CORRUPT"
        );
    }
}
