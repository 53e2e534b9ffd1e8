//! Redemption push: the chain check, idempotent storage, and the conflict rule.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use guichet_protocol::paths::{MAX_BATCH_ENTRIES, MAX_STATES_PER_PAGE};
use guichet_protocol::signing::MAX_CLOCK_SKEW_SECS;
use guichet_protocol::{
    limits, Cause, CauseCode, ChainHash, EntryEvent, EntryResult, EntryState, ErrorBody, ErrorCode,
    LedgerEntry, PushResponse, StatesResponse,
};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

use super::facts::{self, PushFacts};
use super::settle::{redeeming_devices, settle_coupons, Coupon, Promotions, Settling};
use super::versions::Versions;
use super::{serial_to_db, stamp, Store};
use crate::clock::paris_day;
use crate::db::{self, batch, Mode, Tx, Value};
use crate::error::Error;
use crate::proof::{self, BookletFacts, Facts, Proof};

fn refused(code: ErrorCode, message: impl Into<String>) -> Error {
    Error::refused(code, message)
}

fn storage(e: impl std::fmt::Display) -> Error {
    Error::Storage(e.to_string())
}

fn parse_state(text: &str) -> Result<EntryState, Error> {
    EntryState::parse(text).ok_or_else(|| storage(format!("unknown entry state {text:?}")))
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
        limits::check_entry(entry)
            .map_err(|e| refused(ErrorCode::MalformedBody, format!("entry {}: {e}", entry.id)))?;
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

/// Checks each entry's own signature against the pushing device's key
/// (`guichet_protocol::entry_signature`): a signed entry must be the device's, over this very
/// content. An unsigned entry passes (kiosks before ledger schema 5 did not sign). The
/// checks are spread over the cores ([`crate::parallel`]).
pub fn check_entry_signatures(
    device_key: &ed25519_dalek::VerifyingKey,
    entries: &[LedgerEntry],
) -> Result<(), Error> {
    use guichet_protocol::entry_signature::{check, EntrySignature};
    let bad = crate::parallel::map(entries, |entry| {
        check(entry, device_key) == EntrySignature::Bad
    })?;
    match entries
        .iter()
        .zip(bad)
        .find_map(|(entry, bad)| bad.then_some(entry))
    {
        Some(entry) => Err(refused(
            ErrorCode::BadEntrySignature,
            format!(
                "entry {} carries a signature that is not this device's over its content",
                entry.id
            ),
        )),
        None => Ok(()),
    }
}

/// The columns of `entries` a push writes, in [`entry_values`]' order (a proven redemption
/// starts `accepted`; the conflict rule, run once the batch is in, leaves it so only if no
/// redemption received before it holds its coupon: see [`settle_coupons`]).
const ENTRY_COLUMNS: &str = "id, device, center, occurred_at, occurred_us, local_day, actor, \
     prev_hash, hash, received_at, version, kind, checkout_id, kid, serial, value_cents, \
     provider, area, service, input_method, cancels, actor_role, reason, code, verdict, cause, \
     received_us, state, device_signature, paid_cents, paid_provider, report_day, \
     received_order";

/// What the platform decided of one new entry at ingest: its first state, the verdict its
/// checks gave (`ok`, `rejected`, `held`, `unknown`), the cause, and what it would pay: the
/// face value and provider of the minted booklet's record of the serial (never the kiosk's
/// copies), if a booklet holds it.
struct Decided {
    state: EntryState,
    verdict: &'static str,
    cause: Option<Cause>,
    paid: Option<(u32, u32)>,
}

impl Decided {
    fn of(proof: Proof, booklet: Option<&BookletFacts>) -> Decided {
        let (state, verdict, cause) = match proof {
            Proof::Proven => (EntryState::Accepted, "ok", None),
            Proof::NotMinted => (EntryState::Unknown, "unknown", None),
            Proof::Rejected(cause) => (EntryState::Rejected, "rejected", Some(cause)),
            Proof::Held(cause) => (EntryState::Held, "held", Some(cause)),
        };
        Decided {
            state,
            verdict,
            cause,
            paid: booklet.map(|booklet| (booklet.value_cents, booklet.provider)),
        }
    }

    /// A cancellation: always taken, pays nothing.
    fn cancellation() -> Decided {
        Decided {
            state: EntryState::Accepted,
            verdict: "ok",
            cause: None,
            paid: None,
        }
    }
}

/// One entry's values for [`ENTRY_COLUMNS`]. The report day is the platform's own reading of
/// `occurred_at` in Europe/Paris (not the kiosk's `local_day`), moved to `first_open_day` if
/// it falls in a closed month; `order` is the database's order of receipt.
fn entry_values(
    entry: &LedgerEntry,
    now: Timestamp,
    (version, order): (i64, i64),
    decided: &Decided,
    first_open_day: Option<Date>,
) -> Result<Vec<Value>, Error> {
    let report_day = paris_day(entry.occurred_at).max(first_open_day.unwrap_or(Date::MIN));
    let mut values: Vec<Value> = vec![
        entry.id.to_string().into(),
        entry.device.as_str().into(),
        entry.center.as_str().into(),
        stamp(entry.occurred_at).into(),
        Value::Int(entry.occurred_at.as_microsecond()),
        paris_day(entry.occurred_at).to_string().into(),
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
                Value::NullText,
                Value::NullText,
                Value::NullText,
                r.code.as_deref().into(),
            ]);
        }
        EntryEvent::Cancellation(c) => {
            values.extend([
                "cancellation".into(),
                Value::NullText,
                Value::NullText,
                Value::NullInt,
                Value::NullInt,
                Value::NullInt,
                Value::NullText,
                Value::NullText,
                Value::NullText,
                c.cancels.to_string().into(),
                serde_json::to_value(c.actor_role)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .into(),
                c.reason.as_str().into(),
                Value::NullText,
            ]);
        }
    }
    values.extend([
        decided.verdict.into(),
        decided
            .cause
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(storage)?
            .into(),
        Value::Int(now.as_microsecond()),
        decided.state.as_str().into(),
        entry.signature.as_deref().into(),
        decided.paid.map(|(cents, _)| cents).into(),
        decided.paid.map(|(_, provider)| provider).into(),
        report_day.to_string().into(),
        Value::Int(order),
    ]);
    Ok(values)
}

