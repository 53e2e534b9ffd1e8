//! Freshness statements end to end (`schema/trust-bundle.md`, "Freshness statements"): a real
//! platform (the demo, in process, on 127.0.0.1) revokes a coupon online, without a bundle;
//! the kiosk's next sync refuses it and is fresh as of the statement, across a restart; a
//! statement it already has changes nothing.

use guichet_ledger::{Ledger, LedgerSettings};
use guichet_platform::admin::{self, Paths};
use guichet_sync::{enroll, sync_once, TrustStore};
use jiff::Timestamp;

#[tokio::test(flavor = "multi_thread")]
async fn a_revocation_said_online_reaches_the_kiosk_and_survives_a_restart() {
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
    let roots = identity.root_keys().unwrap();
    let mut ledger = Ledger::open(kiosk.join("ledger.sqlite3"), LedgerSettings::default()).unwrap();
    let mut trust = TrustStore::load(&kiosk, &roots).unwrap();

    let first = sync_once(&identity, &mut trust, &mut ledger).await.unwrap();
    assert!(first.freshened, "{first:?}");
    let bundle = trust.bundle().unwrap();
    let sequence = bundle.sequence();
    assert!(bundle.fresh_as_of() > bundle.document().issued_at);
    let coupon = guichet_core::code::decode(demo.codes[0].as_bytes())
        .unwrap()
        .coupon;
    assert!(!bundle.is_revoked(coupon.kid, coupon.serial));

    // The same statement again: nothing new, nothing written.
    let again = sync_once(&identity, &mut trust, &mut ledger).await.unwrap();
    assert!(
        !again.freshened && again.freshness_refused.is_none(),
        "{again:?}"
    );

    // The operator revokes the coupon (no bundle is signed).
    let (store, _) = admin::open(&Paths::new(&platform_dir, None)).await.unwrap();
    store
        .revoke(
            coupon.kid,
            coupon.serial,
            coupon.serial,
            "perdu",
            Timestamp::now(),
        )
        .await
        .unwrap();
    store.close().await;
    let before = trust.bundle().unwrap().fresh_as_of();
    let revoked = sync_once(&identity, &mut trust, &mut ledger).await.unwrap();
    assert!(revoked.freshened && !revoked.bundle_updated, "{revoked:?}");
    let bundle = trust.bundle().unwrap();
    assert_eq!(bundle.sequence(), sequence, "no new bundle");
    assert!(bundle.is_revoked(coupon.kid, coupon.serial));
    assert!(bundle.fresh_as_of() > before);
    let context = guichet_core::Context {
        bundle,
        today: guichet_core::day::paris_day(Timestamp::now()),
        area: None,
        center_zone: 0,
    };
    let outcome = guichet_core::verify_offline(demo.codes[0].as_bytes(), &context).outcome;
    assert_eq!(outcome, guichet_core::Outcome::Revoked);

    // A restart: the kept statements are applied again.
    let fresh_as_of = bundle.fresh_as_of();
    drop(trust);
    let reloaded = TrustStore::load(&kiosk, &roots).unwrap();
    let bundle = reloaded.bundle().unwrap();
    assert!(bundle.is_revoked(coupon.kid, coupon.serial));
    assert_eq!(bundle.fresh_as_of(), fresh_as_of);
    let kept: serde_json::Value =
        serde_json::from_slice(&std::fs::read(kiosk.join("freshness.json")).unwrap()).unwrap();
    assert_eq!(
        kept["statements"].as_array().unwrap().len(),
        1,
        "the newest statement covers the older one: {kept}"
    );
}
