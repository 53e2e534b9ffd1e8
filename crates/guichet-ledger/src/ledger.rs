//! Opening the ledger file and the connection settings every operation relies on.

use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::SignedDuration;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};

use crate::entry::GENESIS_HASH;
use crate::error::LedgerError;
use crate::migrations::{self, SchemaState};

/// How long a write waits for another process holding the ledger.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Rules the ledger applies that a center may configure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LedgerSettings {
    /// How long after a redemption a mediator may still cancel it (a manager always may).
    pub mediator_cancel_window: SignedDuration,
}

impl Default for LedgerSettings {
    fn default() -> Self {
        LedgerSettings {
            mediator_cancel_window: SignedDuration::from_mins(10),
        }
    }
}

/// Makes the ledger file (created empty, 0600, if missing: SQLite takes an empty file as a
/// new database) and its `-wal` and `-shm` files accessible to their owner only: the ledger names mediators and holds every code accepted. SQLite creates the
/// `-wal` and `-shm` files with the main file's mode, so they follow.
fn owner_only(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => return Ok(()),
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e),
        Err(_) => {}
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let file = PathBuf::from(name);
        match std::fs::metadata(&file) {
            Ok(meta) if meta.is_file() && meta.permissions().mode() & 0o077 != 0 => {
                // Group and others lose their rights; the owner's are left as they are (a
                // ledger made read-only on purpose stays so).
                let mode = meta.permissions().mode() & 0o700;
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode))?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// The kiosk's ledger: one SQLite file (WAL, `synchronous=FULL`).
///
/// Reads take `&self`; writes take `&mut self` and run in `BEGIN IMMEDIATE` transactions, so
/// two processes on the same file are serialised by SQLite's lock.
pub struct Ledger {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
    pub(crate) settings: LedgerSettings,
    /// Signs each new entry (the device key); `None`: entries are recorded unsigned.
    pub(crate) signer: Option<EntrySigner>,
    /// The columns that read an entry: a file opened read-only below schema 5 has no
    /// `signature` column.
    pub(crate) entry_columns: &'static str,
}

/// Signs the bytes of a new entry with the device key (`guichet_protocol::entry_signature`).
/// The ledger never holds the key itself: the kiosk lends it this function.
pub type EntrySigner = std::sync::Arc<dyn Fn(&[u8]) -> [u8; 64] + Send + Sync>;

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").field("path", &self.path).finish()
    }
}

impl Ledger {
    /// Opens (or creates) the ledger at `path` and brings its schema up to date.
    ///
    /// A damaged file, another application's database or a newer schema is refused with a
    /// clear error and left untouched.
    pub fn open(path: impl AsRef<Path>, settings: LedgerSettings) -> Result<Ledger, LedgerError> {
        let path = path.as_ref().to_path_buf();
        owner_only(&path).map_err(|e| LedgerError::CannotOpen {
            path: path.clone(),
            detail: format!("cannot make it readable by its owner only: {e}"),
        })?;
        let sqlite = |e| LedgerError::from_sqlite(&path, e);
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(&path, flags).map_err(sqlite)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sqlite)?;
        // Reading the header first: a file that is not a database fails here, before any
        // pragma could write to it.
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(sqlite)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(sqlite)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(LedgerError::CannotOpen {
                path,
                detail: format!("write-ahead logging is unavailable (journal mode {mode})"),
            });
        }
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(sqlite)?;
        match migrations::migrate(&mut conn).map_err(sqlite)? {
            SchemaState::Current => {}
            SchemaState::TooNew(found) => {
                return Err(LedgerError::TooNew {
                    path,
                    found,
                    known: migrations::latest_version(),
                })
            }
            SchemaState::Foreign => {
                return Err(LedgerError::Corrupt {
                    path,
                    detail: "another application's SQLite database".to_string(),
                })
            }
        }
        Ok(Ledger {
            conn,
            path,
            settings,
            signer: None,
            entry_columns: crate::store::ENTRY_COLUMNS,
        })
    }

    /// Opens an existing ledger to read it only, for `guichet ledger verify`: the file is
    /// opened read-only (`query_only` as well), its journal mode is left as it is and no
    /// migration runs, so its bytes are never changed. Writes on the result fail.
    ///
    /// When no `-wal` or `-journal` file lies next to it (no process has it open, nothing is
    /// waiting outside the main file), it is opened `immutable`: SQLite then creates no
    /// `-shm` or `-wal` file either, and the directory is left exactly as it was (read-only
    /// media work too). Otherwise the WAL must be read, and SQLite may create a `-shm` file.
    ///
    /// A missing file, another application's database, a newer schema, or one older than
    /// format 2 (which only an upgrade could read) is refused.
    pub fn open_read_only(
        path: impl AsRef<Path>,
        settings: LedgerSettings,
    ) -> Result<Ledger, LedgerError> {
        let path = path.as_ref().to_path_buf();
        let sqlite = |e| LedgerError::from_sqlite(&path, e);
        if !path.is_file() {
            return Err(LedgerError::CannotOpen {
                path,
                detail: "no such file".to_string(),
            });
        }
        let beside = |suffix: &str| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name).exists()
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = if beside("-wal") || beside("-journal") {
            Connection::open_with_flags(&path, flags)
        } else {
            Connection::open_with_flags(immutable_uri(&path), flags | OpenFlags::SQLITE_OPEN_URI)
        }
        .map_err(sqlite)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sqlite)?;
        conn.execute_batch("PRAGMA query_only = ON;")
            .map_err(sqlite)?;
        let objects: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
            .map_err(sqlite)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sqlite)?;
        let application_id: i64 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(sqlite)?;
        if objects == 0 || application_id != migrations::APPLICATION_ID {
            return Err(LedgerError::Corrupt {
                path,
                detail: if objects == 0 {
                    "an empty database".to_string()
                } else {
                    "another application's SQLite database".to_string()
                },
            });
        }
        if version > migrations::latest_version() {
            return Err(LedgerError::TooNew {
                path,
                found: version,
                known: migrations::latest_version(),
            });
        }
        if version < migrations::OLDEST_VERIFIABLE {
            return Err(LedgerError::TooOld {
                path,
                found: version,
                oldest: migrations::OLDEST_VERIFIABLE,
            });
        }
        Ok(Ledger {
            conn,
            path,
            settings,
            signer: None,
            entry_columns: if version >= 5 {
                crate::store::ENTRY_COLUMNS
            } else {
                crate::store::ENTRY_COLUMNS_UNSIGNED
            },
        })
    }

    /// Signs every entry recorded from now on with `signer` (the kiosk's device key).
    pub fn set_entry_signer(&mut self, signer: Option<EntrySigner>) {
        self.signer = signer;
    }

    /// The ledger file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The settings in force.
    pub fn settings(&self) -> LedgerSettings {
        self.settings
    }

    /// Runs SQLite's full `PRAGMA integrity_check`; `Ok(())` when it says "ok".
    pub fn integrity_check(&self) -> Result<(), LedgerError> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(|e| self.sqlite(e))?;
        let lines: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(|e| self.sqlite(e))?;
        if lines == ["ok"] {
            Ok(())
        } else {
            Err(LedgerError::Corrupt {
                path: self.path.clone(),
                detail: lines.join("; "),
            })
        }
    }

    /// Classifies a SQLite error on this ledger.
    pub(crate) fn sqlite(&self, error: rusqlite::Error) -> LedgerError {
        LedgerError::from_sqlite(&self.path, error)
    }

    /// Starts a write transaction that holds the write lock from its first statement.
    pub(crate) fn write(&mut self) -> Result<Transaction<'_>, LedgerError> {
        let path = self.path.clone();
        self.conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| LedgerError::from_sqlite(&path, e))
    }
}

