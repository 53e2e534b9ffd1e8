//! Ledger format 2 on real files: the code the kiosk read kept in the hash chain, the field
//! limits the platform enforces, the `rejected` and `held` states with their cause, and the
//! upgrade of a format 1 file.

mod common;

use common::*;
use guichet_core::message::Lang;
use guichet_core::Area;
use guichet_ledger::{
    export, Basket, ChainBreak, CheckoutError, EntryBody, Filters, InputMethod, Ledger,
    LedgerError, Role, SyncResult, SyncState,
};
use guichet_protocol::limits::{self, LimitError};
use guichet_protocol::{Cause, CauseCode};
use jiff::civil::date;
use rusqlite::Connection;
use serde_json::Value;

fn fresh() -> (tempfile::TempDir, std::path::PathBuf, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite3");
    let ledger = open(&path);
    (dir, path, ledger)
}

fn tamper(path: &std::path::Path, sql: &str) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(sql).unwrap();
}

#[test]
fn a_checkout_keeps_the_code_read_trimmed_inside_the_hash_chain() {
    let (_dir, path, mut ledger) = fresh();
    let mut basket = Basket::new(workshop(Area::A1_1));
    let read = format!(" \t{}\r\n", code(7));
    let coupon = basket.add(read.as_bytes(), InputMethod::Scanner).unwrap();
    assert_eq!(coupon, common::coupon(7));
    assert_eq!(basket.coupons()[0].code, code(7));
    ledger
        .commit_checkout(&station("Amine"), &basket, at(MORNING))
        .unwrap();
    let entries = ledger.outbox_batch(10).unwrap();
    let EntryBody::Redemption(r) = &entries[0].entry.body else {
        panic!("a redemption");
    };
    assert_eq!(r.code.as_deref(), Some(code(7).as_str()));
    assert_eq!(entries[0].entry.format_version(), 2);
    let bytes = entries[0].entry.canonical_bytes();
    assert!(bytes.starts_with(b"guichet-ledger-entry-v2\n"));
    let tail = format!(
        "input_method:7:scanner\ncode:{}:{}\n",
        code(7).len(),
        code(7)
    );
    assert!(bytes.ends_with(tail.as_bytes()));
    drop(ledger);
    let ledger = open(&path);
    assert_eq!(ledger.verify_chain().unwrap().first_break, None);
    drop(ledger);

    // The code is covered by the hash: another code (of another serial) shows as an edit.
    tamper(
        &path,
        &format!(
            "DROP TRIGGER entries_append_only_update; UPDATE entries SET code = '{}'",
            code(8)
        ),
    );
    let report = open(&path).verify_chain().unwrap();
    assert!(
        matches!(report.first_break, Some(ChainBreak::Altered { seq: 1, .. })),
        "{report:?}"
    );
}

#[test]
fn a_text_that_is_not_a_code_never_joins_the_basket() {
    let mut basket = Basket::new(workshop(Area::A1_1));
    for text in ["", "hello", "PN1:AB", "pn1:"] {
        let error = basket
            .add(text.as_bytes(), InputMethod::Pasted)
            .unwrap_err();
        assert!(matches!(error, CheckoutError::Malformed(_)), "{text:?}");
    }
    assert!(basket.coupons().is_empty());
}

#[test]
fn a_cancellation_has_no_code_and_keeps_the_format_1_bytes() {
    let (_dir, _path, mut ledger) = fresh();
    let receipt = redeem(&mut ledger, &[1], MORNING);
    let done = ledger
        .cancel_redemption(
            &receipt.redemptions[0].id,
            &canceller(Role::Manager),
            "doublon",
            at(MORNING),
        )
        .unwrap();
    let entries = ledger.outbox_batch(10).unwrap();
    let cancellation = entries.iter().find(|e| e.entry.id == done.id).unwrap();
    assert_eq!(cancellation.entry.format_version(), 1);
    assert!(cancellation
        .entry
        .canonical_bytes()
        .starts_with(b"guichet-ledger-entry-v1\n"));
    assert_eq!(ledger.verify_chain().unwrap().first_break, None);
}

