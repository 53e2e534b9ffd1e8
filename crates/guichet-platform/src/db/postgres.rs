//! The PostgreSQL backend (a national deployment: several servers share one database).
//!
//! A small pool of synchronous clients, each with its own cache of prepared statements
//! (`postgres` has no statement cache of its own, and the pools built on it do not keep one
//! per connection). [`Tx::lock`] takes transaction-scoped advisory locks, so writers that
//! must not interleave wait for each other across every server sharing the database, while
//! the others run side by side. Reads (and [`Mode::Autocommit`]) run without `BEGIN` and
//! `COMMIT`: each statement is its own transaction, which at READ COMMITTED sees exactly what
//! it would see inside one, and saves two round trips.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex};

use postgres::types::{ToSql, Type};
use postgres::{Client, GenericClient, IsolationLevel, Statement};
use sha2::{Digest, Sha256};

use super::{batch, check_version, pg_tls, Database, Migrated, Mode, Row, Schema, Tx, Value};
use crate::error::Error;

/// The migrations, in order: `max(version)` of the table `platform_schema` is how many the
/// database has (each migration records its own number).
const MIGRATIONS: [&str; 7] = [
    include_str!("../../../../schema/platform-migrations/postgres-0001.sql"),
    include_str!("../../../../schema/platform-migrations/postgres-0002.sql"),
    include_str!("../../../../schema/platform-migrations/postgres-0003.sql"),
    include_str!("../../../../schema/platform-migrations/postgres-0004.sql"),
    include_str!("../../../../schema/platform-migrations/postgres-0005.sql"),
    include_str!("../../../../schema/platform-migrations/postgres-0006.sql"),
    include_str!("../../../../schema/platform-migrations/postgres-0007.sql"),
];
/// The advisory lock key of migrations ("GUICHET" on a phone keypad); [`lock_key`]s of named
/// locks are other numbers, but for a 2^-64 chance.
const MIGRATION_LOCK: i64 = 4_842_438;
const MAX_CONNECTIONS: usize = 32;

fn storage(e: postgres::Error) -> Error {
    Error::Storage(describe(&e))
}

/// The client's error with what the server said (its `Display` alone is "db error").
fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{e}: {} ({})", db.message(), db.code().code()),
        None => match std::error::Error::source(e) {
            Some(source) => format!("{e}: {source}"),
            None => e.to_string(),
        },
    }
}

struct Connection {
    client: Client,
    statements: HashMap<String, Statement>,
}

struct Pool {
    idle: Vec<Connection>,
    open: usize,
}

/// A PostgreSQL database.
pub struct PostgresDb {
    /// The URL and TLS connector every connection of the pool uses.
    connection: pg_tls::Connection,
    pool: Mutex<Pool>,
    freed: Condvar,
}

impl PostgresDb {
    /// Connects; applies the migrations the database lacks with [`Schema::Migrate`] (under
    /// an advisory lock, so that instances started together migrate once), refuses a
    /// database behind with [`Schema::Current`].
    pub fn open(
        url: &str,
        password: Option<&pg_tls::Password>,
        schema: Schema,
    ) -> Result<(PostgresDb, Migrated), Error> {
        let connection = pg_tls::connection(url, password)?;
        let mut client = connection.connect().map_err(|e| {
            Error::Storage(format!("cannot connect to PostgreSQL: {}", describe(&e)))
        })?;
        let mut tx = client.transaction().map_err(storage)?;
        if schema == Schema::Migrate {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
                .map_err(storage)?;
        }
        let exists: bool = tx
            .query_one("SELECT to_regclass('platform_schema') IS NOT NULL", &[])
            .map_err(storage)?
            .get(0);
        let from: i64 = if exists {
            tx.query_one("SELECT COALESCE(max(version), 0) FROM platform_schema", &[])
                .map_err(storage)?
                .get(0)
        } else {
            0
        };
        let known = MIGRATIONS.len() as i64;
        check_version(from, known, schema)?;
        for migration in MIGRATIONS.iter().skip(from as usize) {
            tx.batch_execute(migration).map_err(storage)?;
        }
        tx.commit().map_err(storage)?;
        let migrated = Migrated { from, to: known };
        Ok((
            PostgresDb {
                connection,
                pool: Mutex::new(Pool {
                    idle: vec![Connection {
                        client,
                        statements: HashMap::new(),
                    }],
                    open: 1,
                }),
                freed: Condvar::new(),
            },
            migrated,
        ))
    }

