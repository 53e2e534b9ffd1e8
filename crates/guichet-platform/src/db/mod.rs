//! The storage backends: SQL transactions over SQLite or PostgreSQL, through sqlx.
//!
//! The platform's logic ([`crate::store`]) is written once, against [`Db`] and [`Tx`]. Both
//! backends run the same SQL through sqlx's `Any` driver (a subset both dialects share: `$1`
//! parameters, 64-bit integers and text only, `ON CONFLICT`, `RETURNING`); rows come back as
//! typed structs (`#[derive(sqlx::FromRow)]`, read by column name) or single typed values.
//! sqlx owns the pools, the statement caches and the migrations; this module adds only what
//! the platform needs on top: one writer at a time on SQLite, named locks across servers on
//! PostgreSQL, and the database's order of receipt.

pub mod batch;
mod connect;
mod migrations;
pub mod pg_tls;

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Arguments, AssertSqlSafe, FromRow, Transaction};

use crate::error::Error;

pub use migrations::{Migrated, Schema};

/// A SQL parameter: the only types the platform's tables use. A NULL carries the type of its
/// column, which PostgreSQL checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A 64-bit integer.
    Int(i64),
    /// Text.
    Text(String),
    /// NULL in an integer column.
    NullInt,
    /// NULL in a text column.
    NullText,
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

impl From<Option<i64>> for Value {
    fn from(value: Option<i64>) -> Value {
        value.map_or(Value::NullInt, Value::Int)
    }
}

impl From<Option<u32>> for Value {
    fn from(value: Option<u32>) -> Value {
        value.map_or(Value::NullInt, Value::from)
    }
}

impl From<Option<String>> for Value {
    fn from(value: Option<String>) -> Value {
        value.map_or(Value::NullText, Value::Text)
    }
}

impl From<Option<&str>> for Value {
    fn from(value: Option<&str>) -> Value {
        value.map_or(Value::NullText, Value::from)
    }
}

/// Which database a [`Db`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// One SQLite file: the embedded default, one server.
    Sqlite,
    /// PostgreSQL: a national deployment, several servers on one database.
    Postgres,
}

impl Backend {
    /// `"sqlite"` or `"postgres"`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
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
    /// One write whose loss at a power cut harms nothing, committed without waiting for the
    /// disk: a request's nonce (a request replayed after a crash is answered as the first
    /// time: reads read, pushes are idempotent by entry id). SQLite commits it with
    /// `synchronous = NORMAL` (the next durable commit flushes it too), PostgreSQL with
    /// `synchronous_commit = off`; no commit of money waits for the disk less than before.
    Unsynced,
}

/// An open database: sqlx pools over one backend.
#[derive(Clone, Debug)]
pub struct Db {
    backend: Backend,
    /// Every connection on PostgreSQL; the readers on SQLite.
    pool: AnyPool,
    /// SQLite's single writer (one connection, so write transactions queue in the pool
    /// instead of failing with `SQLITE_BUSY`); the same pool as `pool` on PostgreSQL.
    writer: AnyPool,
}

/// sqlx's error as the platform's, with what the database said.
pub(crate) fn storage(e: sqlx::Error) -> Error {
    let detail = match e.as_database_error() {
        Some(db) => match db.code() {
            Some(code) => format!("{e} ({code})"),
            None => e.to_string(),
        },
        None => e.to_string(),
    };
    Error::Storage(detail)
}

impl Db {
    /// Opens a database from its location: `postgres://…` or `postgresql://…` for PostgreSQL
    /// (with `password` if it asks for one), anything else is a SQLite file path (with or
    /// without a `sqlite:` prefix).
    pub async fn open(
        location: &str,
        password: Option<&pg_tls::Password>,
        schema: Schema,
    ) -> Result<(Db, Migrated), Error> {
        let db = connect::open(location, password).await?;
        let migrated = migrations::apply(&db, schema).await?;
        Ok((db, migrated))
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// How many migrations the database has, and how many this program knows.
    pub async fn schema_versions(&self) -> Result<(i64, i64), Error> {
        migrations::versions(self).await
    }

    /// Opens a transaction of `mode`; it commits only by [`Tx::commit`] and rolls back when
    /// dropped.
    pub async fn begin(&self, mode: Mode) -> Result<Tx, Error> {
        let conn = match (self.backend, mode) {
            (Backend::Sqlite, Mode::Read) => Conn::Tx(self.pool.begin().await.map_err(storage)?),
            (Backend::Sqlite, Mode::Write) => Conn::Tx(
                self.writer
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(storage)?,
            ),
            (Backend::Sqlite, Mode::Autocommit | Mode::Unsynced) => {
                Conn::Plain(self.writer.acquire().await.map_err(storage)?)
            }
            (Backend::Postgres, Mode::Write | Mode::Unsynced) => {
                Conn::Tx(self.pool.begin().await.map_err(storage)?)
            }
            // Each statement is its own transaction: at READ COMMITTED it sees exactly what it
            // would see inside one, and saves two round trips.
            (Backend::Postgres, Mode::Read | Mode::Autocommit) => {
                Conn::Plain(self.pool.acquire().await.map_err(storage)?)
            }
        };
        Ok(Tx {
            conn,
            backend: self.backend,
        })
    }

    /// Runs `work` in one transaction of `mode`: committed if it returns Ok, rolled back
    /// otherwise.
    pub async fn run<R>(
        &self,
        mode: Mode,
        work: impl AsyncFnOnce(&mut Tx) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let mut tx = self.begin(mode).await?;
        if mode != Mode::Unsynced {
            let result = work(&mut tx).await?;
            tx.commit().await?;
            return Ok(result);
        }
        match self.backend {
            Backend::Postgres => {
                tx.execute("SET LOCAL synchronous_commit = off", &[])
                    .await?;
                let result = work(&mut tx).await?;
                tx.commit().await?;
                Ok(result)
            }
            Backend::Sqlite => {
                tx.execute("PRAGMA synchronous = NORMAL", &[]).await?;
                let result = work(&mut tx).await;
                // Durable again before the single writer serves anything else; a connection
                // that cannot be set back is closed, never returned to the pool.
                if let Err(error) = tx.execute("PRAGMA synchronous = FULL", &[]).await {
                    tx.close_on_drop();
                    return Err(error);
                }
                result
            }
        }
    }

    /// Closes the pools (their connections end cleanly).
    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }
}

