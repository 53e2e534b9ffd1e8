//! Faults on real files and real processes: kill -9, two processes at once, damaged files,
//! a read-only file system and a full disk.

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use guichet_core::RedemptionLookup;
use guichet_ledger::{CheckoutError, Filters, Ledger, LedgerError, LedgerSettings};
use jiff::civil::date;

/// Environment variable that turns an ignored test below into a child process's body.
const CHILD_DB: &str = "GUICHET_LEDGER_TEST_CHILD_DB";
const CHILD_SERIAL_BASE: &str = "GUICHET_LEDGER_TEST_CHILD_SERIAL_BASE";
const CHILD_GO_FILE: &str = "GUICHET_LEDGER_TEST_CHILD_GO";

/// Runs the named ignored test of this binary as a child process.
fn child(test: &str, db: &Path, serial_base: u64, go_file: Option<&Path>) -> std::process::Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            test,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DB, db)
        .env(CHILD_SERIAL_BASE, serial_base.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(go) = go_file {
        command.env(CHILD_GO_FILE, go);
    }
    command.spawn().expect("spawn child")
}

/// Child body: redeems one coupon per checkout in a loop, printing each id once committed.
#[test]
#[ignore = "child process of kill_9_never_loses_a_printed_redemption"]
fn child_redeem_loop() {
    let Ok(db) = std::env::var(CHILD_DB) else {
        return;
    };
    let base: u64 = std::env::var(CHILD_SERIAL_BASE).unwrap().parse().unwrap();
    let mut ledger = open(Path::new(&db));
    for serial in base.. {
        let receipt = redeem(&mut ledger, &[serial], MORNING);
        println!("COMMITTED {}", receipt.redemptions[0].id);
    }
}

/// Child body: waits for the go file, then tries to redeem serials base..base+20 once each.
#[test]
#[ignore = "child process of two_processes_redeeming_the_same_coupons"]
fn child_race() {
    let Ok(db) = std::env::var(CHILD_DB) else {
        return;
    };
    let go = std::env::var(CHILD_GO_FILE).unwrap();
    let base: u64 = std::env::var(CHILD_SERIAL_BASE).unwrap().parse().unwrap();
    let mut ledger = open(Path::new(&db));
    let pid = std::process::id().to_string();
    // libtest prints "test child_race ... " without a newline just before.
    println!("READY");
    let waiting = Instant::now();
    while !Path::new(&go).exists() {
        assert!(waiting.elapsed() < Duration::from_secs(30), "no go signal");
        std::thread::sleep(Duration::from_micros(200));
    }
    for serial in base..base + 20 {
        match ledger.commit_checkout(&station(&pid), &basket(&[serial]), at(MORNING)) {
            Ok(_) => println!("WON {serial}"),
            Err(CheckoutError::AlreadyRedeemed { prior, .. }) => {
                println!("ALREADY {serial} {}", prior.mediator)
            }
            Err(other) => println!("ERROR {serial} {other}"),
        }
    }
}

/// A tiny deterministic generator for the kill delays (xorshift64*).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

#[test]
fn kill_9_never_loses_a_printed_redemption() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite3");
    drop(open(&db));
    let mut printed: Vec<String> = Vec::new();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    const KILLS: u64 = 200;
    for round in 0..KILLS {
        let mut process = child("child_redeem_loop", &db, round * 1_000_000, None);
        let stdout = process.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| l.strip_prefix("COMMITTED ").map(str::to_string))
                .collect::<Vec<_>>()
        });
        // Between 2 and 60 ms: before, during and after the child's first commits.
        std::thread::sleep(Duration::from_millis(2 + rng.below(58)));
        process.kill().unwrap(); // SIGKILL
        process.wait().unwrap();
        printed.extend(reader.join().unwrap());
    }
    let ledger = open(&db);
    let ids: Vec<String> = ledger
        .outbox_batch(usize::MAX >> 1)
        .unwrap()
        .into_iter()
        .map(|e| e.entry.id)
        .collect();
    let stored: HashSet<&String> = ids.iter().collect();
    assert_eq!(stored.len(), ids.len(), "an id is stored twice");
    for id in &printed {
        assert!(stored.contains(id), "printed id {id} was lost");
    }
    assert!(
        printed.len() as u64 > KILLS,
        "the children committed too little to test: {}",
        printed.len()
    );
    let report = ledger.verify_chain().unwrap();
    assert_eq!(report.first_break, None);
    assert_eq!(report.entries as usize, ids.len());
    ledger.integrity_check().unwrap();
    eprintln!(
        "kill -9: {KILLS} kills, {} printed, {} stored",
        printed.len(),
        ids.len()
    );
}

