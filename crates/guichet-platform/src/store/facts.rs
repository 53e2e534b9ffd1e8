//! The platform's records a push's redemptions are checked against ([`crate::proof`]),
//! read inside the push's transaction.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use guichet_core::bundle::document::{Referential, Rules};
use guichet_core::Kid;
use guichet_protocol::{EntryEvent, LedgerEntry};
use jiff::Timestamp;

use super::admin::setting;
use super::{serial_from_db, serial_to_db};
use crate::db::{self, batch, Tx, Value};
use crate::error::Error;
use crate::proof::BookletFacts;
use crate::trust::{Knowledge, SignedHistory};

fn storage(e: impl std::fmt::Display) -> Error {
    Error::Storage(e.to_string())
}

fn instant(text: &str) -> Result<Timestamp, Error> {
    text.parse().map_err(storage)
}

/// Everything [`crate::proof::check`] needs for one push, owned.
pub(super) struct PushFacts {
    pub history: Arc<SignedHistory>,
    pub booklets: HashMap<(Kid, u64), BookletFacts>,
    pub center_zone: u32,
    pub referential: Option<Referential>,
    pub grace_days: u32,
    pub knowledge: Knowledge,
    /// The latest plausible time of the device's entries already held.
    pub previous: Option<Timestamp>,
    /// When the device was enrolled.
    pub enrolled_at: Timestamp,
}

/// Reads the facts of a push's redemptions.
pub(super) async fn gather(
    tx: &mut Tx,
    history: Arc<SignedHistory>,
    device: &str,
    center: &str,
    new: &[LedgerEntry],
) -> Result<PushFacts, Error> {
    let coupons: BTreeSet<(Kid, u64)> = new
        .iter()
        .filter_map(|entry| match &entry.event {
            EntryEvent::Redemption(r) => Some((r.kid, r.serial)),
            EntryEvent::Cancellation(_) => None,
        })
        .collect();
    let booklets = booklets_of(tx, &coupons).await?;
    let center_zone = tx
        .value::<i64>("SELECT zone FROM centers WHERE id = $1", &[center.into()])
        .await?
        .unwrap_or(0);
    let center_zone = db::small(center_zone)?;
    let referential = setting(tx, "referential")
        .await?
        .map(|json| serde_json::from_str(&json).map_err(storage))
        .transpose()?;
    let rules: Rules = setting(tx, "rules")
        .await?
        .map(|json| serde_json::from_str(&json).map_err(storage))
        .transpose()?
        .unwrap_or_default();
    let knowledge = knowledge_of(tx, center).await?;
    let (last_occurred_us, enrolled_at) = tx
        .one::<(Option<i64>, String)>(
            "SELECT last_occurred_us, enrolled_at FROM devices WHERE id = $1",
            &[device.into()],
        )
        .await?;
    let previous = last_occurred_us
        .map(|us| Timestamp::from_microsecond(us).map_err(storage))
        .transpose()?;
    let enrolled_at = instant(&enrolled_at)?;
    Ok(PushFacts {
        history,
        booklets,
        center_zone,
        referential,
        grace_days: u32::from(rules.grace_days),
        knowledge,
        previous,
        enrolled_at,
    })
}

/// A coupon of a push and the booklet whose serial range may hold it.
#[derive(sqlx::FromRow)]
struct CouponBooklet {
    kid: String,
    serial: i64,
    first_serial: i64,
    coupons: i64,
    value_cents: i64,
    issued_on: String,
    valid_until: String,
    provider: i64,
    scope: i64,
    zone: i64,
}

