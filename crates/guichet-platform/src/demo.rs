//! An embedded demo platform for `make run`: a demo center, provider, issuer key, the example
//! referential, minted demo booklets (a PDF), a published bundle and a fresh enrollment code,
//! served on a random loopback port in the current tokio runtime.
//!
//! ```no_run
//! # async fn run() -> Result<(), guichet_platform::Error> {
//! let demo = guichet_platform::demo::start(std::path::Path::new("/tmp/guichet-demo")).await?;
//! println!("platform {} — code {} — booklets {}", demo.url, demo.enroll_code, demo.pdf_path.display());
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};

use guichet_core::bundle::document::Referential;
use guichet_core::Scope;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

use crate::admin::{self, Paths};
use crate::clock::paris_day;
use crate::error::{io, Error};
use crate::server::{self, Platform, RunningServer};
use crate::store::{MintRequest, Store};

/// The demo center's id.
pub const DEMO_CENTER: &str = "DEMO-1";
const DEMO_PROVIDER: u32 = 1;
const DEMO_ZONE: u32 = 33;
const EXAMPLE_REFERENTIAL: &str =
    include_str!("../../../fixtures/referential/example-referential.json");

/// A running demo platform; the server stops when this is dropped.
pub struct DemoPlatform {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// A fresh one-time enrollment code for the demo center (valid 24 hours).
    pub enroll_code: String,
    /// The printable PDF of the demo booklets.
    pub pdf_path: PathBuf,
    /// The current trust bundle file (also served to kiosks).
    pub bundle_path: PathBuf,
    /// The platform root public key (64 hex digits) kiosks pin.
    pub root_public_key: String,
    /// Its fingerprint, handed with the enrollment code (`guichet enroll --fingerprint`).
    pub root_fingerprint: String,
    /// The PN1 codes of the demo coupons, booklet by booklet.
    pub codes: Vec<String>,
    /// The demo center's id.
    pub center_id: String,
    /// The server (stopped on drop).
    pub server: RunningServer,
}

async fn seed(
    paths: &Paths,
    store: &Store,
    root: &ed25519_dalek::SigningKey,
    dir: &Path,
    now: Timestamp,
) -> Result<Vec<String>, Error> {
    store
        .add_provider(DEMO_PROVIDER, "Prescripteur de démonstration")
        .await?;
    store.add_zone(DEMO_ZONE, "Zone de démonstration").await?;
    store
        .add_center(DEMO_CENTER, "Lieu de médiation (démo)", DEMO_ZONE)
        .await?;
    admin::add_issuer_key(paths, store, DEMO_PROVIDER, now, None).await?;
    let referential: Referential = serde_json::from_str(EXAMPLE_REFERENTIAL)
        .map_err(|e| Error::Invalid(format!("example referential: {e}")))?;
    store.set_referential(&referential).await?;
    let today = paris_day(now);
    let request = MintRequest {
        booklets: 2,
        coupons_per_booklet: 10,
        value_cents: 1000,
        issued_on: today,
        valid_until: Date::new(today.year(), 12, 31).map_err(|e| Error::Invalid(e.to_string()))?,
        provider: DEMO_PROVIDER,
        scope: Scope::ANY,
        zone: 0,
    };
    let minted = crate::mint::mint(
        store,
        &request,
        "Prescripteur de démonstration",
        &dir.join("print"),
        |kid| paths.signer().issuer_key(kid),
        now,
        None,
    )
    .await?;
    std::fs::copy(&minted.pdf, dir.join("demo-booklets.pdf"))
        .map_err(io("cannot copy the demo PDF"))?;
    let codes: Vec<String> = minted.coupons.into_iter().map(|c| c.code).collect();
    std::fs::write(dir.join("demo-codes.txt"), codes.join("\n") + "\n")
        .map_err(io("cannot write the demo codes"))?;
    admin::publish(store, root, 30, None, now, None).await?;
    Ok(codes)
}

/// Prepares (first time) or reopens the demo platform in `dir`, then serves it on
/// 127.0.0.1 with a random port. Must be called within a tokio runtime.
pub async fn start(dir: &Path) -> Result<DemoPlatform, Error> {
    let paths = Paths::new(dir, None);
    admin::init(&paths).await?;
    let (store, root) = admin::open(&paths).await?;
    let now = Timestamp::now();
    let pdf_path = dir.join("demo-booklets.pdf");
    let codes = if pdf_path.exists() {
        let text = std::fs::read_to_string(dir.join("demo-codes.txt")).unwrap_or_default();
        text.lines().map(str::to_owned).collect()
    } else {
        seed(&paths, &store, &root, dir, now).await?
    };
    let bundle_path = dir.join("bundle.json");
    let (_, bundle) = store
        .latest_bundle()
        .await?
        .ok_or_else(|| Error::Storage("the demo platform has no bundle".into()))?;
    std::fs::write(&bundle_path, bundle).map_err(io("cannot write the demo bundle"))?;
    let enroll_code = store
        .create_enroll_code(DEMO_CENTER, now + SignedDuration::from_hours(24), now)
        .await?;
    store.close().await;
    let platform: Platform = admin::platform(&paths).await?;
    let root_public_key = platform.root_keys[0].clone();
    let root_fingerprint = guichet_protocol::signing::parse_public_key(&root_public_key)
        .map(|key| guichet_protocol::fingerprint::root_fingerprint(&[key]))
        .map_err(|e| Error::Storage(format!("the demo root key: {e}")))?;
    let server = server::start(platform, "127.0.0.1:0")
        .await
        .map_err(|e| Error::Io(format!("cannot listen on 127.0.0.1: {e}")))?;
    Ok(DemoPlatform {
        url: server.url(),
        enroll_code,
        pdf_path,
        bundle_path,
        root_public_key,
        root_fingerprint,
        codes,
        center_id: DEMO_CENTER.to_owned(),
        server,
    })
}
