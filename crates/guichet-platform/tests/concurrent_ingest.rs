//! Pushes from many kiosks at once, straight into the store, on SQLite and on PostgreSQL
//! (where they run side by side, held apart only by the locks of `store::ingest`); and the
//! schema upgrade that made state versions per device.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::{Backend, Kiosk};
use guichet_core::Kid;
use guichet_platform::db::Schema;
use guichet_platform::keys::generate_key;
use guichet_platform::Store;
use guichet_protocol::signing::public_key_hex;
use guichet_protocol::{EntryEvent, EntryResult, EntryState, LedgerEntry};
use jiff::{SignedDuration, Timestamp};
use uuid::Uuid;

const KIOSKS: usize = 8;
const PUSHES: usize = 6;
const PER_PUSH: usize = 4;
/// The seeded booklet: serials 1..=10.
const COUPONS: u64 = 10;

/// A kiosk enrolled through the store (no HTTP: the entries go to `Store::ingest`).
async fn enroll(store: &Store, center: &str, minter: &common::Minter) -> Kiosk {
    let now = Timestamp::now();
    let key = generate_key().unwrap();
    let code = store
        .create_enroll_code(center, now + SignedDuration::from_hours(1), now)
        .await
        .unwrap();
    let (device_id, center) = store
        .enroll(&code, &public_key_hex(&key.verifying_key()), None, now)
        .await
        .unwrap();
    Kiosk {
        client: reqwest::Client::new(),
        base: String::new(),
        minter: minter.clone(),
        key,
        device_id,
        center,
        head: guichet_protocol::ChainHash::GENESIS,
    }
}

/// A small deterministic generator (xorshift), so a failure can be replayed.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The pushes of one kiosk: redemptions of coupons every kiosk also redeems, at times that
/// increase along its chain by random steps, and now and then a cancellation of one of its own
/// earlier redemptions.
fn pushes(kiosk: &mut Kiosk, kid: Kid, dice: &mut Dice) -> Vec<Vec<LedgerEntry>> {
    // From a little before the kiosk's enrollment (within the clock skew the platform allows),
    // never beyond the moment of the push.
    let mut at = Timestamp::now() - SignedDuration::from_mins(4);
    let mut own = Vec::new();
    (0..PUSHES)
        .map(|_| {
            (0..PER_PUSH)
                .map(|_| {
                    if !own.is_empty() && dice.below(5) == 0 {
                        let cancels = own.remove(dice.below(own.len() as u64) as usize);
                        kiosk.cancellation_at(cancels, at)
                    } else {
                        at += SignedDuration::from_secs(dice.below(10) as i64);
                        let entry = kiosk.redemption(kid, 1 + dice.below(COUPONS), at);
                        own.push(entry.id);
                        entry
                    }
                })
                .collect()
        })
        .collect()
}

/// The cancelled redemptions, and every other redemption by coupon.
fn by_coupon(entries: &[LedgerEntry]) -> (Vec<Uuid>, BTreeMap<u64, Vec<&LedgerEntry>>) {
    let cancelled: Vec<Uuid> = entries
        .iter()
        .filter_map(|e| match &e.event {
            EntryEvent::Cancellation(c) => Some(c.cancels),
            EntryEvent::Redemption(_) => None,
        })
        .collect();
    let mut coupons: BTreeMap<u64, Vec<&LedgerEntry>> = BTreeMap::new();
    for entry in entries {
        if let EntryEvent::Redemption(r) = &entry.event {
            if !cancelled.contains(&entry.id) {
                coupons.entry(r.serial).or_default().push(entry);
            }
        }
    }
    (cancelled, coupons)
}

/// Follows one device's state changes with its cursor, as a kiosk does.
async fn follow(
    store: &Store,
    device: &str,
    cursor: &mut u64,
    seen: &mut HashMap<Uuid, EntryResult>,
) {
    loop {
        let page = store.states_since(device, *cursor, 1000).await.unwrap();
        for change in page.changes {
            seen.insert(change.id, change);
        }
        *cursor = page.cursor;
        if !page.more {
            return;
        }
    }
}

/// Without PostgreSQL the PostgreSQL tests fail: only `GUICHET_ALLOW_SKIP=1` lets them skip.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_postgresql_fails_unless_skipping_is_allowed() {
    use common::pg::{skip_allowed, skip_or_fail, ALLOW_SKIP};
    use std::ffi::OsStr;
    assert!(!skip_allowed(None));
    assert!(!skip_allowed(Some(OsStr::new("0"))));
    assert!(!skip_allowed(Some(OsStr::new("true"))));
    assert!(skip_allowed(Some(OsStr::new("1"))));
    if !skip_allowed(std::env::var_os(ALLOW_SKIP).as_deref()) {
        let missing = std::panic::catch_unwind(|| skip_or_fail("PostgreSQL"));
        assert!(missing.is_err(), "a missing PostgreSQL must fail the test");
    }
}

