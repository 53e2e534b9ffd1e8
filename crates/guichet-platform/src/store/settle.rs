//! The conflict rule: which of a coupon's redemptions holds it.

use std::collections::{BTreeMap, BTreeSet};

use guichet_protocol::{ConflictDetails, EntryState};

use super::devices::center_info;
use super::versions::Versions;
use crate::db::{batch, Row, Tx, Value};
use crate::error::Error;

fn storage(e: impl std::fmt::Display) -> Error {
    Error::Storage(e.to_string())
}

/// A coupon as stored: issuer key id (hex) and serial ([`serial_to_db`]).
pub(super) type Coupon = (String, i64);

/// `select` once per coupon of a chunk of `n`, each with `AND kid = $i AND serial = $j`, joined
/// by `union` (`UNION` or `UNION ALL`). Not `(kid, serial) IN (VALUES …)`: PostgreSQL may hash
/// that list against every redemption, a plan it picks when its statistics still describe a
/// smaller table (measured: 9 ms a push instead of 0.1 ms while `entries` grew); an equality on
/// both columns of `entries_by_coupon` is an index lookup whatever the statistics.
fn per_coupon(select: &str, union: &str, n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{select} AND kid = ${} AND serial = ${}",
                2 * i + 1,
                2 * i + 2
            )
        })
        .collect::<Vec<_>>()
        .join(&format!(" {union} "))
}

fn coupon_params(chunk: &[&Coupon]) -> Vec<Value> {
    chunk
        .iter()
        .flat_map(|(kid, serial)| [kid.as_str().into(), Value::Int(*serial)])
        .collect()
}

/// The devices holding a redemption (not cancelled) of any of `coupons`: the devices whose
/// entries settling them may change.
pub(super) fn redeeming_devices(
    tx: &mut dyn Tx,
    coupons: &BTreeSet<Coupon>,
) -> Result<BTreeSet<String>, Error> {
    let coupons: Vec<&Coupon> = coupons.iter().collect();
    let mut devices = BTreeSet::new();
    for chunk in batch::chunks(&coupons) {
        for row in tx.query(
            &per_coupon(
                "SELECT device FROM entries WHERE kind = 'redemption' AND state <> 'cancelled'",
                "UNION",
                chunk.len(),
            ),
            &coupon_params(chunk),
        )? {
            devices.insert(row.text(0)?);
        }
    }
    Ok(devices)
}

/// The columns [`settle_coupon`] reads, in its order.
const SETTLE_COLUMNS: &str =
    "id, received_order, state, conflict, occurred_at, local_day, center, \
     device, kid, serial, verdict, decision, transferred_from, decided_at";

/// The coupons whose holder a cancellation or an admin's decision may have removed, each with
/// what did it (the cancellation's id, or `decision:` and the decided redemption's id),
/// recorded on the redemption promoted in its place.
pub(super) type Promotions = BTreeMap<Coupon, String>;

/// What a settlement needs to know of the change that runs it.
#[derive(Default)]
pub(super) struct Settling {
    /// See [`Promotions`].
    pub promotions: Promotions,
    /// The first number of receipt of the push being stored, if a push runs it: its own
    /// redemptions, stored `accepted` so that the usual case (nobody else holds the coupon)
    /// writes nothing more, do not hold the coupon yet.
    pub received_from: Option<i64>,
}

/// Applies the conflict rule to every redemption (not cancelled) of each coupon.
pub(super) fn settle_coupons(
    tx: &mut dyn Tx,
    coupons: &BTreeSet<Coupon>,
    versions: &mut Versions,
    settling: &Settling,
) -> Result<(), Error> {
    let coupons: Vec<&Coupon> = coupons.iter().collect();
    let mut redemptions: BTreeMap<Coupon, Vec<Row>> = BTreeMap::new();
    for chunk in batch::chunks(&coupons) {
        for row in tx.query(
            &per_coupon(
                &format!(
                    "SELECT {SETTLE_COLUMNS} FROM entries \
                     WHERE kind = 'redemption' AND state <> 'cancelled'"
                ),
                "UNION ALL",
                chunk.len(),
            ),
            &coupon_params(chunk),
        )? {
            let coupon = (row.text(8)?, row.int(9)?);
            redemptions.entry(coupon).or_default().push(row);
        }
    }
    for (coupon, rows) in redemptions {
        settle_coupon(
            tx,
            rows,
            versions,
            settling,
            settling.promotions.get(&coupon),
        )?;
    }
    Ok(())
}

