//! The SQLite backend (default, embedded): one writer connection and a few readers, WAL.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags};

use super::{check_version, Database, Migrated, Mode, Row, Schema, Tx, Value};
use crate::error::Error;

/// The migrations, in order: the database's `PRAGMA user_version` is how many it has.
const MIGRATIONS: [&str; 7] = [
    include_str!("../../../../schema/platform-migrations/sqlite-0001.sql"),
    include_str!("../../../../schema/platform-migrations/sqlite-0002.sql"),
    include_str!("../../../../schema/platform-migrations/sqlite-0003.sql"),
    include_str!("../../../../schema/platform-migrations/sqlite-0004.sql"),
    include_str!("../../../../schema/platform-migrations/sqlite-0005.sql"),
    include_str!("../../../../schema/platform-migrations/sqlite-0006.sql"),
    include_str!("../../../../schema/platform-migrations/sqlite-0007.sql"),
];
const MAX_IDLE_READERS: usize = 8;

fn storage(e: rusqlite::Error) -> Error {
    Error::Storage(e.to_string())
}

/// A SQLite database file.
pub struct SqliteDb {
    path: std::path::PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

fn connect(path: &Path) -> Result<Connection, Error> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
    )
    .map_err(|e| Error::Storage(format!("cannot open {}: {e}", path.display())))?;
    // WAL: readers never wait for the writer. synchronous=FULL: a commit (an accepted
    // redemption the kiosk is told about, an enrollment, a nonce) returns only once its WAL
    // frames are on disk, so a power loss cannot take back what the platform answered.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 10000;",
    )
    .map_err(storage)?;
    conn.set_prepared_statement_cache_capacity(128);
    Ok(conn)
}

impl SqliteDb {
    /// Opens (or creates, mode 0600) the database file; applies the migrations it lacks with
    /// [`Schema::Migrate`], refuses a database behind with [`Schema::Current`].
    pub fn open(path: &Path, schema: Schema) -> Result<(SqliteDb, Migrated), Error> {
        if !path.exists() {
            create_private_file(path)?;
        }
        let writer = connect(path)?;
        let known = MIGRATIONS.len() as i64;
        let from = user_version(&writer)?;
        check_version(from, known, schema)?;
        if schema == Schema::Migrate {
            // One migration per write transaction, its version read again under the write
            // lock: two processes migrating at once apply each migration once.
            loop {
                writer.execute_batch("BEGIN IMMEDIATE").map_err(storage)?;
                let applied = user_version(&writer)?;
                let Some(migration) = MIGRATIONS.get(applied as usize) else {
                    writer.execute_batch("COMMIT").map_err(storage)?;
                    break;
                };
                let version = applied + 1;
                writer
                    .execute_batch(&format!(
                        "{migration}; PRAGMA user_version = {version}; COMMIT;"
                    ))
                    .map_err(storage)?;
            }
        }
        let db = SqliteDb {
            path: path.to_owned(),
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
        };
        Ok((db, Migrated { from, to: known }))
    }

    fn reader(&self) -> Result<Connection, Error> {
        let idle = self.readers.lock().map_err(poisoned)?.pop();
        match idle {
            Some(conn) => Ok(conn),
            None => connect(&self.path),
        }
    }
}

fn user_version(conn: &Connection) -> Result<i64, Error> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(storage)
}

fn create_private_file(path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
        .map_err(|e| Error::Io(format!("cannot create {}: {e}", path.display())))
}

fn poisoned<T>(_: T) -> Error {
    Error::Storage("a database connection lock is poisoned".into())
}

/// `$1` → `?1`: the SQL is written with PostgreSQL's numbered parameters; SQLite's `?NNN`
/// binds the same index.
fn to_sqlite(sql: &str) -> String {
    sql.replace('$', "?")
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(value) => ToSqlOutput::Borrowed(ValueRef::Integer(*value)),
            Value::Text(value) => ToSqlOutput::Borrowed(ValueRef::Text(value.as_bytes())),
        })
    }
}

struct SqliteTx<'c> {
    conn: &'c Connection,
}

