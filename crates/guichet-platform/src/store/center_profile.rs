//! What a center declares of itself (issue 25, point 3): its qualification data and the
//! operator's qualification, its workshops; and the public finder's search over the qualified
//! ones (point 5). Every change writes its audit entry in the same transaction.

use std::collections::HashMap;

use guichet_console::model::{
    Area, AuditEntry, CenterProfile, FinderCenter, FinderQuery, NewProfile, NewWorkshop, Workshop,
    WorkshopMinutes,
};

use super::accounts::audit;
use super::admin::stored_referential;
use super::{invalid, Store};
use crate::db::{batch, Mode, Tx, Value};
use crate::error::Error;

/// The most centers one search shows (a whole département's are far fewer).
const MAX_FOUND: i64 = 200;

/// A profile's row.
#[derive(sqlx::FromRow)]
struct ProfileRow {
    legal_name: String,
    siret: String,
    iban: String,
    address: String,
    postcode: String,
    town: String,
    updated_at: i64,
    qualified_at: Option<i64>,
    qualified_by: Option<String>,
}

impl ProfileRow {
    /// The stored values, checked again as they are read (a row edited by hand that no longer
    /// checks is a storage fault, not data to show).
    fn profile(self) -> Result<CenterProfile, Error> {
        let bad = |what: &str, e: &dyn std::fmt::Display| {
            Error::Storage(format!("a stored center profile's {what}: {e}"))
        };
        Ok(CenterProfile {
            declared: NewProfile {
                legal_name: self.legal_name,
                siret: self.siret.parse().map_err(|e| bad("SIRET", &e))?,
                iban: self.iban.parse().map_err(|e| bad("IBAN", &e))?,
                address: self.address,
                postcode: self.postcode.parse().map_err(|e| bad("postcode", &e))?,
                town: self.town,
            },
            updated_at: self.updated_at,
            qualified: self.qualified_at.zip(self.qualified_by),
        })
    }
}

/// A workshop's row.
#[derive(sqlx::FromRow)]
struct WorkshopRow {
    id: i64,
    center: String,
    name: String,
    area: String,
    service: Option<String>,
    minutes: i64,
}

impl WorkshopRow {
    /// The workshop, its values checked as they are read.
    fn workshop(self) -> Result<Workshop, Error> {
        let bad = |e: &dyn std::fmt::Display| Error::Storage(format!("a stored workshop: {e}"));
        let minutes = u16::try_from(self.minutes).map_err(|e| bad(&e))?;
        Ok(Workshop {
            id: self.id,
            declared: NewWorkshop {
                name: self.name,
                area: self.area.parse().map_err(|e| bad(&e))?,
                service: self.service,
                minutes: WorkshopMinutes::new(minutes).map_err(|e| bad(&e))?,
            },
        })
    }
}

/// A qualified center's row, as the finder shows it.
#[derive(sqlx::FromRow)]
struct FoundRow {
    id: String,
    name: String,
    address: String,
    postcode: String,
    town: String,
    zone_name: Option<String>,
}

/// `center`'s profile, read in `tx`.
async fn profile_in(tx: &mut Tx, center: &str) -> Result<Option<CenterProfile>, Error> {
    tx.row::<ProfileRow>(
        "SELECT legal_name, siret, iban, address, postcode, town, updated_at, qualified_at, \
         qualified_by FROM center_profiles WHERE center = $1",
        &[center.into()],
    )
    .await?
    .map(ProfileRow::profile)
    .transpose()
}

const WORKSHOP_COLUMNS: &str = "id, center, name, area, service, minutes";

impl Store {
    /// `center`'s qualification data, if it declared any.
    pub async fn center_profile(&self, center: &str) -> Result<Option<CenterProfile>, Error> {
        self.run(Mode::Read, async |tx| profile_in(tx, center).await)
            .await
    }

