//! The platform's data and rules, written once over [`crate::db::Database`].
//!
//! [`Store`] is cheap to clone and safe to share between threads; every method runs one
//! transaction and blocks (the HTTP server calls it from `spawn_blocking`).

mod admin;
mod bundle;
mod devices;
mod facts;
mod ingest;
pub use ingest::check_entry_signatures;
mod report;
mod review;
mod settle;
mod versions;

use std::sync::Arc;

use jiff::Timestamp;

use crate::db::{self, Database, Mode, Tx};
use crate::error::Error;

pub use admin::{BookletRecord, IssuerKeyRecord, MintRequest};
pub use devices::{DeviceRecord, DeviceSummary};
pub use report::{EntryLine, MonthReport, ReimbursementLine};
pub use review::{Decision, ReviewLine};

/// The platform's storage, over either backend.
#[derive(Clone)]
pub struct Store {
    db: Arc<dyn Database>,
}

impl Store {
    /// A store over an open database.
    pub fn new(db: Box<dyn Database>) -> Store {
        Store { db: db.into() }
    }

    /// Opens the database at `location` (see [`db::open`]).
    pub fn open(location: &str) -> Result<Store, Error> {
        Ok(Store::new(db::open(location)?))
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        self.db.backend()
    }

    fn run<R>(
        &self,
        mode: Mode,
        work: impl FnOnce(&mut dyn Tx) -> Result<R, Error>,
    ) -> Result<R, Error> {
        db::run(self.db.as_ref(), mode, work)
    }
}

/// The text form of an instant stored in the database.
fn stamp(at: Timestamp) -> String {
    at.to_string()
}

/// A serial as stored: its 64 bits as a signed integer (the tables have no unsigned type).
fn serial_to_db(serial: u64) -> i64 {
    i64::from_ne_bytes(serial.to_ne_bytes())
}

/// The serial a stored integer holds.
fn serial_from_db(stored: i64) -> u64 {
    u64::from_ne_bytes(stored.to_ne_bytes())
}

fn invalid(message: impl Into<String>) -> Error {
    Error::Invalid(message.into())
}
