//! `guichet report` and `guichet ledger verify`, run as real processes on a real ledger file.

use std::path::Path;
use std::process::Output;

use guichet_core::{Area, Coupon, Kid, Scope};
use guichet_e2e::guichet;
use guichet_ledger::{
    Basket, InputMethod, Ledger, LedgerSettings, Station, SyncResult, SyncState, Workshop,
};

fn coupon(serial: u64, provider: u32) -> Coupon {
    Coupon {
        kid: Kid([0xe9, 0x3a, 0x3e, 0x22, 0xa6, 0x92, 0xeb, 0x03]),
        serial,
        value_cents: 1000,
        issued_on: 2400,
        valid_until: 2800,
        provider,
        scope: Scope::ANY,
        zone: 0,
    }
}

/// A well-formed code of `coupon` (signature zeros: the ledger decodes, it does not verify).
fn code_of(coupon: &Coupon) -> String {
    let mut bytes = coupon.to_payload().to_vec();
    bytes.extend_from_slice(&[0; 64]);
    guichet_core::code::text_of(&bytes)
}

/// Two checkouts on 23 November 2026 (three coupons, 5,50 € paid otherwise), one the next day.
fn sample_ledger(path: &Path) {
    let mut ledger = Ledger::open(path, LedgerSettings::default()).unwrap();
    let station = |mediator: &str| Station {
        center: "center-bordeaux".into(),
        device: "kiosk-1".into(),
        mediator: mediator.into(),
    };
    let mut first = Basket::new(Workshop {
        area: Area::A1_1,
        service: "S-MAIL".into(),
    });
    first
        .add(code_of(&coupon(1, 1)).as_bytes(), InputMethod::Scanner)
        .unwrap();
    first
        .add(code_of(&coupon(2, 2)).as_bytes(), InputMethod::Scanner)
        .unwrap();
    first.paid_otherwise_cents = 550;
    ledger
        .commit_checkout(
            &station("Zoé"),
            &first,
            "2026-11-23T09:00:00Z".parse().unwrap(),
        )
        .unwrap();
    let mut second = Basket::new(Workshop {
        area: Area::A3_2,
        service: "S-CAF".into(),
    });
    second
        .add(code_of(&coupon(3, 1)).as_bytes(), InputMethod::Camera)
        .unwrap();
    ledger
        .commit_checkout(
            &station("Amine"),
            &second,
            "2026-11-23T14:30:00Z".parse().unwrap(),
        )
        .unwrap();
    let mut third = Basket::new(Workshop {
        area: Area::A1_1,
        service: "S-MAIL".into(),
    });
    third
        .add(code_of(&coupon(4, 1)).as_bytes(), InputMethod::Pasted)
        .unwrap();
    ledger
        .commit_checkout(
            &station("Amine"),
            &third,
            "2026-11-24T09:00:00Z".parse().unwrap(),
        )
        .unwrap();
}

fn run(args: &[&str], db: &Path) -> Output {
    guichet().args(args).arg("--db").arg(db).output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn report_prints_the_day_as_json_csv_and_table() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite3");
    sample_ledger(&db);

    let json = run(&["report", "--day", "2026-11-23", "--format", "json"], &db);
    assert!(json.status.success(), "{json:?}");
    let value: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(value["summary"]["redeemed"]["count"], 3);
    assert_eq!(value["summary"]["redeemed"]["total_cents"], 3000);
    assert_eq!(value["summary"]["paid_otherwise_cents"], 550);
    assert_eq!(value["summary"]["by_mediator"]["Zoé"]["count"], 2);
    assert_eq!(value["summary"]["by_provider"]["2"]["count"], 1);
    assert_eq!(value["lines"].as_array().unwrap().len(), 3);

    let csv = run(&["report", "--day", "2026-11-23", "--format", "csv"], &db);
    let text = stdout(&csv);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    assert_eq!(&reader.headers().unwrap()[0], "jour");
    let rows: Vec<_> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(&rows[2][1], "15:30:00", "14:30 UTC is 15:30 in Paris");

    let range = run(
        &[
            "report",
            "--day",
            "2026-11-23",
            "--to",
            "2026-11-24",
            "--format",
            "json",
            "--mediator",
            "Amine",
        ],
        &db,
    );
    let value: serde_json::Value = serde_json::from_str(&stdout(&range)).unwrap();
    assert_eq!(value["summary"]["redeemed"]["count"], 2);

    let table = run(&["report", "--day", "2026-11-23", "--lang", "en"], &db);
    assert!(
        stdout(&table).contains("Coupons redeemed: 3 coupons, €30.00"),
        "{}",
        stdout(&table)
    );
}

