//! The kiosk's screens on real files: an enrolled data directory (the TEST ONLY platform root
//! pinned, the fixture bundle seq 1), a real SQLite ledger, the fixture demo coupons.

use std::path::Path;

use guichet_e2e::fixtures::{demo_codes, repo, write_enrolled_kiosk};
use guichet_e2e::keys::us_scanner_on_azerty;
use guichet_kiosk::counter::{ScanKind, Sound};
use guichet_kiosk::{CameraStatus, Kiosk, Lang, ReviewQuery, Role, ScannerLayout, Settings};
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

/// Sets `role`'s PIN from the machine (as `guichet pin` does) and unlocks it as Camille.
fn unlocked(kiosk: &mut Kiosk, role: Role) {
    kiosk
        .set_pin_locally(role, "246810", "test", now())
        .unwrap();
    kiosk.unlock(role, "Camille", "246810", now()).unwrap();
}

#[test]
fn each_fixture_code_gives_its_verdict_and_only_ok_ones_join_the_basket() {
    let dir = enrolled_dir();
    let mut kiosk = counter(dir.path());
    let codes = demo_codes();
    let expected = [
        ("OK", ScanKind::Accepted),
        ("OK", ScanKind::Accepted),
        ("REVOKED", ScanKind::Refused),
        ("OK", ScanKind::Accepted),
        ("ISSUER_REVOKED", ScanKind::Refused),
        ("UNKNOWN_ISSUER", ScanKind::Refused),
    ];
    for (code, (verdict, kind)) in codes.iter().zip(expected) {
        let result = kiosk
            .scan(code.as_bytes(), InputMethod::Pasted, now())
            .unwrap();
        assert_eq!(
            (result.code.as_str(), result.kind),
            (verdict, kind),
            "{code}"
        );
        assert_eq!(result.sound == Sound::Accepted, kind == ScanKind::Accepted);
        assert!(!result.message.fr.is_empty() && !result.message.en.is_empty());
    }
    let basket = kiosk.basket_view();
    assert_eq!(
        basket.coupons.iter().map(|c| c.serial).collect::<Vec<_>>(),
        vec![1000001, 1000002, 2000001]
    );
    assert_eq!(basket.coupons_total_cents, 3000);
    // Garbage from a camera or a scanner is a verdict, never an error.
    for junk in [&b""[..], b"\xff\xfe", b"PN1:", b"hello"] {
        let result = kiosk.scan(junk, InputMethod::Camera, now()).unwrap();
        assert_eq!(result.kind, ScanKind::Refused);
    }
}

#[test]
fn a_coupon_scanned_twice_in_a_basket_is_caught_and_after_commit_is_already_used() {
    let dir = enrolled_dir();
    let mut kiosk = counter(dir.path());
    let code = &demo_codes()[0];
    assert_eq!(
        kiosk
            .scan(code.as_bytes(), InputMethod::Camera, now())
            .unwrap()
            .kind,
        ScanKind::Accepted
    );
    let again = kiosk
        .scan(code.as_bytes(), InputMethod::Camera, now())
        .unwrap();
    assert_eq!(
        (again.kind, again.code.as_str()),
        (ScanKind::Duplicate, "DUPLICATE_IN_BASKET")
    );
    assert_eq!(again.basket.coupons.len(), 1);
    let basket = kiosk.basket_paid_otherwise(550).unwrap();
    assert_eq!(basket.total_cents, 1550);
    let commit = kiosk.basket_commit(now()).unwrap();
    assert_eq!(commit.code, "COMMITTED", "{:?}", commit.message);
    assert!(commit.basket.coupons.is_empty());
    let last = commit.last_checkout.unwrap();
    assert_eq!((last.count, last.total_cents), (1, 1550));
    let later = now() + SignedDuration::from_mins(1);
    let used = kiosk
        .scan(code.as_bytes(), InputMethod::Scanner, later)
        .unwrap();
    assert_eq!(used.code, "ALREADY_REDEEMED");
    assert!(
        used.message.fr.contains("Zoé") || used.message.fr.contains("ctr-test"),
        "{}",
        used.message.fr
    );

    // The ledger file holds it for another process too.
    drop(kiosk);
    let mut reopened = counter(dir.path());
    assert_eq!(
        reopened
            .scan(code.as_bytes(), InputMethod::Pasted, later)
            .unwrap()
            .code,
        "ALREADY_REDEEMED"
    );
}

