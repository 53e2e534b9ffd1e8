//! An admin's review of held and conflicting redemptions: each decision is recorded with the
//! admin's name, the moment and the reason, and the coupon is settled again.
//!
//! A decision never creates value: what an accepted redemption pays is the minted booklet's
//! record of its serial (`paid_cents`, set at its push), never the kiosk's copy; a serial no
//! booklet holds cannot be accepted; a coupon another redemption holds moves only by an
//! explicit transfer naming that holder; and the payment is reported in the month of the
//! decision (the first open one), never in a month the kiosk's clock picked.

use std::collections::BTreeSet;

use guichet_protocol::limits::{check_text, MAX_ACTOR_CHARS, MAX_REASON_CHARS};
use guichet_protocol::{EntryResult, EntryState};
use jiff::Timestamp;

use super::ingest::{result_of, RESULT_COLUMNS};
use super::settle::{redeeming_devices, settle_coupons, Coupon, Promotions, Settling};
use super::versions::Versions;
use super::{invalid, serial_from_db, stamp, Store};
use crate::clock::paris_day;
use crate::db::{Mode, Row, Tx, Value};
use crate::error::Error;

/// What an admin decides about a redemption.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Pay a held redemption (or a conflicting one whose coupon nobody holds any more): it
    /// becomes a contender for its coupon. Refused while another redemption holds the coupon.
    Accept,
    /// Give the coupon to this redemption, taking it from `from`, the redemption holding it
    /// now (named, so that nobody moves a coupon without seeing who loses it).
    Transfer {
        /// The id of the redemption holding the coupon now.
        from: String,
    },
    /// Never pay it.
    Reject,
}

impl Decision {
    /// The value of the `decision` column (a transfer is an acceptance with
    /// `transferred_from`).
    fn column(&self) -> &'static str {
        match self {
            Decision::Accept | Decision::Transfer { .. } => "accept",
            Decision::Reject => "reject",
        }
    }

    fn verb(&self) -> &'static str {
        match self {
            Decision::Accept => "accepted",
            Decision::Transfer { .. } => "given the coupon",
            Decision::Reject => "rejected",
        }
    }
}

/// One redemption as a reviewer sees it: where, when, what it would pay, and the evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redemption {
    /// Its state, with the cause or the conflicting redemption.
    pub result: EntryResult,
    /// Center id and name.
    pub center: (String, String),
    /// Device id and label.
    pub device: (String, Option<String>),
    /// Coupon kid (hex) and serial.
    pub coupon: (String, u64),
    /// What the platform would pay for it: the minted booklet's face value of the serial, in
    /// cents (None: no booklet holds the serial; it can never be paid).
    pub value_cents: Option<i64>,
    /// The provider, from the booklet's record (else the kiosk's copy), and its name.
    pub provider: (u32, String),
    /// When the kiosk dated it (RFC 3339 UTC).
    pub occurred_at: String,
    /// When the platform received it.
    pub received_at: String,
    /// Whether it carries the coupon's code (the proof of possession).
    pub has_code: bool,
    /// Whether the kiosk signed the entry with its device key.
    pub signed: bool,
}

/// A redemption waiting for review, with every other redemption of its coupon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewLine {
    /// The redemption under review.
    pub redemption: Redemption,
    /// Every other redemption of the same coupon (any state), first received first.
    pub contenders: Vec<Redemption>,
}

/// The columns [`redemption_of`] reads after [`RESULT_COLUMNS`] (table `e`, joined with
/// centers `c`, devices `d` and providers `p`).
const REDEMPTION_COLUMNS: &str = "e.center, c.name, e.device, d.label, e.kid, e.serial, \
     e.paid_cents, COALESCE(e.paid_provider, e.provider), p.name, e.occurred_at, \
     e.received_at, CASE WHEN e.code IS NULL THEN 0 ELSE 1 END, \
     CASE WHEN e.device_signature IS NULL THEN 0 ELSE 1 END";