#[test]
fn two_processes_redeeming_the_same_coupons_one_wins_each() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite3");
    drop(open(&db));
    let go = dir.path().join("go");
    let mut children: Vec<_> = (0..2)
        .map(|_| child("child_race", &db, 500, Some(&go)))
        .collect();
    let mut readers: Vec<_> = children
        .iter_mut()
        .map(|c| BufReader::new(c.stdout.take().unwrap()).lines())
        .collect();
    for lines in &mut readers {
        // Both are open and waiting before the start (libtest prints its own lines first).
        let ready = lines
            .by_ref()
            .map_while(Result::ok)
            .any(|line| line.ends_with("READY"));
        assert!(ready, "a child did not start");
    }
    std::fs::write(&go, b"go").unwrap();
    let outputs: Vec<Vec<String>> = readers
        .into_iter()
        .map(|lines| lines.map_while(Result::ok).collect())
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    for serial in 500..520 {
        let won: Vec<_> = outputs
            .iter()
            .filter(|o| o.contains(&format!("WON {serial}")))
            .collect();
        let lost: Vec<_> = outputs
            .iter()
            .flat_map(|o| o.iter())
            .filter(|l| l.starts_with(&format!("ALREADY {serial} ")))
            .collect();
        assert_eq!(won.len(), 1, "serial {serial}: {outputs:?}");
        assert_eq!(lost.len(), 1, "serial {serial}: {outputs:?}");
    }
    let ledger = open(&db);
    assert_eq!(ledger.sync_counts().unwrap().pending, 20);
    assert_eq!(ledger.verify_chain().unwrap().first_break, None);
}

fn sample_ledger(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("ledger.sqlite3");
    let mut ledger = open(&db);
    for serial in 0..200 {
        redeem(&mut ledger, &[serial], MORNING);
    }
    drop(ledger); // checkpoints the WAL into the main file
    db
}

#[test]
fn a_file_that_is_not_a_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite3");
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 + 3) as u8).collect();
    std::fs::write(&db, &garbage).unwrap();
    let error = Ledger::open(&db, LedgerSettings::default()).unwrap_err();
    assert_eq!(error.code(), "CORRUPT", "{error}");
    assert!(error.to_string().contains("left untouched"), "{error}");
    assert_eq!(std::fs::read(&db).unwrap(), garbage);
}

#[test]
fn a_truncated_ledger_gives_a_clear_error_and_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_ledger(dir.path());
    let bytes = std::fs::read(&db).unwrap();
    let truncated = &bytes[..bytes.len() / 2];
    std::fs::write(&db, truncated).unwrap();
    // Either opening refuses, or the first read of a missing page does: never a panic.
    let result = Ledger::open(&db, LedgerSettings::default()).and_then(|ledger| {
        ledger.review(date(2026, 11, 23), date(2026, 11, 23), &Filters::default())?;
        ledger.integrity_check()
    });
    let error = result.unwrap_err();
    assert_eq!(error.code(), "CORRUPT", "{error}");
    assert_eq!(std::fs::read(&db).unwrap(), truncated);
}

#[test]
fn another_applications_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("other.sqlite3");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("CREATE TABLE notes (text TEXT)")
        .unwrap();
    drop(conn);
    let error = Ledger::open(&db, LedgerSettings::default()).unwrap_err();
    assert_eq!(error.code(), "CORRUPT", "{error}");
    assert!(error.to_string().contains("another application"), "{error}");
}