    fn checkout(&self) -> Result<Connection, Error> {
        let mut pool = self.pool.lock().map_err(poisoned)?;
        loop {
            if let Some(conn) = pool.idle.pop() {
                return Ok(conn);
            }
            if pool.open < MAX_CONNECTIONS {
                pool.open += 1;
                drop(pool);
                let connection = &self.connection;
                return match connection.connect() {
                    Ok(client) => Ok(Connection {
                        client,
                        statements: HashMap::new(),
                    }),
                    Err(e) => {
                        self.forget_one()?;
                        Err(Error::Storage(format!(
                            "cannot connect to PostgreSQL: {}",
                            describe(&e)
                        )))
                    }
                };
            }
            pool = self.freed.wait(pool).map_err(poisoned)?;
        }
    }

    fn checkin(&self, conn: Connection) -> Result<(), Error> {
        if conn.client.is_closed() {
            return self.forget_one();
        }
        self.pool.lock().map_err(poisoned)?.idle.push(conn);
        self.freed.notify_one();
        Ok(())
    }

    fn forget_one(&self) -> Result<(), Error> {
        self.pool.lock().map_err(poisoned)?.open -= 1;
        self.freed.notify_one();
        Ok(())
    }
}

fn poisoned<T>(_: T) -> Error {
    Error::Storage("the PostgreSQL pool lock is poisoned".into())
}

/// Statements of one transaction (or, for reads, of one checked-out client).
struct PgTx<'a, C: GenericClient> {
    client: &'a mut C,
    statements: &'a mut HashMap<String, Statement>,
}

/// A lock name's advisory lock key: the first 8 bytes of its SHA-256.
fn lock_key(name: &str) -> i64 {
    let digest = Sha256::digest(name.as_bytes());
    let mut key = [0; 8];
    key.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(key)
}

/// A value bound to a parameter of the type PostgreSQL inferred for it.
fn bind(value: &Value, ty: &Type) -> Result<Box<dyn ToSql + Sync>, Error> {
    Ok(match (value, ty) {
        (Value::Int(v), &Type::INT8) => Box::new(*v),
        (Value::Int(v), &Type::INT4) => Box::new(
            i32::try_from(*v).map_err(|_| Error::Storage(format!("{v} does not fit INT4")))?,
        ),
        (Value::Int(v), &Type::BOOL) => Box::new(*v != 0),
        (Value::Text(v), _) => Box::new(v.clone()),
        (Value::Null, &Type::INT8) => Box::new(None::<i64>),
        (Value::Null, &Type::INT4) => Box::new(None::<i32>),
        (Value::Null, _) => Box::new(None::<String>),
        (Value::Int(v), other) => {
            return Err(Error::Storage(format!(
                "cannot bind {v} to a {other} parameter"
            )))
        }
    })
}

fn read_value(row: &postgres::Row, i: usize) -> Result<Value, Error> {
    let ty = row.columns()[i].type_();
    let value = match *ty {
        Type::INT8 => row.try_get::<_, Option<i64>>(i).map(|v| v.map(Value::Int)),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(i)
            .map(|v| v.map(|v| Value::Int(v.into()))),
        Type::INT2 => row
            .try_get::<_, Option<i16>>(i)
            .map(|v| v.map(|v| Value::Int(v.into()))),
        Type::BOOL => row
            .try_get::<_, Option<bool>>(i)
            .map(|v| v.map(|v| Value::Int(v.into()))),
        _ => row
            .try_get::<_, Option<String>>(i)
            .map(|v| v.map(Value::Text)),
    }
    .map_err(storage)?;
    Ok(value.unwrap_or(Value::Null))
}

