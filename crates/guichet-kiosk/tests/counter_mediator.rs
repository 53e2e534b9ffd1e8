//! The counter as a mediator lives it (issue 15), on real files: an enrolled data directory
//! (the TEST ONLY platform root pinned, the fixture bundle seq 1), a real SQLite ledger, the
//! fixture demo coupons, the key events of a US-mode scanner on an AZERTY host.

use std::path::Path;

use guichet_e2e::fixtures::{demo_codes, write_enrolled_kiosk};
use guichet_e2e::keys::us_scanner_on_azerty;
use guichet_kiosk::config::{Key, Layer};
use guichet_kiosk::counter::ScanKind;
use guichet_kiosk::{CameraStatus, Kiosk};
use guichet_ledger::InputMethod;
use guichet_scan::wedge::KeyEvent;
use guichet_sync::SyncStatus;
use jiff::{SignedDuration, Timestamp};

fn now() -> Timestamp {
    "2026-11-24T09:30:00Z".parse().unwrap()
}

/// A data directory as enrollment leaves it, with the seq 1 bundle.
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

/// The `keydown` events a US-layout scanner produces on a French AZERTY host, `gap_ms` apart,
/// Enter last.
fn us_scanner_keys(text: &str, start_ms: f64, gap_ms: f64) -> Vec<KeyEvent> {
    us_scanner_on_azerty(text)
        .into_iter()
        .enumerate()
        .map(|(i, k)| KeyEvent {
            code: k.code,
            key: k.key,
            shift: k.shift,
            caps_lock: false,
            timestamp_ms: start_ms + gap_ms * i as f64,
        })
        .collect()
}

/// Point 1: a scanner that sends no terminator (the page sends the burst after a quiet gap),
/// 18 ms per key, is read; a scan that landed in the mediator's field is not a name.
#[test]
fn a_burst_without_terminator_is_read_and_a_code_is_never_a_name() {
    let dir = enrolled_dir();
    let mut kiosk = counter(dir.path());
    let code = &demo_codes()[1];
    let mut burst = us_scanner_keys(code, 1000.0, 18.0);
    let enter = burst.pop().unwrap();
    assert_eq!(enter.code, "Enter");
    let result = kiosk.wedge_burst(&burst, now()).unwrap();
    assert_eq!(
        (result.code.as_str(), result.kind),
        ("OK", ScanKind::Accepted)
    );
    // What the field showed: the AZERTY host's characters of a US scanner's keys.
    let typed: String = burst.iter().map(|k| k.key.as_str()).collect();
    assert!(typed.starts_with("PN&M"), "{typed}");
    let refused = kiosk.set_mediator(&typed).unwrap_err();
    assert_eq!(refused.code, "NAME_IS_A_CODE");
    assert_eq!(kiosk.set_mediator(code).unwrap_err().code, "NAME_IS_A_CODE");
    let snapshot = kiosk.snapshot(&SyncStatus::default(), &CameraStatus::off(), now());
    assert_eq!(snapshot.mediator, "Zoé", "the name stays");
    kiosk.set_mediator("Paul-Noël").unwrap();
}

/// Fast typing into a field that ends without Enter or Tab (a folder path typed by a test
/// driver, a pasted note) is not a scan: the page leaves the field as it is and stays on its
/// screen. Only a run that reads as a code is one (regression: the administration screen
/// jumped to the counter when a camera folder was typed).
#[test]
fn a_fast_run_without_terminator_that_is_no_code_is_typing() {
    let dir = enrolled_dir();
    let mut kiosk = counter(dir.path());
    let mut burst = us_scanner_keys("/TMP/TMPABC12/CAMERA", 1000.0, 5.0);
    assert_eq!(burst.pop().unwrap().code, "Enter");
    let result = kiosk.wedge_burst(&burst, now()).unwrap();
    assert_eq!(
        (result.code.as_str(), result.kind),
        ("NOT_A_SCAN", ScanKind::Ignored)
    );
}

