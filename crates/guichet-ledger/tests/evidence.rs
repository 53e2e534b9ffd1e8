//! Evidence (issue 18, item 3): the double-use guard and the outbox are protected by triggers
//! and checked against the chain; a read-only open changes no byte of the file.

mod common;

use common::*;
use guichet_ledger::{Ledger, LedgerSettings, Role};
use rusqlite::Connection;
use sha2::{Digest, Sha256};

fn fresh() -> (tempfile::TempDir, std::path::PathBuf, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite3");
    let ledger = open(&path);
    (dir, path, ledger)
}

/// SHA-256 of every file in the ledger's directory (the database, and its -wal and -shm if
/// any), by name.
fn fingerprint(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                hex::encode(Sha256::digest(std::fs::read(&p).unwrap())),
            )
        })
        .collect();
    files.sort();
    files
}

/// What an attacker with the file does: drops the triggers, then edits.
fn tamper(path: &std::path::Path, sql: &str) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER active_coupons_no_update;
         DROP TRIGGER active_coupons_delete_only_when_cancelled;
         DROP TRIGGER outbox_delete_only_when_pruning;",
    )
    .unwrap();
    conn.execute_batch(sql).unwrap();
}

#[test]
fn the_guard_and_the_outbox_cannot_be_changed_by_hand_through_the_triggers() {
    let (_dir, path, mut ledger) = fresh();
    let receipt = redeem(&mut ledger, &[1, 2], MORNING);
    let conn = Connection::open(&path).unwrap();
    let refused = |sql: &str, because: &str| {
        let error = conn.execute_batch(sql).unwrap_err().to_string();
        assert!(error.contains(because), "{sql}: {error}");
    };
    refused(
        "DELETE FROM active_coupons WHERE serial = 1",
        "goes only with a cancellation",
    );
    refused(
        "UPDATE active_coupons SET redemption_id = 'x' WHERE serial = 1",
        "never changed",
    );
    refused("DELETE FROM outbox", "retention");
    refused("UPDATE outbox SET entry_id = 'x'", "belongs to its entry");
    // The sync state itself changes, as the sync records answers.
    conn.execute_batch("UPDATE outbox SET state = 'sent'")
        .unwrap();
    drop(conn);
    // The ledger's own cancellation still removes its row, and the coupon is free again.
    ledger
        .cancel_redemption(
            &receipt.redemptions[0].id,
            &canceller(Role::Manager),
            "erreur de saisie",
            at("2026-11-23T09:05:00Z"),
        )
        .unwrap();
    redeem(&mut ledger, &[1], "2026-11-23T09:06:00Z");
    let check = ledger.cross_check().unwrap();
    assert_eq!(check.mismatches, [], "{check:?}");
}

/// Deleting an `active_coupons` row by hand (past the triggers) makes the coupon redeemable
/// again while the hash chain stays intact: the cross-check reports it.
#[test]
fn a_deleted_active_coupon_row_is_reported() {
    let (_dir, path, mut ledger) = fresh();
    redeem(&mut ledger, &[1, 2, 3], MORNING);
    drop(ledger);
    tamper(&path, "DELETE FROM active_coupons WHERE serial = 2");
    let ledger = Ledger::open_read_only(&path, LedgerSettings::default()).unwrap();
    assert_eq!(ledger.verify_chain().unwrap().first_break, None);
    let check = ledger.cross_check().unwrap();
    assert_eq!(check.mismatches.len(), 1, "{check:?}");
    let mismatch = &check.mismatches[0];
    assert_eq!(mismatch.table, "active_coupons");
    assert!(
        mismatch.detail.contains("entry #2")
            && mismatch.detail.contains("e93a3e22a692eb03/2")
            && mismatch.detail.contains("redeemed again"),
        "{mismatch}"
    );
}

/// Rows that the chain does not explain, and outbox rows removed or invented.
#[test]
fn every_kind_of_disagreement_is_reported() {
    let (_dir, path, mut ledger) = fresh();
    let receipt = redeem(&mut ledger, &[1, 2, 3], MORNING);
    ledger
        .cancel_redemption(
            &receipt.redemptions[0].id,
            &canceller(Role::Manager),
            "erreur",
            at("2026-11-23T09:05:00Z"),
        )
        .unwrap();
    drop(ledger);
    let cancelled = &receipt.redemptions[0].id;
    tamper(
        &path,
        &format!(
            "INSERT INTO active_coupons VALUES ('e93a3e22a692eb03', 1, '{cancelled}',
                 '2026-11-23T09:00:00.000Z', 'center-bordeaux', 'Amine');
             INSERT INTO active_coupons VALUES ('e93a3e22a692eb03', 99, 'no-such-entry',
                 '2026-11-23T09:00:00.000Z', 'center-bordeaux', 'Amine');
             PRAGMA foreign_keys = OFF;
             DELETE FROM outbox WHERE entry_id = (SELECT id FROM entries WHERE seq = 3);
             INSERT INTO outbox (entry_id, state, updated_at)
                 VALUES ('ghost', 'pending', '2026-11-23T09:00:00.000Z');"
        ),
    );
    let ledger = Ledger::open_read_only(&path, LedgerSettings::default()).unwrap();
    let check = ledger.cross_check().unwrap();
    let text: Vec<String> = check.mismatches.iter().map(|m| m.to_string()).collect();
    assert_eq!(text.len(), 4, "{text:#?}");
    assert!(text[0].contains("e93a3e22a692eb03/1") && text[0].contains("was cancelled"));
    assert!(text[1].contains("e93a3e22a692eb03/99") && text[1].contains("not in the ledger"));
    assert!(text[2].starts_with("outbox: entry #3"), "{}", text[2]);
    assert!(text[3].contains("ghost"), "{}", text[3]);
}

