//! The kiosk's ledger: every accepted coupon recorded durably, exactly once.
//!
//! One SQLite file (bundled SQLite, WAL, `synchronous=FULL`), its schema the plain SQL files
//! of `schema/migrations/`, its format and rules in `schema/ledger.md`:
//! - [`Ledger::commit_checkout`] records a learner's [`Basket`] all or nothing; an active
//!   redemption of the same coupon, even one committed a moment ago by another process, makes
//!   it fail with [`CheckoutError::AlreadyRedeemed`];
//! - cancellations are compensating entries ([`Ledger::cancel_redemption`],
//!   [`Ledger::cancel_checkout`]); nothing is updated or deleted in the permanent ledger;
//! - every entry is hash-chained ([`Ledger::verify_chain`]) and, once the kiosk lends its
//!   device key ([`Ledger::set_entry_signer`]), signed as the protocol carries it
//!   ([`to_wire`], [`Ledger::check_entry_signatures`]);
//! - the outbox tracks each entry's sync state apart ([`Ledger::outbox_batch`],
//!   [`Ledger::record_sync_results`]);
//! - [`Ledger::review`] answers the day review; [`export::render`] writes it out;
//! - the clock guard ([`ClockStatus`]) notices a clock that went backwards;
//! - [`Ledger::highest_bundle_sequence`] keeps the highest trust-bundle sequence accepted, so
//!   that an older bundle stays refused even after `bundle.json` is deleted;
//! - [`Ledger::pin`] and [`Ledger::record_pin_failure`] keep the manager's and admin's PIN
//!   hashes and the wrong attempts against them, so that neither goes with `kiosk.json`;
//! - [`Ledger`] implements the core's [`guichet_core::RedemptionLookup`].
//!
//! Callers pass the current time in; the ledger reads no clock of its own.

mod bundle_floor;
mod cancel;
mod chain;
mod checkout;
mod clock;
mod entry;
mod error;
pub mod export;
mod ledger;
mod lookup;
mod migrations;
mod outbox;
mod pins;
mod report;
mod signatures;
mod store;
mod time;
mod wire;

pub use cancel::{CancelError, Cancellation, Canceller};
pub use chain::{ChainBreak, ChainReport, CrossCheck, Mismatch};
pub use checkout::{
    Basket, BasketCoupon, CheckoutError, NoLongerValid, Receipt, RecordedRedemption, Station,
    TxLookup, Workshop,
};
pub use clock::{ClockStatus, TOLERANCE as CLOCK_TOLERANCE};
pub use entry::{
    CancellationFields, ChainedEntry, Entry, EntryBody, InputMethod, RedemptionFields, Role,
    GENESIS_HASH,
};
pub use error::LedgerError;
pub use ledger::{ChainHead, EntrySigner, Ledger, LedgerSettings};
pub use migrations::latest_version as schema_version;
pub use outbox::{SyncCounts, SyncResult, SyncState};
pub use pins::{PinFailures, PinRecord, PinRole};
pub use report::{CancelledBy, Filters, Review, ReviewLine, Summary, Tally};
pub use signatures::SignatureReport;
pub use wire::to_wire;

/// The ledger file's name inside the kiosk's data directory.
pub const LEDGER_FILE: &str = "ledger.sqlite3";
