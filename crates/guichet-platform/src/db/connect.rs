//! Opening the pools of each backend.

use std::path::Path;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::Executor;

use super::{pg_tls, storage, Backend, Db};
use crate::error::Error;

/// Readers kept open on SQLite (WAL lets them read beside the writer).
const SQLITE_READERS: u32 = 8;
/// Connections to PostgreSQL per server process.
const POSTGRES_CONNECTIONS: u32 = 32;
/// How long a request waits for a connection before it fails (and the kiosk retries).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// Every SQLite connection: WAL with `synchronous=FULL` (what the platform answered survives a
/// power loss), foreign keys, and a wait instead of `SQLITE_BUSY`.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";

pub(super) async fn open(location: &str, password: Option<&pg_tls::Password>) -> Result<Db, Error> {
    sqlx::any::install_default_drivers();
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        let url = pg_tls::url(location, password)?;
        let options = connect_options(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(POSTGRES_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|e| Error::Storage(format!("cannot connect to PostgreSQL: {e}")))?;
        Ok(Db {
            backend: Backend::Postgres,
            writer: pool.clone(),
            pool,
        })
    } else {
        let path = Path::new(location.strip_prefix("sqlite:").unwrap_or(location));
        if !path.exists() {
            create_private_file(path)?;
        }
        let options = connect_options(&format!("sqlite://{}?mode=rw", path.display()))?;
        let pool = |max: u32| {
            AnyPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .after_connect(|conn, _| {
                    Box::pin(async move { conn.execute(SQLITE_PRAGMAS).await.map(drop) })
                })
                .connect_with(options.clone())
        };
        let cannot_open = |e| Error::Storage(format!("cannot open {}: {e}", path.display()));
        let writer = pool(1).await.map_err(cannot_open)?;
        let readers = pool(SQLITE_READERS).await.map_err(cannot_open)?;
        Ok(Db {
            backend: Backend::Sqlite,
            pool: readers,
            writer,
        })
    }
}

fn connect_options(url: &str) -> Result<AnyConnectOptions, Error> {
    url.parse::<AnyConnectOptions>()
        .map_err(|e| Error::Invalid(format!("database location: {}", storage(e))))
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

#[cfg(test)]
mod tests {
    use super::super::{Mode, Schema};
    use super::*;

    /// What the platform answered must survive a power loss: every connection (the writer,
    /// autocommit, each reader) runs WAL with `synchronous=FULL` (2).
    #[tokio::test]
    async fn every_sqlite_connection_is_wal_with_synchronous_full() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("platform.db");
        for _ in 0..2 {
            let (db, _) = Db::open(path.to_str().unwrap(), None, Schema::Migrate)
                .await
                .unwrap();
            for mode in [Mode::Write, Mode::Autocommit, Mode::Read] {
                let mut tx = db.begin(mode).await.unwrap();
                let synchronous: Option<i64> = tx.value("PRAGMA synchronous", &[]).await.unwrap();
                let foreign_keys: Option<i64> = tx.value("PRAGMA foreign_keys", &[]).await.unwrap();
                assert_eq!(
                    (synchronous, foreign_keys),
                    (Some(2), Some(1)),
                    "{mode:?}: synchronous FULL, foreign keys on"
                );
                let journal: Option<String> = tx.value("PRAGMA journal_mode", &[]).await.unwrap();
                assert_eq!(journal.as_deref(), Some("wal"));
            }
            db.close().await;
        }
    }

    /// A nonce's write (`Mode::Unsynced`) does not wait for the disk, and the single writer
    /// is durable again for the next transaction, also when the work failed.
    #[tokio::test]
    async fn an_unsynced_write_leaves_the_writer_durable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("platform.db");
        let (db, _) = Db::open(path.to_str().unwrap(), None, Schema::Migrate)
            .await
            .unwrap();
        let inside = db
            .run(Mode::Unsynced, async |tx| {
                tx.value::<i64>("PRAGMA synchronous", &[]).await
            })
            .await
            .unwrap();
        assert_eq!(inside, Some(1), "NORMAL inside");
        let failed = db
            .run(Mode::Unsynced, async |tx| {
                tx.execute("INSERT INTO no_such_table VALUES (1)", &[])
                    .await
            })
            .await;
        assert!(failed.is_err());
        for mode in [Mode::Write, Mode::Autocommit] {
            let mut tx = db.begin(mode).await.unwrap();
            let synchronous: Option<i64> = tx.value("PRAGMA synchronous", &[]).await.unwrap();
            assert_eq!(synchronous, Some(2), "{mode:?}: FULL again");
        }
        db.close().await;
    }
}
