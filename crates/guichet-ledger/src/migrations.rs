//! The schema, as the plain SQL files of `schema/migrations/`, applied in order on open.
//!
//! `PRAGMA user_version` holds the number of migrations applied; a crate for this would add
//! little over these twenty lines, and the files stay readable SQL. `PRAGMA application_id`
//! marks the file as a Guichet ledger so that another SQLite file is never written to.

use rusqlite::Connection;

/// `"GUIC"` in ASCII: the ledger's `PRAGMA application_id`.
pub const APPLICATION_ID: i64 = 0x4755_4943;

/// The migrations in order; migration `n` (from 1) brings `user_version` to `n`.
pub const MIGRATIONS: &[&str] = &[
    include_str!("../../../schema/migrations/0001_ledger.sql"),
    include_str!("../../../schema/migrations/0002_codes_and_causes.sql"),
    include_str!("../../../schema/migrations/0003_protect_derived.sql"),
    include_str!("../../../schema/migrations/0004_pins.sql"),
    include_str!("../../../schema/migrations/0005_entry_signatures.sql"),
];

/// The oldest schema whose entries `guichet ledger verify` reads without migrating (format 2:
/// entries carry `code`).
pub const OLDEST_VERIFIABLE: i64 = 2;

/// The schema version this build writes.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Where a file stands against this build's schema.
#[derive(Debug, PartialEq, Eq)]
pub enum SchemaState {
    /// Up to date, or brought up to date.
    Current,
    /// Written by a newer build.
    TooNew(i64),
    /// A SQLite file that belongs to something else.
    Foreign,
}

/// Applies the missing migrations, each in its own transaction.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<SchemaState> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let application_id: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    if version > latest_version() {
        return Ok(SchemaState::TooNew(version));
    }
    if version == 0 {
        let objects: i64 =
            conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
        if objects > 0 || application_id != 0 {
            return Ok(SchemaState::Foreign);
        }
    } else if application_id != APPLICATION_ID {
        return Ok(SchemaState::Foreign);
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Another process may have migrated while this one waited for the lock.
        let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if now > index as i64 {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {};",
            index + 1
        ))?;
        tx.commit()?;
    }
    Ok(SchemaState::Current)
}