/// What a redemption is, before the conflict rule: a contender for its coupon, or a state of
/// its own.
fn standing(row: &Row) -> Result<Option<EntryState>, Error> {
    let decision = row.opt_text(11)?;
    Ok(match (row.text(10)?.as_str(), decision.as_deref()) {
        (_, Some("reject")) | ("rejected", _) => Some(EntryState::Rejected),
        ("unknown", _) => Some(EntryState::Unknown),
        ("held", Some("accept")) | ("ok", _) => None,
        ("held", _) => Some(EntryState::Held),
        (other, _) => return Err(storage(format!("unknown verdict {other:?}"))),
    })
}

/// The conflict rule for one coupon's redemptions (not cancelled), as [`settle_coupons`] read
/// them. Rejected, held and unknown ones never hold the coupon. Among the others (the
/// contenders) the holder is, in this order: the one holding it already (so no push ever
/// takes a coupon, nor turns an answered `accepted` into `conflict`), the one an admin
/// transferred it to last, the first the database received (`received_order`, then the smaller
/// id). Only a cancellation or an admin's decision removes a holder; the one promoted then
/// records what did it (`promoted_by`).
fn settle_coupon(
    tx: &mut dyn Tx,
    rows: Vec<Row>,
    versions: &mut Versions,
    settling: &Settling,
    promoted_by: Option<&String>,
) -> Result<(), Error> {
    // Holding already: `accepted`, and received before the push being stored (if any).
    let holds = |row: &Row| -> Result<bool, Error> {
        Ok(row.text(2)? == "accepted"
            && settling
                .received_from
                .is_none_or(|first| row.int(1).is_ok_and(|order| order < first)))
    };
    let mut contenders: Vec<&Row> = Vec::new();
    let mut fixed: Vec<(&Row, EntryState)> = Vec::new();
    for row in &rows {
        match standing(row)? {
            Some(state) => fixed.push((row, state)),
            None => contenders.push(row),
        }
    }
    let mut ranked = contenders
        .iter()
        .map(|row| {
            let transferred_at = match (row.opt_text(11)?.as_deref(), row.opt_text(12)?) {
                (Some("accept"), Some(_)) => row.opt_text(13)?,
                _ => None,
            };
            Ok((
                !holds(row)?,
                std::cmp::Reverse(transferred_at),
                row.int(1)?,
                row.text(0)?,
                *row,
            ))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    ranked.sort_by(|a, b| (a.0, &a.1, a.2, &a.3).cmp(&(b.0, &b.1, b.2, &b.3)));
    let holder_details = match ranked.first() {
        Some(first) if ranked.len() > 1 => {
            let holder = first.4;
            let center = holder.text(6)?;
            Some(ConflictDetails {
                other_id: holder.text(0)?.parse().map_err(storage)?,
                redeemed_at: holder.text(4)?.parse().map_err(storage)?,
                local_day: holder.text(5)?.parse().map_err(storage)?,
                center_name: center_info(tx, &center)
                    .map(|c| c.name)
                    .unwrap_or_else(|_| center.clone()),
                center,
                device: holder.text(7)?,
            })
        }
        _ => None,
    };
    // A promotion: the coupon had no holder among these rows (a cancellation or a decision
    // just removed it) and one of them that was already known becomes it.
    let promoted = promoted_by.filter(|_| !contenders.iter().any(|row| holds(row).unwrap_or(true)));
    let mut updates: Vec<(&Row, EntryState, Option<String>)> = Vec::new();
    for (i, ranked) in ranked.iter().enumerate() {
        match (&holder_details, i) {
            (Some(details), 1..) => updates.push((
                ranked.4,
                EntryState::Conflict,
                Some(serde_json::to_string(details).map_err(storage)?),
            )),
            _ => updates.push((ranked.4, EntryState::Accepted, None)),
        }
    }
    updates.extend(fixed.into_iter().map(|(row, state)| (row, state, None)));
    for (row, state, conflict) in updates {
        let was = row.text(2)?;
        if was != state.as_str() || row.opt_text(3)? != conflict {
            tx.execute(
                "UPDATE entries SET state = $1, conflict = $2, version = $3 WHERE id = $4",
                &[
                    state.as_str().into(),
                    conflict.into(),
                    Value::Int(versions.next(&row.text(7)?)?),
                    row.text(0)?.into(),
                ],
            )?;
        }
        if let (EntryState::Accepted, Some(by)) = (state, promoted.filter(|_| was == "conflict")) {
            tx.execute(
                "UPDATE entries SET promoted_by = $1 WHERE id = $2",
                &[by.as_str().into(), row.text(0)?.into()],
            )?;
        }
    }
    Ok(())
}
