//! The ledger's errors: each names what went wrong in words an operator can act on.

use std::path::PathBuf;

use rusqlite::ErrorCode;

/// What can go wrong when opening, reading or writing the ledger.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The file exists but is not a SQLite database, or is damaged.
    #[error(
        "the ledger file {path} is damaged or is not a Guichet ledger ({detail}); it was left untouched"
    )]
    Corrupt {
        /// The ledger file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
    /// The database was written by a newer version of Guichet.
    #[error(
        "the ledger file {path} was written by a newer version of Guichet (schema {found}, this version knows up to {known}); update Guichet, the file was left untouched"
    )]
    TooNew {
        /// The ledger file.
        path: PathBuf,
        /// The schema version in the file.
        found: i64,
        /// The newest schema version this build knows.
        known: i64,
    },
    /// The file's schema is too old to be read without migrating it, which a read-only open
    /// never does.
    #[error(
        "the ledger file {path} has schema {found}, older than {oldest}; open it once with Guichet to upgrade it (it was left untouched)"
    )]
    TooOld {
        /// The ledger file.
        path: PathBuf,
        /// The schema version in the file.
        found: i64,
        /// The oldest schema version read without migrating.
        oldest: i64,
    },
    /// The file or its directory cannot be written.
    #[error("the ledger file {path} cannot be written (read-only file or directory): {detail}")]
    ReadOnly {
        /// The ledger file.
        path: PathBuf,
        /// What the system said.
        detail: String,
    },
    /// The disk is full: the transaction was rolled back, nothing was recorded.
    #[error("the disk holding {path} is full: nothing was recorded; free some space and retry")]
    DiskFull {
        /// The ledger file.
        path: PathBuf,
    },
    /// The file cannot be opened at all (missing directory, permissions).
    #[error("the ledger file {path} cannot be opened: {detail}")]
    CannotOpen {
        /// The ledger file.
        path: PathBuf,
        /// What the system said.
        detail: String,
    },
    /// Another process held the ledger longer than the busy timeout.
    #[error("the ledger file {path} stayed locked by another process; retry")]
    Busy {
        /// The ledger file.
        path: PathBuf,
    },
    /// A value given by the caller cannot be recorded.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why it is refused.
        reason: String,
    },
    /// A text is blank or over the limit both kiosk and platform enforce
    /// (`guichet_protocol::limits`): nothing was recorded.
    #[error("nothing was recorded: {0}")]
    Limit(#[from] guichet_protocol::limits::LimitError),
    /// A row does not read back as the ledger wrote it (edited by hand?).
    #[error("the ledger holds an unreadable row: {0}; run `guichet ledger verify`")]
    BadRow(String),
    /// Any other SQLite error.
    #[error("ledger database error in {path}: {source}")]
    Sqlite {
        /// The ledger file.
        path: PathBuf,
        /// The SQLite error.
        source: rusqlite::Error,
    },
}

impl LedgerError {
    /// Classifies a SQLite error on the ledger at `path`.
    pub(crate) fn from_sqlite(path: &std::path::Path, error: rusqlite::Error) -> LedgerError {
        let path = path.to_path_buf();
        let detail = error.to_string();
        match error.sqlite_error_code() {
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
                LedgerError::Corrupt { path, detail }
            }
            Some(ErrorCode::ReadOnly) => LedgerError::ReadOnly { path, detail },
            Some(ErrorCode::DiskFull) => LedgerError::DiskFull { path },
            Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
                LedgerError::CannotOpen { path, detail }
            }
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => LedgerError::Busy { path },
            _ => LedgerError::Sqlite {
                path,
                source: error,
            },
        }
    }

    /// A stable machine-readable name, such as `"DISK_FULL"`.
    pub fn code(&self) -> &'static str {
        match self {
            LedgerError::Corrupt { .. } => "CORRUPT",
            LedgerError::TooNew { .. } => "TOO_NEW",
            LedgerError::TooOld { .. } => "TOO_OLD",
            LedgerError::ReadOnly { .. } => "READ_ONLY",
            LedgerError::DiskFull { .. } => "DISK_FULL",
            LedgerError::CannotOpen { .. } => "CANNOT_OPEN",
            LedgerError::Busy { .. } => "BUSY",
            LedgerError::Invalid { .. } => "INVALID",
            LedgerError::Limit(_) => "LIMIT",
            LedgerError::BadRow(_) => "BAD_ROW",
            LedgerError::Sqlite { .. } => "DATABASE",
        }
    }
}
