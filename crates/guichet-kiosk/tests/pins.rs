//! Issue 18, item 1: PINs that hold. Each test attacks one way in on a real data directory
//! (real ledger file, real argon2id hashes): claiming a PIN nobody set, guessing, restarting
//! to reset the count, deleting `kiosk.json`, trying admin PINs at the manager's door,
//! walking away from an open screen.

use std::path::Path;
use std::time::Duration;

use guichet_e2e::fixtures::{demo_codes, write_enrolled_kiosk};
use guichet_kiosk::{CameraStatus, Kiosk, ReviewQuery, Role, Snapshot};
use guichet_ledger::{Ledger, LedgerSettings, PinRole, LEDGER_FILE};
use guichet_sync::SyncStatus;
use jiff::{SignedDuration, Timestamp};

const ADMIN_PIN: &str = "246810";
const MANAGER_PIN: &str = "1357";

fn now() -> Timestamp {
    "2026-11-24T09:30:00Z".parse().unwrap()
}

fn later(seconds: i64) -> Timestamp {
    now() + SignedDuration::from_secs(seconds)
}

fn enrolled_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_enrolled_kiosk(dir.path(), "Centre de test");
    dir
}

/// An enrolled kiosk whose admin PIN was set (as enrollment or `guichet pin` does).
fn with_admin_pin(dir: &Path) -> Kiosk {
    let mut kiosk = Kiosk::open(dir).unwrap();
    kiosk
        .set_pin_locally(Role::Admin, ADMIN_PIN, "enrollment", now())
        .unwrap();
    kiosk
}

fn snapshot(kiosk: &mut Kiosk) -> Snapshot {
    kiosk.snapshot(&SyncStatus::default(), &CameraStatus::off(), now())
}

fn day() -> ReviewQuery {
    ReviewQuery {
        from: "2026-11-24".into(),
        ..ReviewQuery::default()
    }
}

fn code(result: Result<(), guichet_kiosk::Problem>) -> String {
    result.map_or_else(|p| p.code, |()| "OK".into())
}

#[test]
fn nobody_at_the_counter_can_claim_a_pin_that_is_not_set() {
    // `make run` and `guichet enroll` from before this change: enrolled, no PIN at all.
    let dir = enrolled_dir();
    let mut kiosk = Kiosk::open(dir.path()).unwrap();
    let pins = snapshot(&mut kiosk).pins_set;
    assert!(!pins.manager && !pins.admin);
    for role in [Role::Manager, Role::Admin] {
        assert_eq!(code(kiosk.unlock(role, "Léa", "123456", now())), "NO_PIN");
        assert_eq!(code(kiosk.set_pin(role, "123456", now())), "LOCKED");
    }
    assert_eq!(snapshot(&mut kiosk).unlocked, None);
}

