//! A kiosk whose `bundle.json` is damaged or gone recovers on the next sync with a real
//! platform (the demo, in process, on 127.0.0.1): the platform's latest bundle, the same
//! sequence as the highest the ledger recorded, is installed again.

use guichet_ledger::{Ledger, LedgerSettings};
use guichet_sync::{enroll, sync_once, Identity, TrustStore};

struct Kiosk {
    _dir: tempfile::TempDir,
    _demo: guichet_platform::demo::DemoPlatform,
    path: std::path::PathBuf,
    identity: Identity,
    ledger: Ledger,
}

async fn enrolled() -> Kiosk {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let demo = guichet_platform::demo::start(&dir.path().join("platform"))
        .await
        .unwrap();
    let path = dir.path().join("kiosk");
    let identity = enroll(
        &path,
        &demo.url,
        &demo.enroll_code,
        &demo.root_fingerprint,
        None,
        None,
    )
    .await
    .unwrap();
    // The kiosk opens its ledger before its bundle.
    let ledger = Ledger::open(path.join("ledger.sqlite3"), LedgerSettings::default()).unwrap();
    Kiosk {
        _dir: dir,
        _demo: demo,
        path,
        identity,
        ledger,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_bundle_json_is_set_aside_and_the_next_sync_installs_the_platforms() {
    let mut kiosk = enrolled().await;
    let roots = kiosk.identity.root_keys().unwrap();
    let good = std::fs::read(kiosk.path.join("bundle.json")).unwrap();
    let sequence = TrustStore::load(&kiosk.path, &roots)
        .unwrap()
        .bundle()
        .unwrap()
        .sequence();
    assert_eq!(
        kiosk.ledger.highest_bundle_sequence().unwrap(),
        Some(sequence),
        "recorded when the kiosk loaded its bundle with its ledger"
    );
    std::fs::write(kiosk.path.join("bundle.json"), &good[..good.len() / 2]).unwrap();

    let mut trust = TrustStore::load(&kiosk.path, &roots).unwrap();
    assert!(trust.bundle().is_none());
    assert_eq!(trust.set_aside().unwrap().code, "MALFORMED");
    let report = sync_once(&kiosk.identity, &mut trust, &mut kiosk.ledger)
        .await
        .unwrap();
    assert!(report.bundle_updated, "{report:?}");
    assert_eq!(report.bundle_sequence, Some(sequence));
    assert!(trust.set_aside().is_none());
    assert_eq!(std::fs::read(kiosk.path.join("bundle.json")).unwrap(), good);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_bundle_json_comes_back_with_the_next_sync() {
    let mut kiosk = enrolled().await;
    let roots = kiosk.identity.root_keys().unwrap();
    let good = std::fs::read(kiosk.path.join("bundle.json")).unwrap();
    drop(TrustStore::load(&kiosk.path, &roots).unwrap());
    std::fs::remove_file(kiosk.path.join("bundle.json")).unwrap();

    let mut trust = TrustStore::load(&kiosk.path, &roots).unwrap();
    assert!(trust.bundle().is_none() && trust.set_aside().is_none());
    let report = sync_once(&kiosk.identity, &mut trust, &mut kiosk.ledger)
        .await
        .unwrap();
    assert!(report.bundle_updated, "{report:?}");
    assert_eq!(std::fs::read(kiosk.path.join("bundle.json")).unwrap(), good);
}
