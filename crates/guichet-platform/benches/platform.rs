//! Platform benchmarks (a bench binary printing a table):
//! 1. ingest throughput in batches, in process, on SQLite and PostgreSQL, against a bare
//!    SQL insert of the same rows measured in the same run (the reference);
//! 2. a bounded load generator: 500 concurrent kiosks, each enrolled, doing rounds of
//!    bundle pull (304) + push of a batch + state poll against the real `guichet-platform
//!    serve` binary; p50/p99/max request latency and the server's RSS (from /proc) at the end.
//!
//! `cargo bench -p guichet-platform --bench platform` (results: docs/platform-benchmarks.md).

// The tests' throwaway-cluster helper; the bench uses only part of it.
#[path = "../tests/common/pg.rs"]
#[allow(dead_code)]
mod pg;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use guichet_core::{Area, Coupon, Kid, Scope};
use guichet_platform::admin::{self, Paths};
use guichet_platform::db::{batch, Db, Mode, Schema};
use guichet_platform::keys::{generate_key, random_bytes};
use guichet_platform::store::MintRequest;
use guichet_platform::Store;
use guichet_protocol::seal::{seal, EnrollPayload};
use guichet_protocol::signing::{nonce_hex, parse_public_key, public_key_hex, RequestToSign};
use guichet_protocol::{
    paths, ChainHash, EnrollBundle, EnrollResponse, EntryEvent, InputMethod, LedgerEntry,
    PushRequest, RedemptionEvent, StatesResponse,
};
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The runtime the bench's direct store calls run on (the store is async; the bench drives it
/// from plain code, outside the timed server runs).
static RUNTIME: std::sync::LazyLock<tokio::runtime::Runtime> =
    std::sync::LazyLock::new(|| tokio::runtime::Runtime::new().expect("a tokio runtime"));

/// Runs a future to its end on [`RUNTIME`].
trait Wait: std::future::Future + Sized {
    fn wait(self) -> Self::Output {
        RUNTIME.block_on(self)
    }
}

impl<F: std::future::Future> Wait for F {}

const INGEST_DEVICES: usize = 10;
const INGEST_PER_DEVICE: usize = 2_000;
const INGEST_BATCH: usize = 500;
const KIOSKS: usize = 500;
const ROUNDS: usize = 3;
const LOAD_BATCH: usize = 10;

/// Signs codes as the seeded booklets' coupons (the platform's issuer key, bench only).
struct Minter {
    issuer: SigningKey,
    coupon: Coupon,
}

struct Chain {
    device: String,
    /// The device key: every entry is signed with it, as a kiosk signs its entries.
    key: SigningKey,
    center: String,
    head: ChainHash,
    minter: Arc<Minter>,
}

impl Chain {
    /// The next redemption: coupon `serial` with its real code, signed by the device key, as
    /// an honest kiosk pushes it.
    fn next(&mut self, serial: u64) -> LedgerEntry {
        let coupon = Coupon {
            serial,
            ..self.minter.coupon
        };
        let code = guichet_core::code::encode(&coupon, &self.minter.issuer);
        let id = Uuid::now_v7();
        let hash = ChainHash(
            Sha256::new()
                .chain_update(self.head.0)
                .chain_update(id.as_bytes())
                .finalize()
                .into(),
        );
        let now = Timestamp::now();
        let mut entry = LedgerEntry {
            id,
            occurred_at: now,
            local_day: guichet_platform::clock::paris_day(now),
            center: self.center.clone(),
            device: self.device.clone(),
            actor: "bench".into(),
            event: EntryEvent::Redemption(RedemptionEvent {
                checkout_id: Uuid::now_v7(),
                kid: coupon.kid,
                serial,
                value_cents: coupon.value_cents,
                provider: coupon.provider,
                area: Area::A2_2,
                service: "2.2.01".into(),
                input_method: InputMethod::Scanner,
                code: Some(code),
            }),
            prev_hash: self.head,
            hash,
            signature: None,
        };
        entry.signature = Some(guichet_protocol::entry_signature::sign(&entry, &self.key));
        self.head = hash;
        entry
    }
}