/// `SELECT` of a redemption's result and [`REDEMPTION_COLUMNS`], to be followed by a `WHERE`.
fn select_redemptions() -> String {
    let results = RESULT_COLUMNS
        .split(", ")
        .map(|column| format!("e.{column}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT {results}, {REDEMPTION_COLUMNS} FROM entries e \
         JOIN centers c ON c.id = e.center LEFT JOIN devices d ON d.id = e.device \
         LEFT JOIN providers p ON p.id = COALESCE(e.paid_provider, e.provider)"
    )
}

fn redemption_of(row: &Row) -> Result<Redemption, Error> {
    let columns = RESULT_COLUMNS.split(", ").count();
    let result = result_of(&Row(row.0[..columns].to_vec()))?;
    let rest = Row(row.0[columns..].to_vec());
    Ok(Redemption {
        result,
        center: (rest.text(0)?, rest.text(1)?),
        device: (rest.text(2)?, rest.opt_text(3)?),
        coupon: (rest.text(4)?, serial_from_db(rest.int(5)?)),
        value_cents: rest.opt_int(6)?,
        provider: (
            u32::try_from(rest.int(7)?).map_err(|e| Error::Storage(e.to_string()))?,
            rest.opt_text(8)?.unwrap_or_default(),
        ),
        occurred_at: rest.text(9)?,
        received_at: rest.text(10)?,
        has_code: rest.int(11)? != 0,
        signed: rest.int(12)? != 0,
    })
}

/// Every redemption of `coupon` except `except`, first received first.
fn contenders(tx: &mut dyn Tx, coupon: &Coupon, except: &str) -> Result<Vec<Redemption>, Error> {
    tx.query(
        &format!(
            "{} WHERE e.kind = 'redemption' AND e.kid = $1 AND e.serial = $2 AND e.id <> $3 \
             ORDER BY e.received_order, e.id",
            select_redemptions()
        ),
        &[
            coupon.0.as_str().into(),
            Value::Int(coupon.1),
            except.into(),
        ],
    )?
    .iter()
    .map(redemption_of)
    .collect()
}

/// The redemption holding `coupon` now (state `accepted`), other than `except`.
fn holder(tx: &mut dyn Tx, coupon: &Coupon, except: &str) -> Result<Option<Redemption>, Error> {
    Ok(contenders(tx, coupon, except)?
        .into_iter()
        .find(|r| r.result.state == EntryState::Accepted))
}

/// How a reviewer reads a redemption in a message: id, center, device, time.
fn describe(r: &Redemption) -> String {
    format!(
        "{} (center {} {}, device {}, dated {})",
        r.result.id, r.center.0, r.center.1, r.device.0, r.occurred_at
    )
}

impl Store {
    /// The redemptions in one of `states`, oldest received first, each with every other
    /// redemption of its coupon.
    pub fn review_list(&self, states: &[EntryState]) -> Result<Vec<ReviewLine>, Error> {
        self.run(Mode::Read, |tx| {
            let mut lines = Vec::new();
            for state in states {
                let rows = tx.query(
                    &format!(
                        "{} WHERE e.kind = 'redemption' AND e.state = $1 \
                         ORDER BY e.received_order, e.id",
                        select_redemptions()
                    ),
                    &[state.as_str().into()],
                )?;
                for row in &rows {
                    let redemption = redemption_of(row)?;
                    let coupon = (
                        redemption.coupon.0.clone(),
                        super::serial_to_db(redemption.coupon.1),
                    );
                    let contenders = contenders(tx, &coupon, &redemption.result.id.to_string())?;
                    lines.push(ReviewLine {
                        redemption,
                        contenders,
                    });
                }
            }
            Ok(lines)
        })
    }

    /// Records an admin's decision about redemption `id` and settles its coupon again; answers
    /// its new state. Only held and conflicting redemptions may be accepted or given the
    /// coupon, and only if a minted booklet holds their serial; any redemption not cancelled
    /// may be rejected (its coupon then goes to the next contender, recorded as promoted by
    /// this decision).
    pub fn review_decide(
        &self,
        id: &str,
        decision: Decision,
        by: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<EntryResult, Error> {
        check_text("by", by, MAX_ACTOR_CHARS).map_err(|e| invalid(e.to_string()))?;
        check_text("reason", reason, MAX_REASON_CHARS).map_err(|e| invalid(e.to_string()))?;
        self.run(Mode::Write, |tx| {
            let row = tx
                .query_opt(
                    "SELECT kid, serial, state, device, paid_cents FROM entries \
                     WHERE id = $1 AND kind = 'redemption'",
                    &[id.into()],
                )?
                .ok_or_else(|| invalid(format!("no redemption {id}")))?;
            let coupon: Coupon = (row.text(0)?, row.int(1)?);
            let state = row.text(2)?;
            let allowed = match decision {
                Decision::Accept | Decision::Transfer { .. } => {
                    matches!(state.as_str(), "held" | "conflict")
                }
                Decision::Reject => state != "cancelled",
            };
            if !allowed {
                return Err(invalid(format!(
                    "redemption {id} is {state}: it cannot be {}",
                    decision.verb()
                )));
            }
            tx.lock(&[format!("coupon:{}:{}", coupon.0, coupon.1)])?;
            let paying = decision != Decision::Reject;
            if paying && row.opt_int(4)?.is_none() {
                return Err(invalid(format!(
                    "redemption {id}: no minted booklet holds coupon {} {}; it can never be paid",
                    coupon.0,
                    serial_from_db(coupon.1)
                )));
            }
            let holder = holder(tx, &coupon, id)?;
            match (&decision, &holder) {
                (Decision::Accept, Some(holder)) => {
                    return Err(invalid(format!(
                        "coupon {} {} is held by redemption {}: accepting {id} would take it \
                         away; to do so, name that holder: review transfer {id} --from {}",
                        coupon.0,
                        serial_from_db(coupon.1),
                        describe(holder),
                        holder.result.id
                    )))
                }
                (Decision::Transfer { from }, holder)
                    if holder.as_ref().map(|h| h.result.id.to_string()).as_ref() != Some(from) =>
                {
                    return Err(invalid(format!(
                        "redemption {from} does not hold coupon {} {} now ({}); nothing was \
                         transferred",
                        coupon.0,
                        serial_from_db(coupon.1),
                        holder
                            .as_ref()
                            .map_or("nobody holds it".to_owned(), |h| format!(
                                "its holder is {}",
                                describe(h)
                            ))
                    )))
                }
                _ => {}
            }
            let coupons = BTreeSet::from([coupon.clone()]);
            let mut devices = redeeming_devices(tx, &coupons)?;
            devices.insert(row.text(3)?);
            let mut versions = Versions::lock(tx, &devices)?;
            let from = match &decision {
                Decision::Transfer { from } => Some(from.clone()),
                _ => None,
            };
            // A payment decided now is reported now: today's month, or the first open one.
            let report_day = paris_day(now)
                .max(super::report::first_open_day(tx)?.unwrap_or(jiff::civil::Date::MIN));
            tx.execute(
                "UPDATE entries SET decision = $1, decided_by = $2, decided_at = $3, \
                 decision_reason = $4, transferred_from = $5, \
                 report_day = CASE WHEN $1 = 'accept' THEN $6 ELSE report_day END WHERE id = $7",
                &[
                    decision.column().into(),
                    by.into(),
                    stamp(now).into(),
                    reason.into(),
                    from.clone().into(),
                    report_day.to_string().into(),
                    id.into(),
                ],
            )?;
            if let Some(from) = &from {
                // The holder named gives the coupon up: a contender again, behind this one.
                tx.execute(
                    "UPDATE entries SET state = 'conflict' WHERE id = $1 AND state = 'accepted'",
                    &[from.as_str().into()],
                )?;
            }
            let settling = Settling {
                promotions: match decision {
                    Decision::Reject => [(coupon, format!("decision:{id}"))].into(),
                    _ => Promotions::new(),
                },
                received_from: None,
            };
            settle_coupons(tx, &coupons, &mut versions, &settling)?;
            versions.store(tx)?;
            let row = tx.query_one(
                &format!("SELECT {RESULT_COLUMNS} FROM entries WHERE id = $1"),
                &[Value::from(id)],
            )?;
            result_of(&row)
        })
    }
}