impl Tx for SqliteTx<'_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, Error> {
        let mut statement = self.conn.prepare_cached(&to_sqlite(sql)).map_err(storage)?;
        let changed = statement
            .execute(rusqlite::params_from_iter(params))
            .map_err(storage)?;
        Ok(changed as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, Error> {
        let mut statement = self.conn.prepare_cached(&to_sqlite(sql)).map_err(storage)?;
        let columns = statement.column_count();
        let mut rows = statement
            .query(rusqlite::params_from_iter(params))
            .map_err(storage)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(storage)? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(match row.get_ref(i).map_err(storage)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(value) => Value::Int(value),
                    ValueRef::Real(value) => Value::Int(value as i64),
                    ValueRef::Text(text) | ValueRef::Blob(text) => {
                        Value::Text(String::from_utf8_lossy(text).into_owned())
                    }
                });
            }
            out.push(Row(values));
        }
        Ok(out)
    }

    /// Write transactions already run one at a time, on the one writer connection.
    fn lock(&mut self, _names: &[String]) -> Result<(), Error> {
        Ok(())
    }

    /// One writer at a time: the counter's row is never contended.
    fn next_orders(&mut self, count: usize) -> Result<Vec<i64>, Error> {
        let last = self
            .query(
                "UPDATE entry_order SET value = value + $1 RETURNING value",
                &[Value::Int(count as i64)],
            )?
            .first()
            .ok_or_else(|| Error::Storage("the entry_order counter is missing".into()))?
            .int(0)?;
        Ok((last - count as i64 + 1..=last).collect())
    }
}

fn in_transaction(
    conn: &Connection,
    begin: &str,
    work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), Error>,
) -> Result<(), Error> {
    conn.execute_batch(begin).map_err(storage)?;
    match work(&mut SqliteTx { conn }) {
        Ok(()) => conn.execute_batch("COMMIT").map_err(|e| {
            let _ = conn.execute_batch("ROLLBACK");
            storage(e)
        }),
        Err(e) => {
            conn.execute_batch("ROLLBACK").map_err(storage)?;
            Err(e)
        }
    }
}

impl Database for SqliteDb {
    fn transaction(
        &self,
        mode: Mode,
        work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), Error>,
    ) -> Result<(), Error> {
        match mode {
            Mode::Read => {
                let conn = self.reader()?;
                let result = in_transaction(&conn, "BEGIN", work);
                let mut idle = self.readers.lock().map_err(poisoned)?;
                if result.is_ok() && idle.len() < MAX_IDLE_READERS {
                    idle.push(conn);
                }
                result
            }
            // One writer connection: writes are serialised here, in the process, rather than
            // by SQLite's busy handler (which sleeps).
            Mode::Write => {
                let conn = self.writer.lock().map_err(poisoned)?;
                in_transaction(&conn, "BEGIN IMMEDIATE", work)
            }
            Mode::Autocommit => {
                let conn = self.writer.lock().map_err(poisoned)?;
                work(&mut SqliteTx { conn: &conn })
            }
        }
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn schema_versions(&self) -> Result<(i64, i64), Error> {
        let mut applied = 0;
        self.transaction(Mode::Read, &mut |tx| {
            applied = tx.query_one("PRAGMA user_version", &[])?.int(0)?;
            Ok(())
        })?;
        Ok((applied, MIGRATIONS.len() as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the platform answered must survive a power loss: every connection (the writer,
    /// autocommit, each reader) runs WAL with `synchronous=FULL` (2).
    #[test]
    fn every_connection_is_wal_with_synchronous_full() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("platform.db");
        for _ in 0..2 {
            let (db, _) = SqliteDb::open(&path, Schema::Migrate).unwrap();
            for mode in [Mode::Write, Mode::Autocommit, Mode::Read] {
                let mut seen = Vec::new();
                db.transaction(mode, &mut |tx| {
                    seen.push(tx.query("PRAGMA synchronous", &[])?[0].int(0)?);
                    seen.push(tx.query("PRAGMA foreign_keys", &[])?[0].int(0)?);
                    Ok(())
                })
                .unwrap();
                assert_eq!(seen, [2, 1], "{mode:?}: synchronous FULL, foreign keys on");
            }
            let mut journal = String::new();
            db.transaction(Mode::Read, &mut |tx| {
                journal = tx.query("PRAGMA journal_mode", &[])?[0].text(0)?;
                Ok(())
            })
            .unwrap();
            assert_eq!(journal, "wal");
        }
    }
}