async fn kiosks_pushing_the_same_coupons_at_once_settle_every_coupon_once(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some((store, _cluster)) = common::fresh_store(backend, dir.path()).await else {
        return;
    };
    let root = generate_key().unwrap();
    let store = store.trusting(vec![root.verifying_key()]);
    let minter = common::seed_minter(&store, &root).await;
    let kid = minter.coupon.kid;
    let mut dice = Dice(0x5EED_1234_ABCD_0001);
    let mut kiosks: Vec<(String, Vec<Vec<LedgerEntry>>)> = Vec::new();
    for i in 0..KIOSKS {
        let mut kiosk = enroll(&store, if i % 2 == 0 { "C1" } else { "C2" }, &minter).await;
        let batches = pushes(&mut kiosk, kid, &mut dice);
        kiosks.push((kiosk.device_id, batches));
    }
    let everything: Vec<LedgerEntry> = kiosks
        .iter()
        .flat_map(|(_, batches)| batches.iter().flatten().cloned())
        .collect();

    let pushing = Arc::new(AtomicBool::new(true));
    let followers: Vec<_> = kiosks
        .iter()
        .map(|(device, _)| {
            let (store, device, pushing) = (store.clone(), device.clone(), pushing.clone());
            tokio::spawn(async move {
                let (mut cursor, mut seen) = (0, HashMap::new());
                while pushing.load(Ordering::SeqCst) {
                    follow(&store, &device, &mut cursor, &mut seen).await;
                }
                follow(&store, &device, &mut cursor, &mut seen).await;
                seen
            })
        })
        .collect();
    let pushers: Vec<_> = kiosks
        .drain(..)
        .map(|(device, batches)| {
            let store = store.clone();
            tokio::spawn(async move {
                for batch in batches {
                    let now = Timestamp::now();
                    store
                        .ingest(&device, &batch, now)
                        .await
                        .unwrap_or_else(|e| panic!("a push of {device} failed: {e}"));
                }
            })
        })
        .collect();
    for pusher in pushers {
        pusher.await.unwrap();
    }
    pushing.store(false, Ordering::SeqCst);

    let mut followed: HashMap<Uuid, EntryResult> = HashMap::new();
    for follower in followers {
        followed.extend(follower.await.unwrap());
    }
    // Once everything is in: cancelled redemptions are cancelled; every coupon redeemed (and not
    // cancelled) has exactly one accepted redemption, and every other one is in conflict with
    // it. Which one is accepted depends on which push the platform received first.
    let (cancelled, coupons) = by_coupon(&everything);
    for entry in &everything {
        let stored = store
            .entry_state(&entry.id.to_string())
            .await
            .unwrap()
            .unwrap();
        // What each kiosk learnt by following its cursor is the final state: no change was
        // skipped by a cursor that moved past a version committed later.
        assert_eq!(
            followed.get(&entry.id).map(|c| c.state),
            Some(stored.state),
            "the cursor of device {} missed the last change of entry {}",
            entry.device,
            entry.id
        );
        if cancelled.contains(&entry.id) {
            assert_eq!(stored.state, EntryState::Cancelled, "entry {}", entry.id);
        }
    }
    for (serial, redemptions) in coupons {
        let mut states: Vec<EntryResult> = Vec::new();
        for e in &redemptions {
            states.push(store.entry_state(&e.id.to_string()).await.unwrap().unwrap());
        }
        let holders: Vec<&EntryResult> = states
            .iter()
            .filter(|s| s.state == EntryState::Accepted)
            .collect();
        assert_eq!(holders.len(), 1, "coupon {serial}: {states:?}");
        for state in &states {
            if state.id != holders[0].id {
                assert_eq!(state.state, EntryState::Conflict, "coupon {serial}");
                assert_eq!(
                    state.conflict.as_ref().map(|c| c.other_id),
                    Some(holders[0].id),
                    "coupon {serial}: a conflict points at the holder"
                );
            }
        }
    }
    assert_eq!(
        store.entry_count().await.unwrap(),
        (KIOSKS * PUSHES * PER_PUSH) as u64
    );
}

