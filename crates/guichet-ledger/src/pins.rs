//! Where the manager's and the admin's PINs are kept: their hashes and the wrong attempts
//! against each, in the ledger file (tables `pins` and `pin_failures`, migration 4).
//!
//! The ledger stores what it is given: hashing a PIN, checking one and deciding the delays
//! are guichet-kiosk's (`pin.rs`). Keeping the records here, not only in `kiosk.json`, means
//! that deleting the settings file does not bring back a "first PIN" anybody could choose.

use jiff::Timestamp;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::LedgerError;
use crate::ledger::Ledger;
use crate::time::{parse_utc, utc_text};

/// Whose PIN: the one role type of the PIN records, the kiosk's doors (`guichet_kiosk::Role`),
/// the window API and `guichet pin --role`, by the lowercase names serde and strum give (the
/// `role` column; `<&str>::from`, `str::parse`, `Display`).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::Display,
)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum PinRole {
    /// The center manager: day review, cancellations at any time.
    Manager,
    /// The admin: enrollment, updates, settings (and everything a manager may do).
    Admin,
}

impl PinRole {
    /// Whether this role may do what `needed` may.
    pub fn covers(self, needed: PinRole) -> bool {
        self == PinRole::Admin || self == needed
    }

    /// The fewest digits a PIN of this role has: 6 for the admin, who can enroll, import
    /// keys and change every setting; 4 for the manager.
    pub fn min_digits(self) -> usize {
        match self {
            PinRole::Manager => 4,
            PinRole::Admin => 6,
        }
    }
}

/// A PIN as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinRecord {
    /// The argon2id hash, PHC string format.
    pub phc: String,
    /// When it was set.
    pub set_at: Timestamp,
    /// Who set it (the admin's name, or `enrollment`).
    pub set_by: String,
}

/// Wrong PINs in a row against one role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PinFailures {
    /// How many, since the last right one.
    pub count: u32,
    /// When the last one was typed.
    pub last: Timestamp,
}