enum Conn {
    Tx(Transaction<'static, Any>),
    Plain(PoolConnection<Any>),
}

/// An open transaction (or, for [`Mode::Autocommit`] and PostgreSQL reads, a connection whose
/// statements are each their own).
pub struct Tx {
    conn: Conn,
    backend: Backend,
}

/// The SQL a backend runs. On SQLite, a statement whose parameters are `$1`, `$2`, … `$n` in
/// order, each once (every multi-row statement of [`batch`]), gets anonymous `?` instead:
/// sqlx-sqlite looks up each numbered parameter's name with `sqlite3_bind_parameter_name`,
/// which scans SQLite's list of names, so binding the thousands of parameters of a 256-row
/// chunk took time quadratic in their number (17 % of an ingest's CPU before this).
fn for_backend(sql: &str, backend: Backend) -> std::borrow::Cow<'_, str> {
    if backend != Backend::Sqlite || !sql.contains('$') {
        return sql.into();
    }
    let mut out = String::with_capacity(sql.len());
    let mut expected = 1u64;
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let digits = rest[at + 1..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        if rest[at + 1..at + 1 + digits].parse::<u64>().ok() != Some(expected) {
            return sql.into();
        }
        out.push('?');
        expected += 1;
        rest = &rest[at + 1 + digits..];
    }
    out.push_str(rest);
    out.into()
}

fn arguments(params: &[Value]) -> Result<AnyArguments, Error> {
    let mut arguments = AnyArguments::default();
    for value in params {
        match value {
            Value::Int(v) => arguments.add(*v),
            Value::Text(v) => arguments.add(v.clone()),
            Value::NullInt => arguments.add(None::<i64>),
            Value::NullText => arguments.add(None::<String>),
        }
        .map_err(|e| Error::Storage(format!("cannot bind {value:?}: {e}")))?;
    }
    Ok(arguments)
}

impl Tx {
    fn conn(&mut self) -> &mut AnyConnection {
        match &mut self.conn {
            Conn::Tx(tx) => tx,
            Conn::Plain(conn) => conn,
        }
    }

    /// Which backend runs it.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the connection when this is dropped instead of returning it to the pool.
    fn close_on_drop(&mut self) {
        match &mut self.conn {
            Conn::Tx(_) => {}
            Conn::Plain(conn) => conn.close_on_drop(),
        }
    }

    /// Commits (a no-op for a connection without a transaction).
    pub async fn commit(self) -> Result<(), Error> {
        match self.conn {
            Conn::Tx(tx) => tx.commit().await.map_err(storage),
            Conn::Plain(_) => Ok(()),
        }
    }

    /// Runs a statement; the number of rows it changed.
    pub async fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, Error> {
        let sql = for_backend(sql, self.backend);
        let query = sqlx::query_with(AssertSqlSafe(&*sql), arguments(params)?);
        let done = query.execute(self.conn()).await.map_err(storage)?;
        Ok(done.rows_affected())
    }