fn assert_limit(error: CheckoutError, field: &str) {
    match error {
        CheckoutError::Ledger(LedgerError::Limit(LimitError::TooLong { field: f, .. })) => {
            assert_eq!(f, field)
        }
        other => panic!("{field}: {other:?}"),
    }
}

#[test]
fn nothing_over_the_platform_limits_is_recorded() {
    let (_dir, _path, mut ledger) = fresh();
    // Names are counted in characters: 80 accented letters are fine, 81 are not.
    let longest = "é".repeat(limits::MAX_ACTOR_CHARS);
    ledger
        .commit_checkout(&station(&longest), &basket(&[1]), at(MORNING))
        .unwrap();
    let error = ledger
        .commit_checkout(&station(&format!("{longest}x")), &basket(&[2]), at(MORNING))
        .unwrap_err();
    assert_limit(error, "actor");

    let mut long_service = basket(&[3]);
    long_service.workshop.service = "S".repeat(limits::MAX_SERVICE_CHARS + 1);
    let error = ledger
        .commit_checkout(&station("Amine"), &long_service, at(MORNING))
        .unwrap_err();
    assert_limit(error, "service");

    // A checkout holds at most MAX_COUPONS_PER_CHECKOUT coupons: the next one is refused.
    let serials: Vec<u64> = (100..100 + limits::MAX_COUPONS_PER_CHECKOUT as u64).collect();
    let mut full = basket(&serials);
    let error = full
        .add(code(99).as_bytes(), InputMethod::Camera)
        .unwrap_err();
    assert!(matches!(
        error,
        CheckoutError::TooManyCoupons {
            limit: limits::MAX_COUPONS_PER_CHECKOUT
        }
    ));
    assert_eq!(full.coupons().len(), limits::MAX_COUPONS_PER_CHECKOUT);

    let receipt = redeem(&mut ledger, &[4], MORNING);
    let reason = "r".repeat(limits::MAX_REASON_CHARS + 1);
    let error = ledger
        .cancel_redemption(
            &receipt.redemptions[0].id,
            &canceller(Role::Manager),
            &reason,
            at(MORNING),
        )
        .unwrap_err();
    assert!(
        matches!(
            error,
            guichet_ledger::CancelError::Ledger(LedgerError::Limit(LimitError::TooLong {
                field: "reason",
                ..
            }))
        ),
        "{error:?}"
    );
    // Only the two good checkouts were recorded.
    assert_eq!(ledger.sync_counts().unwrap().pending, 2);
}

