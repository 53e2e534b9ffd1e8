//! Ledger speed: commit latency against the disk's fsync floor, and the day review and
//! opening time of a 1,000,000-entry ledger. Prints a table (docs/benchmarks.md).
//!
//! Run: `cargo bench -p guichet-ledger --bench ledger`

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use guichet_core::{Area, Coupon, Kid, Scope};
use guichet_ledger::{
    Basket, Entry, EntryBody, Filters, InputMethod, Ledger, LedgerSettings, RedemptionFields,
    Station, Workshop, GENESIS_HASH,
};
use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};

const COMMITS: usize = 400;
const BIG: i64 = 1_000_000;
const DAYS: i64 = 250;

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let index = ((samples.len() - 1) as f64 * p).round() as usize;
    samples[index]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// A well-formed code of `coupon` (signature zeros: the ledger decodes, it does not verify).
fn code_of(coupon: &Coupon) -> String {
    let mut bytes = coupon.to_payload().to_vec();
    bytes.extend_from_slice(&[0; 64]);
    guichet_core::code::text_of(&bytes)
}

fn coupon(serial: u64) -> Coupon {
    Coupon {
        kid: Kid([1, 2, 3, 4, 5, 6, 7, 8]),
        serial,
        value_cents: 1000,
        issued_on: 2400,
        valid_until: 2800,
        provider: 1 + (serial % 3) as u32,
        scope: Scope::ANY,
        zone: 0,
    }
}

fn station() -> Station {
    Station {
        center: "center-bench".into(),
        device: "kiosk-bench".into(),
        mediator: "Amine".into(),
    }
}

/// Commit latency of one-coupon checkouts and, interleaved on the same disk so that both
/// see the same conditions, the floor: appending a small record to a file and
/// `fdatasync`-ing it, as SQLite does for each WAL commit.
fn commit_and_floor(dir: &Path) -> (Vec<Duration>, Vec<Duration>) {
    let mut ledger = Ledger::open(dir.join("commit.sqlite3"), LedgerSettings::default()).unwrap();
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("fsync-floor"))
        .unwrap();
    let now: Timestamp = "2026-11-23T09:00:00Z".parse().unwrap();
    let mut commits = Vec::with_capacity(COMMITS);
    let mut floor = Vec::with_capacity(COMMITS);
    for serial in 0..COMMITS as u64 {
        let mut basket = Basket::new(Workshop {
            area: Area::A1_1,
            service: "S1".into(),
        });
        basket
            .add(code_of(&coupon(serial)).as_bytes(), InputMethod::Camera)
            .unwrap();
        let started = Instant::now();
        ledger.commit_checkout(&station(), &basket, now).unwrap();
        commits.push(started.elapsed());
        let started = Instant::now();
        file.write_all(&[7u8; 512]).unwrap();
        file.sync_data().unwrap();
        floor.push(started.elapsed());
    }
    (commits, floor)
}