/// Inserts a device's new entries, a chunk per statement, each with the device's next state
/// version and the database's next number of receipt (taken here, after the coupon locks);
/// answers the first of those numbers: every redemption the database received before this
/// push has a smaller one.
async fn insert_all(
    tx: &mut Tx,
    device: &str,
    entries: &[(&LedgerEntry, Decided)],
    now: Timestamp,
    versions: &mut Versions,
) -> Result<Option<i64>, Error> {
    const PARAMETERS: usize = 33;
    let row = vec!["{}"; PARAMETERS];
    let first_open_day = super::report::first_open_day(tx).await?;
    let orders = tx.next_orders(entries.len()).await?;
    let first_order = orders.first().copied();
    let mut orders = orders.into_iter();
    for chunk in batch::chunks(entries) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * PARAMETERS);
        for (entry, decided) in chunk {
            let order = orders
                .next()
                .ok_or_else(|| storage("fewer numbers of receipt than entries"))?;
            values.extend(entry_values(
                entry,
                now,
                (versions.next(device)?, order),
                decided,
                first_open_day,
            )?);
        }
        tx.execute(
            &format!(
                "INSERT INTO entries ({ENTRY_COLUMNS}) VALUES {}",
                batch::tuples(chunk.len(), &row)
            ),
            &values,
        )
        .await?;
    }
    Ok(first_order)
}

/// The devices and hashes of the entries of `ids` the platform already holds, by id.
async fn held_entries(
    tx: &mut Tx,
    ids: &[&str],
) -> Result<HashMap<String, (String, String)>, Error> {
    Ok(batch::query_in::<(String, String, String)>(
        tx,
        "SELECT id, device, hash FROM entries WHERE id IN",
        ids,
    )
    .await?
    .into_iter()
    .map(|(id, device, hash)| (id, (device, hash)))
    .collect())
}