#[test]
fn report_refuses_a_missing_ledger_and_a_bad_range() {
    let dir = tempfile::tempdir().unwrap();
    let missing = run(
        &["report", "--day", "2026-11-23"],
        &dir.path().join("none.sqlite3"),
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no ledger at"));
    assert!(
        !dir.path().join("none.sqlite3").exists(),
        "report must not create a ledger"
    );
    let db = dir.path().join("ledger.sqlite3");
    sample_ledger(&db);
    let backwards = run(
        &["report", "--day", "2026-11-23", "--to", "2026-11-01"],
        &db,
    );
    assert_eq!(backwards.status.code(), Some(2));
}

#[test]
fn ledger_verify_finds_the_first_broken_link() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite3");
    sample_ledger(&db);
    let intact = run(&["ledger", "verify"], &db);
    assert!(intact.status.success(), "{intact:?}");
    assert!(
        stdout(&intact).starts_with("OK: 4 entries"),
        "{}",
        stdout(&intact)
    );

    // An edit by hand, past the triggers.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "DROP TRIGGER entries_append_only_update;
         UPDATE entries SET value_cents = 2000 WHERE seq = 2;",
    )
    .unwrap();
    drop(conn);
    let broken = run(&["ledger", "verify"], &db);
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        stdout(&broken).contains("entry #2") && stdout(&broken).contains("changed"),
        "{}",
        stdout(&broken)
    );
}

/// Deleting a row of `active_coupons` by hand (the triggers dropped first) makes the coupon
/// redeemable again and leaves the chain intact: `ledger verify` reports it, and checking
/// changes no byte of the ledger file (read-only, no WAL switch, no migration).
#[test]
fn ledger_verify_reports_a_deleted_active_coupon_and_changes_no_byte() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite3");
    sample_ledger(&db);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "DROP TRIGGER active_coupons_delete_only_when_cancelled;
         DELETE FROM active_coupons WHERE serial = 3;
         PRAGMA journal_mode = DELETE;",
    )
    .unwrap();
    drop(conn);
    let before = std::fs::read(&db).unwrap();

    let broken = run(&["ledger", "verify"], &db);
    assert_eq!(broken.status.code(), Some(1), "{broken:?}");
    let out = stdout(&broken);
    assert!(
        out.contains("hash chain intact")
            && out.contains("active_coupons: entry #3")
            && out.contains("e93a3e22a692eb03/3")
            && out.contains("redeemed again"),
        "{out}"
    );
    assert!(
        std::fs::read(&db).unwrap() == before,
        "ledger verify changed the file"
    );
    let mode: String = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "delete", "ledger verify switched the journal mode");
}

#[test]
fn ledger_verify_refuses_a_file_that_is_not_a_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite3");
    std::fs::write(
        &db,
        b"not a database at all, just some text that is long enough",
    )
    .unwrap();
    let output = run(&["ledger", "verify"], &db);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("damaged"),
        "{output:?}"
    );
}

#[test]
fn ledger_prune_keeps_entries_the_platform_has_not_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite3");
    sample_ledger(&db);
    // Nothing was synced: nothing may go, whatever the day.
    let output = run(&["ledger", "prune", "--before", "2030-01-01"], &db);
    assert!(output.status.success(), "{output:?}");
    assert!(
        stdout(&output).starts_with("pruned 0 "),
        "{}",
        stdout(&output)
    );
    let intact = run(&["ledger", "verify"], &db);
    assert!(
        stdout(&intact).starts_with("OK: 4 entries"),
        "{}",
        stdout(&intact)
    );
}

#[test]
fn report_shows_rejected_and_held_redemptions_with_their_cause() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite3");
    sample_ledger(&db);
    let mut ledger = Ledger::open(&db, LedgerSettings::default()).unwrap();
    let ids: Vec<String> = ledger
        .outbox_batch(10)
        .unwrap()
        .into_iter()
        .map(|e| e.entry.id)
        .collect();
    ledger
        .record_sync_results(
            &[
                SyncResult {
                    entry_id: ids[0].clone(),
                    state: SyncState::Rejected,
                    detail: Some(r#"{"code":"OUT_OF_SCOPE"}"#.into()),
                },
                SyncResult {
                    entry_id: ids[1].clone(),
                    state: SyncState::Held,
                    detail: Some(r#"{"code":"NO_PROOF"}"#.into()),
                },
            ],
            "2026-11-23T10:00:00Z".parse().unwrap(),
        )
        .unwrap();
    drop(ledger);

    let table = stdout(&run(
        &["report", "--day", "2026-11-23", "--lang", "en"],
        &db,
    ));
    assert!(
        table.contains("rejected: workshop outside the pass's scope"),
        "{table}"
    );
    assert!(
        table.contains("held: recorded without the pass's code: to be reviewed"),
        "{table}"
    );
    let csv = run(
        &[
            "report",
            "--day",
            "2026-11-23",
            "--format",
            "csv",
            "--sync-state",
            "rejected",
        ],
        &db,
    );
    assert!(csv.status.success(), "{csv:?}");
    let text = stdout(&csv);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<_> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][11], "refusé");
    assert_eq!(&rows[0][12], "atelier hors du champ du pass");
    let json = run(
        &[
            "report",
            "--day",
            "2026-11-23",
            "--format",
            "json",
            "--sync-state",
            "held",
        ],
        &db,
    );
    let value: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(value["lines"][0]["cause"]["code"], "NO_PROOF");
}
