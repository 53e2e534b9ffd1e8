//! Test helpers: a platform with data on either backend, served on a random loopback port,
//! and a minimal signed kiosk client (reqwest + guichet-protocol).

#![allow(dead_code)]

pub mod pg;

use std::sync::Arc;

use ed25519_dalek::SigningKey;
use guichet_core::bundle::document::Referential;
use guichet_core::code::{self, Coupon};
use guichet_core::{Area, Kid, Scope};
use guichet_platform::keys::generate_key;
use guichet_platform::server::{self, Platform, RunningServer};
use guichet_platform::store::MintRequest;
use guichet_platform::Store;
use guichet_protocol::seal::{seal, EnrollPayload};
use guichet_protocol::signing::{nonce_hex, public_key_hex, RequestToSign};
use guichet_protocol::{
    paths, CenterInfo, ChainHash, EnrollBundle, EnrollResponse, EntryEvent, InputMethod,
    LedgerEntry, PushRequest, RedemptionEvent,
};
use jiff::civil::Date;
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The console account the tests' admin commands act as (`GUICHET_ACCOUNT`), made by
/// [`create_first_admin`].
pub const ADMIN: &str = "admin";

/// Makes the first admin account, [`ADMIN`], with `command` (the platform binary with its
/// location options, if any): a platform's admin commands act as an account.
pub fn create_first_admin(command: &mut std::process::Command) {
    use std::io::Write;
    let mut child = command
        .args(["account", "create", "--role", "admin", "--name", ADMIN])
        .env_remove("GUICHET_ACCOUNT")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"a test admin's password\n").unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "account create: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Which backend a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A platform with two centers, a provider with an issuer key, one minted booklet of 10
/// (serials 1..=10), a published bundle, served on 127.0.0.1.
pub struct TestPlatform {
    pub store: Store,
    pub root: SigningKey,
    /// The server's sync key (its answers are signed with it).
    pub answer_key: SigningKey,
    pub kid: Kid,
    /// Signs codes as the minted booklet's coupons (TEST ONLY: the platform's issuer key).
    pub minter: Minter,
    pub server: RunningServer,
    pub client: reqwest::Client,
    /// The database (a SQLite path or a PostgreSQL URL), for more servers on it.
    pub location: String,
    _dir: tempfile::TempDir,
    _cluster: Option<Arc<pg::PgCluster>>,
}

pub fn referential() -> Referential {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/referential/example-referential.json"
    ))
    .expect("the example referential");
    serde_json::from_str(&text).expect("a referential")
}

/// Opens a fresh store; None when PostgreSQL is asked for but not installed.
pub async fn fresh_store(
    backend: Backend,
    dir: &std::path::Path,
) -> Option<(Store, Option<Arc<pg::PgCluster>>)> {
    let (location, cluster) = fresh_location(backend, dir)?;
    Some((Store::migrate(&location).await.unwrap().0, cluster))
}

/// Where a fresh database is (a SQLite path in `dir`, or a new PostgreSQL database); None
/// when PostgreSQL is asked for but not installed.
pub fn fresh_location(
    backend: Backend,
    dir: &std::path::Path,
) -> Option<(String, Option<Arc<pg::PgCluster>>)> {
    match backend {
        Backend::Sqlite => Some((dir.join("platform.db").display().to_string(), None)),
        Backend::Postgres => {
            let cluster = pg::PgCluster::shared()?;
            Some((cluster.new_database(), Some(cluster)))
        }
    }
}

/// What the seeded booklet's coupons say, and the key that signs them: codes as a printer
/// would print them, for any serial.
#[derive(Clone)]
pub struct Minter {
    pub issuer: SigningKey,
    pub coupon: Coupon,
}

impl Minter {
    /// The PN1 code of `serial` (of the seeded booklet's kind).
    pub fn code(&self, serial: u64) -> String {
        code::encode(
            &Coupon {
                serial,
                ..self.coupon
            },
            &self.issuer,
        )
    }

    /// The code of a coupon changed by `change`, signed by `issuer`.
    pub fn code_with(&self, issuer: &SigningKey, change: impl FnOnce(&mut Coupon)) -> String {
        let mut coupon = self.coupon;
        change(&mut coupon);
        code::encode(&coupon, issuer)
    }
}

