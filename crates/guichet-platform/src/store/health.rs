//! What the platform's health and metrics endpoints read: whether the database answers and is
//! current, how old the published bundle is, and what waits for an admin.

use jiff::Timestamp;

use super::Store;
use crate::db::{self, Mode};
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
    pub async fn health(&self, now: Timestamp) -> Result<Health, Error> {
        let migrations = self.db.schema_versions().await?;
        let storage = |e: jiff::Error| Error::Storage(e.to_string());
        let mut tx = self.db.begin(Mode::Read).await?;
        let bundle = tx
            .row::<(i64, String)>(
                "SELECT sequence, published_at FROM bundles ORDER BY sequence DESC LIMIT 1",
                &[],
            )
            .await?
            .map(|(sequence, published)| -> Result<(u64, i64), Error> {
                let published: Timestamp = published.parse().map_err(storage)?;
                Ok((
                    db::count(sequence)?,
                    now.duration_since(published).as_secs(),
                ))
            })
            .transpose()?;
        let (waiting, oldest) = tx
            .one::<(i64, Option<i64>)>(
                "SELECT COUNT(*), MIN(received_us) FROM entries \
                 WHERE state IN ('held', 'conflict')",
                &[],
            )
            .await?;
        let oldest = oldest
            .map(|us| Timestamp::from_microsecond(us).map_err(storage))
            .transpose()?
            .map(|at| now.duration_since(at).as_secs());
        Ok(Health {
            migrations,
            bundle,
            waiting: (db::count(waiting)?, oldest),
        })
    }
}