impl<C: GenericClient> PgTx<'_, C> {
    fn statement(&mut self, sql: &str) -> Result<Statement, Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql).map_err(storage)?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    fn bound(
        &mut self,
        sql: &str,
        params: &[Value],
    ) -> Result<(Statement, Vec<Box<dyn ToSql + Sync>>), Error> {
        let statement = self.statement(sql)?;
        let bound = params
            .iter()
            .zip(statement.params())
            .map(|(value, ty)| bind(value, ty))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((statement, bound))
    }
}

impl<C: GenericClient> Tx for PgTx<'_, C> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, Error> {
        let (statement, bound) = self.bound(sql, params)?;
        let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| b.as_ref()).collect();
        self.client.execute(&statement, &refs).map_err(storage)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, Error> {
        let (statement, bound) = self.bound(sql, params)?;
        let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| b.as_ref()).collect();
        let rows = self.client.query(&statement, &refs).map_err(storage)?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| read_value(row, i))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Row)
            })
            .collect()
    }

    fn lock(&mut self, names: &[String]) -> Result<(), Error> {
        let mut keys: Vec<i64> = names.iter().map(|name| lock_key(name)).collect();
        keys.sort_unstable();
        keys.dedup();
        // One statement a chunk: a VALUES list is scanned in the order written.
        for chunk in batch::chunks(&keys) {
            let params: Vec<Value> = chunk.iter().map(|key| Value::Int(*key)).collect();
            self.execute(
                &format!(
                    "SELECT pg_advisory_xact_lock(l.column1) FROM (VALUES {}) AS l",
                    batch::tuples(chunk.len(), &["CAST({} AS BIGINT)"])
                ),
                &params,
            )?;
        }
        Ok(())
    }

    fn next_orders(&mut self, count: usize) -> Result<Vec<i64>, Error> {
        self.query(
            "SELECT nextval('entry_order') FROM generate_series(1, $1)",
            &[Value::Int(count as i64)],
        )?
        .iter()
        .map(|row| row.int(0))
        .collect()
    }
}

impl Drop for PostgresDb {
    /// A synchronous client closes by blocking on its own runtime, which panics inside an
    /// async context (where the last clone of a store is often dropped): close them on a
    /// plain thread.
    fn drop(&mut self) {
        let pool = self.pool.get_mut().unwrap_or_else(|e| e.into_inner());
        let idle = std::mem::take(&mut pool.idle);
        if let Ok(closer) = std::thread::Builder::new()
            .name("postgres-close".into())
            .spawn(move || drop(idle))
        {
            let _ = closer.join();
        }
    }
}

impl Database for PostgresDb {
    fn transaction(
        &self,
        mode: Mode,
        work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut conn = self.checkout()?;
        let result = (|| {
            let Connection { client, statements } = &mut conn;
            if matches!(mode, Mode::Read | Mode::Autocommit) {
                return work(&mut PgTx { client, statements });
            }
            let mut tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::ReadCommitted)
                .start()
                .map_err(storage)?;
            work(&mut PgTx {
                client: &mut tx,
                statements,
            })?;
            tx.commit().map_err(storage)
        })();
        self.checkin(conn)?;
        result
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn schema_versions(&self) -> Result<(i64, i64), Error> {
        let mut applied = 0;
        self.transaction(Mode::Read, &mut |tx| {
            applied = tx
                .query_one("SELECT MAX(version) FROM platform_schema", &[])?
                .opt_int(0)?
                .unwrap_or(0);
            Ok(())
        })?;
        Ok((applied, MIGRATIONS.len() as i64))
    }
}