/// The seeded booklet's issue day (30 days ago) and last day (in a year): the tests do not
/// expire with the calendar.
pub fn booklet_days() -> (Date, Date) {
    let today = guichet_platform::clock::paris_day(Timestamp::now());
    (
        today.checked_sub(jiff::Span::new().days(30)).unwrap(),
        today.checked_add(jiff::Span::new().days(365)).unwrap(),
    )
}

/// Providers, centers, a key, a booklet and a bundle in a fresh store.
pub async fn seed(store: &Store, root: &SigningKey) -> Kid {
    seed_minter(store, root).await.coupon.kid
}

/// [`seed`], answering how to sign the booklet's codes.
pub async fn seed_minter(store: &Store, root: &SigningKey) -> Minter {
    let now = Timestamp::now();
    let (issued_on, valid_until) = booklet_days();
    store.add_provider(7, "Département test").await.unwrap();
    store.add_zone(33, "Gironde").await.unwrap();
    store
        .add_center("C1", "Médiathèque Nord", 33)
        .await
        .unwrap();
    store
        .add_center("C2", "Centre social Sud", 33)
        .await
        .unwrap();
    // TEST ONLY: the test keeps the issuer key the signer would keep.
    let issuer = generate_key().unwrap();
    let kid = store
        .add_issuer_key(7, &issuer.verifying_key(), now)
        .await
        .unwrap();
    store.set_referential(&referential()).await.unwrap();
    store
        .record_mint(
            &MintRequest {
                booklets: 1,
                coupons_per_booklet: 10,
                value_cents: 1000,
                issued_on,
                valid_until,
                provider: 7,
                scope: Scope::of(&[Area::A2_2]),
                zone: 0,
            },
            now,
        )
        .await
        .unwrap();
    publish(store, root).await;
    let day = |date| guichet_core::day::to_day(date).unwrap();
    Minter {
        issuer,
        coupon: Coupon {
            kid,
            serial: 1,
            value_cents: 1000,
            issued_on: day(issued_on),
            valid_until: day(valid_until),
            provider: 7,
            scope: Scope::of(&[Area::A2_2]),
            zone: 0,
        },
    }
}

pub async fn publish(store: &Store, root: &SigningKey) -> u64 {
    let now = Timestamp::now();
    store
        .publish_bundle(
            now,
            now + jiff::SignedDuration::from_hours(24 * 30),
            |document| guichet_platform::bundle::seal_checked(document, root),
        )
        .await
        .unwrap()
        .0
}

impl TestPlatform {
    /// What signs the statements of a closed month: this platform's sync key and root.
    pub fn signer(&self) -> guichet_platform::store::StatementSigner {
        guichet_platform::store::StatementSigner {
            key: self.answer_key.clone(),
            roots: vec![self.root.verifying_key()],
        }
    }

