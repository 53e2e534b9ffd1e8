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

/// The coupon columns of a `VALUES` list: typed, since PostgreSQL cannot infer a parameter's
/// type inside `VALUES`.
const COUPON_TUPLE: [&str; 2] = ["CAST({} AS TEXT)", "CAST({} AS BIGINT)"];

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

/// Applies the conflict rule to every redemption of each coupon: among those not cancelled,
/// the earliest `occurred_at` (then the smaller id) is `accepted` and the others `conflict`;
/// all are `unknown` if no minted booklet holds the coupon.
pub(super) fn settle_coupons(
    tx: &mut dyn Tx,
    coupons: &BTreeSet<Coupon>,
    versions: &mut Versions,
) -> Result<(), Error> {
    let coupons: Vec<&Coupon> = coupons.iter().collect();
    let mut redemptions: BTreeMap<Coupon, Vec<Row>> = BTreeMap::new();
    let mut minted: BTreeSet<Coupon> = BTreeSet::new();
    for chunk in batch::chunks(&coupons) {
        let params = coupon_params(chunk);
        let tuples = batch::tuples(chunk.len(), &COUPON_TUPLE);
        for row in tx.query(
            &per_coupon(
                "SELECT id, occurred_us, state, conflict, occurred_at, local_day, center, device, \
                 kid, serial FROM entries WHERE kind = 'redemption' AND state <> 'cancelled'",
                "UNION ALL",
                chunk.len(),
            ),
            &params,
        )? {
            let coupon = (row.text(8)?, row.int(9)?);
            redemptions.entry(coupon).or_default().push(row);
        }
        // The booklet that would hold each serial: the last one starting at or before it (an
        // index seek on (kid, first_serial), whatever the number of booklets). `column1` and
        // `column2` are the names both SQLite and PostgreSQL give a VALUES list's columns.
        for row in tx.query(
            &format!(
                "SELECT c.column1, c.column2, (SELECT b.first_serial + b.coupons FROM booklets b \
                 WHERE b.kid = c.column1 AND b.first_serial <= c.column2 \
                 ORDER BY b.first_serial DESC LIMIT 1) FROM (VALUES {tuples}) AS c"
            ),
            &params,
        )? {
            let (kid, serial) = (row.text(0)?, row.int(1)?);
            if row.opt_int(2)?.is_some_and(|end| serial < end) {
                minted.insert((kid, serial));
            }
        }
    }
    for (coupon, rows) in redemptions {
        settle_coupon(tx, rows, minted.contains(&coupon), versions)?;
    }
    Ok(())
}

/// The conflict rule for one coupon's redemptions (not cancelled), as
/// [`settle_coupons`] read them.
fn settle_coupon(
    tx: &mut dyn Tx,
    rows: Vec<Row>,
    minted: bool,
    versions: &mut Versions,
) -> Result<(), Error> {
    let mut keyed = rows
        .into_iter()
        .map(|row| Ok((row.int(1)?, row.text(0)?, row)))
        .collect::<Result<Vec<(i64, String, Row)>, Error>>()?;
    keyed.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let holder = &keyed[0].2;
    // The details are only needed when another redemption is in conflict with the holder.
    let holder_details = if minted && keyed.len() > 1 {
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
    } else {
        None
    };
    for (i, (_, id, row)) in keyed.iter().enumerate() {
        let (state, conflict) = match &holder_details {
            _ if !minted => (EntryState::Unknown, None),
            _ if i == 0 => (EntryState::Accepted, None),
            None => (EntryState::Accepted, None),
            Some(details) => (
                EntryState::Conflict,
                Some(serde_json::to_string(details).map_err(storage)?),
            ),
        };
        if row.text(2)? != state.as_str() || row.opt_text(3)? != conflict {
            tx.execute(
                "UPDATE entries SET state = $1, conflict = $2, version = $3 WHERE id = $4",
                &[
                    state.as_str().into(),
                    conflict.into(),
                    Value::Int(versions.next(&row.text(7)?)?),
                    id.as_str().into(),
                ],
            )?;
        }
    }
    Ok(())
}