#[test]
fn rejected_and_held_answers_are_kept_with_their_cause_and_shown_like_conflicts() {
    let (_dir, path, mut ledger) = fresh();
    let receipt = redeem(&mut ledger, &[1, 2, 3], MORNING);
    let id = |i: usize| receipt.redemptions[i].id.clone();
    let rejected = Cause::new(CauseCode::OutOfScope);
    let held = Cause::with_detail(CauseCode::InTheFuture, "2099-01-01");
    ledger
        .record_sync_results(
            &[
                SyncResult {
                    entry_id: id(0),
                    state: SyncState::Rejected,
                    detail: Some(serde_json::to_string(&rejected).unwrap()),
                },
                SyncResult {
                    entry_id: id(1),
                    state: SyncState::Held,
                    detail: Some(serde_json::to_string(&held).unwrap()),
                },
                SyncResult {
                    entry_id: id(2),
                    state: SyncState::Accepted,
                    detail: None,
                },
            ],
            at(MORNING),
        )
        .unwrap();
    drop(ledger);
    let ledger = open(&path);
    let counts = ledger.sync_counts().unwrap();
    assert_eq!((counts.rejected, counts.held, counts.accepted), (1, 1, 1));
    assert_eq!(counts.needing_attention(), 2);
    assert!(SyncState::Rejected.needs_attention() && SyncState::Held.needs_attention());
    let (state, detail) = ledger.sync_state(&id(0)).unwrap().unwrap();
    assert_eq!(state, SyncState::Rejected);
    let stored: Cause = serde_json::from_str(&detail.unwrap()).unwrap();
    assert_eq!(stored, rejected);

    let day = date(2026, 11, 23);
    let review = ledger.review(day, day, &Filters::default()).unwrap();
    assert_eq!(review.lines[0].cause, Some(rejected));
    assert_eq!(review.lines[1].cause, Some(held));
    assert_eq!(review.lines[2].cause, None);
    assert_eq!(review.summary.by_sync_state[&SyncState::Held].count, 1);
    let only_rejected = Filters {
        sync_state: Some(SyncState::Rejected),
        ..Filters::default()
    };
    assert_eq!(
        ledger.review(day, day, &only_rejected).unwrap().lines.len(),
        1
    );

    let csv = export::render(&review, export::Format::Csv, Lang::Fr);
    let body = csv.strip_prefix('\u{feff}').unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(body.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(&rows[0][11], "refusé");
    assert_eq!(&rows[0][12], "atelier hors du champ du pass");
    assert_eq!(&rows[1][11], "en examen");
    assert_eq!(
        &rows[1][12],
        "daté d'après sa réception : à examiner (2099-01-01)"
    );
    let english = export::render(&review, export::Format::Csv, Lang::En);
    assert!(english.contains(",rejected,workshop outside the pass's scope,"));
    assert!(english.contains(",held,"));
    let json: Value =
        serde_json::from_str(&export::render(&review, export::Format::Json, Lang::En)).unwrap();
    assert_eq!(json["lines"][0]["sync_state"], "rejected");
    assert_eq!(json["lines"][0]["cause"]["code"], "OUT_OF_SCOPE");
    let table = export::render(&review, export::Format::Table, Lang::Fr);
    assert!(table.contains("refusé"), "{table}");
}

/// The vectors of format 1 (schema/test-vectors/ledger-entry-v1.json): entries as a kiosk
/// before format 2 recorded them, with their hashes computed independently.
fn v1_vectors() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../schema/test-vectors/ledger-entry-v1.json"
    );
    let vectors: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    vectors["cases"].as_array().unwrap().clone()
}

/// Writes a ledger as a format 1 kiosk left it: migration 0001 only, then the v1 vectors'
/// entries (redemptions accepted by the platform, the cancellation still pending), with plain
/// SQL.
fn write_format_1_ledger(path: &std::path::Path) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(include_str!("../../../schema/migrations/0001_ledger.sql"))
        .unwrap();
    conn.execute_batch("PRAGMA application_id = 1196771651; PRAGMA user_version = 1;")
        .unwrap();
    let cases = v1_vectors();
    for (i, case) in cases.iter().enumerate() {
        let e = &case["entry"];
        let hash = hex::decode(case["hash"].as_str().unwrap()).unwrap();
        let prev = hex::decode(case["prev_hash"].as_str().unwrap()).unwrap();
        let text = |name: &str| e[name].as_str().map(str::to_string);
        let number = |name: &str| e[name].as_u64().map(|n| n as i64);
        conn.execute(
            "INSERT INTO entries (seq, id, kind, occurred_at, local_day, center, device, actor,
                 checkout_id, kid, serial, value_cents, provider, area, service, input_method,
                 cancels, actor_role, reason, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                 ?17, ?18, ?19, ?20, ?21)",
            rusqlite::params![
                i as i64 + 1,
                text("id"),
                text("kind"),
                text("occurred_at"),
                text("local_day"),
                text("center"),
                text("device"),
                text("actor"),
                text("checkout_id"),
                text("kid"),
                number("serial"),
                number("value_cents"),
                number("provider"),
                text("area"),
                text("service"),
                text("input_method"),
                text("cancels"),
                text("actor_role"),
                text("reason"),
                prev,
                hash.clone(),
            ],
        )
        .unwrap();
        let state = if text("kind").as_deref() == Some("redemption") {
            "accepted"
        } else {
            "pending"
        };
        conn.execute(
            "INSERT INTO outbox (entry_id, state, detail, attempts, updated_at)
             VALUES (?1, ?2, NULL, 1, '2026-11-23T09:00:01.000Z')",
            rusqlite::params![text("id"), state],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('chain_head', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [format!("{}:{}", i + 1, hex::encode(&hash))],
        )
        .unwrap();
    }
}

