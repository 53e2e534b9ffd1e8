//! A state cursor forged with a stolen sync key is repaired at the next signed answer (issue
//! 22, point 7): the platform's signed answer carries the device's latest state version; a
//! kiosk cursor above it is reset to 0 and every state pulled again. A page whose cursor is
//! above the latest it carries is not believed. Real platform (the demo, in process), real
//! enrolled device key, a man in the middle on 127.0.0.1 holding the platform's sync key.

mod support;

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use guichet_core::Area;
use guichet_ledger::{Basket, InputMethod, Ledger, LedgerSettings, Station, SyncState, Workshop};
use guichet_protocol::answer::AnswerToSign;
use guichet_protocol::paths;
use guichet_sync::{enroll, sync_once, ClientError, CycleError, TrustStore};
use jiff::Timestamp;
use support::{forward, serve, Reply};

/// What the man in the middle does with state polls.
const PASS: u8 = 0;
/// Answers with the entry rejected and a cursor and a latest version of 1,000,000,000.
const FORGE: u8 = 1;
/// Answers with a cursor of 1,000,000,000 above the latest version it gives.
const FORGE_BEYOND_LATEST: u8 = 2;
const FAR: u64 = 1_000_000_000;

#[tokio::test(flavor = "multi_thread")]
async fn a_state_cursor_forged_with_a_stolen_sync_key_is_repaired_at_the_next_signed_answer() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let platform_dir = dir.path().join("platform");
    let demo = guichet_platform::demo::start(&platform_dir).await.unwrap();
    let stolen =
        guichet_platform::keys::read_root_key(&platform_dir.join("platform-sync-key.json"))
            .unwrap();
    let mode = Arc::new(AtomicU8::new(PASS));
    let entry: Arc<Mutex<String>> = Arc::default();
    let upstream = demo.url.clone();
    let (relay_mode, relay_entry) = (mode.clone(), entry.clone());
    let mitm = serve(move |request| {
        let (upstream, stolen) = (upstream.clone(), stolen.clone());
        let mode = relay_mode.load(Ordering::SeqCst);
        let entry = relay_entry.lock().unwrap().clone();
        async move {
            if mode == PASS || !request.target.starts_with(paths::REDEMPTION_STATES) {
                return forward(&upstream, &request).await;
            }
            let latest = if mode == FORGE { FAR } else { 5 };
            let body = serde_json::to_vec(&serde_json::json!({
                "changes": [{"id": entry, "state": "rejected", "cause": {"code": "REVOKED"}}],
                "cursor": FAR, "more": false, "latest": latest,
            }))
            .unwrap();
            let headers = AnswerToSign {
                method: &request.method,
                path_and_query: &request.target,
                device_id: request.header("guichet-device").unwrap(),
                nonce: request.header("guichet-nonce").unwrap(),
                status: 200,
                time_ms: Timestamp::now().as_millisecond(),
                body: &body,
            }
            .sign(&stolen);
            let mut reply = Reply::new(200, body);
            for (name, value) in headers.to_pairs() {
                reply.headers.push((name.to_owned(), value));
            }
            reply
        }
    })
    .await;

    let kiosk = dir.path().join("kiosk");
    let identity = enroll(
        &kiosk,
        &mitm.url,
        &demo.enroll_code,
        &demo.root_fingerprint,
        None,
        None,
    )
    .await
    .unwrap();
    let mut ledger = Ledger::open(kiosk.join("ledger.sqlite3"), LedgerSettings::default()).unwrap();
    let mut trust = TrustStore::load(&kiosk, &identity.root_keys().unwrap()).unwrap();
    let station = Station {
        center: identity.enrollment.center.id.clone(),
        device: identity.enrollment.device_id.clone(),
        mediator: "Zoé".into(),
    };
    let mut basket = Basket::new(Workshop {
        area: Area::A1_1,
        service: "1.1.01".into(),
    });
    basket
        .add(demo.codes[0].as_bytes(), InputMethod::Scanner)
        .unwrap();
    let receipt = ledger
        .commit_checkout(&station, &basket, Timestamp::now())
        .unwrap();
    let id = receipt.redemptions[0].id.clone();
    *entry.lock().unwrap() = id.clone();
    sync_once(&identity, &mut trust, &mut ledger).await.unwrap();
    let state = |ledger: &Ledger| ledger.sync_state(&id).unwrap().unwrap().0;
    assert_eq!(state(&ledger), SyncState::Accepted);
    let honest_cursor = ledger.state_cursor().unwrap();
    assert!(honest_cursor > 0 && honest_cursor < 100, "{honest_cursor}");

    // A page whose cursor is beyond the latest version it names: not believed, nothing kept.
    mode.store(FORGE_BEYOND_LATEST, Ordering::SeqCst);
    let error = sync_once(&identity, &mut trust, &mut ledger)
        .await
        .unwrap_err();
    assert!(
        matches!(error, CycleError::Platform(ClientError::BadAnswer(_))),
        "{error:?}"
    );
    assert_eq!(state(&ledger), SyncState::Accepted);
    assert_eq!(ledger.state_cursor().unwrap(), honest_cursor);

    // Signed with the stolen key and consistent with itself: believed, this once.
    mode.store(FORGE, Ordering::SeqCst);
    sync_once(&identity, &mut trust, &mut ledger).await.unwrap();
    assert_eq!(state(&ledger), SyncState::Rejected);
    assert_eq!(ledger.state_cursor().unwrap(), FAR);

    // The next answer of the real platform says its latest version: the cursor is reset and
    // every state pulled again.
    mode.store(PASS, Ordering::SeqCst);
    let report = sync_once(&identity, &mut trust, &mut ledger).await.unwrap();
    assert!(report.state_cursor_reset, "{report:?}");
    assert_eq!(state(&ledger), SyncState::Accepted);
    assert_eq!(ledger.state_cursor().unwrap(), honest_cursor);
    let report = sync_once(&identity, &mut trust, &mut ledger).await.unwrap();
    assert!(!report.state_cursor_reset, "{report:?}");
}