/// Point 2: after a scan the card says the pass is in the basket and F2 takes payment; F2 says
/// "encaissé"; the undo says what it undoes (time in Paris, pass numbers, amount) and that the
/// basket in progress stays open, and leaves that basket as it is.
#[test]
fn undo_says_what_it_undoes_and_leaves_the_new_basket() {
    let dir = enrolled_dir();
    let mut kiosk = counter(dir.path());
    let codes = demo_codes();
    for code in &codes[..2] {
        kiosk
            .scan(code.as_bytes(), InputMethod::Pasted, now())
            .unwrap();
    }
    let committed = kiosk.basket_commit(now()).unwrap();
    assert_eq!(
        committed.message.fr,
        "Encaissé : pass n° 1000001 et 1000002, 20,00 €."
    );
    let last = committed.last_checkout.clone().unwrap();
    assert_eq!(last.serials, vec![1000001, 1000002]);
    assert_eq!(last.recorded_at, now());
    assert_eq!(
        last.summary.fr,
        "l'encaissement de 10 h 30 (pass n° 1000001 et 1000002, 20,00 €)"
    );
    assert_eq!(
        last.summary.en,
        "the checkout of 10:30 (coupons no. 1000001 and 1000002, €20.00)"
    );
    let next = kiosk
        .scan(codes[3].as_bytes(), InputMethod::Pasted, now())
        .unwrap();
    assert_eq!(next.kind, ScanKind::Accepted);
    assert!(
        next.message
            .fr
            .ends_with("Ajouté au panier (1 pass, 10,00 €) : F2 pour encaisser."),
        "{}",
        next.message.fr
    );
    let undone = kiosk
        .undo_last_checkout(now() + SignedDuration::from_mins(2))
        .unwrap();
    assert_eq!(undone.code, "UNDONE");
    assert_eq!(
        undone.message.fr,
        "Annulé : l'encaissement de 10 h 30 (pass n° 1000001 et 1000002, 20,00 €). Le panier en cours (1 pass) reste ouvert."
    );
    let basket = kiosk.basket_view();
    assert_eq!(
        basket.coupons.iter().map(|c| c.serial).collect::<Vec<_>>(),
        vec![2000001],
        "the new basket is untouched"
    );
    // The undone passes can be used again.
    let again = kiosk
        .scan(codes[0].as_bytes(), InputMethod::Pasted, now())
        .unwrap();
    assert_eq!(again.code, "OK");
}

/// Point 7: a pass read before the workshop is chosen waits and is verified once it is; it is
/// verified once only, and a scan older than the limit is forgotten. Issue 26: every pass read
/// before the workshop is kept (not only the last), in order, each once.
#[test]
fn several_scans_before_the_workshop_all_wait_for_it() {
    use guichet_kiosk::counter::PENDING_SCAN_LIMIT;
    let dir = enrolled_dir();
    let codes = demo_codes();
    let mut kiosk = Kiosk::open(dir.path()).unwrap();
    let early = kiosk
        .scan(codes[0].as_bytes(), InputMethod::Camera, now())
        .unwrap();
    assert_eq!(early.code, "NO_WORKSHOP");
    assert!(
        early.message.fr.contains("ils seront vérifiés aussitôt"),
        "{}",
        early.message.fr
    );
    let second = kiosk
        .scan(codes[1].as_bytes(), InputMethod::Scanner, now())
        .unwrap();
    assert!(
        second.message.fr.contains("(2 en attente)"),
        "{}",
        second.message.fr
    );
    // The same pass twice waits once.
    kiosk
        .scan(codes[1].as_bytes(), InputMethod::Scanner, now())
        .unwrap();
    assert!(
        kiosk.take_pending_scans(now()).unwrap().is_empty(),
        "no workshop yet"
    );
    kiosk.set_workshop("1.1", "1.1.01").unwrap();
    let later = now() + SignedDuration::from_secs(20);
    let verified = kiosk.take_pending_scans(later).unwrap();
    let seen: Vec<_> = verified
        .iter()
        .map(|r| (r.code.as_str(), r.kind, r.input, r.serial))
        .collect();
    assert_eq!(
        seen,
        [
            ("OK", ScanKind::Accepted, InputMethod::Camera, Some(1000001)),
            (
                "OK",
                ScanKind::Accepted,
                InputMethod::Scanner,
                Some(1000002)
            ),
        ]
    );
    assert!(kiosk.take_pending_scans(later).unwrap().is_empty(), "once");
    assert_eq!(kiosk.basket_view().coupons.len(), 2);

    // Too old: forgotten.
    let dir = enrolled_dir();
    let mut kiosk = Kiosk::open(dir.path()).unwrap();
    kiosk
        .scan(codes[1].as_bytes(), InputMethod::Scanner, now())
        .unwrap();
    kiosk.set_workshop("1.1", "1.1.01").unwrap();
    let late = now() + PENDING_SCAN_LIMIT + SignedDuration::from_secs(1);
    assert!(kiosk.take_pending_scans(late).unwrap().is_empty());
    assert!(kiosk.basket_view().coupons.is_empty());
}