/// Each entry's current state, in the order of `ids`.
async fn current_results(tx: &mut Tx, ids: &[&str]) -> Result<Vec<EntryResult>, Error> {
    let results = batch::query_in::<ResultRow>(
        tx,
        &format!("SELECT {RESULT_COLUMNS} FROM entries WHERE id IN"),
        ids,
    )
    .await?
    .into_iter()
    .map(|row| Ok((row.id.clone(), row.result()?)))
    .collect::<Result<HashMap<_, _>, Error>>()?;
    ids.iter()
        .map(|&id| {
            results
                .get(id)
                .cloned()
                .ok_or_else(|| storage(format!("entry {id} vanished during its push")))
        })
        .collect()
}

/// The columns [`result_of`] reads, in its order.
pub(super) const RESULT_COLUMNS: &str = "id, state, conflict, cause, decision, decision_reason";

/// An entry's state as the kiosk is told it, from a row of [`RESULT_COLUMNS`]: a rejection
/// by an admin gives their reason as the cause.
/// An entry's stored outcome, as a kiosk is told it ([`RESULT_COLUMNS`]).
#[derive(sqlx::FromRow)]
pub(super) struct ResultRow {
    id: String,
    state: String,
    conflict: Option<String>,
    cause: Option<String>,
    decision: Option<String>,
    decision_reason: Option<String>,
}

impl ResultRow {
    /// What a kiosk is told of this entry.
    pub(super) fn result(&self) -> Result<EntryResult, Error> {
        let state = parse_state(&self.state)?;
        let cause = match (state, self.decision.as_deref()) {
            (EntryState::Rejected, Some("reject")) => Some(Cause {
                code: CauseCode::AdminRejected,
                detail: self.decision_reason.clone(),
            }),
            (EntryState::Rejected | EntryState::Held, _) => self
                .cause
                .as_deref()
                .map(|json| serde_json::from_str(json).map_err(storage))
                .transpose()?,
            _ => None,
        };
        Ok(EntryResult {
            id: self.id.parse().map_err(storage)?,
            state,
            conflict: self
                .conflict
                .as_deref()
                .filter(|_| state == EntryState::Conflict)
                .map(|json| serde_json::from_str(json).map_err(storage))
                .transpose()?,
            cause,
        })
    }
}

/// A [`ResultRow`] with its state version (a kiosk's cursor).
#[derive(sqlx::FromRow)]
struct VersionedResult {
    #[sqlx(flatten)]
    result: ResultRow,
    version: i64,
}

