//! Issue 13 at the counter, on real files: the code read goes with the checkout into the
//! ledger, rejected and held redemptions show like conflicts (status bar, day review with the
//! cause in words), and texts over the platform's limits are refused in both languages.

use std::path::Path;

use guichet_e2e::fixtures::{demo_codes, write_enrolled_kiosk};
use guichet_kiosk::{CameraStatus, Kiosk, ReviewQuery, Role};
use guichet_ledger::{EntryBody, InputMethod, Ledger, LedgerSettings, SyncResult, SyncState};
use guichet_protocol::{limits, Cause, CauseCode};
use guichet_sync::SyncStatus;
use jiff::Timestamp;

fn now() -> Timestamp {
    "2026-11-24T09:30:00Z".parse().unwrap()
}

fn enrolled_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_enrolled_kiosk(dir.path(), "Centre de test");
    dir
}

fn counter(dir: &Path) -> Kiosk {
    let mut kiosk = Kiosk::open(dir).unwrap();
    kiosk.set_workshop("1.1", "1.1.01").unwrap();
    kiosk.set_mediator("Zoé").unwrap();
    kiosk
}

/// Sets `role`'s PIN from the machine (as `guichet pin` does) and unlocks it as Camille.
fn unlocked(kiosk: &mut Kiosk, role: Role) {
    kiosk
        .set_pin_locally(role, "246810", "test", now())
        .unwrap();
    kiosk.unlock(role, "Camille", "246810", now()).unwrap();
}

#[test]
fn the_code_read_goes_with_the_checkout_into_the_ledger() {
    let dir = enrolled_dir();
    let mut kiosk = counter(dir.path());
    let codes = demo_codes();
    // A scanner adds a line end; a paste may bring spaces: the ledger keeps the code itself.
    let read = format!("  {}\r\n", codes[0]);
    kiosk
        .scan(read.as_bytes(), InputMethod::Scanner, now())
        .unwrap();
    kiosk
        .scan(codes[1].as_bytes(), InputMethod::Camera, now())
        .unwrap();
    assert_eq!(kiosk.basket_commit(now()).unwrap().code, "COMMITTED");
    let ledger = Ledger::open(kiosk.ledger_path(), LedgerSettings::default()).unwrap();
    let recorded: Vec<Option<String>> = ledger
        .outbox_batch(10)
        .unwrap()
        .into_iter()
        .map(|e| match e.entry.body {
            EntryBody::Redemption(r) => r.code,
            EntryBody::Cancellation(_) => None,
        })
        .collect();
    assert_eq!(
        recorded,
        vec![
            Some(codes[0].trim().to_string()),
            Some(codes[1].trim().to_string())
        ]
    );
    assert_eq!(ledger.verify_chain().unwrap().first_break, None);
}