/// `file:` URI of `path` opened read-only and immutable (bytes other than unreserved ones
/// and `/` percent-encoded, RFC 3986).
fn immutable_uri(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut uri = String::from("file:");
    for &byte in path.as_os_str().as_bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri.push_str("?mode=ro&immutable=1");
    uri
}

/// A `meta` value.
pub(crate) fn meta_get(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()
}

/// Sets a `meta` value.
pub(crate) fn meta_set(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key, value])?;
    Ok(())
}

/// The last link of the chain: its sequence number and hash (0 and zeros when empty).
///
/// Kept in `meta` and written with every entry, so that removing the last rows by hand
/// shows as a break.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainHead {
    /// The last entry's `seq`, 0 for an empty ledger.
    pub seq: i64,
    /// The last entry's hash.
    pub hash: [u8; 32],
}

impl ChainHead {
    const GENESIS: ChainHead = ChainHead {
        seq: 0,
        hash: GENESIS_HASH,
    };

    fn to_text(self) -> String {
        format!("{}:{}", self.seq, hex::encode(self.hash))
    }

    fn parse(text: &str) -> Option<ChainHead> {
        let (seq, hash) = text.split_once(':')?;
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(hash, &mut bytes).ok()?;
        Some(ChainHead {
            seq: seq.parse().ok()?,
            hash: bytes,
        })
    }

    /// Reads the head (or, for `anchor`, the point pruning stopped at).
    pub(crate) fn read(conn: &Connection, key: &str) -> Result<ChainHead, String> {
        match meta_get(conn, key).map_err(|e| e.to_string())? {
            None => Ok(ChainHead::GENESIS),
            Some(text) => ChainHead::parse(&text).ok_or(format!("meta {key} = {text:?}")),
        }
    }

    /// Writes it.
    pub(crate) fn write(self, conn: &Connection, key: &str) -> rusqlite::Result<()> {
        meta_set(conn, key, &self.to_text())
    }
}

/// `meta` key of the chain head.
pub(crate) const HEAD_KEY: &str = "chain_head";
/// `meta` key of the chain anchor: the last pruned entry (genesis when nothing was pruned).
pub(crate) const ANCHOR_KEY: &str = "chain_anchor";

#[cfg(test)]
mod tests {
    use super::*;

    /// A commit is on disk before the kiosk says so only if every connection the ledger opens
    /// runs with `synchronous=FULL` (2): NORMAL in WAL mode may lose the last commits on a
    /// power loss.
    #[test]
    fn every_ledger_connection_is_wal_with_synchronous_full() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite3");
        for _ in 0..2 {
            // Created, then opened again.
            let ledger = Ledger::open(&path, LedgerSettings::default()).unwrap();
            let pragma = |name: &str| -> String {
                ledger
                    .conn
                    .query_row(&format!("PRAGMA {name}"), [], |r| {
                        r.get::<_, rusqlite::types::Value>(0)
                    })
                    .map(|v| match v {
                        rusqlite::types::Value::Integer(i) => i.to_string(),
                        rusqlite::types::Value::Text(t) => t,
                        other => format!("{other:?}"),
                    })
                    .unwrap()
            };
            assert_eq!(pragma("synchronous"), "2", "synchronous must be FULL");
            assert_eq!(pragma("journal_mode"), "wal");
            assert_eq!(pragma("foreign_keys"), "1");
        }
    }
}
