//! The schema: plain SQL migrations in `schema/platform-migrations/`, one file per version
//! and backend, applied by sqlx's migrator (tracked in `_sqlx_migrations`, each with its
//! checksum, so an edited migration is refused; on PostgreSQL under sqlx's advisory lock, so
//! several servers can run `migrate` together).

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::SqlStr;

use super::{storage, Backend, Db};
use crate::error::Error;

/// What opening a database does about its schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schema {
    /// Apply the migrations the database lacks (`guichet-platform migrate`, `init`), one
    /// process at a time: under PostgreSQL's advisory lock, or SQLite's write lock.
    Migrate,
    /// Refuse a database whose schema is behind this program's (or ahead of it): migrations
    /// run only when an operator asks for them, after a backup.
    Current,
    /// Apply the migrations up to this version only: how the tests of upgrades make a database
    /// of an older schema (not offered on the command line).
    MigrateTo(i64),
}

/// The schema versions a database was found at and left at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Migrated {
    /// How many migrations the database had.
    pub from: i64,
    /// How many it has now (all this program knows).
    pub to: i64,
}

macro_rules! migrations {
    ($flavour:literal: $($version:literal $name:literal),* $(,)?) => {
        [$((
            $version,
            $name,
            include_str!(concat!(
                "../../../../schema/platform-migrations/", $flavour, "-", $name, ".sql"
            )),
        )),*]
    };
}

const SQLITE: [(i64, &str, &str); 12] = migrations!("sqlite":
    1 "0001", 2 "0002", 3 "0003", 4 "0004", 5 "0005", 6 "0006", 7 "0007", 8 "0008", 9 "0009",
    10 "0010", 11 "0011", 12 "0012");
const POSTGRES: [(i64, &str, &str); 12] = migrations!("postgres":
    1 "0001", 2 "0002", 3 "0003", 4 "0004", 5 "0005", 6 "0006", 7 "0007", 8 "0008", 9 "0009",
    10 "0010", 11 "0011", 12 "0012");

fn migrator(backend: Backend) -> Migrator {
    let files = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    Migrator::with_migrations(
        files
            .iter()
            .map(|&(version, name, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(name),
                    MigrationType::Simple,
                    SqlStr::from_static(sql),
                    false,
                )
            })
            .collect(),
    )
}

/// How many migrations this program knows.
fn known() -> i64 {
    i64::try_from(SQLITE.len()).unwrap_or(i64::MAX)
}

/// The advisory lock that makes migrations one process at a time on PostgreSQL ("GUICHET" on
/// a phone keypad); the named locks of [`super::Tx::lock`] are other numbers, but for a 2^-64
/// chance.
const MIGRATION_LOCK: i64 = 4_842_438;

/// Checks the database's schema, and applies what it lacks if `schema` says so. On PostgreSQL
/// the versions are read and the migrations applied under one advisory lock, so of several
/// servers migrating together exactly one applies them and the others find them applied.
pub(super) async fn apply(db: &Db, schema: Schema) -> Result<Migrated, Error> {
    let mut conn = db.writer.acquire().await.map_err(storage)?;
    let locked = db.backend == Backend::Postgres && schema != Schema::Current;
    if locked {
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await
            .map_err(storage)?;
    }
    let applied = applied(&mut conn, db.backend).await;
    let result = async {
        let (from, known) = (applied?, known());
        check(from, known, schema)?;
        let target = match schema {
            Schema::Migrate => known,
            Schema::MigrateTo(version) => version.min(known),
            Schema::Current => return Ok(Migrated { from, to: from }),
        };
        if from < target {
            let mut migrator = migrator(db.backend);
            migrator.set_locking(false);
            migrator
                .run_to(target, &mut *conn)
                .await
                .map_err(|e| Error::Storage(format!("migration failed: {e}")))?;
        }
        Ok(Migrated {
            from,
            to: from.max(target),
        })
    }
    .await;
    if locked {
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await
            .map_err(storage)?;
    }
    result
}

/// How many migrations the database has applied, and how many this program knows.
pub(super) async fn versions(db: &Db) -> Result<(i64, i64), Error> {
    let mut conn = db.pool.acquire().await.map_err(storage)?;
    Ok((applied(&mut conn, db.backend).await?, known()))
}

/// How many migrations the database on `conn` has applied (0 for a new database).
async fn applied(conn: &mut sqlx::AnyConnection, backend: Backend) -> Result<i64, Error> {
    let table = match backend {
        Backend::Sqlite => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) FROM pg_catalog.pg_tables \
             WHERE schemaname = current_schema() AND tablename = '_sqlx_migrations'"
        }
    };
    let tracked: i64 = sqlx::query_scalar(table)
        .fetch_one(&mut *conn)
        .await
        .map_err(storage)?;
    if tracked == 0 {
        return Ok(0);
    }
    sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut *conn)
        .await
        .map_err(storage)
}

/// The check of [`Schema::Current`] (and, for both, of a database newer than this program):
/// `found` migrations in the database, `known` in this program.
fn check(found: i64, known: i64, schema: Schema) -> Result<(), Error> {
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
