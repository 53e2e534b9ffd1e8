//! Test helpers: a platform with data on either backend, served on a random loopback port,
//! and a minimal signed kiosk client (reqwest + guichet-protocol).

#![allow(dead_code)]

pub mod pg;

use std::sync::Arc;

use ed25519_dalek::SigningKey;
use guichet_core::bundle::document::Referential;
use guichet_core::{Area, Kid, Scope};
use guichet_platform::keys::generate_key;
use guichet_platform::server::{self, Platform, RunningServer};
use guichet_platform::store::MintRequest;
use guichet_platform::Store;
use guichet_protocol::signing::{nonce_hex, public_key_hex, RequestToSign};
use guichet_protocol::{
    paths, CenterInfo, ChainHash, EnrollRequest, EnrollResponse, EntryEvent, InputMethod,
    LedgerEntry, PushRequest, RedemptionEvent,
};
use jiff::civil::date;
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use uuid::Uuid;

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
    pub kid: Kid,
    pub server: RunningServer,
    pub client: reqwest::Client,
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
pub fn fresh_store(
    backend: Backend,
    dir: &std::path::Path,
) -> Option<(Store, Option<Arc<pg::PgCluster>>)> {
    match backend {
        Backend::Sqlite => {
            let path = dir.join("platform.db");
            Some((Store::open(path.to_str().unwrap()).unwrap(), None))
        }
        Backend::Postgres => {
            let cluster = pg::PgCluster::shared()?;
            let url = cluster.new_database();
            Some((Store::open(&url).unwrap(), Some(cluster)))
        }
    }
}

/// Providers, centers, a key, a booklet and a bundle in a fresh store.
pub fn seed(store: &Store, root: &SigningKey) -> Kid {
    let now = Timestamp::now();
    store.add_provider(7, "Département test").unwrap();
    store.add_zone(33, "Gironde").unwrap();
    store.add_center("C1", "Médiathèque Nord", 33).unwrap();
    store.add_center("C2", "Centre social Sud", 33).unwrap();
    let kid = store
        .add_issuer_key(7, &generate_key().unwrap(), now)
        .unwrap();
    store.set_referential(&referential()).unwrap();
    store
        .record_mint(
            &MintRequest {
                booklets: 1,
                coupons_per_booklet: 10,
                value_cents: 1000,
                issued_on: date(2026, 1, 1),
                valid_until: date(2026, 12, 31),
                provider: 7,
                scope: Scope::of(&[Area::A2_2]),
                zone: 0,
            },
            now,
        )
        .unwrap();
    publish(store, root);
    kid
}

pub fn publish(store: &Store, root: &SigningKey) -> u64 {
    let now = Timestamp::now();
    store
        .publish_bundle(
            now,
            now + jiff::SignedDuration::from_hours(24 * 30),
            |document| guichet_platform::bundle::seal_checked(document, root),
        )
        .unwrap()
        .0
}

impl TestPlatform {
    /// None (the test then returns early) when PostgreSQL is asked for but not installed.
    pub async fn start(backend: Backend) -> Option<TestPlatform> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_owned();
        let (store, cluster) = blocking(move || fresh_store(backend, &path)).await?;
        let root = generate_key().unwrap();
        let kid = {
            let store = store.clone();
            let root = root.clone();
            tokio::task::spawn_blocking(move || seed(&store, &root))
                .await
                .unwrap()
        };
        let platform = Platform {
            store: store.clone(),
            root_keys: vec![public_key_hex(&root.verifying_key())],
        };
        let server = server::start(platform, "127.0.0.1:0").await.unwrap();
        Some(TestPlatform {
            store,
            root,
            kid,
            server,
            client: reqwest::Client::new(),
            _dir: dir,
            _cluster: cluster,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    /// A fresh one-time code for a center.
    pub async fn enroll_code(&self, center: &str) -> String {
        let store = self.store.clone();
        let center = center.to_owned();
        tokio::task::spawn_blocking(move || {
            let now = Timestamp::now();
            store.create_enroll_code(&center, now + jiff::SignedDuration::from_hours(1), now)
        })
        .await
        .unwrap()
        .unwrap()
    }

    pub async fn post_enroll(&self, code: &str, key: &SigningKey) -> reqwest::Response {
        let request = EnrollRequest {
            code: code.to_owned(),
            device_public_key: public_key_hex(&key.verifying_key()),
            label: Some("test kiosk".into()),
        };
        self.client
            .post(self.url(paths::ENROLL))
            .json(&request)
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
            key,
            device_id: enrolled.device_id,
            center: enrolled.center,
            head: ChainHash::GENESIS,
        }
    }
}

/// A minimal kiosk: signs requests, builds chained entries.
pub struct Kiosk {
    pub client: reqwest::Client,
    pub base: String,
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

    /// The next redemption of this kiosk's chain.
    pub fn redemption(&mut self, kid: Kid, serial: u64, occurred_at: Timestamp) -> LedgerEntry {
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
            event: EntryEvent::Redemption(RedemptionEvent {
                checkout_id: Uuid::now_v7(),
                kid,
                serial,
                value_cents: 1000,
                provider: 7,
                area: Area::A2_2,
                service: "2.2.01".into(),
                input_method: InputMethod::Scanner,
            }),
            prev_hash: self.head,
            hash,
        };
        self.head = hash;
        entry
    }

    /// The next cancellation of this kiosk's chain.
    pub fn cancellation(&mut self, cancels: Uuid) -> LedgerEntry {
        let id = Uuid::now_v7();
        let hash = ChainHash(
            Sha256::new()
                .chain_update(self.head.0)
                .chain_update(id.as_bytes())
                .finalize()
                .into(),
        );
        let now = Timestamp::now();
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
        };
        self.head = hash;
        entry
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
}

/// Runs blocking work (every `Store` call: the PostgreSQL client blocks) off the runtime.
pub async fn blocking<R: Send + 'static>(work: impl FnOnce() -> R + Send + 'static) -> R {
    tokio::task::spawn_blocking(work)
        .await
        .expect("blocking work")
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
