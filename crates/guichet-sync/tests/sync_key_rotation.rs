//! After `guichet-platform sync-key rotate`, kiosks recover by themselves (issue 22, point 7):
//! until a bundle naming the new key is published, the platform's answers are not believed
//! and nothing is recorded; once it is, the next cycle takes the bundle (believed for its root
//! signature), then believes the answers signed with the new key. Real platform (the demo, in
//! process, restarted on its data as an admin would), real enrolled device key.

use guichet_core::Area;
use guichet_ledger::{Basket, InputMethod, Ledger, LedgerSettings, Station, SyncState, Workshop};
use guichet_platform::admin::{self, Paths};
use guichet_sync::{enroll, sync_once, ClientError, CycleError, Identity, TrustStore};
use jiff::Timestamp;

fn redeem(ledger: &mut Ledger, identity: &Identity, code: &str) -> String {
    let station = Station {
        center: identity.enrollment.center.id.clone(),
        device: identity.enrollment.device_id.clone(),
        mediator: "Zoé".into(),
    };
    let mut basket = Basket::new(Workshop {
        area: Area::A1_1,
        service: "1.1.01".into(),
    });
    basket.add(code.as_bytes(), InputMethod::Scanner).unwrap();
    let receipt = ledger
        .commit_checkout(&station, &basket, Timestamp::now())
        .unwrap();
    receipt.redemptions[0].id.clone()
}

/// Points the kiosk at the platform's new address (the demo listens on a new port).
fn moved_to(kiosk: &std::path::Path, identity: &Identity, url: &str) -> Identity {
    let mut enrollment = identity.enrollment.clone();
    enrollment.platform_url = url.to_owned();
    std::fs::write(
        kiosk.join("device.json"),
        serde_json::to_vec(&enrollment).unwrap(),
    )
    .unwrap();
    Identity::load(kiosk).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_sync_key_rotation_kiosks_recover_by_themselves_once_a_bundle_names_it() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let platform_dir = dir.path().join("platform");
    let demo = guichet_platform::demo::start(&platform_dir).await.unwrap();
    let kiosk = dir.path().join("kiosk");
    let identity = enroll(
        &kiosk,
        &demo.url,
        &demo.enroll_code,
        &demo.root_fingerprint,
        None,
        None,
    )
    .await
    .unwrap();
    let mut ledger = Ledger::open(kiosk.join("ledger.sqlite3"), LedgerSettings::default()).unwrap();
    let mut trust = TrustStore::load(&kiosk, &identity.root_keys().unwrap()).unwrap();
    let first = redeem(&mut ledger, &identity, &demo.codes[0]);
    sync_once(&identity, &mut trust, &mut ledger).await.unwrap();
    assert_eq!(
        ledger.sync_state(&first).unwrap().unwrap().0,
        SyncState::Accepted
    );
    let sequence_before = trust.bundle().unwrap().sequence();

    // The admin rotates the sync key and restarts the server, but publishes nothing yet.
    demo.server.stop().await;
    let paths = Paths::new(&platform_dir, None);
    let store = admin::open_store(&paths).await.unwrap();
    admin::rotate_sync_key(&paths, &store, None, Timestamp::now())
        .await
        .unwrap();
    store.close().await;
    let demo = guichet_platform::demo::start(&platform_dir).await.unwrap();
    let identity = moved_to(&kiosk, &identity, &demo.url);
    let second = redeem(&mut ledger, &identity, &demo.codes[1]);
    let error = sync_once(&identity, &mut trust, &mut ledger)
        .await
        .unwrap_err();
    assert!(
        matches!(error, CycleError::Platform(ClientError::Unverified(_))),
        "{error:?}"
    );
    assert_eq!(
        ledger.sync_state(&second).unwrap().unwrap().0,
        SyncState::Sent,
        "nothing recorded from an answer signed by a key no bundle names"
    );

    // A bundle naming the new key is published: the next cycle recovers with no one's help.
    let (store, root) = admin::open(&paths).await.unwrap();
    admin::publish(&store, &root, 30, None, Timestamp::now(), None)
        .await
        .unwrap();
    store.close().await;
    let report = sync_once(&identity, &mut trust, &mut ledger).await.unwrap();
    assert!(report.bundle_updated, "{report:?}");
    assert!(trust.bundle().unwrap().sequence() > sequence_before);
    assert_eq!(report.pending, 0, "{report:?}");
    assert!(report.clock_skew_seconds.is_some(), "signed answers again");
    assert_eq!(
        ledger.sync_state(&second).unwrap().unwrap().0,
        SyncState::Accepted
    );
}