#[test]
fn commit_refuses_without_a_mediator_or_coupons_and_records_nothing() {
    let dir = enrolled_dir();
    let mut kiosk = counter(dir.path());
    assert_eq!(kiosk.basket_commit(now()).unwrap().code, "EMPTY_BASKET");
    kiosk
        .scan(demo_codes()[0].as_bytes(), InputMethod::Pasted, now())
        .unwrap();
    kiosk.set_mediator("  ").unwrap();
    assert_eq!(kiosk.basket_commit(now()).unwrap().code, "NO_MEDIATOR");
    assert_eq!(kiosk.basket_view().coupons.len(), 1, "the basket is kept");
    unlocked(&mut kiosk, Role::Manager);
    let review = kiosk
        .review(&ReviewQuery {
            from: "2026-11-24".into(),
            ..ReviewQuery::default()
        })
        .unwrap();
    assert_eq!(review.summary.redeemed.count, 0);
}

#[test]
fn removing_a_coupon_and_changing_workshop_update_the_basket() {
    let dir = enrolled_dir();
    let mut kiosk = counter(dir.path());
    let codes = demo_codes();
    kiosk
        .scan(codes[0].as_bytes(), InputMethod::Pasted, now())
        .unwrap();
    let result = kiosk
        .scan(codes[1].as_bytes(), InputMethod::Pasted, now())
        .unwrap();
    let kid = result.basket.coupons[0].kid.clone();
    let basket = kiosk.basket_remove(&kid, 1000001);
    assert_eq!(
        basket.coupons.iter().map(|c| c.serial).collect::<Vec<_>>(),
        vec![1000002]
    );
    assert_eq!(kiosk.set_workshop("9.9", "x").unwrap_err().code, "BAD_AREA");
    assert_eq!(
        kiosk.set_workshop("1.1", "2.1.01").unwrap_err().code,
        "BAD_SERVICE"
    );
    kiosk.set_workshop("1.2", "1.2.01").unwrap();
    assert!(
        kiosk.basket_view().coupons.is_empty(),
        "checked against the old area"
    );
}

#[test]
fn undo_works_within_the_window_only() {
    let dir = enrolled_dir();
    let mut kiosk = counter(dir.path());
    let codes = demo_codes();
    kiosk
        .scan(codes[0].as_bytes(), InputMethod::Pasted, now())
        .unwrap();
    kiosk.basket_commit(now()).unwrap();
    let undone = kiosk
        .undo_last_checkout(now() + SignedDuration::from_mins(9))
        .unwrap();
    assert_eq!(undone.code, "UNDONE", "{:?}", undone.message);
    // Cancelled: the coupon can be used again.
    let again = kiosk
        .scan(
            codes[0].as_bytes(),
            InputMethod::Pasted,
            now() + SignedDuration::from_mins(10),
        )
        .unwrap();
    assert_eq!(again.code, "OK");
    kiosk
        .basket_commit(now() + SignedDuration::from_mins(10))
        .unwrap();
    let late = kiosk
        .undo_last_checkout(now() + SignedDuration::from_mins(21))
        .unwrap();
    assert_eq!(late.code, "WINDOW_PASSED");
    assert_eq!(
        kiosk.undo_last_checkout(now()).unwrap().code,
        "NOTHING_TO_UNDO"
    );
}

/// AZERTY and US keyboards: the scanner types in US layout on a French host; the page sends
/// `keydown` events with the host's `key` and the physical `code`.
#[test]
fn a_scanner_burst_is_decoded_whatever_the_host_layout_and_typing_is_ignored() {
    let dir = enrolled_dir();
    let mut kiosk = counter(dir.path());
    let code = &demo_codes()[1];
    let burst: Vec<KeyEvent> = us_scanner_keys(code, 1000.0, 4.0);
    let result = kiosk.wedge_burst(&burst, now()).unwrap();
    assert_eq!(
        (result.code.as_str(), result.input),
        ("OK", InputMethod::Scanner)
    );
    let typing = us_scanner_keys("PN1:ABC", 5000.0, 150.0);
    assert_eq!(
        kiosk.wedge_burst(&typing, now()).unwrap().kind,
        ScanKind::Ignored
    );
    kiosk.save_settings_as_admin(ScannerLayout::FrAzerty);
    let burst = us_scanner_keys(code, 9000.0, 4.0);
    assert_ne!(
        kiosk.wedge_burst(&burst, now()).unwrap().code,
        "OK",
        "read as AZERTY: not the code"
    );
}

trait AdminShortcut {
    fn save_settings_as_admin(&mut self, layout: ScannerLayout);
}

impl AdminShortcut for Kiosk {
    fn save_settings_as_admin(&mut self, layout: ScannerLayout) {
        unlocked(self, Role::Admin);
        let settings = Settings {
            scanner_layout: layout,
            ..self.settings().clone()
        };
        self.save_settings(settings).unwrap();
    }
}

/// The `keydown` events a US-layout scanner produces on a French AZERTY host, `gap_ms` apart.
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