    /// Records `center`'s qualification data at `at` (unix seconds) with `entry`, completed
    /// with what it replaces, in one transaction. A change of legal name, SIRET or IBAN clears
    /// the operator's qualification: who is paid changed, and must be checked again.
    pub async fn set_center_profile(
        &self,
        center: &str,
        profile: &NewProfile,
        at: i64,
        entry: &AuditEntry,
    ) -> Result<(), Error> {
        self.run(Mode::Write, async |tx| {
            let before = profile_in(tx, center).await?;
            let keeps_qualification = before
                .as_ref()
                .is_some_and(|b| !b.declared.changes_payee(profile));
            let values: [Value; 8] = [
                center.into(),
                profile.legal_name.as_str().into(),
                profile.siret.as_str().into(),
                profile.iban.as_str().into(),
                profile.address.as_str().into(),
                profile.postcode.as_str().into(),
                profile.town.as_str().into(),
                at.into(),
            ];
            tx.execute(
                "INSERT INTO center_profiles (center, legal_name, siret, iban, address, \
                 postcode, town, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (center) DO UPDATE SET legal_name = excluded.legal_name, \
                 siret = excluded.siret, iban = excluded.iban, address = excluded.address, \
                 postcode = excluded.postcode, town = excluded.town, \
                 updated_at = excluded.updated_at",
                &values,
            )
            .await?;
            if !keeps_qualification {
                tx.execute(
                    "UPDATE center_profiles SET qualified_at = NULL, qualified_by = NULL \
                     WHERE center = $1",
                    &[center.into()],
                )
                .await?;
            }
            let mut entry = entry.clone();
            entry.before = before.map(|b| {
                let mut json = b.declared.audit_json();
                json["qualified"] = b.qualified.is_some().into();
                json.to_string()
            });
            audit(tx, &entry).await
        })
        .await
    }

    /// Qualifies `center` as `by` at `at` with `entry`, in one transaction; refused if it
    /// declared nothing or is qualified already.
    pub async fn qualify_center(
        &self,
        center: &str,
        by: &str,
        at: i64,
        entry: &AuditEntry,
    ) -> Result<(), Error> {
        self.run(Mode::Write, async |tx| {
            let changed = tx
                .execute(
                    "UPDATE center_profiles SET qualified_at = $1, qualified_by = $2 \
                     WHERE center = $3 AND qualified_at IS NULL",
                    &[at.into(), by.into(), center.into()],
                )
                .await?;
            if changed == 0 {
                return Err(invalid(
                    "ce centre n'a rien déclaré ou est déjà qualifié / this center declared \
                     nothing or is qualified already",
                ));
            }
            audit(tx, entry).await
        })
        .await
    }

    /// `center`'s workshops, retired ones apart, by name.
    pub async fn center_workshops(&self, center: &str) -> Result<Vec<Workshop>, Error> {
        self.run(Mode::Read, async |tx| {
            tx.rows::<WorkshopRow>(
                &format!(
                    "SELECT {WORKSHOP_COLUMNS} FROM center_workshops \
                     WHERE center = $1 AND retired_at IS NULL ORDER BY name, id"
                ),
                &[center.into()],
            )
            .await?
            .into_iter()
            .map(WorkshopRow::workshop)
            .collect()
        })
        .await
    }

