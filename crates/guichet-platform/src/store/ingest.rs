//! Redemption push: the chain check, idempotent storage, and the conflict rule.

use std::collections::BTreeSet;

use guichet_protocol::paths::{MAX_BATCH_ENTRIES, MAX_STATES_PER_PAGE};
use guichet_protocol::{
    ChainHash, ConflictDetails, EntryEvent, EntryResult, EntryState, ErrorBody, ErrorCode,
    LedgerEntry, PushResponse, StatesResponse,
};
use jiff::Timestamp;

use super::devices::center_info;
use super::{serial_to_db, stamp, Store};
use crate::db::{Mode, Row, Tx, Value};
use crate::error::Error;

fn refused(code: ErrorCode, message: impl Into<String>) -> Error {
    Error::refused(code, message)
}

fn storage(e: impl std::fmt::Display) -> Error {
    Error::Storage(e.to_string())
}

fn parse_state(text: &str) -> Result<EntryState, Error> {
    match text {
        "accepted" => Ok(EntryState::Accepted),
        "conflict" => Ok(EntryState::Conflict),
        "unknown" => Ok(EntryState::Unknown),
        "cancelled" => Ok(EntryState::Cancelled),
        other => Err(storage(format!("unknown entry state {other:?}"))),
    }
}

/// Hands out state versions within one exclusive transaction.
struct Versions {
    last: i64,
}

impl Versions {
    fn next(&mut self) -> i64 {
        self.last += 1;
        self.last
    }
}

/// Checks what can be checked without the database: size, chain continuity within the
/// batch, and that every entry is the signer's.
fn check_batch(device: &str, center: &str, entries: &[LedgerEntry]) -> Result<(), Error> {
    if entries.is_empty() {
        return Err(refused(
            ErrorCode::MalformedBody,
            "a push carries at least one entry",
        ));
    }
    if entries.len() > MAX_BATCH_ENTRIES {
        return Err(refused(
            ErrorCode::BatchTooLarge,
            format!(
                "{} entries; a push carries at most {MAX_BATCH_ENTRIES}",
                entries.len()
            ),
        ));
    }
    for entry in entries {
        if entry.device != device || entry.center != center {
            return Err(refused(
                ErrorCode::WrongDevice,
                format!(
                    "entry {} names device {} of center {}; the signer is device {device} of center {center}",
                    entry.id, entry.device, entry.center
                ),
            ));
        }
    }
    for pair in entries.windows(2) {
        if pair[1].prev_hash != pair[0].hash {
            return Err(refused(
                ErrorCode::ChainGap,
                format!(
                    "entry {} does not follow entry {} in the chain",
                    pair[1].id, pair[0].id
                ),
            ));
        }
    }
    Ok(())
}

fn insert(tx: &mut dyn Tx, entry: &LedgerEntry, now: Timestamp, version: i64) -> Result<(), Error> {
    let mut values: Vec<Value> = vec![
        entry.id.to_string().into(),
        entry.device.as_str().into(),
        entry.center.as_str().into(),
        stamp(entry.occurred_at).into(),
        Value::Int(entry.occurred_at.as_microsecond()),
        entry.local_day.to_string().into(),
        entry.actor.as_str().into(),
        entry.prev_hash.to_hex().into(),
        entry.hash.to_hex().into(),
        stamp(now).into(),
        Value::Int(version),
    ];
    match &entry.event {
        EntryEvent::Redemption(r) => {
            values.extend([
                "redemption".into(),
                r.checkout_id.to_string().into(),
                r.kid.to_hex().into(),
                Value::Int(serial_to_db(r.serial)),
                r.value_cents.into(),
                r.provider.into(),
                r.area.code().into(),
                r.service.as_str().into(),
                serde_json::to_value(r.input_method)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .into(),
                Value::Null,
                Value::Null,
                Value::Null,
            ]);
        }
        EntryEvent::Cancellation(c) => {
            values.extend([
                "cancellation".into(),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                c.cancels.to_string().into(),
                serde_json::to_value(c.actor_role)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .into(),
                c.reason.as_str().into(),
            ]);
        }
    }
    // Every entry starts `accepted`; the conflict rule runs once the batch is in.
    tx.execute(
        "INSERT INTO entries (id, device, center, occurred_at, occurred_us, local_day, actor, \
         prev_hash, hash, received_at, version, kind, checkout_id, kid, serial, value_cents, \
         provider, area, service, input_method, cancels, actor_role, reason, state) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18, $19, $20, $21, $22, $23, 'accepted')",
        &values,
    )?;
    Ok(())
}

