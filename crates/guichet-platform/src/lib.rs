//! Central platform: HTTP server, storage, minting and trust bundle publishing.
//!
//! - [`store`]: the data and its rules (enrollment, ingest with the conflict rule, reports),
//!   over the [`db`] backends (SQLite or PostgreSQL);
//! - [`server`]: the sync API of `schema/sync-api.md` (axum);
//! - [`trust`]: what the platform believes when it pays: root-signed bundles only;
//! - [`mint`]: coupons, their printable PDF and PNG files;
//! - [`admin`]: what the `guichet-platform` subcommands do, [`acting`]: the console account
//!   each of them that changes something acts as;
//! - [`demo`]: an embedded demo platform for `make run`.

pub mod acting;
pub mod admin;
pub mod bundle;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod doctor;
pub mod error;
pub mod mint;
mod parallel;
pub mod proof;
pub mod report;
pub mod server;
pub mod sheet;
pub mod store;
pub mod trust;

pub use error::Error;
pub use store::Store;

/// The key files, from the signer's library (one format for the root, issuer and sync keys).
pub use guichet_signer::keys;