    /// None (the test then returns early) when PostgreSQL is asked for but not installed.
    pub async fn start(backend: Backend) -> Option<TestPlatform> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_owned();
        let (location, cluster) = fresh_location(backend, &path)?;
        let opened = location.clone();
        let store = Store::migrate(&opened).await.unwrap().0;
        let root = generate_key().unwrap();
        // The platform believes the bundles of this root only (read from its configuration in
        // production, never from the database).
        let store = store.trusting(vec![root.verifying_key()]);
        let answer_key = generate_key().unwrap();
        let minter = {
            let store = store.clone();
            let root = root.clone();
            let public = answer_key.verifying_key();
            {
                store.add_sync_key(&public).await.unwrap();
                seed_minter(&store, &root).await
            }
        };
        let kid = minter.coupon.kid;
        let platform = Platform {
            store: store.clone(),
            root_keys: vec![public_key_hex(&root.verifying_key())],
            answer_key: answer_key.clone(),
        };
        let server = server::start(platform, "127.0.0.1:0").await.unwrap();
        Some(TestPlatform {
            store,
            root,
            answer_key,
            kid,
            minter,
            server,
            client: reqwest::Client::new(),
            location,
            _dir: dir,
            _cluster: cluster,
        })
    }

    /// Another platform process on the same database: the real `guichet-platform serve`, with
    /// a data directory of its own holding this platform's root public key and sync key.
    pub fn another_process(&self) -> ServeProcess {
        self.another_process_with(&mut std::process::Command::new(env!(
            "CARGO_BIN_EXE_guichet-platform"
        )))
    }

    /// Another platform process whose clock is `days` days on: `guichet-platform serve` with
    /// libfaketime preloaded (Debian package `libfaketime`; preloaded rather than through the
    /// `faketime` wrapper, which would stand between this test and the process it must stop).
    /// `None` when the library is missing and `GUICHET_ALLOW_SKIP=1`; a failure otherwise.
    pub fn another_process_days_on(&self, days: u32) -> Option<ServeProcess> {
        const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";
        if !std::path::Path::new(LIBFAKETIME).exists() {
            assert!(
                std::env::var("GUICHET_ALLOW_SKIP").as_deref() == Ok("1"),
                "{LIBFAKETIME} is missing (apt install libfaketime, or `make setup`)"
            );
            eprintln!("skipped: {LIBFAKETIME} is missing and GUICHET_ALLOW_SKIP=1");
            return None;
        }
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_guichet-platform"));
        command
            .env("LD_PRELOAD", LIBFAKETIME)
            .env("FAKETIME", format!("+{days}d"))
            // Timers and pools keep the real monotonic clock.
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
        Some(self.another_process_with(&mut command))
    }

    /// `command` (the platform's program, possibly behind a wrapper) serving this platform's
    /// database from a data directory of its own.
    fn another_process_with(&self, command: &mut std::process::Command) -> ServeProcess {
        use std::io::BufRead;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("platform-root-public-key.txt"),
            public_key_hex(&self.root.verifying_key()),
        )
        .unwrap();
        guichet_platform::keys::write_root_key(
            &dir.path().join("platform-sync-key.json"),
            &self.answer_key,
        )
        .unwrap();
        let child = command
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--database")
            .arg(&self.location)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("GUICHET_LOG", "error")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Owned before its address is read: a failure below still kills it.
        let mut process = ServeProcess {
            child,
            url: String::new(),
            _dir: dir,
        };
        let mut line = String::new();
        std::io::BufReader::new(process.child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        process.url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .to_owned();
        process
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    /// A fresh one-time code for a center.
    pub async fn enroll_code(&self, center: &str) -> String {
        let store = self.store.clone();
        let center = center.to_owned();
        {
            let now = Timestamp::now();
            store
                .create_enroll_code(&center, now + jiff::SignedDuration::from_hours(1), now)
                .await
        }
        .unwrap()
    }

    /// Enrolls `key` with `code`, sealed to the platform's sync key (`guichet_protocol::seal`).
    pub async fn post_enroll(&self, code: &str, key: &SigningKey) -> reqwest::Response {
        let payload = EnrollPayload {
            code: code.to_owned(),
            device_public_key: public_key_hex(&key.verifying_key()),
            label: Some("test kiosk".into()),
            nonce: random_nonce(),
        };
        let sealed = seal(
            &payload,
            &self.answer_key.verifying_key(),
            guichet_platform::keys::random_bytes::<32>().unwrap(),
        );
        self.client
            .post(self.url(paths::ENROLL))
            .json(&sealed)
            .send()
            .await
            .unwrap()
    }

    /// Enrolls a new kiosk at a center.
    pub async fn kiosk(&self, center: &str) -> Kiosk {
        let key = generate_key().unwrap();
        let code = self.enroll_code(center).await;
        let response = self.post_enroll(&code, &key).await;
        assert_eq!(response.status(), 201);
        let enrolled: EnrollResponse = response.json().await.unwrap();
        Kiosk {
            client: self.client.clone(),
            base: self.server.url(),
            minter: self.minter.clone(),
            key,
            device_id: enrolled.device_id,
            center: enrolled.center,
            head: ChainHash::GENESIS,
        }
    }
}

/// Enrolls `key` with `code` at the platform at `base` as a kiosk does: gets the roots, the
/// bundle and the sync key (`GET /v1/enroll/bundle`), seals the code to that key, and checks
/// the answer's signature. Returns what was offered and the answer.
pub async fn enroll_over_http(
    client: &reqwest::Client,
    base: &str,
    code: &str,
    key: &SigningKey,
) -> (EnrollBundle, EnrollResponse) {
    let offered: EnrollBundle = client
        .get(format!("{base}{}", paths::ENROLL_BUNDLE))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sync_key = guichet_protocol::signing::parse_public_key(&offered.sync_key).unwrap();
    let device_key = public_key_hex(&key.verifying_key());
    let nonce = random_nonce();
    let payload = EnrollPayload {
        code: code.to_owned(),
        device_public_key: device_key.clone(),
        label: None,
        nonce: nonce.clone(),
    };
    let sealed = seal(
        &payload,
        &sync_key,
        guichet_platform::keys::random_bytes::<32>().unwrap(),
    );
    let response = client
        .post(format!("{base}{}", paths::ENROLL))
        .json(&sealed)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let headers = guichet_protocol::answer::AnswerHeaders::from_headers(|name| {
        response.headers().get(name).and_then(|v| v.to_str().ok())
    })
    .unwrap();
    let body = response.bytes().await.unwrap();
    guichet_protocol::answer::AnswerToSign {
        method: "POST",
        path_and_query: paths::ENROLL,
        device_id: &device_key,
        nonce: &nonce,
        status: 201,
        time_ms: headers.time_ms,
        body: &body,
    }
    .verify(&headers, &[sync_key])
    .expect("an enrollment answer signed by the sync key");
    (offered, serde_json::from_slice(&body).unwrap())
}

