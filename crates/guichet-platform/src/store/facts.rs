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
use crate::db::{batch, Tx, Value};
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

/// Reads the facts bearing on the redemptions among `new`, pushed by `device` of `center`;
/// issuer keys and revocations come from `history` (root-signed bundles), not from tables.
pub(super) fn gather(
    tx: &mut dyn Tx,
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
    let booklets = booklets_of(tx, &coupons)?;
    let center_zone = tx
        .query_opt("SELECT zone FROM centers WHERE id = $1", &[center.into()])?
        .map(|row| row.int(0))
        .transpose()?
        .unwrap_or(0);
    let center_zone = u32::try_from(center_zone).map_err(storage)?;
    let referential = setting(tx, "referential")?
        .map(|json| serde_json::from_str(&json).map_err(storage))
        .transpose()?;
    let rules: Rules = setting(tx, "rules")?
        .map(|json| serde_json::from_str(&json).map_err(storage))
        .transpose()?
        .unwrap_or_default();
    let knowledge = knowledge_of(tx, center)?;
    let device_row = tx.query_one(
        "SELECT last_occurred_us, enrolled_at FROM devices WHERE id = $1",
        &[device.into()],
    )?;
    let previous = device_row
        .opt_int(0)?
        .map(|us| Timestamp::from_microsecond(us).map_err(storage))
        .transpose()?;
    let enrolled_at = instant(&device_row.text(1)?)?;
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

/// The booklet holding each coupon, where one does: the last booklet of the kid starting at
/// or before the serial (an index seek on `(kid, first_serial)`), if the serial is within it.
fn booklets_of(
    tx: &mut dyn Tx,
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
        for row in tx.query(
            &format!(
                "SELECT c.column1, c.column2, b.first_serial, b.coupons, b.value_cents, \
                 b.issued_on, b.valid_until, b.provider, b.scope, b.zone \
                 FROM (VALUES {tuples}) AS c JOIN booklets b ON b.number = \
                 (SELECT b2.number FROM booklets b2 WHERE b2.kid = c.column1 \
                  AND b2.first_serial <= c.column2 ORDER BY b2.first_serial DESC LIMIT 1)"
            ),
            &params,
        )? {
            let kid: Kid = row.text(0)?.parse().map_err(storage)?;
            let serial = row.int(1)?;
            if serial >= row.int(2)? + row.int(3)? {
                continue;
            }
            let day = |text: String| -> Result<u16, Error> {
                let date: jiff::civil::Date = text.parse().map_err(storage)?;
                guichet_core::day::to_day(date)
                    .ok_or_else(|| storage(format!("booklet day {date} out of range")))
            };
            booklets.insert(
                (kid, serial_from_db(serial)),
                BookletFacts {
                    value_cents: row.int(4)? as u32,
                    issued_on: day(row.text(5)?)?,
                    valid_until: day(row.text(6)?)?,
                    provider: row.int(7)? as u32,
                    scope: row.int(8)? as u16,
                    zone: row.int(9)? as u32,
                },
            );
        }
    }
    Ok(booklets)
}

/// From when any kiosk of `center` held each bundle sequence: what one kiosk of a center
/// could know, the center could know (a revocation pulled by one counter binds them all).
fn knowledge_of(tx: &mut dyn Tx, center: &str) -> Result<Knowledge, Error> {
    let held = tx
        .query(
            "SELECT b.sequence, MIN(b.since_us) FROM device_bundles b \
             JOIN devices d ON d.id = b.device WHERE d.center = $1 GROUP BY b.sequence",
            &[center.into()],
        )?
        .iter()
        .map(|row| {
            Ok((
                u64::try_from(row.int(0)?).map_err(storage)?,
                Timestamp::from_microsecond(row.int(1)?).map_err(storage)?,
            ))
        })
        .collect::<Result<_, Error>>()?;
    Ok(Knowledge { held })
}

impl super::Store {
    /// For each entry of a push: whether it is a redemption whose code's signature verifies
    /// (`verify_strict`) with the issuer key of the code's kid in the latest root-signed
    /// bundle (`history`). Computed on every core, outside the push's write transaction: the
    /// signatures are most of a push's cost. A kid names one key for good (it is derived from
    /// the key).
    pub(super) fn verify_signatures(
        &self,
        history: &SignedHistory,
        entries: &[LedgerEntry],
    ) -> Result<Vec<bool>, Error> {
        let codes: Vec<Option<&str>> = entries
            .iter()
            .map(|entry| match &entry.event {
                EntryEvent::Redemption(r) => r.code.as_deref(),
                EntryEvent::Cancellation(_) => None,
            })
            .collect();
        let keys = history.issuer_keys();
        let verify = |code: &Option<&str>| {
            code.is_some_and(|text| {
                crate::proof::signature_verifies(text, |kid| keys.get(&kid).copied())
            })
        };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        // Below a few dozen codes a thread costs more than it saves.
        if threads == 1 || codes.len() < 64 {
            return Ok(codes.iter().map(verify).collect());
        }
        let chunk = codes.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let workers: Vec<_> = codes
                .chunks(chunk)
                .map(|part| scope.spawn(|| part.iter().map(verify).collect::<Vec<bool>>()))
                .collect();
            let mut verified = Vec::with_capacity(codes.len());
            for worker in workers {
                verified.extend(
                    worker
                        .join()
                        .map_err(|_| storage("a signature check failed"))?,
                );
            }
            Ok(verified)
        })
    }
}
