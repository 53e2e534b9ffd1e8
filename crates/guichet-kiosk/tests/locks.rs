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

fn admin(kiosk: &mut Kiosk) {
    kiosk.set_pin(Role::Admin, "246810").unwrap();
    kiosk.lock();
    kiosk.unlock(Role::Admin, "246810").unwrap();
}

fn bundle_file(name: &str) -> std::path::PathBuf {
    repo(&format!("fixtures/bundles/test-only-bundle-{name}.json"))
}

/// Deleting `bundle.json` then importing an older bundle (from before a revocation) is
/// refused: the ledger kept the highest sequence accepted. The kiosk says it has no bundle.
#[test]
fn an_older_bundle_is_refused_after_bundle_json_is_deleted() {
    let dir = enrolled_dir();
    let mut kiosk = counter(dir.path());
    admin(&mut kiosk);
    assert!(kiosk.import_update(&bundle_file("seq2")).unwrap().accepted);
    drop(kiosk);

    std::fs::remove_file(dir.path().join("bundle.json")).unwrap();
    let mut kiosk = counter(dir.path());
    kiosk.unlock(Role::Admin, "246810").unwrap();
    let older = kiosk.import_update(&bundle_file("seq1")).unwrap();
    assert!(!older.accepted);
    assert_eq!(older.code, "NOT_NEWER");
    assert!(!dir.path().join("bundle.json").exists());
    let scan = kiosk
        .scan(demo_codes()[0].as_bytes(), InputMethod::Pasted, now())
        .unwrap();
    assert_eq!(scan.code, "NO_BUNDLE");
    // The platform's latest (the same sequence) brings the kiosk back.
    assert!(kiosk.import_update(&bundle_file("seq2")).unwrap().accepted);
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
    assert!(kiosk.import_update(&bundle_file("seq1")).unwrap().accepted);
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