impl Store {
    /// Stores a batch of a device's ledger entries (see `schema/sync-api.md`): all or nothing,
    /// idempotent by id; answers each entry's state.
    pub async fn ingest(
        &self,
        device: &str,
        entries: &[LedgerEntry],
        now: Timestamp,
    ) -> Result<PushResponse, Error> {
        // The signatures first, outside the write transaction and on every core: they are
        // most of a push's cost, and need nothing but the issuer public keys of the
        // root-signed bundles.
        let history = self.signed_history().await?;
        let signatures = self.verify_signatures(history.clone(), entries).await?;
        self.run(Mode::Write, async |tx| {
            // Locks are taken in this order of kinds (never back): the pushing device, the
            // coupons of the batch, the state versions of the devices they may change. So two
            // pushes never wait for each other in a cycle, and pushes about other coupons and
            // other devices run side by side.
            tx.lock(&[format!("push:{device}")]).await?;
            let (center, head) = tx
                .row::<(String, String)>(
                    "SELECT center, chain_head FROM devices WHERE id = $1",
                    &[device.into()],
                )
                .await?
                .ok_or_else(|| refused(ErrorCode::UnknownDevice, "unknown device"))?;
            let head: ChainHash = head.parse().map_err(storage)?;
            check_batch(device, &center, entries)?;

            // Entries already held must be a prefix of the batch, each the same as held.
            let ids: Vec<String> = entries.iter().map(|entry| entry.id.to_string()).collect();
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            let held = held_entries(tx, &ids).await?;
            let first_new = ids.iter().position(|&id| !held.contains_key(id));
            for (i, (entry, id)) in entries.iter().zip(&ids).enumerate() {
                let Some((held_device, held_hash)) = held.get(*id) else {
                    continue;
                };
                if first_new.is_some_and(|first| i > first) {
                    return Err(refused(
                        ErrorCode::EntryMismatch,
                        format!("entry {id} is already held, but follows entries that are not"),
                    ));
                }
                if held_device != device || *held_hash != entry.hash.to_hex() {
                    return Err(refused(
                        ErrorCode::EntryMismatch,
                        format!("entry {id} is already held with other content"),
                    ));
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
                let new = &entries[first..];
                let cancelled = cancelled_redemptions(tx, device, new).await?;
                let promotions: Promotions = cancelled.values().cloned().collect();
                let mut coupons: BTreeSet<Coupon> = promotions.keys().cloned().collect();
                for entry in new {
                    if let EntryEvent::Redemption(r) = &entry.event {
                        coupons.insert((r.kid.to_hex(), serial_to_db(r.serial)));
                    }
                }
                let names: Vec<String> =
                    coupons.iter().map(|(kid, serial)| format!("coupon:{kid}:{serial}")).collect();
                tx.lock(&names).await?;
                let mut devices = redeeming_devices(tx, &coupons).await?;
                devices.insert(device.to_owned());
                let mut versions = Versions::lock(tx, &devices).await?;

                let facts = facts::gather(tx, history.clone(), device, &center, new).await?;
                let first_new_index = entries.len() - new.len();
                let (decided, last_occurred) =
                    decide_all(new, &signatures[first_new_index..], &facts, now);
                count_decisions(&decided);
                let received_from = insert_all(tx, device, &decided, now, &mut versions).await?;
                for id in cancelled.keys() {
                    tx.execute(
                        "UPDATE entries SET state = 'cancelled', conflict = NULL, version = $1 WHERE id = $2",
                        &[Value::Int(versions.next(device)?), id.as_str().into()],
                    ).await?;
                }
                let settling = Settling {
                    promotions,
                    received_from,
                };
                settle_coupons(tx, &coupons, &mut versions, &settling).await?;
                versions.store(tx).await?;
                chain_head = entries[entries.len() - 1].hash;
                tx.execute(
                    "UPDATE devices SET chain_head = $1, entry_count = entry_count + $2, \
                     last_occurred_us = $3 WHERE id = $4",
                    &[
                        chain_head.to_hex().into(),
                        Value::Int(i64::try_from(new.len()).map_err(storage)?),
                        last_occurred.map(|at| at.as_microsecond()).into(),
                        device.into(),
                    ],
                ).await?;
            }
            let results = current_results(tx, &ids).await?;
            Ok(PushResponse { results, chain_head })
        })
        .await
    }

    /// State changes of a device's entries after `since`, oldest first, at most `limit`
    /// (capped at [`MAX_STATES_PER_PAGE`]).
    pub async fn states_since(
        &self,
        device: &str,
        since: u64,
        limit: usize,
    ) -> Result<StatesResponse, Error> {
        let limit = limit.clamp(1, MAX_STATES_PER_PAGE);
        let rows: Vec<VersionedResult> = self
            .run(Mode::Read, async |tx| {
                tx.rows(
                    &format!(
                        "SELECT {RESULT_COLUMNS}, version FROM entries \
                         WHERE device = $1 AND version > $2 ORDER BY version LIMIT $3"
                    ),
                    &[
                        device.into(),
                        Value::Int(i64::try_from(since).unwrap_or(i64::MAX)),
                        Value::Int(i64::try_from(limit).map_err(storage)? + 1),
                    ],
                )
                .await
            })
            .await?;
        let more = rows.len() > limit;
        let mut cursor = since;
        let mut changes = Vec::new();
        for row in rows.iter().take(limit) {
            changes.push(row.result.result()?);
            cursor = db::count(row.version)?;
        }
        Ok(StatesResponse {
            changes,
            cursor,
            more,
        })
    }

    /// A redemption's coupon and its state, for admin tools and tests.
    pub async fn entry_state(&self, id: &str) -> Result<Option<EntryResult>, Error> {
        self.run(Mode::Read, async |tx| {
            tx.row::<ResultRow>(
                &format!("SELECT {RESULT_COLUMNS} FROM entries WHERE id = $1"),
                &[id.into()],
            )
            .await?
            .map(|row| row.result())
            .transpose()
        })
        .await
    }

    /// How many entries the platform holds in all.
    pub async fn entry_count(&self) -> Result<u64, Error> {
        self.run(Mode::Read, async |tx| {
            db::count(
                tx.one::<(i64,)>("SELECT COUNT(*) FROM entries", &[])
                    .await?
                    .0,
            )
        })
        .await
    }
}

/// The platform's checks of each new entry (cancellations need none), and the latest
/// plausible time of the device's chain after them: an entry dated beyond the time the
/// platform received it does not move that bound, so one wrong clock does not hold every
/// later entry.
fn decide_all<'a>(
    new: &'a [LedgerEntry],
    signatures: &[bool],
    facts: &PushFacts,
    now: Timestamp,
) -> (Vec<(&'a LedgerEntry, Decided)>, Option<Timestamp>) {
    let shared = Facts {
        history: &facts.history,
        booklets: &facts.booklets,
        center_zone: facts.center_zone,
        referential: facts.referential.as_ref(),
        grace_days: facts.grace_days,
        knowledge: &facts.knowledge,
        received_at: now,
        enrolled_at: facts.enrolled_at,
    };
    let plausible_until = now
        .checked_add(SignedDuration::from_secs(MAX_CLOCK_SKEW_SECS))
        .unwrap_or(Timestamp::MAX);
    let mut previous = facts.previous;
    let mut decided = Vec::with_capacity(new.len());
    for (entry, &signature_ok) in new.iter().zip(signatures) {
        let outcome = match &entry.event {
            EntryEvent::Redemption(r) => Decided::of(
                proof::check(r, entry.occurred_at, previous, signature_ok, &shared),
                facts.booklets.get(&(r.kid, r.serial)),
            ),
            EntryEvent::Cancellation(_) => Decided::cancellation(),
        };
        if entry.occurred_at <= plausible_until {
            previous = previous.max(Some(entry.occurred_at));
        }
        decided.push((entry, outcome));
    }
    (decided, previous)
}

/// Counts each new redemption by the state the platform's checks gave it and the cause
/// (`guichet_redemptions_total`, on `/metrics`).
fn count_decisions(decided: &[(&LedgerEntry, Decided)]) {
    for (entry, decided) in decided {
        if let EntryEvent::Redemption(_) = entry.event {
            let cause = decided.cause.as_ref().map_or("", |c| c.code.as_str());
            metrics::counter!(
                "guichet_redemptions_total",
                "verdict" => decided.verdict,
                "cause" => cause
            )
            .increment(1);
        }
    }
}

/// The redemptions of this device that the cancellations among `new` cancel, with their
/// coupons and the cancellation's id: each one either held already or earlier in the same
/// batch. A cancellation of an id the platform does not hold for this device changes nothing.
async fn cancelled_redemptions(
    tx: &mut Tx,
    device: &str,
    new: &[LedgerEntry],
) -> Result<BTreeMap<String, (Coupon, String)>, Error> {
    let mut earlier: HashMap<String, Coupon> = HashMap::new();
    let mut cancelled = BTreeMap::new();
    for entry in new {
        match &entry.event {
            EntryEvent::Redemption(r) => {
                earlier.insert(
                    entry.id.to_string(),
                    (r.kid.to_hex(), serial_to_db(r.serial)),
                );
            }
            EntryEvent::Cancellation(c) => {
                let id = c.cancels.to_string();
                let coupon = match earlier.get(&id) {
                    Some(coupon) => Some(coupon.clone()),
                    None => {
                        tx.row::<(String, i64)>(
                            "SELECT kid, serial FROM entries \
                             WHERE id = $1 AND device = $2 AND kind = 'redemption'",
                            &[id.as_str().into(), device.into()],
                        )
                        .await?
                    }
                };
                if let Some(coupon) = coupon {
                    cancelled.insert(id, (coupon, entry.id.to_string()));
                }
            }
        }
    }
    Ok(cancelled)
}