    /// Runs a query; all its rows, each read by column name into a `T`.
    pub async fn rows<T>(&mut self, sql: &str, params: &[Value]) -> Result<Vec<T>, Error>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        let sql = for_backend(sql, self.backend);
        sqlx::query_as_with(AssertSqlSafe(&*sql), arguments(params)?)
            .fetch_all(self.conn())
            .await
            .map_err(storage)
    }

    /// The first row of a query, if any.
    pub async fn row<T>(&mut self, sql: &str, params: &[Value]) -> Result<Option<T>, Error>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        let sql = for_backend(sql, self.backend);
        sqlx::query_as_with(AssertSqlSafe(&*sql), arguments(params)?)
            .fetch_optional(self.conn())
            .await
            .map_err(storage)
    }

    /// The single row of a query (an error if none).
    pub async fn one<T>(&mut self, sql: &str, params: &[Value]) -> Result<T, Error>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        self.row(sql, params)
            .await?
            .ok_or_else(|| Error::Storage(format!("no row for {sql}")))
    }

    /// The first column of each row of a query.
    pub async fn values<T>(&mut self, sql: &str, params: &[Value]) -> Result<Vec<T>, Error>
    where
        T: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + Send + Unpin,
    {
        let sql = for_backend(sql, self.backend);
        sqlx::query_scalar_with(AssertSqlSafe(&*sql), arguments(params)?)
            .fetch_all(self.conn())
            .await
            .map_err(storage)
    }

    /// The first column of the first row of a query, if any.
    pub async fn value<T>(&mut self, sql: &str, params: &[Value]) -> Result<Option<T>, Error>
    where
        T: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + Send + Unpin,
    {
        let sql = for_backend(sql, self.backend);
        sqlx::query_scalar_with(AssertSqlSafe(&*sql), arguments(params)?)
            .fetch_optional(self.conn())
            .await
            .map_err(storage)
    }

    /// Whether a query gives at least one row.
    pub async fn exists(&mut self, sql: &str, params: &[Value]) -> Result<bool, Error> {
        Ok(self.value::<i64>(sql, params).await?.is_some())
    }

    /// Takes the named locks until the transaction ends, waiting for any other transaction
    /// (of any server sharing the database) that holds one of them. The names of one call are
    /// taken in a fixed order, so two calls never wait for each other in a cycle; callers take
    /// their locks in a fixed order of kinds too (see `store::ingest`). A no-op where write
    /// transactions already run one at a time (SQLite).
    pub async fn lock(&mut self, names: &[String]) -> Result<(), Error> {
        if self.backend == Backend::Sqlite {
            return Ok(());
        }
        let mut keys: Vec<i64> = names.iter().map(|name| lock_key(name)).collect();
        keys.sort_unstable();
        keys.dedup();
        for chunk in batch::chunks(&keys) {
            let params: Vec<Value> = chunk.iter().map(|key| Value::Int(*key)).collect();
            self.execute(
                &format!(
                    "SELECT pg_advisory_xact_lock(l.column1) FROM (VALUES {}) AS l",
                    batch::tuples(chunk.len(), &["CAST({} AS BIGINT)"])
                ),
                &params,
            )
            .await?;
        }
        Ok(())
    }

    /// `count` numbers of the database's order of receipt (`entries.received_order`), each
    /// larger than every number a transaction committed before this one took them: taken
    /// after a coupon's lock, they order that coupon's redemptions as the database received
    /// them, whatever the clocks of the platform processes say.
    pub async fn next_orders(&mut self, count: usize) -> Result<Vec<i64>, Error> {
        let count = i64::try_from(count)
            .map_err(|_| Error::Storage(format!("{count} numbers of receipt")))?;
        match self.backend {
            Backend::Postgres => {
                self.values(
                    "SELECT nextval('entry_order') FROM generate_series(1, $1)",
                    &[Value::Int(count)],
                )
                .await
            }
            Backend::Sqlite => {
                let last: i64 = self
                    .value(
                        "UPDATE entry_order SET value = value + $1 RETURNING value",
                        &[Value::Int(count)],
                    )
                    .await?
                    .ok_or_else(|| Error::Storage("the entry_order counter is missing".into()))?;
                Ok((last - count + 1..=last).collect())
            }
        }
    }
}

/// The advisory lock key of a named lock: the first 8 bytes of its SHA-256.
fn lock_key(name: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(name.as_bytes());
    let mut key = [0; 8];
    key.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(key)
}

/// A stored integer as an unsigned count (an error, not a wrap, if the database holds a
/// negative number).
pub fn count(stored: i64) -> Result<u64, Error> {
    u64::try_from(stored).map_err(|_| Error::Storage(format!("a negative count {stored}")))
}

/// A stored integer as a `u32` (cents, provider, zone…): an error, not a truncation, if it
/// does not fit.
pub fn small(stored: i64) -> Result<u32, Error> {
    u32::try_from(stored).map_err(|_| Error::Storage(format!("{stored} does not fit 32 bits")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_gets_anonymous_parameters_only_when_they_are_in_order_once() {
        let sqlite = |sql| for_backend(sql, Backend::Sqlite).into_owned();
        assert_eq!(sqlite("VALUES ($1, $2), ($3, $4)"), "VALUES (?, ?), (?, ?)");
        assert_eq!(sqlite("SELECT 1"), "SELECT 1");
        // Reused or out of order: kept numbered (bound by name).
        assert_eq!(
            sqlite("SET a = $1 WHERE a <> $1"),
            "SET a = $1 WHERE a <> $1"
        );
        assert_eq!(sqlite("VALUES ($2, $1)"), "VALUES ($2, $1)");
        assert_eq!(
            for_backend("VALUES ($1, $2)", Backend::Postgres),
            "VALUES ($1, $2)"
        );
    }
}
