//! How the ledger writes moments and days: UTC with milliseconds, and the Europe/Paris day.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Unit};

use crate::error::LedgerError;

/// The time zone of the local day (the kiosks are in France).
pub fn paris() -> TimeZone {
    // The bundled database always has Europe/Paris; UTC is never reached in practice.
    TimeZone::get("Europe/Paris").unwrap_or(TimeZone::UTC)
}

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

/// The Europe/Paris calendar day of a moment.
pub fn local_day(moment: Timestamp) -> Date {
    moment.to_zoned_datetime(paris()).date()
}

/// The Europe/Paris wall-clock time of a moment.
pub fn local_time(moment: Timestamp) -> DateTime {
    moment.to_zoned_datetime(paris()).datetime()
}