async fn booklets_of(
    tx: &mut Tx,
    coupons: &BTreeSet<(Kid, u64)>,
) -> Result<HashMap<(Kid, u64), BookletFacts>, Error> {
    let coupons: Vec<&(Kid, u64)> = coupons.iter().collect();
    let mut booklets = HashMap::new();
    for chunk in batch::chunks(&coupons) {
        let params: Vec<Value> = chunk
            .iter()
            .flat_map(|(kid, serial)| [kid.to_hex().into(), Value::Int(serial_to_db(*serial))])
            .collect();
        let tuples = batch::tuples(chunk.len(), &["CAST({} AS TEXT)", "CAST({} AS BIGINT)"]);
        // `column1` and `column2` are the names both SQLite and PostgreSQL give a VALUES
        // list's columns.
        let rows: Vec<CouponBooklet> = tx
            .rows(
                &format!(
                    "SELECT c.column1 AS kid, c.column2 AS serial, b.first_serial, b.coupons, \
                     b.value_cents, b.issued_on, b.valid_until, b.provider, b.scope, b.zone \
                     FROM (VALUES {tuples}) AS c JOIN booklets b ON b.number = \
                     (SELECT b2.number FROM booklets b2 WHERE b2.kid = c.column1 \
                      AND b2.first_serial <= c.column2 ORDER BY b2.first_serial DESC LIMIT 1)"
                ),
                &params,
            )
            .await?;
        for row in rows {
            if row.serial >= row.first_serial + row.coupons {
                continue;
            }
            let kid: Kid = row.kid.parse().map_err(storage)?;
            let day = |text: &str| -> Result<u16, Error> {
                let date: jiff::civil::Date = text.parse().map_err(storage)?;
                guichet_core::day::to_day(date)
                    .ok_or_else(|| storage(format!("booklet day {date} out of range")))
            };
            booklets.insert(
                (kid, serial_from_db(row.serial)),
                BookletFacts {
                    value_cents: db::small(row.value_cents)?,
                    issued_on: day(&row.issued_on)?,
                    valid_until: day(&row.valid_until)?,
                    provider: db::small(row.provider)?,
                    scope: u16::try_from(row.scope).map_err(storage)?,
                    zone: db::small(row.zone)?,
                },
            );
        }
    }
    Ok(booklets)
}

async fn knowledge_of(tx: &mut Tx, center: &str) -> Result<Knowledge, Error> {
    Ok(Knowledge {
        held: first_held(tx, "device_bundles", "sequence", center).await?,
        statements: first_held(tx, "device_freshness", "statement", center).await?,
    })
}

/// Since when any device of `center` first held each bundle or statement, from `table`
/// (`device_bundles` or `device_freshness`), keyed by `column`.
async fn first_held(
    tx: &mut Tx,
    table: &str,
    column: &str,
    center: &str,
) -> Result<Vec<(u64, Timestamp)>, Error> {
    tx.rows::<(i64, i64)>(
        &format!(
            "SELECT h.{column}, MIN(h.since_us) FROM {table} h \
             JOIN devices d ON d.id = h.device WHERE d.center = $1 GROUP BY h.{column}"
        ),
        &[center.into()],
    )
    .await?
    .into_iter()
    .map(|(sequence, since_us)| {
        Ok((
            db::count(sequence)?,
            Timestamp::from_microsecond(since_us).map_err(storage)?,
        ))
    })
    .collect()
}

impl super::Store {
    /// Whether each redemption's code carries a valid issuer signature (by the keys of the
    /// root-signed `history`): on the blocking pool, spread over the cores, so the async
    /// threads keep serving requests meanwhile.
    pub(super) async fn verify_signatures(
        &self,
        history: Arc<SignedHistory>,
        entries: &[LedgerEntry],
    ) -> Result<Vec<bool>, Error> {
        let codes: Vec<Option<String>> = entries
            .iter()
            .map(|entry| match &entry.event {
                EntryEvent::Redemption(r) => r.code.clone(),
                EntryEvent::Cancellation(_) => None,
            })
            .collect();
        tokio::task::spawn_blocking(move || verify_codes(&history, &codes))
            .await
            .map_err(|e| storage(format!("the signature checks stopped: {e}")))?
    }
}

/// [`super::Store::verify_signatures`] on the calling thread and scoped helpers.
fn verify_codes(history: &SignedHistory, codes: &[Option<String>]) -> Result<Vec<bool>, Error> {
    let keys = history.issuer_keys();
    crate::parallel::map(codes, |code| {
        code.as_deref().is_some_and(|text| {
            crate::proof::signature_verifies(text, |kid| keys.get(&kid).copied())
        })
    })
}
