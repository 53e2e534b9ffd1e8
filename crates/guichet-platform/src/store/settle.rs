//! The conflict rule: which of a coupon's redemptions holds it.

use std::collections::{BTreeMap, BTreeSet};

use guichet_protocol::{ConflictDetails, EntryState};

use super::devices::center_info;
use super::versions::Versions;
use crate::db::{batch, Tx, Value};
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
pub(super) async fn redeeming_devices(
    tx: &mut Tx,
    coupons: &BTreeSet<Coupon>,
) -> Result<BTreeSet<String>, Error> {
    let coupons: Vec<&Coupon> = coupons.iter().collect();
    let mut devices = BTreeSet::new();
    for chunk in batch::chunks(&coupons) {
        devices.extend(
            tx.values::<String>(
                &per_coupon(
                    "SELECT device FROM entries WHERE kind = 'redemption' AND state <> 'cancelled'",
                    "UNION",
                    chunk.len(),
                ),
                &coupon_params(chunk),
            )
            .await?,
        );
    }
    Ok(devices)
}

const SETTLE_COLUMNS: &str =
    "id, received_order, state, conflict, occurred_at, local_day, center, \
     device, kid, serial, verdict, decision, transferred_from, decided_at";

/// One of a coupon's redemptions, as the conflict rule reads it.
#[derive(sqlx::FromRow)]
struct Contender {
    id: String,
    received_order: i64,
    state: String,
    conflict: Option<String>,
    occurred_at: String,
    local_day: String,
    center: String,
    device: String,
    kid: String,
    serial: i64,
    verdict: String,
    decision: Option<String>,
    transferred_from: Option<String>,
    decided_at: Option<String>,
}

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
pub(super) async fn settle_coupons(
    tx: &mut Tx,
    coupons: &BTreeSet<Coupon>,
    versions: &mut Versions,
    settling: &Settling,
) -> Result<(), Error> {
    let coupons: Vec<&Coupon> = coupons.iter().collect();
    let mut redemptions: BTreeMap<Coupon, Vec<Contender>> = BTreeMap::new();
    for chunk in batch::chunks(&coupons) {
        let rows: Vec<Contender> = tx
            .rows(
                &per_coupon(
                    &format!(
                        "SELECT {SETTLE_COLUMNS} FROM entries \
                         WHERE kind = 'redemption' AND state <> 'cancelled'"
                    ),
                    "UNION ALL",
                    chunk.len(),
                ),
                &coupon_params(chunk),
            )
            .await?;
        for row in rows {
            let coupon = (row.kid.clone(), row.serial);
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
        )
        .await?;
    }
    Ok(())
}

/// What a redemption is, before the conflict rule: a contender for its coupon, or a state of
/// its own.
fn standing(row: &Contender) -> Result<Option<EntryState>, Error> {
    Ok(match (row.verdict.as_str(), row.decision.as_deref()) {
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
async fn settle_coupon(
    tx: &mut Tx,
    rows: Vec<Contender>,
    versions: &mut Versions,
    settling: &Settling,
    promoted_by: Option<&String>,
) -> Result<(), Error> {
    // Holding already: `accepted`, and received before the push being stored (if any).
    let holds = |row: &Contender| {
        row.state == "accepted"
            && settling
                .received_from
                .is_none_or(|first| row.received_order < first)
    };
    let mut contenders: Vec<&Contender> = Vec::new();
    let mut fixed: Vec<(&Contender, EntryState)> = Vec::new();
    for row in &rows {
        match standing(row)? {
            Some(state) => fixed.push((row, state)),
            None => contenders.push(row),
        }
    }
    let mut ranked = contenders
        .iter()
        .map(|row| {
            let transferred_at = match (row.decision.as_deref(), &row.transferred_from) {
                (Some("accept"), Some(_)) => row.decided_at.clone(),
                _ => None,
            };
            (
                !holds(row),
                std::cmp::Reverse(transferred_at),
                row.received_order,
                row.id.clone(),
                *row,
            )
        })
        .collect::<Vec<_>>();
    ranked.sort_by(|a, b| (a.0, &a.1, a.2, &a.3).cmp(&(b.0, &b.1, b.2, &b.3)));
    let holder_details = match ranked.first() {
        Some(first) if ranked.len() > 1 => {
            let holder = first.4;
            let center = holder.center.clone();
            Some(ConflictDetails {
                other_id: holder.id.parse().map_err(storage)?,
                redeemed_at: holder.occurred_at.parse().map_err(storage)?,
                local_day: holder.local_day.parse().map_err(storage)?,
                center_name: center_info(tx, &center)
                    .await
                    .map(|c| c.name)
                    .unwrap_or_else(|_| center.clone()),
                center,
                device: holder.device.clone(),
            })
        }
        _ => None,
    };
    // A promotion: the coupon had no holder among these rows (a cancellation or a decision
    // just removed it) and one of them that was already known becomes it.
    let promoted = promoted_by.filter(|_| !contenders.iter().any(|row| holds(row)));
    let mut updates: Vec<(&Contender, EntryState, Option<String>)> = Vec::new();
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
        let was = row.state.as_str();
        if was != state.as_str() || row.conflict != conflict {
            tx.execute(
                "UPDATE entries SET state = $1, conflict = $2, version = $3 WHERE id = $4",
                &[
                    state.as_str().into(),
                    conflict.into(),
                    Value::Int(versions.next(&row.device)?),
                    row.id.as_str().into(),
                ],
            )
            .await?;
        }
        if let (EntryState::Accepted, Some(by)) = (state, promoted.filter(|_| was == "conflict")) {
            tx.execute(
                "UPDATE entries SET promoted_by = $1 WHERE id = $2",
                &[by.as_str().into(), row.id.as_str().into()],
            )
            .await?;
        }
    }
    Ok(())
}
