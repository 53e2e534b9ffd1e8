//! The kiosk's screens as a library: the counter (scans, verdicts, basket, checkout, undo),
//! who may open the restricted screens (PINs, delays, inactivity lock), the status bar, the
//! day review (list, totals, cancellations, CSV and PDF exports) and the
//! administration (enrollment, signed update files, issuer keys, settings).
//!
//! The Tauri shell (`src-tauri`) holds one [`Kiosk`] and translates window calls into its
//! methods and its results into JSON; every rule lives here or in the crates below
//! (`guichet-core` decides verdicts, `guichet-ledger` records, `guichet-sync` trusts and
//! syncs, `guichet-scan` reads codes). Methods take the current time as an argument, so tests
//! can move the clock. The window protocol is `schema/kiosk-ui.md`.

mod access;
pub mod admin;
pub mod autostart;
mod basket_file;
pub mod camera;
pub mod config;
pub mod counter;
mod day_pdf;
pub mod doctor;
pub mod kiosk;
pub mod kiosk_mode;
pub mod ledger_check;
pub mod logs;
mod owner_only;
pub mod pin;
pub mod prefs;
pub mod referential;
pub mod review;
pub mod status;
pub mod text;

pub use admin::{default_update_roots, BundleFacts, IssuerKeyView, UpdateSummary};
pub use counter::{BasketView, CommitResult, LastCheckout, ScanKind, ScanResult, Sound};
pub use guichet_core::message::Lang;
pub use kiosk::{Kiosk, Snapshot, WedgeRuns};
pub use owner_only::owner_only_files;
pub use pin::Role;
pub use prefs::{CameraKind, CameraSetting, ScannerLayout, SerialKind, SerialSetting, Settings};
pub use review::{Exported, ReviewQuery, ReviewView};
pub use status::{CameraStatus, Status};
pub use text::{Problem, Text};
