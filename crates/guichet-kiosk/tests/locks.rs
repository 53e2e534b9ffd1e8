//! Issue 18, "locks that hold", on real data directories: no rollback without `bundle.json`,
//! a damaged `bundle.json` does not stop the kiosk.

use std::path::Path;

use guichet_e2e::fixtures::{demo_codes, repo, write_enrolled_kiosk};
use guichet_kiosk::counter::ScanKind;
use guichet_kiosk::{CameraStatus, Kiosk, Role};
use guichet_ledger::InputMethod;
use guichet_sync::SyncStatus;
use jiff::Timestamp;

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

/// Sets the admin PIN from the machine (as `guichet pin` does) and unlocks it.
fn admin(kiosk: &mut Kiosk) {
    kiosk
        .set_pin_locally(Role::Admin, "246810", "test", now())
        .unwrap();
    kiosk
        .unlock(Role::Admin, "Camille", "246810", now())
        .unwrap();
}

fn bundle_file(name: &str) -> std::path::PathBuf {
    repo(&format!("fixtures/bundles/test-only-bundle-{name}.json"))
}

/// Puts a fixture bundle on a "USB stick", lists it and imports it, as the admin screen does.
fn import_from_stick(kiosk: &mut Kiosk, name: &str) -> guichet_kiosk::UpdateSummary {
    let usb = tempfile::tempdir().unwrap();
    let file = usb.path().join(format!("update-{name}.json"));
    std::fs::copy(bundle_file(name), &file).unwrap();
    kiosk.set_update_roots(vec![usb.path().to_path_buf()]);
    assert_eq!(
        kiosk.update_files(),
        [std::fs::canonicalize(&file).unwrap()]
    );
    kiosk.import_update(&file).unwrap()
}

/// Deleting `bundle.json` then importing an older bundle (from before a revocation) is
/// refused: the ledger kept the highest sequence accepted. The kiosk says it has no bundle.
#[test]
fn an_older_bundle_is_refused_after_bundle_json_is_deleted() {
    let dir = enrolled_dir();
    let mut kiosk = counter(dir.path());
    admin(&mut kiosk);
    assert!(import_from_stick(&mut kiosk, "seq2").accepted);
    drop(kiosk);

    std::fs::remove_file(dir.path().join("bundle.json")).unwrap();
    let mut kiosk = counter(dir.path());
    kiosk
        .unlock(Role::Admin, "Camille", "246810", now())
        .unwrap();
    let older = import_from_stick(&mut kiosk, "seq1");
    assert!(!older.accepted);
    assert_eq!(older.code, "NOT_NEWER");
    assert!(!dir.path().join("bundle.json").exists());
    let scan = kiosk
        .scan(demo_codes()[0].as_bytes(), InputMethod::Pasted, now())
        .unwrap();
    assert_eq!(scan.code, "NO_BUNDLE");
    // The platform's latest (the same sequence) brings the kiosk back.
    assert!(import_from_stick(&mut kiosk, "seq2").accepted);
    let scan = kiosk
        .scan(demo_codes()[0].as_bytes(), InputMethod::Pasted, now())
        .unwrap();
    assert_eq!(scan.kind, ScanKind::Accepted, "{:?}", scan.message);
}

/// A damaged `bundle.json`: the kiosk opens (it used to exit), the file is kept aside, the
/// counter and the status bar say why no coupon can be accepted, and an import recovers.
#[test]
fn a_damaged_bundle_json_is_set_aside_and_the_kiosk_starts_and_recovers() {
    let dir = enrolled_dir();
    let damaged = b"{\"format\":\"guichet-trust-bundle-v1\",".to_vec();
    std::fs::write(dir.path().join("bundle.json"), &damaged).unwrap();
    let mut kiosk = counter(dir.path());

    let scan = kiosk
        .scan(demo_codes()[0].as_bytes(), InputMethod::Pasted, now())
        .unwrap();
    assert_eq!(scan.code, "NO_BUNDLE");
    assert!(
        scan.message.fr.contains("mise de côté") && scan.message.en.contains("MALFORMED"),
        "{:?}",
        scan.message
    );
    let status = kiosk
        .snapshot(&SyncStatus::default(), &CameraStatus::off(), now())
        .status;
    assert_eq!(status.bundle.set_aside_code, Some("MALFORMED"));
    let kept = dir.path().join(status.bundle.set_aside.unwrap());
    assert_eq!(std::fs::read(&kept).unwrap(), damaged, "kept as it was");
    assert!(!dir.path().join("bundle.json").exists());

    admin(&mut kiosk);
    assert!(import_from_stick(&mut kiosk, "seq1").accepted);
    let scan = kiosk
        .scan(demo_codes()[0].as_bytes(), InputMethod::Pasted, now())
        .unwrap();
    assert_eq!(scan.kind, ScanKind::Accepted, "{:?}", scan.message);
    let status = kiosk
        .snapshot(&SyncStatus::default(), &CameraStatus::off(), now())
        .status;
    assert_eq!(status.bundle.set_aside, None);
    assert_eq!(status.bundle.sequence, Some(1));
}

