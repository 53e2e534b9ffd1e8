//! The platform's data and rules, written once over [`crate::db::Db`].
//!
//! [`Store`] is cheap to clone and safe to share between tasks; every method runs one
//! transaction (async: the HTTP server awaits it; CPU work such as signature checks runs on
//! the blocking pool).

mod accounts;
pub use accounts::AccountSummary;
mod admin;
mod booklets;
pub use booklets::{BookletDetail, CouponDetail};
mod bundle;
mod center_profile;
mod devices;
mod facts;
mod freshness;
mod health;
pub use health::Health;
mod ingest;
pub use ingest::check_entry_signatures;
mod places;
mod report;
pub use places::{CenterLine, Places};
mod review;
mod settle;
mod statements;
mod versions;

use std::sync::{Arc, Mutex};

use ed25519_dalek::VerifyingKey;
use jiff::Timestamp;

use crate::db::{self, Db, Mode, Value};
use crate::error::Error;
use crate::trust::SignedHistory;

pub use admin::{BookletRecord, IssuerKeyRecord, MintRequest};
pub use devices::{DeviceRecord, DeviceSummary};
pub use report::{EntryLine, MonthReport, ReimbursementLine};
pub use review::{Decision, Redemption, ReviewLine};
pub use statements::StatementSigner;

/// The platform's storage, over either backend.
#[derive(Clone)]
pub struct Store {
    db: Db,
    trust: Arc<Trust>,
}

/// The roots the platform's bundles are checked against, and the bundles checked so far.
#[derive(Default)]
struct Trust {
    roots: Vec<VerifyingKey>,
    /// The history checked so far, and the highest stored sequences looked at, of bundles and
    /// of freshness statements (one that does not verify is looked at once, logged, and never
    /// believed).
    checked: Mutex<(Arc<SignedHistory>, (u64, u64))>,
}

impl Store {
    /// A store over an open database. It believes no issuer key until it is given the
    /// platform's roots ([`Store::trusting`]).
    pub fn new(db: Db) -> Store {
        Store {
            db,
            trust: Arc::default(),
        }
    }

    /// The same store, believing the bundles signed by one of `roots` (read by the caller
    /// from a file the serving account cannot write, never from the database).
    pub fn trusting(self, roots: Vec<VerifyingKey>) -> Store {
        Store {
            db: self.db,
            trust: Arc::new(Trust {
                roots,
                checked: Mutex::default(),
            }),
        }
    }

    /// The published bundles that verify with the platform's roots, up to the latest stored,
    /// and the freshness statements issued about them that verify with their sync keys:
    /// what the platform believes of issuer keys and revocations when it pays.
    pub async fn signed_history(&self) -> Result<Arc<SignedHistory>, Error> {
        let poisoned = |_| Error::Storage("the bundle history lock is poisoned".into());
        let (history, looked_at) = self.trust.checked.lock().map_err(poisoned)?.clone();
        let (bundles, statements) = self
            .run(Mode::Read, async |tx| {
                let bundles: Vec<(i64, String)> = tx
                    .rows(
                        "SELECT sequence, file FROM bundles WHERE sequence > $1 ORDER BY sequence",
                        &[Value::Int(i64::try_from(looked_at.0).unwrap_or(i64::MAX))],
                    )
                    .await?;
                let statements = Store::issued_statements(tx, looked_at.1).await?;
                Ok((bundles, statements))
            })
            .await?;
        if bundles.is_empty() && statements.is_empty() {
            return Ok(history);
        }
        let mut seen = looked_at;
        let mut extended = (*history).clone();
        for (sequence, file) in &bundles {
            let sequence = db::count(*sequence)?;
            seen.0 = sequence;
            if let Err(refused) = extended.push(sequence, file.as_bytes(), &self.trust.roots) {
                tracing::warn!("{refused}; it is not believed");
            }
        }
        for (sequence, bundle_sequence, file) in &statements {
            seen.1 = *sequence;
            if let Err(refused) =
                extended.push_statement(*sequence, *bundle_sequence, file.as_bytes())
            {
                tracing::warn!("freshness statement {sequence}: {refused}; it is not believed");
            }
        }
        let extended = Arc::new(extended);
        let mut checked = self.trust.checked.lock().map_err(poisoned)?;
        if checked.1 < seen {
            *checked = (extended.clone(), seen);
        }
        Ok(extended)
    }

    /// The bundles as [`Store::signed_history`] checks them, but from `anchors`: the cached
    /// history when they are the roots this store trusts (the server's), else checked afresh
    /// (an admin command's store, which trusts no root until told; rare).
    pub(crate) async fn history_from(
        &self,
        anchors: &[VerifyingKey],
    ) -> Result<Arc<SignedHistory>, Error> {
        if anchors == self.trust.roots.as_slice() {
            return self.signed_history().await;
        }
        Store::new(self.db.clone())
            .trusting(anchors.to_vec())
            .signed_history()
            .await
    }

    /// Opens the database at `location` (see [`db::open`]); refuses one whose schema is not
    /// this program's ([`db::Schema::Current`]).
    pub async fn open(location: &str) -> Result<Store, Error> {
        let (store, _) = Store::open_with(location, None, db::Schema::Current).await?;
        Ok(store)
    }

    /// Opens the database at `location` after applying the migrations it lacks
    /// ([`db::Schema::Migrate`]): `guichet-platform migrate` and `init`.
    pub async fn migrate(location: &str) -> Result<(Store, db::Migrated), Error> {
        Store::open_with(location, None, db::Schema::Migrate).await
    }

    /// Opens the database at `location` with `password` (PostgreSQL) and `schema`.
    pub async fn open_with(
        location: &str,
        password: Option<&db::pg_tls::Password>,
        schema: db::Schema,
    ) -> Result<(Store, db::Migrated), Error> {
        let (db, migrated) = Db::open(location, password, schema).await?;
        Ok((Store::new(db), migrated))
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        self.db.backend().name()
    }

    /// How many migrations the database has, and how many this program knows.
    pub async fn schema_versions(&self) -> Result<(i64, i64), Error> {
        self.db.schema_versions().await
    }

    /// Runs `work` in one transaction of `mode` (see [`Db::run`]).
    async fn run<R>(
        &self,
        mode: Mode,
        work: impl AsyncFnOnce(&mut db::Tx) -> Result<R, Error>,
    ) -> Result<R, Error> {
        self.db.run(mode, work).await
    }

    /// Closes the database's connections (before a process exits, or a test drops a server).
    pub async fn close(&self) {
        self.db.close().await;
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
