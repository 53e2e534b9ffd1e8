//! A root rotation end to end (`schema/trust-bundle.md`, "Rotating the root"): the offline
//! signer makes a new root, signs one bundle with the old root listing both and the next with
//! the new root alone; a real platform (the demo, in process) imports them; kiosks follow
//! without enrolling again, one that missed the first link climbs the chain in one sync, the
//! retired root signs nothing they believe any more, and a new kiosk enrolls with the new
//! root's fingerprint only.

use guichet_core::TrustBundle;
use guichet_ledger::{Ledger, LedgerSettings};
use guichet_platform::admin::{self, Paths};
use guichet_protocol::fingerprint::root_fingerprint;
use guichet_sync::{enroll, sync_once, Identity, IdentityError, TrustStore};
use jiff::{SignedDuration, Timestamp};

/// Syncs the kiosk in `dir` once, as the runner does (identity and trust store read afresh).
async fn sync(dir: &std::path::Path) -> guichet_sync::CycleReport {
    let identity = Identity::load(dir).unwrap();
    let mut trust = TrustStore::load(dir, &identity.root_keys().unwrap()).unwrap();
    let mut ledger = Ledger::open(dir.join("ledger.sqlite3"), LedgerSettings::default()).unwrap();
    sync_once(&identity, &mut trust, &mut ledger).await.unwrap()
}

fn pinned(dir: &std::path::Path) -> Vec<ed25519_dalek::VerifyingKey> {
    Identity::load(dir).unwrap().root_keys().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn kiosks_follow_a_root_rotation_without_enrolling_again() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let platform_dir = dir.path().join("platform");
    let demo = guichet_platform::demo::start(&platform_dir).await.unwrap();
    let paths = Paths::new(&platform_dir, None);
    let (store, old_root) = admin::open(&paths).await.unwrap();
    let anchor = old_root.verifying_key();
    let kiosk = |name: &str| dir.path().join(name);
    for (name, code) in [("a", demo.enroll_code.clone()), ("b", String::new())] {
        let code = if code.is_empty() {
            store
                .create_enroll_code(
                    &demo.center_id,
                    Timestamp::now() + SignedDuration::from_hours(1),
                    Timestamp::now(),
                )
                .await
                .unwrap()
        } else {
            code
        };
        enroll(
            &kiosk(name),
            &demo.url,
            &code,
            &demo.root_fingerprint,
            None,
            None,
        )
        .await
        .unwrap();
        sync(&kiosk(name)).await;
        assert_eq!(pinned(&kiosk(name)), [anchor]);
    }

    // The signer makes the next root; the next bundle lists both, signed by the old one.
    let signer = paths.signer();
    let new_root = signer.rotate_root().unwrap();
    let sign_next = async || {
        let now = Timestamp::now();
        let draft = store
            .draft_bundle(now, now + SignedDuration::from_hours(24 * 30))
            .await
            .unwrap();
        let document = signer.prepare(draft).unwrap();
        let out = dir
            .path()
            .join(format!("bundle-{}.json", document.sequence));
        signer.sign_bundle(&document, &out).unwrap();
        let file = std::fs::read(&out).unwrap();
        store.import_bundle(&file, &[anchor]).await.unwrap()
    };
    let first_link = sign_next().await;
    assert!(sync(&kiosk("a")).await.bundle_updated);
    assert_eq!(pinned(&kiosk("a")), [anchor, new_root]);

    // The next bundle lists the new root alone, signed by it.
    let second_link = sign_next().await;
    assert_eq!(second_link, first_link + 1);
    let report = sync(&kiosk("a")).await;
    assert_eq!(report.bundle_sequence, Some(second_link), "{report:?}");
    assert_eq!(pinned(&kiosk("a")), [new_root]);

    // Kiosk b slept through the first link: one sync climbs both.
    let report = sync(&kiosk("b")).await;
    assert_eq!(report.bundle_sequence, Some(second_link), "{report:?}");
    assert!(report.bundle_refused.is_none(), "{report:?}");
    assert_eq!(pinned(&kiosk("b")), [new_root]);

    // The retired root signs nothing a kiosk believes any more.
    let mut forged = store
        .draft_bundle(
            Timestamp::now(),
            Timestamp::now() + SignedDuration::from_hours(24),
        )
        .await
        .unwrap();
    forged.roots = vec![hex::encode(anchor.as_bytes())];
    let forged = TrustBundle::seal(&forged, &old_root);
    let mut trust = TrustStore::load(&kiosk("a"), &pinned(&kiosk("a"))).unwrap();
    let refused = trust.accept(&forged, &pinned(&kiosk("a"))).unwrap_err();
    assert!(refused.to_string().contains("WRONG_SIGNER"), "{refused}");
    // Nor does the platform take it.
    assert!(store.import_bundle(&forged, &[anchor]).await.is_err());

    // A new kiosk enrolls with the new root's fingerprint, and not with the old one.
    for (name, fingerprint, accepted) in [
        ("c", demo.root_fingerprint.clone(), false),
        ("d", root_fingerprint(&[new_root]), true),
    ] {
        let code = store
            .create_enroll_code(
                &demo.center_id,
                Timestamp::now() + SignedDuration::from_hours(1),
                Timestamp::now(),
            )
            .await
            .unwrap();
        let enrolled = enroll(&kiosk(name), &demo.url, &code, &fingerprint, None, None).await;
        match (enrolled, accepted) {
            (Ok(_), true) => assert_eq!(pinned(&kiosk(name)), [new_root]),
            (Err(IdentityError::RootMismatch { .. }), false) => {}
            (other, _) => panic!("{name}: {other:?}"),
        }
    }
    store.close().await;
}
