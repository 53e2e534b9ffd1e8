//! The centers, zones and providers as the console lists them, and enrollment codes made with
//! their audit entry.

use guichet_console::model::AuditEntry;
use jiff::Timestamp;

use super::Store;
use crate::db::{self, Mode};
use crate::error::Error;

/// A center with its zone and how many kiosks it enrolled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CenterLine {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its zone (0: unknown) and the zone's name.
    pub zone: (u32, Option<String>),
    /// Its enrolled kiosks, disabled ones included.
    pub kiosks: u64,
}

/// Every center, zone and provider.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Places {
    /// The centers, by id.
    pub centers: Vec<CenterLine>,
    /// The zones: id and name, by id.
    pub zones: Vec<(u32, String)>,
    /// The providers: id and name, by id.
    pub providers: Vec<(u32, String)>,
}

/// A center's row.
#[derive(sqlx::FromRow)]
struct CenterRow {
    id: String,
    name: String,
    zone: i64,
    zone_name: Option<String>,
    kiosks: i64,
}

/// A zone's or provider's row.
#[derive(sqlx::FromRow)]
struct NamedRow {
    id: i64,
    name: String,
}

impl Store {
    /// Every center (with its zone and kiosk count), zone and provider.
    pub async fn places(&self) -> Result<Places, Error> {
        self.run(Mode::Read, async |tx| {
            let centers = tx
                .rows::<CenterRow>(
                    "SELECT c.id, c.name, c.zone, z.name AS zone_name, COUNT(d.id) AS kiosks \
                     FROM centers c LEFT JOIN zones z ON z.id = c.zone \
                     LEFT JOIN devices d ON d.center = c.id \
                     GROUP BY c.id, c.name, c.zone, z.name ORDER BY c.id",
                    &[],
                )
                .await?
                .into_iter()
                .map(|row| {
                    Ok(CenterLine {
                        id: row.id,
                        name: row.name,
                        zone: (db::small(row.zone)?, row.zone_name),
                        kiosks: db::count(row.kiosks)?,
                    })
                })
                .collect::<Result<_, Error>>()?;
            let mut named = async |sql: &str| -> Result<Vec<(u32, String)>, Error> {
                tx.rows::<NamedRow>(sql, &[])
                    .await?
                    .into_iter()
                    .map(|row| Ok((db::small(row.id)?, row.name)))
                    .collect()
            };
            let zones = named("SELECT id, name FROM zones ORDER BY id").await?;
            let providers = named("SELECT id, name FROM providers ORDER BY id").await?;
            Ok(Places {
                centers,
                zones,
                providers,
            })
        })
        .await
    }

    /// [`Store::create_enroll_code`], with the audit entry of the console's account that made
    /// it (never the code itself) written in the same transaction.
    pub async fn create_enroll_code_audited(
        &self,
        center: &str,
        expires_at: Timestamp,
        now: Timestamp,
        audit: &AuditEntry,
    ) -> Result<String, Error> {
        self.create_enroll_code_with(center, expires_at, now, Some(audit))
            .await
    }
}
