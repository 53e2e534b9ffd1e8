//! Days as centers count them: calendar days in Europe/Paris.

use jiff::civil::Date;
use jiff::Timestamp;

/// The Europe/Paris calendar day of an instant (the time zone database is bundled).
pub fn paris_day(at: Timestamp) -> Date {
    at.in_tz("Europe/Paris")
        .map(|zoned| zoned.date())
        .unwrap_or_else(|_| at.to_zoned_datetime(jiff::tz::TimeZone::UTC).date())
}