/// Provider, center, key, referential, enough minted serials, a bundle; answers how to sign
/// their codes.
fn seed(store: &Store, root: &SigningKey, booklets: u32) -> Arc<Minter> {
    let now = Timestamp::now();
    let today = guichet_platform::clock::paris_day(now);
    let issued_on = today.checked_sub(jiff::Span::new().days(30)).unwrap();
    let valid_until = today.checked_add(jiff::Span::new().days(365)).unwrap();

    store.add_provider(1, "Bench").wait().unwrap();
    store.add_zone(33, "Bench zone").wait().unwrap();
    store.add_center("B1", "Bench center", 33).wait().unwrap();
    let issuer_key = generate_key().unwrap();
    let kid = store
        .add_issuer_key(1, &issuer_key.verifying_key(), now)
        .wait()
        .unwrap();
    let referential = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/referential/example-referential.json"
    ))
    .unwrap();
    store
        .set_referential(&serde_json::from_str(&referential).unwrap())
        .wait()
        .unwrap();
    let mut left = booklets;
    while left > 0 {
        let now_booklets = left.min(10_000);
        store
            .record_mint(
                &MintRequest {
                    booklets: now_booklets,
                    coupons_per_booklet: 10,
                    value_cents: 1000,
                    issued_on,
                    valid_until,
                    provider: 1,
                    scope: Scope::ANY,
                    zone: 0,
                },
                now,
            )
            .wait()
            .unwrap();
        left -= now_booklets;
    }
    admin::publish(store, root, 30, None, now, None)
        .wait()
        .unwrap();
    let day = |date| guichet_core::day::to_day(date).unwrap();
    Arc::new(Minter {
        issuer: issuer_key,
        coupon: Coupon {
            kid,
            serial: 0,
            value_cents: 1000,
            issued_on: day(issued_on),
            valid_until: day(valid_until),
            provider: 1,
            scope: Scope::ANY,
            zone: 0,
        },
    })
}

fn enroll_in_store(store: &Store, n: usize, minter: &Arc<Minter>) -> Vec<Chain> {
    let now = Timestamp::now();
    (0..n)
        .map(|_| {
            let code = store
                .create_enroll_code("B1", now + jiff::SignedDuration::from_hours(1), now)
                .wait()
                .unwrap();
            let key = generate_key().unwrap();
            let (device, center) = store
                .enroll(&code, &public_key_hex(&key.verifying_key()), None, now)
                .wait()
                .unwrap();
            Chain {
                device,
                key,
                center: center.id,
                head: ChainHash::GENESIS,
                minter: minter.clone(),
            }
        })
        .collect()
}

/// Redemptions per second of `Store::ingest` in batches, and of a bare insert of the same
/// number of rows (the reference).
fn ingest(location: &str) -> (f64, f64) {
    let root = generate_key().unwrap();
    let store = Store::migrate(location)
        .wait()
        .unwrap()
        .0
        .trusting(vec![root.verifying_key()]);
    let minter = seed(
        &store,
        &root,
        (INGEST_DEVICES * INGEST_PER_DEVICE / 10) as u32,
    );
    let mut chains = enroll_in_store(&store, INGEST_DEVICES, &minter);
    let mut batches = Vec::new();
    let mut serial = 1;
    for chain in &mut chains {
        let entries: Vec<_> = (0..INGEST_PER_DEVICE)
            .map(|_| {
                serial += 1;
                chain.next(serial - 1)
            })
            .collect();
        for batch in entries.chunks(INGEST_BATCH) {
            batches.push((
                chain.device.clone(),
                chain.key.verifying_key(),
                batch.to_vec(),
            ));
        }
    }
    let total = INGEST_DEVICES * INGEST_PER_DEVICE;
    let started = Instant::now();
    // As the server does for a push: the entries' device signatures, then the ingest.
    for (device, public, batch) in &batches {
        guichet_platform::store::check_entry_signatures(public, batch).unwrap();
        store
            .ingest(device, batch, Timestamp::now())
            .wait()
            .unwrap();
    }
    let ingest_rate = total as f64 / started.elapsed().as_secs_f64();
    let accepted = store
        .month_report(guichet_platform::clock::paris_day(Timestamp::now()))
        .wait()
        .unwrap()
        .reimbursements
        .iter()
        .map(|line| line.coupons)
        .sum::<u64>();
    assert_eq!(
        accepted as usize, total,
        "every benched redemption is proven and paid"
    );

    // Reference: the same number of rows, bare multi-row inserts of a two-column table, in
    // the same batches and chunks, through the same backend.
    let (reference, _) = Db::open(location, None, Schema::Migrate).wait().unwrap();
    reference
        .run(Mode::Write, async |tx| {
            tx.execute(
                "CREATE TABLE bench_reference (id TEXT PRIMARY KEY, hash TEXT NOT NULL)",
                &[],
            )
            .await
        })
        .wait()
        .unwrap();
    let started = Instant::now();
    for (_, _, batch) in &batches {
        reference
            .run(Mode::Write, async |tx| {
                for chunk in batch::chunks(batch) {
                    let values: Vec<_> = chunk
                        .iter()
                        .flat_map(|entry| [entry.id.to_string().into(), entry.hash.to_hex().into()])
                        .collect();
                    tx.execute(
                        &format!(
                            "INSERT INTO bench_reference (id, hash) VALUES {}",
                            batch::tuples(chunk.len(), &["{}", "{}"])
                        ),
                        &values,
                    )
                    .await?;
                }
                Ok(())
            })
            .wait()
            .unwrap();
    }
    let reference_rate = total as f64 / started.elapsed().as_secs_f64();
    (ingest_rate, reference_rate)
}

