//! What the platform's health and metrics endpoints read: whether the database answers and is
//! current, how old the published bundle is, and what waits for an admin.

use jiff::Timestamp;

use super::Store;
use crate::db::Mode;
use crate::error::Error;

/// The platform's state, as `/readyz` and `/metrics` report it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Health {
    /// Migrations the database has, and migrations this program knows.
    pub migrations: (i64, i64),
    /// The latest published bundle's sequence and age in seconds, if any is published.
    pub bundle: Option<(u64, i64)>,
    /// Redemptions held or in conflict (waiting for an admin), and the age in seconds of the
    /// oldest received.
    pub waiting: (u64, Option<i64>),
}

impl Store {
    /// Reads [`Health`] (errors if the database does not answer).
    pub fn health(&self, now: Timestamp) -> Result<Health, Error> {
        let migrations = self.db.schema_versions()?;
        let storage = |e: jiff::Error| Error::Storage(e.to_string());
        self.run(Mode::Read, |tx| {
            let bundle = tx
                .query_opt(
                    "SELECT sequence, published_at FROM bundles ORDER BY sequence DESC LIMIT 1",
                    &[],
                )?
                .map(|row| -> Result<(u64, i64), Error> {
                    let published: Timestamp = row.text(1)?.parse().map_err(storage)?;
                    let sequence = u64::try_from(row.int(0)?).unwrap_or(0);
                    Ok((sequence, now.duration_since(published).as_secs()))
                })
                .transpose()?;
            let row = tx.query_one(
                "SELECT COUNT(*), MIN(received_us) FROM entries \
                 WHERE state IN ('held', 'conflict')",
                &[],
            )?;
            let oldest = row
                .opt_int(1)?
                .map(|us| Timestamp::from_microsecond(us).map_err(storage))
                .transpose()?
                .map(|at| now.duration_since(at).as_secs());
            Ok(Health {
                migrations,
                bundle,
                waiting: (u64::try_from(row.int(0)?).unwrap_or(0), oldest),
            })
        })
    }
}