/// A `guichet-platform serve` process, killed when dropped.
pub struct ServeProcess {
    child: std::process::Child,
    /// Its `http://127.0.0.1:PORT`.
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal kiosk: signs requests, builds chained entries.
pub struct Kiosk {
    pub client: reqwest::Client,
    pub base: String,
    pub minter: Minter,
    pub key: SigningKey,
    pub device_id: String,
    pub center: CenterInfo,
    pub head: ChainHash,
}

pub fn random_nonce() -> String {
    nonce_hex(guichet_platform::keys::random_bytes::<16>().unwrap())
}

impl Kiosk {
    /// A request signed at `timestamp` with `nonce`, by `key`.
    pub fn signed_with(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
        timestamp: i64,
        nonce: &str,
        key: &SigningKey,
    ) -> reqwest::RequestBuilder {
        let headers = RequestToSign {
            method: method.as_str(),
            path_and_query: path,
            device_id: &self.device_id,
            timestamp,
            nonce,
            body: &body,
        }
        .sign(key);
        let mut builder = self.client.request(method, format!("{}{path}", self.base));
        for (name, value) in headers.to_pairs() {
            builder = builder.header(name, value);
        }
        if !body.is_empty() {
            builder = builder
                .header("content-type", "application/json")
                .body(body);
        }
        builder
    }

    pub fn signed(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
    ) -> reqwest::RequestBuilder {
        self.signed_with(
            method,
            path,
            body,
            Timestamp::now().as_second(),
            &random_nonce(),
            &self.key,
        )
    }

    /// The next redemption of this kiosk's chain: coupon `serial` of key `kid`, its code
    /// signed as the seeded booklet's (so a serial outside the booklet is a signed code of a
    /// coupon never minted).
    pub fn redemption(&mut self, kid: Kid, serial: u64, occurred_at: Timestamp) -> LedgerEntry {
        let code = self
            .minter
            .code_with(&self.minter.issuer.clone(), |coupon| {
                coupon.kid = kid;
                coupon.serial = serial;
            });
        self.redemption_of(&code, occurred_at, |_| {})
    }

    /// The next redemption of this kiosk's chain, of `code` as read, with the entry's fields
    /// copied from the code (as an honest kiosk does), then changed by `change`.
    pub fn redemption_of(
        &mut self,
        code: &str,
        occurred_at: Timestamp,
        change: impl FnOnce(&mut RedemptionEvent),
    ) -> LedgerEntry {
        let coupon = code::decode(code.as_bytes())
            .map(|signed| signed.coupon)
            .unwrap_or(self.minter.coupon);
        let mut event = RedemptionEvent {
            checkout_id: Uuid::now_v7(),
            kid: coupon.kid,
            serial: coupon.serial,
            value_cents: coupon.value_cents,
            provider: coupon.provider,
            area: Area::A2_2,
            service: "2.2.01".into(),
            input_method: InputMethod::Scanner,
            code: Some(code.to_owned()),
        };
        change(&mut event);
        self.entry(EntryEvent::Redemption(event), occurred_at)
    }

    /// The next entry of this kiosk's chain.
    pub fn entry(&mut self, event: EntryEvent, occurred_at: Timestamp) -> LedgerEntry {
        let id = Uuid::now_v7();
        let hash = ChainHash(
            Sha256::new()
                .chain_update(self.head.0)
                .chain_update(id.as_bytes())
                .finalize()
                .into(),
        );
        let entry = LedgerEntry {
            id,
            occurred_at,
            local_day: guichet_platform::clock::paris_day(occurred_at),
            center: self.center.id.clone(),
            device: self.device_id.clone(),
            actor: "Awa".into(),
            event,
            prev_hash: self.head,
            hash,
            signature: None,
        };
        self.head = hash;
        self.signed_entry(entry)
    }

