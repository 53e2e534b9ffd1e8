//! `guichet redeem` goes through the counter's own rules (issue 18, item 10): a real process on
//! an enrolled data directory, each refusal the window would give, and nothing recorded then.

use std::path::Path;
use std::process::Output;

use guichet_e2e::fixtures::{demo_codes, write_enrolled_kiosk};
use guichet_e2e::guichet;

fn redeem(dir: &Path, extra: &[&str], codes: &[&str]) -> Output {
    guichet()
        .env("GUICHET_DATA_DIR", dir)
        .args(["redeem", "--lang", "en"])
        .args(extra)
        .args(codes)
        .output()
        .unwrap()
}

/// How many entries the ledger holds (0 when no ledger was written).
fn entries(dir: &Path) -> i64 {
    let path = dir.join("ledger.sqlite3");
    if !path.exists() {
        return 0;
    }
    rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap()
        .query_row("SELECT count(*) FROM entries", [], |row| row.get(0))
        .unwrap()
}

fn workshop<'a>(service: &'a str, mediator: &'a str) -> [&'a str; 6] {
    [
        "--area",
        "1.1",
        "--service",
        service,
        "--mediator",
        mediator,
    ]
}

#[test]
fn redeem_refuses_what_the_counter_refuses_and_records_what_it_accepts() {
    let data = tempfile::tempdir().unwrap();
    write_enrolled_kiosk(data.path(), "Centre de test");
    let codes = demo_codes();
    let refusals: [(&[&str], &str); 3] = [
        (&workshop("9.9.99", "Zoé"), "BAD_SERVICE"),
        (&workshop("1.1.01", &codes[1]), "NAME_IS_A_CODE"),
        (
            &[
                "--area",
                "1.1",
                "--service",
                "1.1.01",
                "--mediator",
                "Zoé",
                "--paid-otherwise-cents",
                "1000000",
            ],
            "AMOUNT_TOO_HIGH",
        ),
    ];
    for (args, code) in refusals {
        let output = redeem(data.path(), args, &[&codes[0]]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{code}: {stderr}");
        assert!(stderr.contains(code), "{code}: {stderr}");
        assert_eq!(entries(data.path()), 0, "{code}: nothing recorded");
    }
    // A refused code refuses the whole learner's checkout.
    let output = redeem(
        data.path(),
        &workshop("1.1.01", "Zoé"),
        &[&codes[0], "PN1:nonsense"],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.starts_with("OK\t") && stdout.contains("nothing recorded"),
        "{stdout}"
    );
    assert_eq!(entries(data.path()), 0);
    // The counter's way through: recorded, and the workshop stays chosen at the counter.
    let output = redeem(data.path(), &workshop("1.1.01", "Zoé"), &[&codes[0]]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("RECORDED\t"), "{stdout}");
    assert_eq!(entries(data.path()), 1);
    let prefs = std::fs::read_to_string(data.path().join("kiosk.json")).unwrap();
    assert!(prefs.contains("1.1.01") && prefs.contains("Zoé"), "{prefs}");
    // The entry carries this kiosk's device key's signature (issue 18, item 3): `ledger
    // verify` checks it, and finds an entry another key would have signed.
    let verify = |dir: &Path| {
        guichet()
            .env("GUICHET_DATA_DIR", dir)
            .args(["ledger", "verify"])
            .output()
            .unwrap()
    };
    let output = verify(data.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("1 signed by this kiosk's device key, 0 unsigned"),
        "{stdout}"
    );
    let key = data.path().join("device-key");
    let original = std::fs::read(&key).unwrap();
    std::fs::write(&key, "22".repeat(32)).unwrap();
    let output = verify(data.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("not signed by this kiosk's device key"),
        "{stdout}"
    );
    std::fs::write(&key, original).unwrap();
    // Again: already used, as at the counter.
    let output = redeem(data.path(), &workshop("1.1.01", "Zoé"), &[&codes[0]]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("ALREADY_REDEEMED"));
}
