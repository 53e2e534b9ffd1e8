//! The kiosk side of the sync protocol (`schema/sync-api.md`).
//!
//! - [`identity`]: the device key (made here, private half in a 0600 file, never sent) and
//!   what enrollment returned (device id, center, pinned root keys);
//! - [`trust`]: the trust bundle in force, kept as the signed file, replaced only by a newer
//!   one signed by a pinned root;
//! - [`client`]: signed HTTP requests to the platform;
//! - [`cycle`]: one sync cycle: pull the bundle, push the ledger's pending entries, pull
//!   state changes;
//! - [`probe`]: one read-only request, for `guichet doctor`;
//! - [`outcome`]: the last cycles' outcome, kept for `guichet doctor`;
//! - [`runner`]: the background loop (interval, "sync now", backoff with jitter) and the
//!   status the counter shows.
//!
//! The ledger (`guichet-ledger`) stays the source of truth: an entry is marked with the
//! platform's answer only after the answer arrived, and the platform is idempotent by entry
//! id, so a cycle cut at any point is simply run again.

pub mod backoff;
pub mod client;
pub mod cycle;
pub mod files;
pub mod identity;
pub mod outcome;
pub mod probe;
pub mod problem;
pub mod runner;
pub mod trust;

pub use backoff::Backoff;
pub use client::{ClientError, PlatformClient};
pub use cycle::{sync_once, CycleError, CycleReport};
pub use identity::{enroll, split_ticket, Identity, IdentityError};
pub use probe::{probe, Probe};
pub use problem::SyncProblem;
pub use runner::{Connection, RunnerSettings, SyncRunner, SyncStatus};
pub use trust::{SetAside, TrustError, TrustStore};
