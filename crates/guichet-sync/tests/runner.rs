//! The background loop's status, on real files and a real (closed) loopback port.

use std::time::Duration;

use guichet_core::{Area, Coupon, Kid, Scope};
use guichet_ledger::{Basket, InputMethod, Ledger, LedgerSettings, Station, Workshop};
use guichet_sync::{Connection, RunnerSettings, SyncProblem, SyncRunner, SyncStatus};

fn settings() -> RunnerSettings {
    RunnerSettings {
        interval: Duration::from_secs(3600),
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(50),
    }
}

async fn wait_for(runner: &SyncRunner, what: impl Fn(&SyncStatus) -> bool) -> SyncStatus {
    let mut watch = runner.watch();
    let waited = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let status = watch.borrow_and_update().clone();
            if what(&status) {
                return status;
            }
            watch.changed().await.unwrap();
        }
    })
    .await;
    waited.unwrap_or_else(|_| panic!("status never matched; last: {:?}", runner.status()))
}

/// A port nothing listens on: bound, then released.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Writes the identity of a kiosk enrolled with a platform that is down (a closed port).
fn enrolled_with_a_closed_platform(dir: &std::path::Path) {
    std::fs::write(dir.join("device-key"), "07".repeat(32)).unwrap();
    let device = serde_json::json!({
        "platform_url": format!("http://127.0.0.1:{}", closed_port()),
        "device_id": "d1",
        "center": {"id": "C1", "name": "Médiathèque", "zone": 33},
        "pinned_root_keys": ["db8d8394f9d7af225f334cd96772b458622823d04ea3a84c31d4750a68b56ba0"],
    });
    std::fs::write(dir.join("device.json"), device.to_string()).unwrap();
}

#[tokio::test]
async fn a_kiosk_not_enrolled_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let runner = SyncRunner::spawn(
        dir.path().into(),
        dir.path().join("ledger.sqlite3"),
        settings(),
    );
    let status = wait_for(&runner, |s| s.last_error.is_some()).await;
    assert_eq!(status.connection, Connection::NotEnrolled);
    assert!(status.last_error.unwrap().contains("not enrolled"));
    // The window's code (issue 26: the English sentence reached a French screen).
    assert_eq!(status.problem, Some(SyncProblem::NotEnrolled));
    runner.stop();
}

#[tokio::test]
async fn an_unreachable_platform_is_offline_with_the_pending_count_and_retries() {
    let dir = tempfile::tempdir().unwrap();
    let ledger_path = dir.path().join("ledger.sqlite3");
    let mut ledger = Ledger::open(&ledger_path, LedgerSettings::default()).unwrap();
    let mut basket = Basket::new(Workshop {
        area: Area::A1_1,
        service: "S1".into(),
    });
    for serial in [1, 2] {
        let coupon = Coupon {
            kid: Kid([1; 8]),
            serial,
            value_cents: 1000,
            issued_on: 2400,
            valid_until: 2800,
            provider: 1,
            scope: Scope::ANY,
            zone: 0,
        };
        let mut bytes = coupon.to_payload().to_vec();
        bytes.extend_from_slice(&[0; 64]);
        let code = guichet_core::code::text_of(&bytes);
        basket.add(code.as_bytes(), InputMethod::Scanner).unwrap();
    }
    let station = Station {
        center: "C1".into(),
        device: "d1".into(),
        mediator: "Zoé".into(),
    };
    ledger
        .commit_checkout(&station, &basket, jiff::Timestamp::now())
        .unwrap();
    // An enrolled kiosk whose platform is down.
    enrolled_with_a_closed_platform(dir.path());
    let runner = SyncRunner::spawn(dir.path().into(), ledger_path.clone(), settings());
    let status = wait_for(&runner, |s| s.connection == Connection::Offline).await;
    assert_eq!(status.pending, 2);
    assert!(status.last_error.unwrap().contains("unreachable"));
    assert_eq!(status.problem, Some(SyncProblem::Unreachable));
    assert_eq!(status.last_success, None);
    // It keeps retrying (with backoff, not at the hour-long interval): Syncing comes back.
    wait_for(&runner, |s| s.connection == Connection::Syncing).await;
    runner.stop();
    // Nothing was lost or marked: both entries still wait to be delivered.
    assert_eq!(ledger.sync_counts().unwrap().to_deliver(), 2);
}

/// Issue 18, item 6: a cycle that waits on the ledger (another process holds it, up to the
/// 5 s busy timeout) waits on a blocking-pool thread. On a one-thread runtime, as here, a
/// cycle run on the runtime's thread would stop every other task for those 5 s.
#[tokio::test(flavor = "current_thread")]
async fn a_cycle_waiting_on_the_ledger_does_not_stall_the_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let ledger_path = dir.path().join("ledger.sqlite3");
    drop(Ledger::open(&ledger_path, LedgerSettings::default()).unwrap());
    enrolled_with_a_closed_platform(dir.path());
    // Another process holds the ledger exclusively.
    let holder = rusqlite::Connection::open(&ledger_path).unwrap();
    holder
        .execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;")
        .unwrap();

    let runner = SyncRunner::spawn(dir.path().into(), ledger_path.clone(), settings());
    // Ticks every 20 ms for 1.5 s; the longest gap between two is how long the thread stalled.
    let mut longest = Duration::ZERO;
    let mut last = std::time::Instant::now();
    let start = last;
    while start.elapsed() < Duration::from_millis(1500) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        longest = longest.max(last.elapsed());
        last = std::time::Instant::now();
    }
    assert!(
        runner.status().connection == Connection::Syncing,
        "the cycle is still waiting on the ledger: {:?}",
        runner.status()
    );
    assert!(
        longest < Duration::from_millis(500),
        "the runtime stalled for {longest:?}"
    );
    drop(holder);
    runner.stop();
}
