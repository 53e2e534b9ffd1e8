//! The clock guard: the latest time the ledger has reason to trust, and whether the kiosk's
//! clock has gone back before it.
//!
//! Decision: a clock found behind is reported (the counter shows a warning, the entry is
//! still recorded with the kiosk's time) rather than refused, because refusing would stop
//! the counter for a fault the mediator cannot fix; the platform sees the times as well.

use jiff::{SignedDuration, Timestamp};
use rusqlite::Connection;
use serde::Serialize;

use crate::error::LedgerError;
use crate::ledger::{meta_get, meta_set, Ledger};
use crate::time;

/// `meta` key of the latest trusted time.
const LATEST_KEY: &str = "latest_trusted_time";

/// How far behind the latest trusted time the clock may be before it is reported: the
/// platform's `Date` header has one-second precision and kiosks are a little off.
pub const TOLERANCE: SignedDuration = SignedDuration::from_secs(120);

/// Whether the kiosk's clock can be believed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ClockStatus {
    /// Not behind anything the ledger has seen.
    Ok,
    /// Earlier than a time already trusted: the clock went backwards.
    Behind {
        /// The latest trusted time.
        latest_trusted: Timestamp,
    },
}

/// Compares `now` with the latest trusted time, then remembers the later of the two.
pub(crate) fn observe(conn: &Connection, now: Timestamp) -> rusqlite::Result<ClockStatus> {
    let latest = latest(conn)?;
    let status = status_against(latest, now);
    if latest.is_none_or(|latest| now > latest) {
        meta_set(conn, LATEST_KEY, &time::utc_text(now))?;
    }
    Ok(status)
}

fn latest(conn: &Connection) -> rusqlite::Result<Option<Timestamp>> {
    Ok(meta_get(conn, LATEST_KEY)?.and_then(|text| time::parse_utc(&text).ok()))
}

fn status_against(latest: Option<Timestamp>, now: Timestamp) -> ClockStatus {
    match latest {
        Some(latest) if now < latest - TOLERANCE => ClockStatus::Behind {
            latest_trusted: latest,
        },
        _ => ClockStatus::Ok,
    }
}

impl Ledger {
    /// Remembers a time from a trusted source (a bundle's issue time, the platform's clock);
    /// returns how the kiosk's clock `now` compares with it.
    pub fn observe_trusted_time(
        &mut self,
        trusted: Timestamp,
        now: Timestamp,
    ) -> Result<ClockStatus, LedgerError> {
        let path = self.path.clone();
        let sqlite = |e| LedgerError::from_sqlite(&path, e);
        let tx = self.write()?;
        observe(&tx, trusted).map_err(sqlite)?;
        let status = status_against(latest(&tx).map_err(sqlite)?, now);
        tx.commit().map_err(sqlite)?;
        Ok(status)
    }

    /// The latest trusted time the ledger holds (every recorded moment, the platform's time
    /// from a verified answer, a bundle's issue time), if any.
    pub fn latest_trusted_time(&self) -> Result<Option<Timestamp>, LedgerError> {
        latest(&self.conn).map_err(|e| self.sqlite(e))
    }

    /// The time dates are checked against: the later of the kiosk's clock `now` and the latest
    /// trusted time, so a clock set back cannot make an expired coupon valid again
    /// (`schema/voucher-code.md`, "today"). The caller may take a later trusted time still
    /// (the bundle's issue time).
    pub fn trusted_now(&self, now: Timestamp) -> Result<Timestamp, LedgerError> {
        Ok(self
            .latest_trusted_time()?
            .map_or(now, |latest| latest.max(now)))
    }

    /// How the kiosk's clock `now` compares with the latest trusted time.
    pub fn clock_status(&self, now: Timestamp) -> Result<ClockStatus, LedgerError> {
        Ok(status_against(
            latest(&self.conn).map_err(|e| self.sqlite(e))?,
            now,
        ))
    }
}
