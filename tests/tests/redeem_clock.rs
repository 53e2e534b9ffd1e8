//! `guichet redeem`, a real process on an enrolled data directory: a clock behind the
//! kiosk's trusted time does not bring an expired coupon back (issue 18, item 4).

use guichet_e2e::fixtures::{demo_codes, write_enrolled_kiosk};
use guichet_e2e::guichet;
use guichet_ledger::{Ledger, LedgerSettings};

#[test]
fn redeem_checks_dates_on_the_trusted_time_when_the_clock_is_behind() {
    let data = tempfile::tempdir().unwrap();
    write_enrolled_kiosk(data.path(), "Centre de test");
    // A sync recorded the platform's time: 5 February 2027, after coupon 1000001's grace
    // (31 January 2027), so the machine's clock is behind.
    // (Later than the machine's clock too, whatever the day this runs.)
    let now = jiff::Timestamp::now();
    let platform_time = "2027-02-05T10:00:00Z"
        .parse::<jiff::Timestamp>()
        .unwrap()
        .max(now + jiff::SignedDuration::from_hours(24));
    Ledger::open(
        data.path().join("ledger.sqlite3"),
        LedgerSettings::default(),
    )
    .unwrap()
    .observe_trusted_time(platform_time, jiff::Timestamp::now())
    .unwrap();
    let output = guichet()
        .env("GUICHET_DATA_DIR", data.path())
        .args([
            "redeem",
            "--area",
            "1.1",
            "--service",
            "1.1.01",
            "--mediator",
            "Zoé",
            "--lang",
            "en",
            &demo_codes()[0],
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        stdout.starts_with("EXPIRED") && stdout.contains("nothing recorded"),
        "{stdout}"
    );
}