/// The reference cost of settlement's verification: `verify_strict` of one code's signature,
/// calls per second on one core.
fn bare_verify_rate() -> f64 {
    let issuer = generate_key().unwrap();
    let coupon = Coupon {
        kid: Kid::of_public_key(issuer.verifying_key().as_bytes()),
        serial: 1,
        value_cents: 1000,
        issued_on: 2000,
        valid_until: 2400,
        provider: 1,
        scope: Scope::ANY,
        zone: 0,
    };
    let code = guichet_core::code::encode(&coupon, &issuer);
    let signed = guichet_core::code::decode(code.as_bytes()).unwrap();
    let message = signed.signed_message();
    let signature = ed25519_dalek::Signature::from_bytes(&signed.signature);
    let key = issuer.verifying_key();
    const CALLS: u32 = 20_000;
    let started = Instant::now();
    for _ in 0..CALLS {
        assert!(key
            .verify_strict(std::hint::black_box(&message), &signature)
            .is_ok());
    }
    f64::from(CALLS) / started.elapsed().as_secs_f64()
}

struct LoadResult {
    requests: usize,
    errors: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
    rss_kib: u64,
    seconds: f64,
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

struct Kiosk {
    client: reqwest::Client,
    base: String,
    key: SigningKey,
    chain: Chain,
}

impl Kiosk {
    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
    ) -> reqwest::RequestBuilder {
        let nonce = nonce_hex(random_bytes::<16>().unwrap());
        let headers = RequestToSign {
            method: method.as_str(),
            path_and_query: path,
            device_id: &self.chain.device,
            timestamp: Timestamp::now().as_second(),
            nonce: &nonce,
            body: &body,
        }
        .sign(&self.key);
        let mut builder = self.client.request(method, format!("{}{path}", self.base));
        for (name, value) in headers.to_pairs() {
            builder = builder.header(name, value);
        }
        builder.body(body)
    }
}

async fn timed(
    latencies: &mut Vec<Duration>,
    errors: &mut usize,
    request: reqwest::RequestBuilder,
    ok: &[u16],
) -> Option<reqwest::Response> {
    let started = Instant::now();
    let response = request.send().await;
    latencies.push(started.elapsed());
    match response {
        Ok(r) if ok.contains(&r.status().as_u16()) => Some(r),
        _ => {
            *errors += 1;
            None
        }
    }
}