#[test]
fn rejected_and_held_redemptions_show_like_conflicts() {
    let dir = enrolled_dir();
    let mut kiosk = counter(dir.path());
    let codes = demo_codes();
    for i in [0, 1, 3] {
        kiosk
            .scan(codes[i].as_bytes(), InputMethod::Pasted, now())
            .unwrap();
    }
    kiosk.basket_commit(now()).unwrap();
    // The platform's answers, as the sync loop records them (another connection on the file).
    let mut ledger = Ledger::open(kiosk.ledger_path(), LedgerSettings::default()).unwrap();
    let ids: Vec<String> = ledger
        .outbox_batch(10)
        .unwrap()
        .into_iter()
        .map(|e| e.entry.id)
        .collect();
    let answer = |i: usize, state, cause: Option<Cause>| SyncResult {
        entry_id: ids[i].clone(),
        state,
        detail: cause.map(|c| serde_json::to_string(&c).unwrap()),
    };
    ledger
        .record_sync_results(
            &[
                answer(
                    0,
                    SyncState::Rejected,
                    Some(Cause::new(CauseCode::OutOfZone)),
                ),
                answer(1, SyncState::Held, Some(Cause::new(CauseCode::BeforeIssue))),
                answer(2, SyncState::Conflict, None),
            ],
            now(),
        )
        .unwrap();

    let status = kiosk.status(&SyncStatus::default(), &CameraStatus::off(), now());
    assert_eq!(
        (
            status.conflicts,
            status.rejected,
            status.held,
            status.attention
        ),
        (1, 1, 1, 3)
    );

    unlocked(&mut kiosk, Role::Manager);
    let query = ReviewQuery {
        from: "2026-11-24".into(),
        ..ReviewQuery::default()
    };
    let review = kiosk.review(&query).unwrap();
    let rejected = review.lines[0].cause_message.clone().unwrap();
    assert_eq!(rejected.fr, "pass d'une autre zone");
    assert_eq!(rejected.en, "pass of another zone");
    assert_eq!(
        review.lines[1].cause_message.clone().unwrap().en,
        "dated before the pass was issued: to be reviewed"
    );
    assert_eq!(review.lines[2].cause_message, None);
    assert_eq!(review.summary.by_sync_state[&SyncState::Rejected].count, 1);
    let json = serde_json::to_value(&review.lines[0]).unwrap();
    assert_eq!(json["sync_state"], "rejected");
    assert_eq!(json["cause"]["code"], "OUT_OF_ZONE");
    let held_only = kiosk
        .review(&ReviewQuery {
            sync_state: Some(SyncState::Held),
            ..query.clone()
        })
        .unwrap();
    assert_eq!(held_only.lines.len(), 1);

    // The CSV export words the state and the cause in the window's language (French).
    let exported = kiosk.export_csv(&query).unwrap();
    let csv = std::fs::read_to_string(exported.path).unwrap();
    assert!(csv.contains(";refusé;pass d'une autre zone;"), "{csv}");
    assert!(
        csv.contains(";en examen;daté d'avant l'émission du pass"),
        "{csv}"
    );
}

#[test]
fn names_and_reasons_over_the_platform_limits_are_refused_in_both_languages() {
    let dir = enrolled_dir();
    let mut kiosk = counter(dir.path());
    let longest = "é".repeat(limits::MAX_ACTOR_CHARS);
    kiosk.set_mediator(&longest).unwrap();
    let problem = kiosk.set_mediator(&format!("{longest}e")).unwrap_err();
    assert_eq!(problem.code, "TEXT_TOO_LONG");
    assert!(
        problem.message.fr.contains("80 au plus"),
        "{:?}",
        problem.message
    );
    assert!(
        problem.message.en.contains("at most 80"),
        "{:?}",
        problem.message
    );

    let long_service = "1".repeat(limits::MAX_SERVICE_CHARS + 1);
    assert_eq!(
        kiosk.set_workshop("1.1", &long_service).unwrap_err().code,
        "TEXT_TOO_LONG"
    );

    kiosk
        .scan(demo_codes()[0].as_bytes(), InputMethod::Pasted, now())
        .unwrap();
    assert_eq!(kiosk.basket_commit(now()).unwrap().code, "COMMITTED");
    unlocked(&mut kiosk, Role::Manager);
    let query = ReviewQuery {
        from: "2026-11-24".into(),
        ..ReviewQuery::default()
    };
    let id = kiosk.review(&query).unwrap().lines[0].line.id.clone();
    let reason = "x".repeat(limits::MAX_REASON_CHARS + 1);
    let problem = kiosk.cancel_redemption(&id, &reason, now()).unwrap_err();
    assert_eq!(problem.code, "TEXT_TOO_LONG");
    assert!(
        problem.message.en.contains("The reason"),
        "{:?}",
        problem.message
    );
    // Nothing was cancelled.
    assert!(kiosk.review(&query).unwrap().lines[0]
        .line
        .cancelled
        .is_none());
}
