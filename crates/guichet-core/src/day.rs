//! Days: the PN1 dates, counted in calendar days since 2020-01-01, and the Europe/Paris day
//! and time of a moment, the one definition every crate uses (the kiosks are in France).

use jiff::civil::{date, Date, DateTime};
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// The time zone of every day Guichet counts: Europe/Paris, compiled in from the time zone
/// database (no lookup at run time that could fail, so no fallback: never UTC by mistake).
pub static PARIS: TimeZone = jiff::tz::get!("Europe/Paris");

/// The Europe/Paris calendar day of a moment: the day coupons are checked on, entries are
/// dated and reviewed by.
pub fn paris_day(moment: Timestamp) -> Date {
    paris_time(moment).date()
}

/// The Europe/Paris wall-clock time of a moment.
pub fn paris_time(moment: Timestamp) -> DateTime {
    PARIS.to_datetime(moment)
}

/// Day number 0.
pub const EPOCH: Date = date(2020, 1, 1);

/// The calendar date of a PN1 day number (every `u16` is a valid date, up to 2199-06-06).
pub fn date_of(day: u16) -> Date {
    EPOCH
        .checked_add(jiff::Span::new().days(i64::from(day)))
        .expect("2020-01-01 plus at most 65535 days is within jiff's range")
}

/// The day number of a date, which may be negative or above `u16::MAX` for dates outside
/// what a coupon can carry (a wrong clock, say); comparisons stay exact.
pub fn day_number(date: Date) -> i64 {
    date.duration_since(EPOCH).as_hours() / 24
}

/// The PN1 day number of a date, if a coupon can carry it.
pub fn to_day(date: Date) -> Option<u16> {
    u16::try_from(day_number(date)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_match_the_calendar() {
        assert_eq!(day_number(EPOCH), 0);
        assert_eq!(day_number(date(2020, 12, 31)), 365);
        assert_eq!(day_number(date(2026, 12, 31)), 2556);
        assert_eq!(day_number(date(2019, 12, 31)), -1);
        assert_eq!(date_of(2556), date(2026, 12, 31));
        assert_eq!(date_of(u16::MAX), date(2199, 6, 6));
        assert_eq!(to_day(date(2199, 6, 7)), None);
    }

    #[test]
    fn the_paris_day_follows_french_time_in_winter_and_summer() {
        // 23:30 UTC is already the next day in Paris: 00:30 in winter (UTC+1), 01:30 in summer.
        let winter: Timestamp = "2026-11-22T23:30:00Z".parse().unwrap();
        assert_eq!(paris_day(winter), date(2026, 11, 23));
        assert_eq!(paris_time(winter), date(2026, 11, 23).at(0, 30, 0, 0));
        let summer: Timestamp = "2026-07-14T22:30:00Z".parse().unwrap();
        assert_eq!(paris_day(summer), date(2026, 7, 15));
        assert_eq!(paris_time(summer), date(2026, 7, 15).at(0, 30, 0, 0));
        // Before midnight in Paris, still the same day.
        let evening: Timestamp = "2026-11-22T22:59:59Z".parse().unwrap();
        assert_eq!(paris_day(evening), date(2026, 11, 22));
        assert_eq!(PARIS.iana_name(), Some("Europe/Paris"));
    }

    #[test]
    fn date_of_and_to_day_are_inverse() {
        for day in (0..=u16::MAX).step_by(97) {
            assert_eq!(to_day(date_of(day)), Some(day));
        }
    }
}