/// Applies the conflict rule to every redemption of one coupon: among those not cancelled,
/// the earliest `occurred_at` (then the smaller id) is `accepted` and the others `conflict`;
/// all are `unknown` if no minted booklet holds the coupon.
fn settle_coupon(
    tx: &mut dyn Tx,
    kid: &str,
    serial: i64,
    versions: &mut Versions,
) -> Result<(), Error> {
    let mut rows = tx.query(
        "SELECT id, occurred_us, state, conflict, occurred_at, local_day, center, device \
         FROM entries WHERE kind = 'redemption' AND kid = $1 AND serial = $2 \
         AND state <> 'cancelled'",
        &[kid.into(), Value::Int(serial)],
    )?;
    if rows.is_empty() {
        return Ok(());
    }
    let mut keyed = rows
        .drain(..)
        .map(|row| Ok((row.int(1)?, row.text(0)?, row)))
        .collect::<Result<Vec<(i64, String, Row)>, Error>>()?;
    keyed.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    // The booklet that would hold the serial: the last one starting at or before it (an
    // index seek on (kid, first_serial), whatever the number of booklets).
    let minted = match tx.query_opt(
        "SELECT first_serial, coupons FROM booklets WHERE kid = $1 AND first_serial <= $2 \
         ORDER BY first_serial DESC LIMIT 1",
        &[kid.into(), Value::Int(serial)],
    )? {
        Some(booklet) => serial - booklet.int(0)? < booklet.int(1)?,
        None => false,
    };
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
                    Value::Int(versions.next()),
                    id.as_str().into(),
                ],
            )?;
        }
    }
    Ok(())
}

fn result_of(id: &str, state: &str, conflict: Option<String>) -> Result<EntryResult, Error> {
    Ok(EntryResult {
        id: id.parse().map_err(storage)?,
        state: parse_state(state)?,
        conflict: conflict
            .map(|json| serde_json::from_str(&json).map_err(storage))
            .transpose()?,
    })
}

fn current_result(tx: &mut dyn Tx, id: &str) -> Result<EntryResult, Error> {
    let row = tx.query_one(
        "SELECT state, conflict FROM entries WHERE id = $1",
        &[id.into()],
    )?;
    result_of(id, &row.text(0)?, row.opt_text(1)?)
}

impl Store {
    /// Stores a batch of a device's ledger entries (see `schema/sync-api.md`): all or nothing,
    /// idempotent by id; answers each entry's state.
    pub fn ingest(
        &self,
        device: &str,
        entries: &[LedgerEntry],
        now: Timestamp,
    ) -> Result<PushResponse, Error> {
        self.run(Mode::Exclusive, |tx| {
            let device_row = tx
                .query_opt("SELECT center, chain_head FROM devices WHERE id = $1", &[device.into()])?
                .ok_or_else(|| refused(ErrorCode::UnknownDevice, "unknown device"))?;
            let center = device_row.text(0)?;
            let head: ChainHash = device_row.text(1)?.parse().map_err(storage)?;
            check_batch(device, &center, entries)?;

            // Entries already held must be a prefix of the batch, each the same as held.
            let mut first_new = None;
            for (i, entry) in entries.iter().enumerate() {
                let held = tx.query_opt(
                    "SELECT device, hash FROM entries WHERE id = $1",
                    &[entry.id.to_string().into()],
                )?;
                match (held, first_new) {
                    (None, None) => first_new = Some(i),
                    (None, Some(_)) => {}
                    (Some(row), None) => {
                        if row.text(0)? != device || row.text(1)? != entry.hash.to_hex() {
                            return Err(refused(
                                ErrorCode::EntryMismatch,
                                format!("entry {} is already held with other content", entry.id),
                            ));
                        }
                    }
                    (Some(_), Some(_)) => {
                        return Err(refused(
                            ErrorCode::EntryMismatch,
                            format!("entry {} is already held, but follows entries that are not", entry.id),
                        ));
                    }
                }
            }
            let mut chain_head = head;
            if let Some(first) = first_new {
                if entries[first].prev_hash != head {
                    return Err(Error::Refused(ErrorBody {
                        error: ErrorCode::ChainGap,
                        message: format!(
                            "entry {} does not continue the chain the platform holds for this device (its last hash is {head})",
                            entries[first].id
                        ),
                        chain_head: Some(head),
                    }));
                }
                let mut versions = Versions {
                    last: tx
                        .query_one("SELECT value FROM counters WHERE name = 'state_version'", &[])?
                        .int(0)?,
                };
                let mut coupons: BTreeSet<(String, i64)> = BTreeSet::new();
                for entry in &entries[first..] {
                    insert(tx, entry, now, versions.next())?;
                    match &entry.event {
                        EntryEvent::Redemption(r) => {
                            coupons.insert((r.kid.to_hex(), serial_to_db(r.serial)));
                        }
                        EntryEvent::Cancellation(c) => {
                            if let Some(coupon) = cancel(tx, device, &c.cancels.to_string(), &mut versions)? {
                                coupons.insert(coupon);
                            }
                        }
                    }
                }
                for (kid, serial) in &coupons {
                    settle_coupon(tx, kid, *serial, &mut versions)?;
                }
                chain_head = entries[entries.len() - 1].hash;
                tx.execute(
                    "UPDATE devices SET chain_head = $1, entry_count = entry_count + $2 WHERE id = $3",
                    &[
                        chain_head.to_hex().into(),
                        Value::Int((entries.len() - first) as i64),
                        device.into(),
                    ],
                )?;
                tx.execute(
                    "UPDATE counters SET value = $1 WHERE name = 'state_version'",
                    &[Value::Int(versions.last)],
                )?;
            }
            let results = entries
                .iter()
                .map(|entry| current_result(tx, &entry.id.to_string()))
                .collect::<Result<_, _>>()?;
            Ok(PushResponse { results, chain_head })
        })
    }