/// Point 6: the open basket survives a restart until it is committed or emptied, and says it
/// was restored; the file is not trusted (a code written into it is verified again by
/// "Encaisser"), and a damaged one is set aside without stopping the kiosk.
#[test]
fn the_basket_survives_a_restart() {
    let dir = enrolled_dir();
    let codes = demo_codes();
    let file = dir.path().join("basket.json");
    {
        let mut kiosk = counter(dir.path());
        for code in &codes[..2] {
            kiosk
                .scan(code.as_bytes(), InputMethod::Scanner, now())
                .unwrap();
        }
        kiosk.basket_paid_otherwise(500).unwrap();
        assert!(kiosk.basket_view().notice.is_none());
    }
    let mut kiosk = Kiosk::open(dir.path()).unwrap();
    let basket = kiosk.basket_view();
    assert_eq!(
        basket
            .coupons
            .iter()
            .map(|c| (c.serial, c.input))
            .collect::<Vec<_>>(),
        vec![
            (1000001, InputMethod::Scanner),
            (1000002, InputMethod::Scanner)
        ]
    );
    assert_eq!(basket.total_cents, 2500);
    assert!(
        basket
            .notice
            .unwrap()
            .fr
            .starts_with("Panier rétabli après le redémarrage"),
        "says it was restored"
    );
    assert_eq!(kiosk.basket_commit(now()).unwrap().code, "COMMITTED");
    assert!(!file.exists(), "committed: nothing left to restore");
    assert!(kiosk.basket_view().notice.is_none());

    // Emptied: gone too.
    kiosk
        .scan(codes[3].as_bytes(), InputMethod::Pasted, now())
        .unwrap();
    assert!(file.exists());
    kiosk.basket_clear();
    assert!(!file.exists());
    drop(kiosk);
    assert!(Kiosk::open(dir.path())
        .unwrap()
        .basket_view()
        .coupons
        .is_empty());

    // A revoked pass's code written into the file joins the basket but is not paid.
    let saved = format!(
        r#"{{"version":1,"area":"1.1","service":"1.1.01","paid_otherwise_cents":0,"coupons":[{{"code":"{}","input":"scanner"}}]}}"#,
        codes[2]
    );
    std::fs::write(&file, saved).unwrap();
    let mut kiosk = Kiosk::open(dir.path()).unwrap();
    assert_eq!(kiosk.basket_view().coupons.len(), 1);
    let refused = kiosk.basket_commit(now()).unwrap();
    assert_eq!(refused.code, "NO_LONGER_VALID", "{:?}", refused.message);
    assert!(kiosk.basket_view().coupons.is_empty());
    drop(kiosk);

    // Damaged: set aside, said, and the kiosk opens with an empty basket.
    for damaged in [&b"{not json"[..], b"", br#"{"version":2}"#] {
        std::fs::write(&file, damaged).unwrap();
        let kiosk = Kiosk::open(dir.path()).unwrap();
        let basket = kiosk.basket_view();
        assert!(basket.coupons.is_empty());
        let notice = basket.notice.expect("a damaged basket is said");
        assert!(notice.fr.contains("illisible"), "{}", notice.fr);
        assert!(!file.exists());
        assert!(dir.path().join("basket.json.unreadable").exists());
    }
}

/// A configuration layer that sets `key` to `value`, as `GUICHET_<KEY>` would.
fn configured(key: Key, value: &std::ffi::OsStr) -> Layer {
    let name = key.env_var();
    Layer::from_env(|asked| (asked == name).then(|| value.to_os_string())).unwrap()
}