/// Coupon 1000202 is valid under bundle 1; bundle 2 revokes its booklet.
const REVOKED_IN_SEQ2: &str = "ok-seq1-booklet-revoked-only-in-seq2";

fn vector_input(name: &str) -> String {
    let text = std::fs::read_to_string(repo("schema/test-vectors/voucher-code-v1.json")).unwrap();
    let vectors: serde_json::Value = serde_json::from_str(&text).unwrap();
    vectors["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap()["input"]
        .as_str()
        .unwrap()
        .to_string()
}

fn serials(kiosk: &Kiosk) -> Vec<u64> {
    kiosk
        .basket_view()
        .coupons
        .iter()
        .map(|c| c.serial)
        .collect()
}

/// The sync loop installs a bundle that revokes a coupon already in the basket: "Valider"
/// verifies again, takes that coupon out with its reason, records nothing, and keeps the
/// rest of the basket, which the next "Valider" records.
#[test]
fn a_coupon_revoked_between_scan_and_valider_is_taken_out_of_the_basket() {
    let dir = enrolled_dir();
    let mut kiosk = counter(dir.path());
    let revoked = vector_input(REVOKED_IN_SEQ2);
    for text in [demo_codes()[0].clone(), revoked] {
        let scan = kiosk
            .scan(text.as_bytes(), InputMethod::Pasted, now())
            .unwrap();
        assert_eq!(scan.kind, ScanKind::Accepted, "{:?}", scan.message);
    }
    assert_eq!(serials(&kiosk), [1000001, 1000202]);

    // The sync loop, in its own trust store, installs bundle 2 (booklet revoked).
    let roots = guichet_sync::Identity::load(dir.path())
        .unwrap()
        .root_keys()
        .unwrap();
    let mut sync_loop = guichet_sync::TrustStore::load(dir.path(), &roots).unwrap();
    sync_loop
        .accept(&std::fs::read(bundle_file("seq2")).unwrap(), &roots)
        .unwrap();

    let later = now() + jiff::SignedDuration::from_secs(30);
    let refused = kiosk.basket_commit(later).unwrap();
    assert_eq!(refused.code, "NO_LONGER_VALID", "{:?}", refused.message);
    assert!(
        refused.message.en.contains("1000202") && refused.message.fr.contains("1000202"),
        "{:?}",
        refused.message
    );
    assert_eq!(serials(&kiosk), [1000001], "the rest of the basket is kept");
    let status = kiosk
        .snapshot(&SyncStatus::default(), &CameraStatus::off(), later)
        .status;
    assert_eq!(status.pending, 0, "nothing was recorded");

    let committed = kiosk.basket_commit(later).unwrap();
    assert_eq!(committed.code, "COMMITTED", "{:?}", committed.message);
    let status = kiosk
        .snapshot(&SyncStatus::default(), &CameraStatus::off(), later)
        .status;
    assert_eq!(status.pending, 1);
}

/// Scanned at 23:59 on the last day of grace, validated at 00:01: expired by then.
#[test]
fn a_coupon_that_expires_at_midnight_between_scan_and_valider_is_taken_out() {
    let dir = enrolled_dir();
    let mut kiosk = counter(dir.path());
    let before_midnight: Timestamp = "2027-01-31T22:59:00Z".parse().unwrap();
    let after_midnight: Timestamp = "2027-01-31T23:01:00Z".parse().unwrap();
    let scan = kiosk
        .scan(
            demo_codes()[0].as_bytes(),
            InputMethod::Pasted,
            before_midnight,
        )
        .unwrap();
    assert_eq!(scan.kind, ScanKind::Accepted, "{:?}", scan.message);
    let refused = kiosk.basket_commit(after_midnight).unwrap();
    assert_eq!(refused.code, "NO_LONGER_VALID", "{:?}", refused.message);
    assert!(
        refused.message.en.contains("1000001"),
        "{:?}",
        refused.message
    );
    assert!(serials(&kiosk).is_empty());
}

/// The platform's time (from a verified answer, as a sync records it) says 5 February 2027:
/// coupon 1000001's grace ended on 31 January. A clock set back to November 2026 does not
/// bring it back; the status bar says the clock is behind.
#[test]
fn setting_the_clock_back_does_not_revive_an_expired_coupon() {
    let dir = enrolled_dir();
    let mut kiosk = counter(dir.path());
    let platform_time: Timestamp = "2027-02-05T10:00:00Z".parse().unwrap();
    guichet_ledger::Ledger::open(dir.path().join("ledger.sqlite3"), Default::default())
        .unwrap()
        .observe_trusted_time(platform_time, platform_time)
        .unwrap();
    let set_back = now();
    let scan = kiosk
        .scan(demo_codes()[0].as_bytes(), InputMethod::Pasted, set_back)
        .unwrap();
    assert_eq!(scan.code, "EXPIRED", "{:?}", scan.message);
    let status = kiosk
        .snapshot(&SyncStatus::default(), &CameraStatus::off(), set_back)
        .status;
    assert_eq!(status.clock.state, "behind");

    // The kiosk's own last entry counts too: after a checkout on 5 February 2027 (a coupon
    // valid until 2199), a clock put back to November 2026 still checks on 5 February.
    let dir = enrolled_dir();
    let mut kiosk = counter(dir.path());
    let february: Timestamp = "2027-02-05T10:00:00Z".parse().unwrap();
    let long_lived = vector_input("ok-extreme-field-values");
    let scan = kiosk
        .scan(long_lived.as_bytes(), InputMethod::Pasted, february)
        .unwrap();
    assert_eq!(scan.code, "OK", "{:?}", scan.message);
    assert_eq!(kiosk.basket_commit(february).unwrap().code, "COMMITTED");
    let scan = kiosk
        .scan(demo_codes()[0].as_bytes(), InputMethod::Pasted, set_back)
        .unwrap();
    assert_eq!(scan.code, "EXPIRED", "{:?}", scan.message);
}

/// A clock before the bundle's issue time checks on the bundle's issue day: a coupon issued
/// before the bundle is not "not yet valid" because the clock says January 2026.
#[test]
fn a_clock_before_the_bundles_issue_time_checks_on_the_bundles_day() {
    let dir = enrolled_dir();
    let mut kiosk = counter(dir.path());
    let far_back: Timestamp = "2026-01-01T10:00:00Z".parse().unwrap();
    let scan = kiosk
        .scan(demo_codes()[0].as_bytes(), InputMethod::Pasted, far_back)
        .unwrap();
    assert_eq!(scan.code, "OK", "{:?}", scan.message);
}

/// The USB import takes only an entry of the listing it showed, under the media roots: a
/// path typed by hand, a link out of the stick, a pipe or `/dev/zero` is refused without
/// being read (none of them blocks), and a listed file that grew past the bound is refused
/// after reading no more than the bound.
#[test]
fn the_usb_import_takes_only_a_listed_regular_file_under_the_media_roots() {
    let dir = enrolled_dir();
    let mut kiosk = counter(dir.path());
    admin(&mut kiosk);
    let usb = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let outside = elsewhere.path().join("seq2.json");
    std::fs::copy(bundle_file("seq2"), &outside).unwrap();
    std::fs::create_dir(usb.path().join("updates")).unwrap();
    let listed = usb.path().join("updates/seq2.json");
    std::fs::copy(bundle_file("seq2"), &listed).unwrap();
    std::os::unix::fs::symlink(&outside, usb.path().join("link.json")).unwrap();
    let fifo = usb.path().join("pipe.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo");
    kiosk.set_update_roots(vec![usb.path().to_path_buf()]);

    // Nothing listed yet: even the stick's own file is refused.
    assert_eq!(kiosk.import_update(&listed).unwrap_err().code, "NOT_LISTED");
    let files = kiosk.update_files();
    assert_eq!(files, [std::fs::canonicalize(&listed).unwrap()]);
    for refused in [
        outside.as_path(),
        &usb.path().join("link.json"),
        &fifo,
        Path::new("/dev/zero"),
        &usb.path()
            .join("updates/../..")
            .join(elsewhere.path().file_name().unwrap())
            .join("seq2.json"),
    ] {
        assert_eq!(
            kiosk.import_update(refused).unwrap_err().code,
            "NOT_LISTED",
            "{}",
            refused.display()
        );
    }
    // A listed entry named another way (not canonical) is the same file: taken.
    let roundabout = usb.path().join("updates/../updates/seq2.json");
    assert!(kiosk.import_update(&roundabout).unwrap().accepted);

    // A listed file replaced by a huge one after the listing: read up to the bound only.
    let big = usb.path().join("big.json");
    std::fs::write(&big, b"{\"format\":\"guichet-trust-bundle-v1\"").unwrap();
    assert!(kiosk
        .update_files()
        .contains(&std::fs::canonicalize(&big).unwrap()));
    let file = std::fs::OpenOptions::new().append(true).open(&big).unwrap();
    file.set_len(64 * 1024 * 1024).unwrap();
    let refusal = kiosk.import_update(&big).unwrap_err();
    assert_eq!(refusal.code, "UNREADABLE");
    assert!(
        refusal.message.en.contains("more than"),
        "{:?}",
        refusal.message
    );
    // A listed file replaced by a pipe: refused at once, not waited on.
    std::fs::remove_file(&big).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&big)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo");
    assert_eq!(kiosk.import_update(&big).unwrap_err().code, "UNREADABLE");
}