/// A database made by the first schema (the platform-wide state counter at 42, one device,
/// one accepted redemption stored without a code) opened by this platform: the device's
/// versions continue after 42, so the cursor its kiosk holds still sees the next change; the
/// redemption stored before codes were kept keeps its state and stays in its month's report
/// (it was settled and reported under the old rules; new entries without a code are held).
async fn a_version_1_database_is_upgraded_and_cursors_stay_valid(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let version_1_rows = "UPDATE counters SET value = 42 WHERE name = 'state_version';
        INSERT INTO centers (id, name, zone) VALUES ('C0', 'Espace numérique', 33);
        INSERT INTO devices (id, public_key, center, enrolled_at, chain_head)
        VALUES ('old-kiosk', 'aa', 'C0', '2026-01-01T00:00:00Z',
                '0000000000000000000000000000000000000000000000000000000000000000');
        INSERT INTO entries (id, device, center, kind, occurred_at, occurred_us, local_day, actor,
            checkout_id, kid, serial, value_cents, provider, area, service, input_method,
            prev_hash, hash, received_at, state, version)
        VALUES ('01900000-0000-7000-8000-000000000001', 'gone-kiosk', 'C0', 'redemption', '2026-01-10T09:00:00Z',
            1768035600000000, '2026-01-10', 'Awa', 'c1', '0102030405060708', 5, 1000, 7, '2.2',
            '2.2.01', 'scanner', 'p', 'h', '2026-01-10T10:00:00.5Z', 'accepted', 3);";
    let (location, _cluster) = match backend {
        Backend::Sqlite => {
            let path = dir.path().join("v1.db");
            let location = path.to_str().unwrap().to_owned();
            Store::open_with(&location, None, Schema::MigrateTo(1))
                .await
                .unwrap()
                .0
                .close()
                .await;
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(version_1_rows).unwrap();
            (location, None)
        }
        Backend::Postgres => {
            let Some(cluster) = common::pg::PgCluster::shared() else {
                return;
            };
            let url = cluster.new_database();
            Store::open_with(&url, None, Schema::MigrateTo(1))
                .await
                .unwrap()
                .0
                .close()
                .await;
            let rows = url.clone();
            tokio::task::spawn_blocking(move || {
                let mut client = ::postgres::Client::connect(&rows, ::postgres::NoTls).unwrap();
                client.batch_execute(version_1_rows).unwrap();
            })
            .await
            .unwrap();
            (url, Some(cluster))
        }
    };
    let root = generate_key().unwrap();
    let store = Store::migrate(&location)
        .await
        .unwrap()
        .0
        .trusting(vec![root.verifying_key()]);
    let minter = common::seed_minter(&store, &root).await;
    let kid = minter.coupon.kid;
    let mut kiosk = Kiosk {
        client: reqwest::Client::new(),
        base: String::new(),
        minter,
        key: generate_key().unwrap(),
        device_id: "old-kiosk".into(),
        center: guichet_protocol::CenterInfo {
            id: "C0".into(),
            name: "Espace numérique".into(),
            zone: 33,
        },
        head: guichet_protocol::ChainHash::GENESIS,
    };
    let entry = kiosk.redemption(kid, 1, Timestamp::now());
    store
        .ingest("old-kiosk", std::slice::from_ref(&entry), Timestamp::now())
        .await
        .unwrap();
    let page = store.states_since("old-kiosk", 42, 1000).await.unwrap();
    assert_eq!(
        page.changes.len(),
        1,
        "the first change after the held cursor"
    );
    assert_eq!(page.changes[0].id, entry.id);
    assert_eq!(page.cursor, 43);
    let legacy = store
        .entry_state("01900000-0000-7000-8000-000000000001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(legacy.state, EntryState::Accepted);
    let report = store
        .month_report(jiff::civil::date(2026, 1, 1))
        .await
        .unwrap();
    assert_eq!(
        report
            .reimbursements
            .iter()
            .map(|l| l.amount_cents)
            .sum::<i64>(),
        1000
    );
    store.close().await;
    // Opening it again applies nothing twice.
    let store = Store::open(&location).await.unwrap();
    assert_eq!(store.entry_count().await.unwrap(), 2);
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn kiosks_pushing_the_same_coupons_at_once_settle_every_coupon_once() {
        super::kiosks_pushing_the_same_coupons_at_once_settle_every_coupon_once(
            super::Backend::Sqlite,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_version_1_database_is_upgraded_and_cursors_stay_valid() {
        super::a_version_1_database_is_upgraded_and_cursors_stay_valid(super::Backend::Sqlite)
            .await;
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn kiosks_pushing_the_same_coupons_at_once_settle_every_coupon_once() {
        super::kiosks_pushing_the_same_coupons_at_once_settle_every_coupon_once(
            super::Backend::Postgres,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_version_1_database_is_upgraded_and_cursors_stay_valid() {
        super::a_version_1_database_is_upgraded_and_cursors_stay_valid(super::Backend::Postgres)
            .await;
    }
}