    /// `entry` with this kiosk's signature, as a kiosk records it.
    pub fn signed_entry(&self, mut entry: LedgerEntry) -> LedgerEntry {
        entry.signature = None;
        entry.signature = Some(guichet_protocol::entry_signature::sign(&entry, &self.key));
        entry
    }

    /// The next cancellation of this kiosk's chain, made now.
    pub fn cancellation(&mut self, cancels: Uuid) -> LedgerEntry {
        self.cancellation_at(cancels, Timestamp::now())
    }

    /// The next cancellation of this kiosk's chain, made at `now`.
    pub fn cancellation_at(&mut self, cancels: Uuid, now: Timestamp) -> LedgerEntry {
        let id = Uuid::now_v7();
        let hash = ChainHash(
            Sha256::new()
                .chain_update(self.head.0)
                .chain_update(id.as_bytes())
                .finalize()
                .into(),
        );
        let entry = LedgerEntry {
            id,
            occurred_at: now,
            local_day: guichet_platform::clock::paris_day(now),
            center: self.center.id.clone(),
            device: self.device_id.clone(),
            actor: "Chef".into(),
            event: EntryEvent::Cancellation(guichet_protocol::CancellationEvent {
                cancels,
                actor_role: guichet_protocol::ActorRole::Manager,
                reason: "erreur".into(),
            }),
            prev_hash: self.head,
            hash,
            signature: None,
        };
        self.head = hash;
        self.signed_entry(entry)
    }

    pub async fn push(&self, entries: &[LedgerEntry]) -> reqwest::Response {
        let body = serde_json::to_vec(&PushRequest {
            entries: entries.to_vec(),
        })
        .unwrap();
        self.try_push_body(body).await.unwrap()
    }

    /// Pushes, returning a transport error instead of panicking.
    pub async fn try_push(&self, entries: &[LedgerEntry]) -> reqwest::Result<reqwest::Response> {
        let body = serde_json::to_vec(&PushRequest {
            entries: entries.to_vec(),
        })
        .unwrap();
        self.try_push_body(body).await
    }

    async fn try_push_body(&self, body: Vec<u8>) -> reqwest::Result<reqwest::Response> {
        self.signed(reqwest::Method::POST, paths::REDEMPTIONS, body)
            .send()
            .await
    }

    /// Pushes with the request signed at `at` (a kiosk whose clock says `at`).
    pub async fn push_at(&self, entries: &[LedgerEntry], at: Timestamp) -> reqwest::Response {
        let body = serde_json::to_vec(&PushRequest {
            entries: entries.to_vec(),
        })
        .unwrap();
        self.signed_with(
            reqwest::Method::POST,
            paths::REDEMPTIONS,
            body,
            at.as_second(),
            &random_nonce(),
            &self.key,
        )
        .send()
        .await
        .unwrap()
    }
}

/// Defines each scenario as a test on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Postgres).await;
                }
            )*
        }
    };
}

/// Mints one more booklet of 5 (changed by `change`); answers how to sign its coupons.
pub async fn mint(platform: &TestPlatform, change: impl FnOnce(&mut MintRequest)) -> Minter {
    let store = platform.store.clone();
    let (issued_on, valid_until) = booklet_days();
    let mut request = MintRequest {
        booklets: 1,
        coupons_per_booklet: 5,
        value_cents: 1000,
        issued_on,
        valid_until,
        provider: 7,
        scope: Scope::of(&[Area::A2_2]),
        zone: 0,
    };
    change(&mut request);
    let issuer = platform.minter.issuer.clone();
    {
        store.add_zone(34, "Landes").await.unwrap();
        // The provider's active issuer key signs: the one the scene's minter holds.
        let booklets = store.record_mint(&request, Timestamp::now()).await.unwrap();
        let day = |date| guichet_core::day::to_day(date).unwrap();
        Minter {
            issuer,
            coupon: guichet_core::Coupon {
                kid: booklets[0].kid,
                serial: booklets[0].first_serial,
                value_cents: request.value_cents,
                issued_on: day(request.issued_on),
                valid_until: day(request.valid_until),
                provider: request.provider,
                scope: request.scope,
                zone: request.zone,
            },
        }
    }
}
