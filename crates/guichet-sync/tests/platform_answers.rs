//! What a real platform (the demo, in process, on 127.0.0.1) answers about a kiosk's entries,
//! and how the ledger keeps it: a redemption proven by its code is accepted, one whose code no
//! issuer of the platform signed is rejected, and an entry recorded before kiosks kept codes
//! (a format 1 ledger, written here with plain SQL) is pushed without a code and held. Each
//! rejected or held entry keeps the platform's cause.

use guichet_core::{Area, Coupon, Kid, Scope};
use guichet_ledger::{
    Basket, Entry, EntryBody, Filters, InputMethod, Ledger, LedgerSettings, RedemptionFields,
    Station, SyncState, Workshop, GENESIS_HASH,
};
use guichet_protocol::{Cause, CauseCode};
use guichet_sync::{enroll, sync_once, TrustStore};
use jiff::Timestamp;

/// Writes a ledger as a kiosk before format 2 left it: migration 0001 only and one redemption
/// of `coupon` without its code, chained with the format 1 hash.
fn write_format_1_ledger(path: &std::path::Path, center: &str, device: &str, coupon: &Coupon) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(include_str!("../../../schema/migrations/0001_ledger.sql"))
        .unwrap();
    conn.execute_batch("PRAGMA application_id = 1196771651; PRAGMA user_version = 1;")
        .unwrap();
    let now = Timestamp::now();
    let occurred_at = now.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let local_day = guichet_core::day::paris_day(now).to_string();
    let entry = Entry {
        id: uuid::Uuid::now_v7().to_string(),
        occurred_at: occurred_at.clone(),
        local_day: local_day.clone(),
        center: center.into(),
        device: device.into(),
        actor: "Amine".into(),
        body: EntryBody::Redemption(RedemptionFields {
            checkout_id: uuid::Uuid::now_v7().to_string(),
            kid: coupon.kid.to_hex(),
            serial: coupon.serial,
            value_cents: coupon.value_cents,
            provider: coupon.provider,
            area: "1.1".into(),
            service: "1.1.01".into(),
            input_method: InputMethod::Camera,
            code: None,
        }),
    };
    assert_eq!(entry.format_version(), 1);
    let hash = entry.chain_hash(&GENESIS_HASH);
    let EntryBody::Redemption(r) = &entry.body else {
        unreachable!()
    };
    conn.execute(
        "INSERT INTO entries (seq, id, kind, occurred_at, local_day, center, device, actor,
             checkout_id, kid, serial, value_cents, provider, area, service, input_method,
             prev_hash, hash)
         VALUES (1, ?1, 'redemption', ?2, ?3, ?4, ?5, 'Amine', ?6, ?7, ?8, ?9, ?10, '1.1',
             '1.1.01', 'camera', ?11, ?12)",
        rusqlite::params![
            entry.id,
            occurred_at,
            local_day,
            center,
            device,
            r.checkout_id,
            r.kid,
            r.serial as i64,
            r.value_cents,
            r.provider,
            &GENESIS_HASH[..],
            &hash[..],
        ],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO checkouts VALUES (?1, ?2, ?3, 'Amine', '1.1', '1.1.01', 1, 0)",
        rusqlite::params![r.checkout_id, occurred_at, local_day],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO active_coupons VALUES (?1, ?2, ?3, ?4, ?5, 'Amine')",
        rusqlite::params![r.kid, r.serial as i64, entry.id, occurred_at, center],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO outbox (entry_id, state, updated_at) VALUES (?1, 'pending', ?2)",
        rusqlite::params![entry.id, occurred_at],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('chain_head', ?1)",
        [format!("1:{}", hex::encode(hash))],
    )
    .unwrap();
}

fn cause_of(ledger: &Ledger, id: &str) -> (SyncState, Option<Cause>) {
    let (state, detail) = ledger.sync_state(id).unwrap().unwrap();
    let cause = detail.map(|d| serde_json::from_str::<Cause>(&d).unwrap());
    (state, cause)
}

#[tokio::test(flavor = "multi_thread")]
async fn rejected_and_held_answers_are_recorded_with_their_cause() {
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
    let center = identity.enrollment.center.id.clone();
    let device = identity.enrollment.device_id.clone();
    let genuine: Vec<Coupon> = demo
        .codes
        .iter()
        .map(|c| guichet_core::code::decode(c.as_bytes()).unwrap().coupon)
        .collect();

    // Recorded before the upgrade, without its code: a real coupon of the platform.
    let path = kiosk.join("ledger.sqlite3");
    write_format_1_ledger(&path, &center, &device, &genuine[0]);
    let mut ledger = Ledger::open(&path, LedgerSettings::default()).unwrap();
    let old_id = ledger.outbox_batch(1).unwrap()[0].entry.id.clone();

    // After the upgrade: a genuine code, and a well-formed code no issuer of this platform
    // signed (zero signature, unknown key id).
    let station = Station {
        center,
        device,
        mediator: "Zoé".into(),
    };
    let forged = Coupon {
        kid: Kid([9; 8]),
        serial: 77,
        value_cents: 1000,
        issued_on: genuine[1].issued_on,
        valid_until: genuine[1].valid_until,
        provider: 1,
        scope: Scope::ANY,
        zone: 0,
    };
    let mut forged_bytes = forged.to_payload().to_vec();
    forged_bytes.extend_from_slice(&[0; 64]);
    let forged_code = guichet_core::code::text_of(&forged_bytes);
    let mut basket = Basket::new(Workshop {
        area: Area::A1_1,
        service: "1.1.01".into(),
    });
    basket
        .add(demo.codes[1].as_bytes(), InputMethod::Scanner)
        .unwrap();
    basket
        .add(forged_code.as_bytes(), InputMethod::Pasted)
        .unwrap();
    let receipt = ledger
        .commit_checkout(&station, &basket, Timestamp::now())
        .unwrap();
    let (genuine_id, forged_id) = (
        receipt.redemptions[0].id.clone(),
        receipt.redemptions[1].id.clone(),
    );

    let roots = identity.root_keys().unwrap();
    let mut trust = TrustStore::load(&kiosk, &roots).unwrap();
    let report = sync_once(&identity, &mut trust, &mut ledger).await.unwrap();
    assert_eq!(report.pending, 0, "{report:?}");
    assert_eq!((report.rejected, report.held), (1, 1), "{report:?}");

    assert_eq!(cause_of(&ledger, &genuine_id), (SyncState::Accepted, None));
    let (state, cause) = cause_of(&ledger, &forged_id);
    assert_eq!(state, SyncState::Rejected);
    assert_eq!(cause.unwrap().code, CauseCode::UnknownIssuer);
    // The old entry went without a code: the platform cannot see a proof and holds it.
    let (state, cause) = cause_of(&ledger, &old_id);
    assert_eq!(state, SyncState::Held);
    assert_eq!(cause.unwrap().code, CauseCode::NoProof);

    let counts = ledger.sync_counts().unwrap();
    assert_eq!(counts.needing_attention(), 2);
    let today = guichet_core::day::paris_day(Timestamp::now());
    let review = ledger.review(today, today, &Filters::default()).unwrap();
    let causes: Vec<Option<CauseCode>> = review
        .lines
        .iter()
        .map(|l| l.cause.as_ref().map(|c| c.code))
        .collect();
    assert_eq!(
        causes,
        [
            Some(CauseCode::NoProof),
            None,
            Some(CauseCode::UnknownIssuer)
        ]
    );
    // The chain, old and new entries together, is intact.
    assert_eq!(ledger.verify_chain().unwrap().first_break, None);
}