/// `guichet ledger verify`'s open: read-only, no journal-mode switch, no migration; the
/// files' bytes are the same afterwards, and a write through it fails.
#[test]
fn a_read_only_open_changes_no_byte_and_migrates_nothing() {
    let (dir, path, mut ledger) = fresh();
    redeem(&mut ledger, &[1, 2], MORNING);
    drop(ledger);
    // As a copy of a format 2 file would be: rollback journal, schema 2, no new triggers.
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = DELETE;
         DROP TRIGGER active_coupons_no_update;
         DROP TRIGGER active_coupons_delete_only_when_cancelled;
         DROP TRIGGER outbox_entry_fixed;
         DROP TRIGGER outbox_delete_only_when_pruning;
         PRAGMA user_version = 2;",
    )
    .unwrap();
    drop(conn);
    let before = fingerprint(dir.path());
    assert_eq!(before.len(), 1, "{before:?}");

    let mut ledger = Ledger::open_read_only(&path, LedgerSettings::default()).unwrap();
    assert_eq!(ledger.verify_chain().unwrap().entries, 2);
    assert_eq!(ledger.cross_check().unwrap().mismatches, []);
    ledger.integrity_check().unwrap();
    let write = ledger.commit_checkout(&station("Zoé"), &basket(&[3]), at(MORNING));
    assert!(write.is_err(), "a read-only ledger took a write");
    drop(ledger);
    assert_eq!(fingerprint(dir.path()), before, "the files changed");

    let conn = Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!((mode.as_str(), version), ("delete", 2));
}

#[test]
fn a_read_only_open_refuses_what_it_cannot_read_without_changing_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.sqlite3");
    assert_eq!(
        Ledger::open_read_only(&missing, LedgerSettings::default())
            .unwrap_err()
            .code(),
        "CANNOT_OPEN"
    );
    assert!(!missing.exists());
    let old = dir.path().join("old.sqlite3");
    drop(open(&old));
    Connection::open(&old)
        .unwrap()
        .execute_batch("PRAGMA user_version = 1")
        .unwrap();
    assert_eq!(
        Ledger::open_read_only(&old, LedgerSettings::default())
            .unwrap_err()
            .code(),
        "TOO_OLD"
    );
    let foreign = dir.path().join("foreign.sqlite3");
    Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    assert_eq!(
        Ledger::open_read_only(&foreign, LedgerSettings::default())
            .unwrap_err()
            .code(),
        "CORRUPT"
    );
}

/// The kiosk's own file (WAL mode, closed cleanly): checking it read-only leaves the
/// directory as it was, byte for byte, with no -wal or -shm file left behind.
#[test]
fn a_read_only_open_of_a_wal_ledger_leaves_the_directory_as_it_was() {
    let (dir, path, mut ledger) = fresh();
    redeem(&mut ledger, &[1, 2], MORNING);
    drop(ledger);
    let before = fingerprint(dir.path());
    let ledger = Ledger::open_read_only(&path, LedgerSettings::default()).unwrap();
    assert_eq!(ledger.verify_chain().unwrap().entries, 2);
    assert_eq!(ledger.cross_check().unwrap().mismatches, []);
    drop(ledger);
    assert_eq!(fingerprint(dir.path()), before);
}

/// While the kiosk has the ledger open, its last commits may be in the WAL only: the check
/// reads them. A path with characters a URI escapes opens too.
#[test]
fn a_read_only_open_sees_what_is_still_in_the_wal_and_any_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("clé USB ?#%20 x");
    std::fs::create_dir(&odd).unwrap();
    let path = odd.join("ledger.sqlite3");
    let mut running = open(&path);
    redeem(&mut running, &[1, 2, 3], MORNING);
    let wal = odd.join("ledger.sqlite3-wal");
    assert!(wal.exists(), "the kiosk's commits are in the WAL");
    let check = Ledger::open_read_only(&path, LedgerSettings::default()).unwrap();
    assert_eq!(check.verify_chain().unwrap().entries, 3);
    drop(check);
    drop(running);
    let check = Ledger::open_read_only(&path, LedgerSettings::default()).unwrap();
    assert_eq!(check.verify_chain().unwrap().entries, 3);
}