    /// Adds a workshop to `center` at `at` with `entry`, completed with its number, in one
    /// transaction; refused without a referential, or if its service is not one of its area's.
    /// Its number.
    pub async fn add_workshop(
        &self,
        center: &str,
        workshop: &NewWorkshop,
        at: i64,
        entry: &AuditEntry,
    ) -> Result<i64, Error> {
        self.run(Mode::Write, async |tx| {
            let referential = stored_referential(tx)
                .await?
                .ok_or_else(|| invalid("aucun référentiel importé / no referential imported"))?;
            if let Some(code) = &workshop.service {
                if !referential
                    .services
                    .iter()
                    .any(|s| &s.code == code && s.area == workshop.area)
                {
                    return Err(invalid(format!(
                        "le service {code} n'est pas un service du domaine {} / service {code} \
                         is not one of area {}'s",
                        workshop.area, workshop.area
                    )));
                }
            }
            let id: i64 = tx
                .value(
                    "INSERT INTO center_workshops (center, name, area, service, minutes, \
                     created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    &[
                        center.into(),
                        workshop.name.as_str().into(),
                        workshop.area.code().into(),
                        workshop.service.clone().into(),
                        i64::from(workshop.minutes.get()).into(),
                        at.into(),
                    ],
                )
                .await?
                .ok_or_else(|| Error::Storage("no workshop number returned".into()))?;
            let mut entry = entry.clone();
            entry.object = format!("{}/workshop:{id}", entry.object);
            audit(tx, &entry).await?;
            Ok(id)
        })
        .await
    }

    /// Retires `center`'s workshop `id` at `at` with `entry`, in one transaction; refused if
    /// `center` has no such workshop in use (another center's is not found either).
    pub async fn retire_workshop(
        &self,
        center: &str,
        id: i64,
        at: i64,
        entry: &AuditEntry,
    ) -> Result<(), Error> {
        self.run(Mode::Write, async |tx| {
            let changed = tx
                .execute(
                    "UPDATE center_workshops SET retired_at = $1 \
                     WHERE id = $2 AND center = $3 AND retired_at IS NULL",
                    &[at.into(), id.into(), center.into()],
                )
                .await?;
            if changed == 0 {
                return Err(invalid("atelier inconnu / no such workshop"));
            }
            audit(tx, entry).await
        })
        .await
    }

    /// The qualified centers `query` asks for, by postcode then name, at most 200, each with
    /// its workshops (only those of the area asked for, if one was: a center without one is
    /// left out).
    pub async fn find_centers(&self, query: &FinderQuery) -> Result<Vec<FinderCenter>, Error> {
        self.run(Mode::Read, async |tx| {
            let mut conditions = vec!["p.qualified_at IS NOT NULL".to_owned()];
            let mut values: Vec<Value> = Vec::new();
            if let Some(prefix) = &query.postcode {
                values.push(format!("{prefix}%").into());
                conditions.push(format!("p.postcode LIKE ${}", values.len()));
            }
            if let Some(zone) = query.zone {
                values.push(zone.into());
                conditions.push(format!("c.zone = ${}", values.len()));
            }
            if let Some(area) = query.area {
                values.push(area.code().into());
                conditions.push(format!(
                    "EXISTS (SELECT 1 FROM center_workshops w WHERE w.center = c.id \
                     AND w.retired_at IS NULL AND w.area = ${})",
                    values.len()
                ));
            }
            let found = tx
                .rows::<FoundRow>(
                    &format!(
                        "SELECT c.id, c.name, p.address, p.postcode, p.town, \
                         z.name AS zone_name FROM centers c \
                         JOIN center_profiles p ON p.center = c.id \
                         LEFT JOIN zones z ON z.id = c.zone WHERE {} \
                         ORDER BY p.postcode, c.name, c.id LIMIT {MAX_FOUND}",
                        conditions.join(" AND ")
                    ),
                    &values,
                )
                .await?;
            let ids: Vec<&str> = found.iter().map(|row| row.id.as_str()).collect();
            let mut workshops: Vec<WorkshopRow> = batch::query_in(
                tx,
                &format!(
                    "SELECT {WORKSHOP_COLUMNS} FROM center_workshops \
                     WHERE retired_at IS NULL AND center IN"
                ),
                &ids,
            )
            .await?;
            workshops.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
            let mut by_center: HashMap<String, Vec<Workshop>> = HashMap::new();
            for row in workshops {
                let center = row.center.clone();
                let workshop = row.workshop()?;
                if query
                    .area
                    .is_none_or(|area: Area| workshop.declared.area == area)
                {
                    by_center.entry(center).or_default().push(workshop);
                }
            }
            let centers = found
                .into_iter()
                .map(|row| FinderCenter {
                    workshops: by_center.remove(&row.id).unwrap_or_default(),
                    id: row.id,
                    name: row.name,
                    address: row.address,
                    postcode: row.postcode,
                    town: row.town,
                    zone: row.zone_name,
                })
                .collect();
            Ok(centers)
        })
        .await
    }
}