#[test]
fn guessing_shuts_the_door_longer_each_time_and_a_restart_does_not_reopen_it() {
    let dir = enrolled_dir();
    let mut kiosk = with_admin_pin(dir.path());
    for (attempt, guess) in ["000000", "111111"].iter().enumerate() {
        let problem = kiosk.unlock(Role::Admin, "X", guess, now()).unwrap_err();
        assert_eq!(problem.code, "WRONG_PIN", "attempt {attempt}");
    }
    let third = kiosk.unlock(Role::Admin, "X", "222222", now()).unwrap_err();
    assert!(third.message.fr.contains("30 s"), "{}", third.message.fr);
    // Shut for 30 s: even the right PIN is not tried.
    let shut = kiosk
        .unlock(Role::Admin, "X", ADMIN_PIN, later(10))
        .unwrap_err();
    assert_eq!(shut.code, "PIN_LOCKED");
    assert!(shut.message.fr.contains("20 s"), "{}", shut.message.fr);

    // A restart (or the settings file deleted) changes nothing: the count is in the ledger.
    drop(kiosk);
    std::fs::remove_file(dir.path().join("kiosk.json")).ok();
    let mut kiosk = Kiosk::open(dir.path()).unwrap();
    assert_eq!(
        code(kiosk.unlock(Role::Admin, "X", ADMIN_PIN, later(20))),
        "PIN_LOCKED"
    );
    // Setting the clock back does not open it either.
    assert_eq!(
        code(kiosk.unlock(Role::Admin, "X", ADMIN_PIN, later(-3600))),
        "PIN_LOCKED"
    );
    // A fourth wrong PIN after the wait: a minute now.
    assert_eq!(
        code(kiosk.unlock(Role::Admin, "X", "333333", later(31))),
        "WRONG_PIN"
    );
    assert_eq!(
        code(kiosk.unlock(Role::Admin, "X", ADMIN_PIN, later(80))),
        "PIN_LOCKED"
    );
    let ledger =
        Ledger::open_read_only(dir.path().join(LEDGER_FILE), LedgerSettings::default()).unwrap();
    assert_eq!(
        ledger.pin_failures(PinRole::Admin).unwrap().unwrap().count,
        4
    );
    drop(ledger);
    // After the minute, the right PIN opens and the count starts again.
    kiosk
        .unlock(Role::Admin, "Camille", ADMIN_PIN, later(92))
        .unwrap();
    assert_eq!(snapshot(&mut kiosk).unlocked, Some(Role::Admin));
    let ledger = Ledger::open(dir.path().join(LEDGER_FILE), LedgerSettings::default()).unwrap();
    assert_eq!(ledger.pin_failures(PinRole::Admin).unwrap(), None);
}

#[test]
fn deleting_kiosk_json_keeps_every_pin() {
    let dir = enrolled_dir();
    let mut kiosk = with_admin_pin(dir.path());
    kiosk
        .unlock(Role::Admin, "Camille", ADMIN_PIN, now())
        .unwrap();
    kiosk.set_pin(Role::Manager, MANAGER_PIN, now()).unwrap();
    kiosk.set_mediator("Zoé").unwrap();
    drop(kiosk);
    std::fs::remove_file(dir.path().join("kiosk.json")).unwrap();

    let mut kiosk = Kiosk::open(dir.path()).unwrap();
    let pins = snapshot(&mut kiosk).pins_set;
    assert!(pins.manager && pins.admin, "{pins:?}");
    assert_eq!(
        code(kiosk.unlock(Role::Manager, "X", "0000", now())),
        "WRONG_PIN"
    );
    kiosk
        .unlock(Role::Manager, "Inès", MANAGER_PIN, now())
        .unwrap();
    // The PINs are hashed with argon2id; the digits are nowhere in the data directory.
    let record = Ledger::open_read_only(dir.path().join(LEDGER_FILE), LedgerSettings::default())
        .unwrap()
        .pin(PinRole::Manager)
        .unwrap()
        .unwrap();
    assert!(record.phc.starts_with("$argon2id$"), "{}", record.phc);
    assert_eq!(record.set_by, "Camille");
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(ADMIN_PIN) && !text.contains(MANAGER_PIN));
    }
}

#[test]
fn the_managers_door_does_not_take_the_admin_pin() {
    let dir = enrolled_dir();
    let mut kiosk = with_admin_pin(dir.path());
    kiosk
        .unlock(Role::Admin, "Camille", ADMIN_PIN, now())
        .unwrap();
    kiosk.set_pin(Role::Manager, MANAGER_PIN, now()).unwrap();
    kiosk.lock();
    // A manager trying admin PINs at their own door would reset the count with their PIN.
    assert_eq!(
        code(kiosk.unlock(Role::Manager, "X", ADMIN_PIN, now())),
        "WRONG_PIN"
    );
    assert_eq!(
        code(kiosk.unlock(Role::Admin, "X", MANAGER_PIN, now())),
        "WRONG_PIN"
    );
    // The admin opens the manager's screens by unlocking as admin.
    kiosk
        .unlock(Role::Admin, "Camille", ADMIN_PIN, now())
        .unwrap();
    assert!(kiosk.review(&day()).is_ok());
    // Only the admin changes a PIN, and PINs keep their shape.
    kiosk.lock();
    kiosk
        .unlock(Role::Manager, "Inès", MANAGER_PIN, now())
        .unwrap();
    assert_eq!(code(kiosk.set_pin(Role::Manager, "9999", now())), "LOCKED");
    kiosk
        .unlock(Role::Admin, "Camille", ADMIN_PIN, now())
        .unwrap();
    assert_eq!(
        code(kiosk.set_pin(Role::Admin, "12345", now())),
        "BAD_PIN_SHAPE"
    );
}