/// Writes a valid ledger of `BIG` entries (hash chain included) straight through SQLite in
/// one transaction: the same rows `commit_checkout` writes, a million times faster.
fn build_big_ledger(path: &Path) {
    drop(Ledger::open(path, LedgerSettings::default()).unwrap());
    let mut conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch("PRAGMA synchronous = OFF").unwrap();
    let tx = conn.transaction().unwrap();
    let start: Timestamp = "2025-12-01T08:00:00Z".parse().unwrap();
    let per_day = BIG / DAYS;
    let mut prev = GENESIS_HASH;
    {
        let mut entry_stmt = tx
            .prepare(
                "INSERT INTO entries (seq, id, kind, occurred_at, local_day, center, device, actor,
                     checkout_id, kid, serial, value_cents, provider, area, service, input_method,
                     prev_hash, hash)
                 VALUES (?1, ?2, 'redemption', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,
                     ?14, 'camera', ?15, ?16)",
            )
            .unwrap();
        let mut checkout_stmt = tx
            .prepare("INSERT INTO checkouts VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, 0)")
            .unwrap();
        let mut outbox_stmt = tx
            .prepare("INSERT INTO outbox (entry_id, state, updated_at) VALUES (?1, ?2, ?3)")
            .unwrap();
        let mut active_stmt = tx
            .prepare("INSERT INTO active_coupons VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            .unwrap();
        let areas = ["1.1", "1.2", "2.1", "3.4"];
        let mediators = ["Amine", "Zoé", "Chloé", "Marc"];
        for seq in 1..=BIG {
            let day = (seq - 1) / per_day;
            let moment = start
                + SignedDuration::from_hours(24 * day)
                + SignedDuration::from_secs((seq % per_day) * 8);
            let serial = seq as u64;
            let entry = Entry {
                id: format!("00000000-0000-7000-8000-{seq:012}"),
                occurred_at: moment.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                local_day: guichet_core::day::paris_day(moment).to_string(),
                center: "center-bench".into(),
                device: "kiosk-bench".into(),
                actor: mediators[(seq % 4) as usize].into(),
                body: EntryBody::Redemption(RedemptionFields {
                    checkout_id: format!("00000000-0000-7000-9000-{seq:012}"),
                    kid: "0102030405060708".into(),
                    serial,
                    value_cents: 1000,
                    provider: 1 + (seq % 3) as u32,
                    area: areas[(seq % 4) as usize].into(),
                    service: "S1".into(),
                    input_method: InputMethod::Camera,
                    // Code-less (format 1) entries: the rows below are written without one.
                    code: None,
                }),
            };
            let hash = entry.chain_hash(&prev);
            let EntryBody::Redemption(r) = &entry.body else {
                unreachable!()
            };
            entry_stmt
                .execute(rusqlite::params![
                    seq,
                    entry.id,
                    entry.occurred_at,
                    entry.local_day,
                    entry.center,
                    entry.device,
                    entry.actor,
                    r.checkout_id,
                    r.kid,
                    serial as i64,
                    r.value_cents,
                    r.provider,
                    r.area,
                    r.service,
                    &prev[..],
                    &hash[..],
                ])
                .unwrap();
            checkout_stmt
                .execute(rusqlite::params![
                    r.checkout_id,
                    entry.occurred_at,
                    entry.local_day,
                    entry.actor,
                    r.area,
                    r.service,
                ])
                .unwrap();
            let state = if seq % 10 == 0 { "pending" } else { "accepted" };
            outbox_stmt
                .execute(rusqlite::params![entry.id, state, entry.occurred_at])
                .unwrap();
            active_stmt
                .execute(rusqlite::params![
                    r.kid,
                    serial as i64,
                    entry.id,
                    entry.occurred_at,
                    entry.center,
                    entry.actor,
                ])
                .unwrap();
            prev = hash;
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('chain_head', ?1)",
            [format!("{BIG}:{}", hex::encode(prev))],
        )
        .unwrap();
    }
    tx.commit().unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
}

fn main() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    println!("guichet-ledger bench (disk of {})", dir.path().display());

    let (mut commits, mut floor) = commit_and_floor(dir.path());
    let (floor_median, floor_p99) = (percentile(&mut floor, 0.5), percentile(&mut floor, 0.99));
    let (commit_median, commit_p99) = (
        percentile(&mut commits, 0.5),
        percentile(&mut commits, 0.99),
    );

    let big = dir.path().join("big.sqlite3");
    let built = Instant::now();
    build_big_ledger(&big);
    println!(
        "built a {BIG}-entry ledger in {:.1} s",
        built.elapsed().as_secs_f64()
    );
    let mut opens: Vec<Duration> = (0..20)
        .map(|_| {
            let started = Instant::now();
            let ledger = Ledger::open(&big, LedgerSettings::default()).unwrap();
            let elapsed = started.elapsed();
            drop(ledger);
            elapsed
        })
        .collect();
    let ledger = Ledger::open(&big, LedgerSettings::default()).unwrap();
    let day = date(2026, 5, 4);
    let mut reviews: Vec<Duration> = (0..50)
        .map(|_| {
            let started = Instant::now();
            let review = ledger.review(day, day, &Filters::default()).unwrap();
            let elapsed = started.elapsed();
            assert_eq!(review.summary.redeemed.count as i64, BIG / DAYS);
            elapsed
        })
        .collect();

    println!();
    println!("| measure | median | p99 | target |");
    println!("|---|---|---|---|");
    println!(
        "| fdatasync of a 512-byte append (floor, same disk) | {} | {} | reference |",
        ms(floor_median),
        ms(floor_p99)
    );
    println!(
        "| commit a one-coupon checkout (synchronous=FULL), n={COMMITS} | {} | {} | ≤ 5 ms, p99 ≤ 20 ms |",
        ms(commit_median),
        ms(commit_p99)
    );
    println!(
        "| ratio commit / floor (medians) | {:.2}× | | ≤ 1.5× |",
        commit_median.as_secs_f64() / floor_median.as_secs_f64()
    );
    println!(
        "| open a {BIG}-entry ledger, n=20 | {} | {} | ≤ 200 ms |",
        ms(percentile(&mut opens, 0.5)),
        ms(percentile(&mut opens, 0.99))
    );
    println!(
        "| day review ({} entries) in a {BIG}-entry ledger, n=50 | {} | {} | ≤ 20 ms |",
        BIG / DAYS,
        ms(percentile(&mut reviews, 0.5)),
        ms(percentile(&mut reviews, 0.99))
    );
}
