//! The PostgreSQL backend (a national deployment: several servers share one database).
//!
//! A small pool of synchronous clients, each with its own cache of prepared statements
//! (`postgres` has no statement cache of its own, and the pools built on it do not keep one
//! per connection). Exclusive transactions take a transaction-scoped advisory lock, so ingest
//! is serialised across every server sharing the database.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex};

use postgres::types::{ToSql, Type};
use postgres::{Client, IsolationLevel, NoTls, Statement};

use super::{Database, Mode, Row, Tx, Value};
use crate::error::Error;

const MIGRATION: &str = include_str!("../../../../schema/platform-migrations/postgres-0001.sql");
const SCHEMA_VERSION: i64 = 1;
/// The advisory lock key of exclusive transactions ("GUICHET" on a phone keypad).
const INGEST_LOCK: i64 = 4_842_438;
const MAX_CONNECTIONS: usize = 32;

fn storage(e: postgres::Error) -> Error {
    Error::Storage(e.to_string())
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
    url: String,
    pool: Mutex<Pool>,
    freed: Condvar,
}

impl PostgresDb {
    /// Connects and applies the migrations if the database has none.
    pub fn open(url: &str) -> Result<PostgresDb, Error> {
        let mut client = Client::connect(url, NoTls)
            .map_err(|e| Error::Storage(format!("cannot connect to PostgreSQL: {e}")))?;
        let mut tx = client.transaction().map_err(storage)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&INGEST_LOCK])
            .map_err(storage)?;
        let exists: bool = tx
            .query_one("SELECT to_regclass('platform_schema') IS NOT NULL", &[])
            .map_err(storage)?
            .get(0);
        if exists {
            let version: i64 = tx
                .query_one("SELECT max(version) FROM platform_schema", &[])
                .map_err(storage)?
                .get(0);
            if version != SCHEMA_VERSION {
                return Err(Error::Storage(format!(
                    "the database has schema version {version}; this platform knows {SCHEMA_VERSION}"
                )));
            }
        } else {
            tx.batch_execute(MIGRATION).map_err(storage)?;
        }
        tx.commit().map_err(storage)?;
        Ok(PostgresDb {
            url: url.to_owned(),
            pool: Mutex::new(Pool {
                idle: vec![Connection {
                    client,
                    statements: HashMap::new(),
                }],
                open: 1,
            }),
            freed: Condvar::new(),
        })
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
                return match Client::connect(&self.url, NoTls) {
                    Ok(client) => Ok(Connection {
                        client,
                        statements: HashMap::new(),
                    }),
                    Err(e) => {
                        self.forget_one()?;
                        Err(Error::Storage(format!("cannot connect to PostgreSQL: {e}")))
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

struct PgTx<'a, 'c> {
    tx: &'a mut postgres::Transaction<'c>,
    statements: &'a mut HashMap<String, Statement>,
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

impl PgTx<'_, '_> {
    fn statement(&mut self, sql: &str) -> Result<Statement, Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.tx.prepare(sql).map_err(storage)?;
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

impl Tx for PgTx<'_, '_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, Error> {
        let (statement, bound) = self.bound(sql, params)?;
        let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| b.as_ref()).collect();
        self.tx.execute(&statement, &refs).map_err(storage)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, Error> {
        let (statement, bound) = self.bound(sql, params)?;
        let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| b.as_ref()).collect();
        let rows = self.tx.query(&statement, &refs).map_err(storage)?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| read_value(row, i))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Row)
            })
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
            let mut tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::ReadCommitted)
                .read_only(mode == Mode::Read)
                .start()
                .map_err(storage)?;
            if mode == Mode::Exclusive {
                tx.execute("SELECT pg_advisory_xact_lock($1)", &[&INGEST_LOCK])
                    .map_err(storage)?;
            }
            work(&mut PgTx {
                tx: &mut tx,
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
}