#[test]
fn a_ledger_from_a_newer_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_ledger(dir.path());
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("PRAGMA user_version = 99").unwrap();
    drop(conn);
    let before = std::fs::read(&db).unwrap();
    let error = Ledger::open(&db, LedgerSettings::default()).unwrap_err();
    assert!(
        matches!(error, LedgerError::TooNew { found: 99, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("newer version of Guichet"));
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

/// A test that needs root fails without it: only `GUICHET_ALLOW_SKIP=1` lets it skip.
#[test]
fn a_missing_requirement_fails_unless_skipping_is_allowed() {
    use std::ffi::OsStr;
    assert!(!common::skip_allowed(None));
    assert!(!common::skip_allowed(Some(OsStr::new(""))));
    assert!(!common::skip_allowed(Some(OsStr::new("0"))));
    assert!(!common::skip_allowed(Some(OsStr::new("yes"))));
    assert!(common::skip_allowed(Some(OsStr::new("1"))));
    if !common::skip_allowed(std::env::var_os(common::ALLOW_SKIP).as_deref()) {
        let missing = std::panic::catch_unwind(|| common::skip_or_fail("root"));
        assert!(missing.is_err(), "a missing requirement must fail the test");
    }
}

#[test]
fn a_read_only_file_system_gives_a_clear_error() {
    let Some(disk) = SmallDisk::mount("32m") else {
        return;
    };
    let db = sample_ledger(&disk.dir);
    let before = std::fs::read(&db).unwrap();
    disk.remount_read_only();
    let result = Ledger::open(&db, LedgerSettings::default()).and_then(|mut ledger| {
        ledger
            .commit_checkout(&station("Amine"), &basket(&[9999]), at(MORNING))
            .map_err(|e| match e {
                CheckoutError::Ledger(e) => e,
                other => panic!("unexpected {other}"),
            })
    });
    let error = result.unwrap_err();
    assert!(
        matches!(error.code(), "READ_ONLY" | "CANNOT_OPEN"),
        "{}: {error}",
        error.code()
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[test]
fn a_full_disk_refuses_whole_checkouts_and_loses_nothing() {
    let Some(disk) = SmallDisk::mount("1m") else {
        return;
    };
    let db = disk.dir.join("ledger.sqlite3");
    let mut ledger = open(&db);
    // Fill what is left of the disk.
    let filler = disk.dir.join("filler");
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&filler).unwrap();
        while file.write_all(&[0u8; 4096]).is_ok() {}
    }
    let started = Instant::now();
    let mut committed = 0u64;
    let error = loop {
        let serials: Vec<u64> = (0..3).map(|i| committed * 3 + i).collect();
        match ledger.commit_checkout(&station("Amine"), &basket(&serials), at(MORNING)) {
            Ok(_) => committed += 1,
            Err(e) => break e,
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the disk never filled"
        );
    };
    match &error {
        CheckoutError::Ledger(e) => assert_eq!(e.code(), "DISK_FULL", "{e}"),
        other => panic!("expected a full disk, got {other}"),
    }
    assert!(
        error.to_string().contains("nothing was recorded"),
        "{error}"
    );
    // The failed checkout left nothing behind, even in this connection.
    let failed = committed * 3;
    assert_eq!(ledger.active_redemption(kid(), failed).unwrap(), None);
    drop(ledger);
    std::fs::remove_file(&filler).unwrap();
    let ledger = open(&db);
    let review = ledger
        .review(date(2026, 11, 23), date(2026, 11, 23), &Filters::default())
        .unwrap();
    assert_eq!(review.summary.redeemed.count, committed * 3);
    assert_eq!(review.summary.checkouts, committed);
    assert_eq!(ledger.verify_chain().unwrap().first_break, None);
    ledger.integrity_check().unwrap();
}
