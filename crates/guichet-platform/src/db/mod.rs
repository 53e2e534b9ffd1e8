//! The storage backends: SQL transactions over SQLite or PostgreSQL.
//!
//! The platform's logic ([`crate::store`]) is written once, against [`Database`] and [`Tx`];
//! each backend runs the same SQL (a subset both dialects share: `$1` parameters, 64-bit
//! integers and text only, `ON CONFLICT`, `RETURNING`) and maps values to and from [`Value`].

pub mod batch;
pub mod pg_tls;
pub mod postgres;
pub mod sqlite;

use crate::error::Error;

/// A SQL value: the only types the platform's tables use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// NULL.
    Null,
    /// A 64-bit integer.
    Int(i64),
    /// Text.
    Text(String),
}

impl From<i64> for Value {
    fn from(value: i64) -> Value {
        Value::Int(value)
    }
}

impl From<u32> for Value {
    fn from(value: u32) -> Value {
        Value::Int(i64::from(value))
    }
}

impl From<String> for Value {
    fn from(value: String) -> Value {
        Value::Text(value)
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Value {
        Value::Text(value.to_owned())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Value {
        value.map_or(Value::Null, Into::into)
    }
}

/// One result row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row(pub Vec<Value>);

impl Row {
    /// Column `i` as an integer (an error if it is NULL or text).
    pub fn int(&self, i: usize) -> Result<i64, Error> {
        match self.0.get(i) {
            Some(Value::Int(value)) => Ok(*value),
            other => Err(Error::Storage(format!(
                "column {i}: expected an integer, got {other:?}"
            ))),
        }
    }

    /// Column `i` as text (an error if it is NULL or an integer).
    pub fn text(&self, i: usize) -> Result<String, Error> {
        match self.0.get(i) {
            Some(Value::Text(value)) => Ok(value.clone()),
            other => Err(Error::Storage(format!(
                "column {i}: expected text, got {other:?}"
            ))),
        }
    }

    /// Column `i` as text, or None if NULL.
    pub fn opt_text(&self, i: usize) -> Result<Option<String>, Error> {
        match self.0.get(i) {
            Some(Value::Null) => Ok(None),
            _ => self.text(i).map(Some),
        }
    }

    /// Column `i` as an integer, or None if NULL.
    pub fn opt_int(&self, i: usize) -> Result<Option<i64>, Error> {
        match self.0.get(i) {
            Some(Value::Null) => Ok(None),
            _ => self.int(i).map(Some),
        }
    }
}

/// An open transaction.
pub trait Tx {
    /// Runs a statement; the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, Error>;
    /// Runs a query; all its rows.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, Error>;
    /// Takes the named locks until the transaction ends, waiting for any other transaction
    /// (of any server sharing the database) that holds one of them. The names of one call are
    /// taken in a fixed order, so two calls never wait for each other in a cycle; callers take
    /// their locks in a fixed order of kinds too (see `store::ingest`). A no-op where write
    /// transactions already run one at a time (SQLite).
    fn lock(&mut self, names: &[String]) -> Result<(), Error>;
    /// `count` numbers of the database's order of receipt (`entries.received_order`), each
    /// larger than every number a transaction committed before this one took them: taken
    /// after a coupon's lock, they order that coupon's redemptions as the database received
    /// them, whatever the clocks of the platform processes say.
    fn next_orders(&mut self, count: usize) -> Result<Vec<i64>, Error>;
}

impl dyn Tx + '_ {
    /// The first row of a query, if any.
    pub fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, Error> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// The single row of a query (an error if none).
    pub fn query_one(&mut self, sql: &str, params: &[Value]) -> Result<Row, Error> {
        self.query_opt(sql, params)?
            .ok_or_else(|| Error::Storage(format!("no row for {sql}")))
    }
}

/// What a transaction may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Reads only.
    Read,
    /// Reads and writes.
    Write,
    /// Each statement is its own transaction, for work that is one write statement (on
    /// PostgreSQL this saves the `BEGIN` and `COMMIT` round trips).
    Autocommit,
}

/// A storage backend.
pub trait Database: Send + Sync {
    /// Runs `work` in one transaction: committed if it returns Ok, rolled back otherwise.
    fn transaction(
        &self,
        mode: Mode,
        work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), Error>,
    ) -> Result<(), Error>;

    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;

    /// How many migrations the database has, and how many this program knows.
    fn schema_versions(&self) -> Result<(i64, i64), Error>;
}

/// Runs `work` in a transaction of `db` and returns its result.
pub fn run<R>(
    db: &dyn Database,
    mode: Mode,
    work: impl FnOnce(&mut dyn Tx) -> Result<R, Error>,
) -> Result<R, Error> {
    let mut work = Some(work);
    let mut result = None;
    db.transaction(mode, &mut |tx| {
        let work = work
            .take()
            .ok_or_else(|| Error::Storage("a transaction ran its work twice".into()))?;
        result = Some(work(tx)?);
        Ok(())
    })?;
    result.ok_or_else(|| Error::Storage("a transaction ended without a result".into()))
}

/// What opening a database does about its schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schema {
    /// Apply the migrations the database lacks (`guichet-platform migrate`, `init`), one
    /// process at a time: under PostgreSQL's advisory lock, or SQLite's write lock.
    Migrate,
    /// Refuse a database whose schema is behind this program's (or ahead of it): migrations
    /// run only when an operator asks for them, after a backup.
    Current,
}

/// The schema versions a database was found at and left at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Migrated {
    /// How many migrations the database had.
    pub from: i64,
    /// How many it has now (all this program knows).
    pub to: i64,
}

/// Opens a database from its location: `postgres://…` or `postgresql://…` for PostgreSQL
/// (with `password` if it asks for one), anything else is a SQLite file path (with or without
/// a `sqlite:` prefix).
pub fn open(
    location: &str,
    password: Option<&pg_tls::Password>,
    schema: Schema,
) -> Result<(Box<dyn Database>, Migrated), Error> {
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        let (db, migrated) = postgres::PostgresDb::open(location, password, schema)?;
        Ok((Box::new(db), migrated))
    } else {
        let path = location.strip_prefix("sqlite:").unwrap_or(location);
        let (db, migrated) = sqlite::SqliteDb::open(std::path::Path::new(path), schema)?;
        Ok((Box::new(db), migrated))
    }
}

/// The check of [`Schema::Current`] (and, for both, of a database newer than this program):
/// `found` migrations in the database, `known` in this program.
fn check_version(found: i64, known: i64, schema: Schema) -> Result<(), Error> {
    if found > known {
        return Err(Error::Storage(format!(
            "the database has schema version {found}; this program knows up to {known}: \
             run the newer guichet-platform that migrated it"
        )));
    }
    if schema == Schema::Current && found == 0 {
        return Err(Error::Storage(
            "the database is empty (schema version 0): run `guichet-platform init` for a new \
             platform"
                .into(),
        ));
    }
    if schema == Schema::Current && found < known {
        return Err(Error::Storage(format!(
            "the database has schema version {found}; this program needs {known}: back it up, \
             then run `guichet-platform migrate` (migrations run only when asked)"
        )));
    }
    Ok(())
}
