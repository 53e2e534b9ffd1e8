//! Sync speed: 10,000 pending redemptions delivered to a loopback platform in one cycle.
//! Prints a table (docs/benchmarks.md).
//!
//! Run: `cargo bench -p guichet-sync --bench sync`

use std::time::Instant;

use guichet_core::{Area, Coupon, Kid, Scope};
use guichet_ledger::{Basket, InputMethod, Ledger, LedgerSettings, Station, Workshop};
use guichet_sync::{enroll, sync_once, TrustStore};

const ENTRIES: u64 = 10_000;
const PER_CHECKOUT: u64 = 10;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let demo = guichet_platform::demo::start(&dir.path().join("platform"))
        .await
        .unwrap();
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
    let station = Station {
        center: identity.enrollment.center.id.clone(),
        device: identity.enrollment.device_id.clone(),
        mediator: "Zoé".into(),
    };
    let filled = Instant::now();
    for checkout in 0..ENTRIES / PER_CHECKOUT {
        let mut basket = Basket::new(Workshop {
            area: Area::A1_1,
            service: "S1".into(),
        });
        for i in 0..PER_CHECKOUT {
            let coupon = Coupon {
                kid: Kid([9; 8]),
                serial: checkout * PER_CHECKOUT + i,
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
        ledger
            .commit_checkout(&station, &basket, jiff::Timestamp::now())
            .unwrap();
    }
    println!(
        "ledger filled with {ENTRIES} redemptions in {:.1} s",
        filled.elapsed().as_secs_f64()
    );
    let roots = identity.root_keys().unwrap();
    let mut trust = TrustStore::load(&kiosk, &roots).unwrap();
    let started = Instant::now();
    let report = sync_once(&identity, &mut trust, &mut ledger).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(report.pushed, ENTRIES);
    assert_eq!(report.pending, 0);
    println!();
    println!("| measure | time | target |");
    println!("|---|---|---|");
    println!(
        "| one sync cycle delivering {ENTRIES} pending redemptions (batches of {}) to a loopback platform on SQLite | {:.2} s | ≤ 3 s |",
        guichet_sync::cycle::BATCH_SIZE,
        elapsed.as_secs_f64()
    );
    demo.server.stop().await;
}