#[test]
fn day_review_totals_filters_cancellation_and_exports() {
    let dir = enrolled_dir();
    let mut kiosk = counter(dir.path());
    let codes = demo_codes();
    kiosk
        .scan(codes[0].as_bytes(), InputMethod::Camera, now())
        .unwrap();
    kiosk
        .scan(codes[1].as_bytes(), InputMethod::Scanner, now())
        .unwrap();
    kiosk.basket_paid_otherwise(500).unwrap();
    kiosk.basket_commit(now()).unwrap();
    kiosk.set_mediator("Yanis").unwrap();
    kiosk
        .scan(codes[3].as_bytes(), InputMethod::Pasted, now())
        .unwrap();
    kiosk.basket_commit(now()).unwrap();

    let query = ReviewQuery {
        from: "2026-11-24".into(),
        ..ReviewQuery::default()
    };
    assert_eq!(kiosk.review(&query).unwrap_err().code, "LOCKED");
    unlocked(&mut kiosk, Role::Manager);
    let review = kiosk.review(&query).unwrap();
    assert_eq!(
        (
            review.summary.redeemed.count,
            review.summary.redeemed.total_cents
        ),
        (3, 3000)
    );
    assert_eq!(
        (
            review.summary.checkouts,
            review.summary.paid_otherwise_cents
        ),
        (2, 500)
    );
    assert_eq!(
        review.mediators,
        vec!["Yanis".to_string(), "Zoé".to_string()]
    );
    assert_eq!(
        review.lines[0].local_time, "10:30",
        "Paris is UTC+1 in November"
    );
    let zoe = kiosk
        .review(&ReviewQuery {
            mediator: Some("Zoé".into()),
            ..query.clone()
        })
        .unwrap();
    assert_eq!(zoe.summary.redeemed.count, 2);

    let id = review.lines[2].line.id.clone();
    assert_eq!(
        kiosk.cancel_redemption(&id, " ", now()).unwrap_err().code,
        "NO_REASON"
    );
    kiosk
        .cancel_redemption(
            &id,
            "erreur de saisie",
            now() + SignedDuration::from_hours(3),
        )
        .unwrap();
    assert_eq!(
        kiosk
            .cancel_redemption(&id, "encore", now())
            .unwrap_err()
            .code,
        "ALREADY_CANCELLED"
    );
    let after = kiosk.review(&query).unwrap();
    assert_eq!(
        (after.summary.redeemed.count, after.summary.cancelled.count),
        (2, 1)
    );

    let csv = kiosk.export_csv(&query).unwrap();
    let text = std::fs::read_to_string(&csv.path).unwrap();
    assert!(
        text.starts_with('\u{feff}') && text.contains("médiateur") && text.contains(";annulé;")
    );
    assert_eq!(text.lines().filter(|l| l.contains("24/11/2026")).count(), 3);
    assert!(
        text.contains(";Département de la Gironde (exemple);"),
        "providers by name: {text}"
    );
    let pdf = kiosk.export_pdf(&query, now()).unwrap();
    let bytes = std::fs::read(&pdf.path).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    assert!(pdf.path.ends_with("exports/journee-2026-11-24.pdf"));
}

#[test]
fn settings_need_the_admin_and_are_remembered_across_restarts() {
    let dir = enrolled_dir();
    let mut kiosk = counter(dir.path());
    unlocked(&mut kiosk, Role::Manager);
    assert_eq!(
        kiosk.issuer_keys().len(),
        3,
        "seq 1 lists the active, retired and compromised keys"
    );
    assert_eq!(
        kiosk.save_settings(Settings::default()).unwrap_err().code,
        "LOCKED"
    );
    unlocked(&mut kiosk, Role::Admin);
    let out_of_range = Settings {
        lock_after_minutes: 0,
        ..Settings::default()
    };
    assert_eq!(
        kiosk.save_settings(out_of_range).unwrap_err().code,
        "BAD_SETTING"
    );
    let settings = Settings {
        lang: Lang::En,
        lock_after_minutes: 15,
        ..Settings::default()
    };
    kiosk.save_settings(settings.clone()).unwrap();
    drop(kiosk);
    let reopened = Kiosk::open(dir.path()).unwrap();
    assert_eq!(reopened.settings(), &settings);
}