#[test]
fn a_cancellation_records_the_name_given_with_the_pin() {
    let dir = enrolled_dir();
    let mut kiosk = with_admin_pin(dir.path());
    kiosk.set_workshop("1.1", "1.1.01").unwrap();
    kiosk.set_mediator("Zoé").unwrap();
    kiosk
        .scan(
            demo_codes()[0].as_bytes(),
            guichet_ledger::InputMethod::Pasted,
            now(),
        )
        .unwrap();
    kiosk.basket_commit(now()).unwrap();
    assert_eq!(
        code(kiosk.unlock(Role::Admin, "  ", ADMIN_PIN, now())),
        "NO_NAME"
    );
    kiosk
        .unlock(Role::Admin, "Camille Martin", ADMIN_PIN, now())
        .unwrap();
    let query = day();
    let id = kiosk.review(&query).unwrap().lines[0].line.id.clone();
    kiosk
        .cancel_redemption(&id, "erreur de saisie", later(60))
        .unwrap();
    let line = &kiosk.review(&query).unwrap().lines[0].line;
    assert_eq!(line.cancelled.as_ref().unwrap().by, "Camille Martin");
}

#[test]
fn an_idle_session_locks_itself() {
    let dir = enrolled_dir();
    let mut kiosk = with_admin_pin(dir.path());
    kiosk
        .unlock(Role::Admin, "Camille", ADMIN_PIN, now())
        .unwrap();
    // Activity keeps it open…
    kiosk.age_session(Duration::from_secs(4 * 60));
    assert!(kiosk.review(&day()).is_ok());
    kiosk.age_session(Duration::from_secs(4 * 60));
    assert_eq!(snapshot(&mut kiosk).unlocked, Some(Role::Admin));
    // …five minutes without a command (the default) close it.
    kiosk.age_session(Duration::from_secs(60));
    assert_eq!(snapshot(&mut kiosk).unlocked, None);
    assert_eq!(kiosk.review(&day()).unwrap_err().code, "LOCKED");
}

#[test]
fn a_failed_enrollment_takes_back_the_admin_pin_it_set() {
    // Issue 26 / issue 22 point 5: a refused enrollment keeps no PIN, so the next attempt may
    // choose another one (it was a WRONG_PIN).
    let dir = tempfile::tempdir().unwrap();
    let mut kiosk = Kiosk::open(dir.path()).unwrap();
    kiosk
        .prepare_enrollment("Camille", ADMIN_PIN, now())
        .unwrap();
    let kept = kiosk.enrollment_failed();
    assert_eq!(kept.en, "the admin PIN chosen was not kept");
    let after = snapshot(&mut kiosk);
    assert!(!after.pins_set.admin && kiosk.first_enrollment());
    assert_eq!(
        after.unlocked, None,
        "the admin's session ends with the attempt"
    );
    kiosk
        .prepare_enrollment("Dominique", "999999", now())
        .unwrap();
    // A PIN the kiosk had before the attempt (an earlier one that died) stays.
    drop(kiosk);
    let mut kiosk = Kiosk::open(dir.path()).unwrap();
    kiosk
        .prepare_enrollment("Dominique", "999999", now())
        .unwrap();
    let kept = kiosk.enrollment_failed();
    assert_eq!(kept.en, "the admin PIN set before is kept");
    assert!(snapshot(&mut kiosk).pins_set.admin);
    assert_eq!(
        code(kiosk.prepare_enrollment("Camille", ADMIN_PIN, now())),
        "WRONG_PIN"
    );
}