    /// State changes of a device's entries after `since`, oldest first, at most `limit`
    /// (capped at [`MAX_STATES_PER_PAGE`]).
    pub fn states_since(
        &self,
        device: &str,
        since: u64,
        limit: usize,
    ) -> Result<StatesResponse, Error> {
        let limit = limit.clamp(1, MAX_STATES_PER_PAGE);
        self.run(Mode::Read, |tx| {
            let rows = tx.query(
                "SELECT id, state, conflict, version FROM entries \
                 WHERE device = $1 AND version > $2 ORDER BY version LIMIT $3",
                &[
                    device.into(),
                    Value::Int(since.min(i64::MAX as u64) as i64),
                    Value::Int(limit as i64 + 1),
                ],
            )?;
            let more = rows.len() > limit;
            let mut cursor = since;
            let mut changes = Vec::new();
            for row in rows.iter().take(limit) {
                changes.push(result_of(&row.text(0)?, &row.text(1)?, row.opt_text(2)?)?);
                cursor = row.int(3)? as u64;
            }
            Ok(StatesResponse {
                changes,
                cursor,
                more,
            })
        })
    }

    /// A redemption's coupon and its state, for admin tools and tests.
    pub fn entry_state(&self, id: &str) -> Result<Option<EntryResult>, Error> {
        self.run(Mode::Read, |tx| {
            tx.query_opt(
                "SELECT state, conflict FROM entries WHERE id = $1",
                &[id.into()],
            )?
            .map(|row| result_of(id, &row.text(0)?, row.opt_text(1)?))
            .transpose()
        })
    }

    /// How many entries the platform holds in all.
    pub fn entry_count(&self) -> Result<u64, Error> {
        self.run(Mode::Read, |tx| {
            Ok(tx.query_one("SELECT COUNT(*) FROM entries", &[])?.int(0)? as u64)
        })
    }
}

/// Marks the device's redemption `cancels` as cancelled; returns its coupon, to settle again.
/// A cancellation of an id the platform does not hold for this device changes nothing.
fn cancel(
    tx: &mut dyn Tx,
    device: &str,
    cancels: &str,
    versions: &mut Versions,
) -> Result<Option<(String, i64)>, Error> {
    let Some(row) = tx.query_opt(
        "SELECT kid, serial FROM entries WHERE id = $1 AND device = $2 AND kind = 'redemption'",
        &[cancels.into(), device.into()],
    )?
    else {
        return Ok(None);
    };
    tx.execute(
        "UPDATE entries SET state = 'cancelled', conflict = NULL, version = $1 WHERE id = $2",
        &[Value::Int(versions.next()), cancels.into()],
    )?;
    Ok(Some((row.text(0)?, row.int(1)?)))
}