/// Point 8: the review's day total includes other payments and names the workshops; an export
/// can be copied to the USB stick and printed (a fake `lp`: no printer exists here, it records
/// what it was asked to print); a file that is not an export is refused.
#[test]
fn the_review_totals_the_day_and_copies_or_prints_its_exports() {
    use guichet_kiosk::{ReviewQuery, Role};
    let dir = enrolled_dir();
    let codes = demo_codes();
    let stick = tempfile::tempdir().unwrap();
    let mut kiosk = counter(dir.path());
    for code in &codes[..2] {
        kiosk
            .scan(code.as_bytes(), InputMethod::Pasted, now())
            .unwrap();
    }
    kiosk.basket_paid_otherwise(550).unwrap();
    kiosk.basket_commit(now()).unwrap();
    kiosk
        .set_pin_locally(Role::Manager, "135790", "test", now())
        .unwrap();
    kiosk
        .unlock(Role::Manager, "Camille", "135790", now())
        .unwrap();
    let query = ReviewQuery {
        from: "2026-11-24".into(),
        to: "2026-11-24".into(),
        mediator: None,
        area: None,
        provider: None,
        sync_state: None,
    };
    let review = kiosk.review(&query).unwrap();
    assert_eq!(review.summary.day_total_cents, 2550);
    let name = review.lines[0]
        .service_name
        .clone()
        .expect("the workshop's name");
    assert!(!name.fr.is_empty() && name.fr != review.lines[0].line.service);

    // The PDF in French: the day total, French dates, no English words.
    let pdf = kiosk.export_pdf(&query, now()).unwrap();
    let csv = kiosk.export_csv(&query).unwrap();
    // The library reads no GUICHET_* variable behind the configuration's back (issue 27):
    // the variable alone names no stick.
    std::env::set_var("GUICHET_UPDATE_DIRS", stick.path());
    let _ = kiosk.copy_export_to_stick(&csv.path);
    assert_eq!(std::fs::read_dir(stick.path()).unwrap().count(), 0);
    kiosk.impose(&configured(Key::UpdateDirs, stick.path().as_os_str()));
    let copied = kiosk.copy_export_to_stick(&csv.path).unwrap();
    assert_eq!(
        copied.path.parent().unwrap(),
        stick.path().canonicalize().unwrap().as_path()
    );
    assert_eq!(
        std::fs::read(&copied.path).unwrap(),
        std::fs::read(&csv.path).unwrap()
    );
    let csv_text = std::fs::read_to_string(&copied.path).unwrap();
    assert!(
        csv_text.contains("24/11/2026") && csv_text.contains("saisi"),
        "{csv_text}"
    );
    assert!(!csv_text.contains("pasted"), "{csv_text}");

    let lp = dir.path().join("fake-lp");
    let asked = dir.path().join("printed");
    std::fs::write(
        &lp,
        format!(
            "#!/bin/sh\necho \"$@\" > '{}'\necho 'request id is Guichet-1 (1 file(s))'\n",
            asked.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&lp, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // Nor the variable alone the print program.
    std::env::set_var("GUICHET_PRINT_COMMAND", &lp);
    let _ = kiosk.print_export(&pdf.path);
    assert!(
        !asked.exists(),
        "GUICHET_PRINT_COMMAND was read outside the configuration"
    );
    kiosk.impose(&configured(Key::PrintCommand, lp.as_os_str()));
    let said = kiosk.print_export(&pdf.path).unwrap();
    assert!(said.fr.starts_with("Envoyé à l'imprimante."), "{}", said.fr);
    let printed = std::fs::read_to_string(&asked).unwrap();
    assert!(printed.trim().ends_with(".pdf"), "{printed}");

    // Not an export: refused, whatever the path.
    for outside in [
        dir.path().join("kiosk.json"),
        "/etc/passwd".into(),
        dir.path().join("exports/../kiosk.json"),
    ] {
        assert_eq!(
            kiosk.print_export(&outside).unwrap_err().code,
            "NOT_AN_EXPORT"
        );
        assert_eq!(
            kiosk.copy_export_to_stick(&outside).unwrap_err().code,
            "NOT_AN_EXPORT"
        );
    }
    kiosk.impose(&configured(
        Key::PrintCommand,
        dir.path().join("no-such-lp").as_os_str(),
    ));
    assert_eq!(
        kiosk.print_export(&pdf.path).unwrap_err().code,
        "NO_PRINTER"
    );
}