#[test]
fn enrollment_settles_the_admin_pin_before_the_platform_is_called() {
    let dir = tempfile::tempdir().unwrap();
    let mut kiosk = Kiosk::open(dir.path()).unwrap();
    assert_eq!(
        code(kiosk.prepare_enrollment("Camille", "12345", now())),
        "BAD_PIN_SHAPE",
        "the admin PIN has 6 digits at least"
    );
    assert!(!snapshot(&mut kiosk).pins_set.admin && kiosk.first_enrollment());
    kiosk
        .prepare_enrollment("Camille", ADMIN_PIN, now())
        .unwrap();
    let after = snapshot(&mut kiosk);
    assert!(after.pins_set.admin && !kiosk.first_enrollment());
    assert_eq!(
        (after.unlocked, after.unlocked_by.as_deref()),
        (Some(Role::Admin), Some("Camille"))
    );
    // A second attempt (the platform was unreachable) must give the same PIN.
    drop(kiosk);
    let mut kiosk = Kiosk::open(dir.path()).unwrap();
    assert_eq!(
        code(kiosk.prepare_enrollment("Camille", "999999", now())),
        "WRONG_PIN"
    );
    kiosk
        .prepare_enrollment("Camille", ADMIN_PIN, now())
        .unwrap();
    // An enrolled kiosk refuses to enroll again.
    drop(kiosk);
    write_enrolled_kiosk(dir.path(), "Centre de test");
    let mut kiosk = Kiosk::open(dir.path()).unwrap();
    assert_eq!(
        code(kiosk.prepare_enrollment("Camille", ADMIN_PIN, now())),
        "ALREADY_ENROLLED"
    );
}

/// Issue 26: a pass scanned into the PIN dialog (its name or its PIN field, as a US scanner on
/// an AZERTY host types it) is no PIN attempt: three of them do not shut the door, the right
/// PIN still opens it, and a name holding a scan (even after typed letters) is refused.
#[test]
fn a_scan_into_the_pin_dialog_is_no_attempt_and_no_name() {
    let dir = enrolled_dir();
    let mut kiosk = with_admin_pin(dir.path());
    let codes = demo_codes();
    let on_azerty: String = guichet_e2e::keys::us_scanner_on_azerty(&codes[0])
        .iter()
        .filter(|k| k.key.chars().count() == 1)
        .map(|k| k.key.clone())
        .collect();
    assert!(on_azerty.starts_with("PN&M"), "{on_azerty}");
    for pin in [codes[0].as_str(), on_azerty.as_str(), "PN&M", "24681O"] {
        for _ in 0..3 {
            assert_eq!(
                code(kiosk.unlock(Role::Admin, "Camille", pin, now())),
                "PIN_NOT_DIGITS",
                "{pin}"
            );
        }
    }
    // (A whole code is also longer than a name may be: its first 40 characters.)
    let head = |text: &str| text.chars().take(40).collect::<String>();
    for name in [
        head(&on_azerty),
        format!("Lucas{}", head(&on_azerty)),
        head(&codes[1]),
    ] {
        assert_eq!(
            code(kiosk.unlock(Role::Admin, &name, ADMIN_PIN, now())),
            "NAME_IS_A_CODE",
            "{name}"
        );
    }
    assert_eq!(
        code(kiosk.unlock(Role::Admin, "Camille", ADMIN_PIN, now())),
        "OK"
    );
    assert_eq!(snapshot(&mut kiosk).unlocked, Some(Role::Admin));
}
