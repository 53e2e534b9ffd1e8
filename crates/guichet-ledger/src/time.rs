//! How the ledger writes moments: UTC with milliseconds (the Europe/Paris day is
//! `guichet_core::day::paris_day`).

use jiff::{Timestamp, Unit};

use crate::error::LedgerError;

/// Rounds down to the millisecond, the precision the ledger stores.
pub fn to_millis(moment: Timestamp) -> Timestamp {
    moment
        .round(
            jiff::TimestampRound::new()
                .smallest(Unit::Millisecond)
                .mode(jiff::RoundMode::Trunc),
        )
        .unwrap_or(moment)
}

/// `2026-11-23T09:15:02.120Z`: UTC, always three fraction digits, so text order is time order.
pub fn utc_text(moment: Timestamp) -> String {
    to_millis(moment)
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Parses what [`utc_text`] wrote.
pub fn parse_utc(text: &str) -> Result<Timestamp, LedgerError> {
    text.parse::<Timestamp>()
        .map_err(|e| LedgerError::BadRow(format!("moment {text:?}: {e}")))
}