#[test]
fn a_usb_update_shows_what_changed_and_an_older_or_forged_one_is_refused() {
    let dir = enrolled_dir();
    let mut kiosk = counter(dir.path());
    unlocked(&mut kiosk, Role::Admin);
    // The "USB stick": the only place the kiosk lists update files from.
    let usb = tempfile::tempdir().unwrap();
    kiosk.set_update_roots(vec![usb.path().to_path_buf()]);
    for name in ["seq1", "seq2"] {
        std::fs::copy(
            repo(&format!("fixtures/bundles/test-only-bundle-{name}.json")),
            usb.path().join(format!("{name}.json")),
        )
        .unwrap();
    }
    let forged_path = usb.path().join("forged.json");
    let seq2 = repo("fixtures/bundles/test-only-bundle-seq2.json");
    let mut forged: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&seq2).unwrap()).unwrap();
    forged["signature"] = serde_json::Value::String("00".repeat(64));
    std::fs::write(&forged_path, forged.to_string()).unwrap();
    assert_eq!(kiosk.update_files().len(), 3);
    let summary = kiosk.import_update(&usb.path().join("seq2.json")).unwrap();
    assert!(summary.accepted, "{:?}", summary.message);
    assert_eq!(summary.before.as_ref().map(|b| b.sequence), Some(1));
    assert_eq!(summary.after.as_ref().map(|b| b.sequence), Some(2));
    assert_eq!(
        std::fs::read(dir.path().join("bundle.json")).unwrap(),
        std::fs::read(&seq2).unwrap()
    );
    let older = kiosk.import_update(&usb.path().join("seq1.json")).unwrap();
    assert!(!older.accepted);
    assert_eq!(older.code, "NOT_NEWER");
    assert!(
        older.message.fr.contains("n° 1") && older.message.fr.contains("n° 2"),
        "{}",
        older.message.fr
    );

    assert_eq!(
        kiosk.import_update(&forged_path).unwrap().code,
        "BAD_SIGNATURE"
    );
    std::fs::write(&forged_path, b"\x00\x01 not json").unwrap();
    assert_eq!(kiosk.import_update(&forged_path).unwrap().code, "MALFORMED");
    assert_eq!(
        kiosk
            .import_update(&usb.path().join("missing.json"))
            .unwrap_err()
            .code,
        "NOT_LISTED"
    );
    assert_eq!(
        std::fs::read(dir.path().join("bundle.json")).unwrap(),
        std::fs::read(&seq2).unwrap(),
        "refusals leave the bundle in force"
    );
}

#[test]
fn the_status_bar_reads_the_ledger_the_bundle_and_the_clock() {
    let dir = enrolled_dir();
    let mut kiosk = counter(dir.path());
    kiosk
        .scan(demo_codes()[0].as_bytes(), InputMethod::Pasted, now())
        .unwrap();
    kiosk.basket_commit(now()).unwrap();
    let sync = SyncStatus::default();
    let status = kiosk.status(&sync, &CameraStatus::off(), now());
    assert_eq!(status.pending, 1);
    // seq 1 was issued 2026-11-01: 23 days old, past the 7-day staleness.
    assert_eq!(
        serde_json::to_value(&status.bundle).unwrap()["state"],
        "stale"
    );
    assert_eq!(status.bundle.age_days, Some(23));
    let fresh = kiosk.status(
        &sync,
        &CameraStatus::off(),
        "2026-11-03T00:00:00Z".parse().unwrap(),
    );
    assert_eq!(
        serde_json::to_value(&fresh.bundle).unwrap()["state"],
        "fresh"
    );
    assert_eq!(
        fresh.clock.state, "behind",
        "before the recorded redemption"
    );
    let expired = kiosk.status(
        &sync,
        &CameraStatus::off(),
        "2028-01-01T00:00:00Z".parse().unwrap(),
    );
    assert_eq!(
        serde_json::to_value(&expired.bundle).unwrap()["state"],
        "expired"
    );
}

#[test]
fn a_kiosk_that_is_not_enrolled_opens_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut kiosk = Kiosk::open(dir.path()).unwrap();
    let snapshot = kiosk.snapshot(&SyncStatus::default(), &CameraStatus::off(), now());
    assert!(!snapshot.enrolled && snapshot.referential.is_none());
    kiosk.set_workshop("1.1", "anything").unwrap();
    let result = kiosk
        .scan(demo_codes()[0].as_bytes(), InputMethod::Pasted, now())
        .unwrap();
    assert_eq!(result.code, "NOT_ENROLLED");
}

#[test]
fn the_administration_shows_the_pinned_roots_fingerprint() {
    let dir = enrolled_dir();
    let mut kiosk = Kiosk::open(dir.path()).unwrap();
    let snapshot = kiosk.snapshot(&SyncStatus::default(), &CameraStatus::off(), now());
    let root =
        guichet_protocol::signing::parse_public_key(guichet_e2e::fixtures::TEST_ROOT_PUBLIC_KEY)
            .unwrap();
    assert_eq!(
        snapshot.root_fingerprint,
        Some(guichet_protocol::fingerprint::root_fingerprint(&[root]))
    );
}