#[test]
fn a_format_1_ledger_migrates_still_verifies_and_its_old_entries_have_no_code() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite3");
    write_format_1_ledger(&path);
    // Format 1 refuses the new states: the rebuilt outbox is what takes them.
    let conn = Connection::open(&path).unwrap();
    assert!(conn
        .execute("UPDATE outbox SET state = 'held'", [])
        .is_err());
    drop(conn);

    let mut ledger = open(&path);
    let conn = Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, guichet_ledger::schema_version());
    assert_eq!(
        version, 5,
        "0002 (codes), 0003 (triggers on the derived tables), 0004 (PINs), 0005 (entry signatures)"
    );
    let report = ledger.verify_chain().unwrap();
    assert_eq!((report.entries, report.first_break), (3, None));
    ledger.integrity_check().unwrap();

    // The outbox kept its rows and states; the old entries read back without a code, so they
    // are pushed without one (and keep their format 1 hash).
    let counts = ledger.sync_counts().unwrap();
    assert_eq!((counts.accepted, counts.pending), (2, 1));
    ledger
        .requeue_after(&guichet_ledger::GENESIS_HASH, at(MORNING))
        .unwrap();
    let entries = ledger.outbox_batch(10).unwrap();
    assert_eq!(entries.len(), 3);
    for (chained, case) in entries.iter().zip(v1_vectors()) {
        assert_eq!(chained.entry.format_version(), 1);
        if let EntryBody::Redemption(r) = &chained.entry.body {
            assert_eq!(r.code, None);
        }
        assert_eq!(hex::encode(chained.hash), case["hash"].as_str().unwrap());
    }

    // The platform may hold them now: the new states are stored.
    let old = entries[0].entry.id.clone();
    ledger
        .record_sync_results(
            &[SyncResult {
                entry_id: old.clone(),
                state: SyncState::Held,
                detail: Some(serde_json::to_string(&Cause::new(CauseCode::NoProof)).unwrap()),
            }],
            at(MORNING),
        )
        .unwrap();
    assert_eq!(ledger.sync_state(&old).unwrap().unwrap().0, SyncState::Held);

    // New entries carry their code (format 2) and chain on from the old ones.
    redeem(&mut ledger, &[42], "2026-11-24T09:00:00Z");
    let last = ledger.outbox_batch(10).unwrap().pop().unwrap();
    assert_eq!(last.entry.format_version(), 2);
    assert_eq!(last.seq, 4);
    assert_eq!(last.prev_hash, entries[2].hash);
    drop(ledger);
    let report = open(&path).verify_chain().unwrap();
    assert_eq!((report.entries, report.first_break), (4, None));
}

#[test]
fn the_day_table_lists_what_needs_attention_with_its_reason() {
    let (_dir, _path, mut ledger) = fresh();
    let receipt = redeem(&mut ledger, &[1, 2], MORNING);
    let conflict = serde_json::json!({
        "other_id": "01937a2b-1c00-7000-8000-000000000009",
        "redeemed_at": "2026-11-22T10:00:00Z",
        "local_day": "2026-11-22",
        "center": "C0002",
        "center_name": "Centre social",
        "device": "d2",
    });
    ledger
        .record_sync_results(
            &[
                SyncResult {
                    entry_id: receipt.redemptions[0].id.clone(),
                    state: SyncState::Held,
                    detail: Some(serde_json::to_string(&Cause::new(CauseCode::NoProof)).unwrap()),
                },
                SyncResult {
                    entry_id: receipt.redemptions[1].id.clone(),
                    state: SyncState::Conflict,
                    detail: Some(conflict.to_string()),
                },
            ],
            at(MORNING),
        )
        .unwrap();
    let day = date(2026, 11, 23);
    let review = ledger.review(day, day, &Filters::default()).unwrap();
    let table = export::render(&review, export::Format::Table, Lang::En);
    let section = table
        .split("To review (conflicts, rejected, held)\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{table}"));
    assert!(
        section.contains("held: recorded without the pass's code: to be reviewed"),
        "{table}"
    );
    assert!(
        section.contains("conflict: already redeemed on 2026-11-22 at Centre social (C0002)"),
        "{table}"
    );
    let french = export::render(&review, export::Format::Table, Lang::Fr);
    assert!(french.contains("en examen: enregistré sans le code du pass : à examiner"));
}