impl Ledger {
    /// The PIN of `role`, if one was set.
    pub fn pin(&self, role: PinRole) -> Result<Option<PinRecord>, LedgerError> {
        let row = self
            .conn
            .prepare_cached("SELECT phc, set_at, set_by FROM pins WHERE role = ?1")
            .and_then(|mut statement| {
                statement
                    .query_row([<&str>::from(role)], |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, String>(2)?,
                        ))
                    })
                    .optional()
            })
            .map_err(|e| self.sqlite(e))?;
        row.map(|(phc, set_at, set_by)| {
            Ok(PinRecord {
                phc,
                set_at: parse_utc(&set_at)?,
                set_by,
            })
        })
        .transpose()
    }

    /// Sets (or replaces) the PIN of `role` and forgets the wrong attempts against it.
    pub fn set_pin(
        &mut self,
        role: PinRole,
        phc: &str,
        set_by: &str,
        now: Timestamp,
    ) -> Result<(), LedgerError> {
        let path = self.path.clone();
        let sqlite = |e| LedgerError::from_sqlite(&path, e);
        let tx = self.write()?;
        tx.execute(
            "INSERT INTO pins (role, phc, set_at, set_by) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (role) DO UPDATE SET phc = ?2, set_at = ?3, set_by = ?4",
            params![<&str>::from(role), phc, utc_text(now), set_by],
        )
        .map_err(sqlite)?;
        tx.execute(
            "DELETE FROM pin_failures WHERE role = ?1",
            [<&str>::from(role)],
        )
        .map_err(sqlite)?;
        tx.commit().map_err(sqlite)
    }

    /// Forgets the PIN of `role` and its wrong attempts: an enrollment that set the admin PIN
    /// and then failed takes it back, so the next attempt may choose another.
    pub fn remove_pin(&mut self, role: PinRole) -> Result<(), LedgerError> {
        let path = self.path.clone();
        let sqlite = |e| LedgerError::from_sqlite(&path, e);
        let tx = self.write()?;
        tx.execute("DELETE FROM pins WHERE role = ?1", [<&str>::from(role)])
            .map_err(sqlite)?;
        tx.execute(
            "DELETE FROM pin_failures WHERE role = ?1",
            [<&str>::from(role)],
        )
        .map_err(sqlite)?;
        tx.commit().map_err(sqlite)
    }

    /// The wrong attempts in a row against `role` (`None`: none since the last right one).
    pub fn pin_failures(&self, role: PinRole) -> Result<Option<PinFailures>, LedgerError> {
        let row = self
            .conn
            .prepare_cached("SELECT failures, last_failed FROM pin_failures WHERE role = ?1")
            .and_then(|mut statement| {
                statement
                    .query_row([<&str>::from(role)], |row| {
                        Ok((row.get::<_, u32>(0)?, row.get::<_, String>(1)?))
                    })
                    .optional()
            })
            .map_err(|e| self.sqlite(e))?;
        row.map(|(count, last)| {
            Ok(PinFailures {
                count,
                last: parse_utc(&last)?,
            })
        })
        .transpose()
    }

    /// Counts one more wrong PIN against `role`, durably, and returns the new count.
    pub fn record_pin_failure(
        &mut self,
        role: PinRole,
        now: Timestamp,
    ) -> Result<PinFailures, LedgerError> {
        let path = self.path.clone();
        let sqlite = |e| LedgerError::from_sqlite(&path, e);
        let tx = self.write()?;
        let count: u32 = tx
            .query_row(
                "INSERT INTO pin_failures (role, failures, last_failed) VALUES (?1, 1, ?2)
                 ON CONFLICT (role) DO UPDATE SET failures = failures + 1, last_failed = ?2
                 RETURNING failures",
                params![<&str>::from(role), utc_text(now)],
                |row| row.get(0),
            )
            .map_err(sqlite)?;
        tx.commit().map_err(sqlite)?;
        Ok(PinFailures {
            count,
            last: crate::time::to_millis(now),
        })
    }

    /// Forgets the wrong attempts against `role` (after a right PIN).
    pub fn clear_pin_failures(&mut self, role: PinRole) -> Result<(), LedgerError> {
        let path = self.path.clone();
        self.conn
            .execute(
                "DELETE FROM pin_failures WHERE role = ?1",
                [<&str>::from(role)],
            )
            .map_err(|e| LedgerError::from_sqlite(&path, e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LedgerSettings;

    const PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";

    #[test]
    fn each_role_keeps_its_stored_name() {
        for (role, name) in [(PinRole::Manager, "manager"), (PinRole::Admin, "admin")] {
            assert_eq!(<&str>::from(role), name);
            assert_eq!(role.to_string(), name);
            assert_eq!(name.parse::<PinRole>(), Ok(role));
            assert_eq!(serde_json::to_value(role).unwrap(), name);
            assert_eq!(
                serde_json::from_value::<PinRole>(name.into()).unwrap(),
                role
            );
        }
        assert!("mediator".parse::<PinRole>().is_err());
    }

    /// `guichet pin --role` takes the stored names.
    #[cfg(feature = "clap")]
    #[test]
    fn the_command_line_takes_the_stored_names() {
        use clap::ValueEnum;
        for role in PinRole::value_variants() {
            let word = role.to_possible_value().unwrap();
            assert_eq!(word.get_name(), <&str>::from(*role));
        }
    }

    #[test]
    fn pins_and_failures_survive_a_reopen_and_a_new_pin_clears_failures() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite3");
        let now: Timestamp = "2026-12-04T10:00:00Z".parse().unwrap();
        let mut ledger = Ledger::open(&path, LedgerSettings::default()).unwrap();
        assert_eq!(ledger.pin(PinRole::Admin).unwrap(), None);
        ledger
            .set_pin(PinRole::Admin, PHC, "enrollment", now)
            .unwrap();
        assert_eq!(
            ledger
                .record_pin_failure(PinRole::Admin, now)
                .unwrap()
                .count,
            1
        );
        assert_eq!(
            ledger
                .record_pin_failure(PinRole::Admin, now)
                .unwrap()
                .count,
            2
        );
        assert_eq!(ledger.pin_failures(PinRole::Manager).unwrap(), None);
        drop(ledger);

        let mut ledger = Ledger::open(&path, LedgerSettings::default()).unwrap();
        let record = ledger.pin(PinRole::Admin).unwrap().unwrap();
        assert_eq!(
            (record.phc.as_str(), record.set_by.as_str()),
            (PHC, "enrollment")
        );
        assert_eq!(record.set_at, now);
        let failures = ledger.pin_failures(PinRole::Admin).unwrap().unwrap();
        assert_eq!((failures.count, failures.last), (2, now));
        ledger.set_pin(PinRole::Admin, PHC, "Zoé", now).unwrap();
        assert_eq!(ledger.pin_failures(PinRole::Admin).unwrap(), None);
        ledger.record_pin_failure(PinRole::Admin, now).unwrap();
        ledger.clear_pin_failures(PinRole::Admin).unwrap();
        assert_eq!(ledger.pin_failures(PinRole::Admin).unwrap(), None);
    }

    #[test]
    fn the_table_takes_only_argon2id_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger =
            Ledger::open(dir.path().join("l.sqlite3"), LedgerSettings::default()).unwrap();
        let now = Timestamp::UNIX_EPOCH;
        let error = ledger
            .set_pin(PinRole::Manager, "0123456789abcdef", "x", now)
            .unwrap_err();
        assert!(error.to_string().contains("CHECK"), "{error}");
    }
}