/// 500 kiosks against the real server binary on `database`.
fn load(dir: &Path, database: Option<String>, paced: bool) -> LoadResult {
    let paths = Paths::new(dir, database.clone());
    admin::init(&paths).wait().unwrap();
    let (store, root) = admin::open(&paths).wait().unwrap();
    let minter = seed(
        &store,
        &root,
        (KIOSKS * ROUNDS * LOAD_BATCH / 10) as u32 + 1,
    );
    let codes: Vec<String> = (0..KIOSKS)
        .map(|_| {
            let now = Timestamp::now();
            store
                .create_enroll_code("B1", now + jiff::SignedDuration::from_hours(1), now)
                .wait()
                .unwrap()
        })
        .collect();
    drop(store);
    let mut command = Command::new(env!("CARGO_BIN_EXE_guichet-platform"));
    command.arg("--data-dir").arg(dir);
    if let Some(database) = &database {
        command.args(["--database", database]);
    }
    let mut child = command
        .args(["serve", "--listen", "127.0.0.1:0"])
        // 500 kiosks enroll from one address within a second.
        .args(["--enroll-attempts-per-minute", "100000"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    let pid = child.id();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let result = runtime.block_on(async {
        // Enroll every kiosk first (not timed).
        let mut kiosks = Vec::new();
        for code in codes {
            let client = reqwest::Client::new();
            let key = generate_key().unwrap();
            // As a kiosk does: the sync key from the enrollment bundle, the code sealed to it.
            let offered: EnrollBundle = client
                .get(format!("{base}{}", paths::ENROLL_BUNDLE))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let payload = EnrollPayload {
                code,
                device_public_key: public_key_hex(&key.verifying_key()),
                label: None,
                nonce: nonce_hex(random_bytes().unwrap()),
            };
            let sync_key = parse_public_key(&offered.sync_key).unwrap();
            let sealed = seal(&payload, &sync_key, random_bytes().unwrap());
            let enrolled: EnrollResponse = client
                .post(format!("{base}{}", paths::ENROLL))
                .json(&sealed)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            kiosks.push(Kiosk {
                client,
                base: base.clone(),
                key: key.clone(),
                chain: Chain {
                    key,
                    device: enrolled.device_id,
                    center: enrolled.center.id,
                    head: ChainHash::GENESIS,
                    minter: minter.clone(),
                },
            });
        }
        let start = Arc::new(tokio::sync::Barrier::new(KIOSKS));
        let started = Instant::now();
        let tasks: Vec<_> = kiosks
            .into_iter()
            .enumerate()
            .map(|(k, mut kiosk)| {
                let start = start.clone();
                tokio::spawn(async move {
                    start.wait().await;
                    let (mut latencies, mut errors, mut cursor) = (Vec::new(), 0, 0u64);
                    for round in 0..ROUNDS {
                        if paced {
                            // Kiosks sync on their own schedule: a random pause of 0–2 s
                            // before each round (first sync spread over 2 s).
                            let jitter = u16::from_le_bytes(random_bytes::<2>().unwrap()) % 2000;
                            tokio::time::sleep(Duration::from_millis(jitter.into())).await;
                        }
                        timed(
                            &mut latencies,
                            &mut errors,
                            kiosk.request(reqwest::Method::GET, "/v1/bundle?have=1", vec![]),
                            &[304],
                        )
                        .await;
                        let entries: Vec<_> = (0..LOAD_BATCH)
                            .map(|i| {
                                kiosk
                                    .chain
                                    .next((1 + (k * ROUNDS + round) * LOAD_BATCH + i) as u64)
                            })
                            .collect();
                        let body = serde_json::to_vec(&PushRequest { entries }).unwrap();
                        timed(
                            &mut latencies,
                            &mut errors,
                            kiosk.request(reqwest::Method::POST, paths::REDEMPTIONS, body),
                            &[200],
                        )
                        .await;
                        let path = format!("/v1/redemptions/states?since={cursor}");
                        if let Some(response) = timed(
                            &mut latencies,
                            &mut errors,
                            kiosk.request(reqwest::Method::GET, &path, vec![]),
                            &[200],
                        )
                        .await
                        {
                            if let Ok(states) = response.json::<StatesResponse>().await {
                                cursor = states.cursor;
                            }
                        }
                    }
                    (latencies, errors)
                })
            })
            .collect();
        let mut latencies = Vec::new();
        let mut errors = 0;
        for task in tasks {
            let (l, e) = task.await.unwrap();
            latencies.extend(l);
            errors += e;
        }
        let seconds = started.elapsed().as_secs_f64();
        latencies.sort();
        let at =
            |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
        LoadResult {
            requests: latencies.len(),
            errors,
            p50: at(0.50),
            p99: at(0.99),
            max: *latencies.last().unwrap(),
            rss_kib: rss_kib(pid),
            seconds,
        }
    });
    let _ = child.kill();
    let _ = child.wait();
    result
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    println!(
        "Platform benchmarks (guichet-platform), {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    let verifies = bare_verify_rate();
    println!("| ingest with verification, {} redemptions, batches of {} | redemptions/s | reference: bare insert of the same rows, rows/s | reference: bare Ed25519 verify_strict of one code, per s (one core) |", INGEST_DEVICES * INGEST_PER_DEVICE, INGEST_BATCH);
    println!("|---|---:|---:|---:|");
    let dir = tempfile::tempdir().unwrap();
    let (rate, reference) = ingest(dir.path().join("ingest.db").to_str().unwrap());
    println!("| SQLite | {rate:.0} | {reference:.0} | {verifies:.0} |");
    let cluster = pg::PgCluster::shared();
    if let Some(cluster) = &cluster {
        let (rate, reference) = ingest(&cluster.new_database());
        println!("| PostgreSQL | {rate:.0} | {reference:.0} | {verifies:.0} |");
    }
    println!();
    println!("| load: {KIOSKS} concurrent kiosks × {ROUNDS} rounds (bundle 304, push {LOAD_BATCH}, states) | requests | errors | p50 ms | p99 ms | max ms | server RSS MiB | wall s |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let row = |name: &str, r: LoadResult| {
        println!(
            "| {name} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.2} |",
            r.requests,
            r.errors,
            r.p50.as_secs_f64() * 1e3,
            r.p99.as_secs_f64() * 1e3,
            r.max.as_secs_f64() * 1e3,
            r.rss_kib as f64 / 1024.0,
            r.seconds
        )
    };
    // burst: every kiosk starts each round at once; paced: a random 0–2 s pause before each
    // round, as kiosks syncing on their own schedule.
    for paced in [false, true] {
        let mode = if paced { "paced" } else { "burst" };
        let sqlite_dir = tempfile::tempdir().unwrap();
        row(
            &format!("SQLite, {mode}"),
            load(sqlite_dir.path(), None, paced),
        );
        if let Some(cluster) = &cluster {
            let pg_dir = tempfile::tempdir().unwrap();
            let database = Some(cluster.new_database());
            row(
                &format!("PostgreSQL, {mode}"),
                load(pg_dir.path(), database, paced),
            );
        }
    }
}
