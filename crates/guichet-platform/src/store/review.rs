//! An admin's review of held and conflicting redemptions: each decision is recorded with the
//! admin's name, the moment and the reason, and the coupon is settled again.
//!
//! A decision never creates value: what an accepted redemption pays is the minted booklet's
//! record of its serial (`paid_cents`, set at its push), never the kiosk's copy; a serial no
//! booklet holds cannot be accepted; a coupon another redemption holds moves only by an
//! explicit transfer naming that holder; and the payment is reported in the month of the
//! decision (the first open one), never in a month the kiosk's clock picked.

use std::collections::BTreeSet;

use guichet_console::model::AuditEntry;
use guichet_protocol::limits::{check_text, MAX_ACTOR_CHARS, MAX_REASON_CHARS};
use guichet_protocol::{EntryResult, EntryState};
use jiff::Timestamp;

use super::ingest::{ResultRow, RESULT_COLUMNS};
use super::settle::{redeeming_devices, settle_coupons, Coupon, Promotions, Settling};
use super::versions::Versions;
use super::{invalid, serial_from_db, stamp, Store};
use crate::clock::paris_day;
use crate::db::{self, Mode, Tx, Value};
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

/// The columns [`RedemptionRow`] reads after [`RESULT_COLUMNS`] (table `e`, joined with
/// centers `c`, devices `d` and providers `p`).
const REDEMPTION_COLUMNS: &str = "e.center, c.name AS center_name, e.device, \
     d.label AS device_label, e.kid, e.serial, e.paid_cents, \
     COALESCE(e.paid_provider, e.provider) AS provider, p.name AS provider_name, \
     e.occurred_at, e.received_at, \
     CASE WHEN e.code IS NULL THEN 0 ELSE 1 END AS has_code, \
     CASE WHEN e.device_signature IS NULL THEN 0 ELSE 1 END AS signed";

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

/// A redemption with what a reviewer sees of it ([`select_redemptions`]).
#[derive(sqlx::FromRow)]
struct RedemptionRow {
    #[sqlx(flatten)]
    result: ResultRow,
    center: String,
    center_name: String,
    device: String,
    device_label: Option<String>,
    kid: String,
    serial: i64,
    paid_cents: Option<i64>,
    provider: i64,
    provider_name: Option<String>,
    occurred_at: String,
    received_at: String,
    has_code: i64,
    signed: i64,
}

impl RedemptionRow {
    fn redemption(self) -> Result<Redemption, Error> {
        Ok(Redemption {
            result: self.result.result()?,
            center: (self.center, self.center_name),
            device: (self.device, self.device_label),
            coupon: (self.kid, serial_from_db(self.serial)),
            value_cents: self.paid_cents,
            provider: (
                db::small(self.provider)?,
                self.provider_name.unwrap_or_default(),
            ),
            occurred_at: self.occurred_at,
            received_at: self.received_at,
            has_code: self.has_code != 0,
            signed: self.signed != 0,
        })
    }
}

/// Every redemption of `coupon` except `except`, first received first.
pub(super) async fn contenders(
    tx: &mut Tx,
    coupon: &Coupon,
    except: &str,
) -> Result<Vec<Redemption>, Error> {
    tx.rows::<RedemptionRow>(
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
    )
    .await?
    .into_iter()
    .map(RedemptionRow::redemption)
    .collect()
}

/// The redemption holding `coupon` now (state `accepted`), other than `except`.
async fn holder(tx: &mut Tx, coupon: &Coupon, except: &str) -> Result<Option<Redemption>, Error> {
    Ok(contenders(tx, coupon, except)
        .await?
        .into_iter()
        .find(|r| r.result.state == EntryState::Accepted))
}

/// A redemption as a decision reads it.
#[derive(sqlx::FromRow)]
struct DecidedRow {
    kid: String,
    serial: i64,
    state: String,
    device: String,
    paid_cents: Option<i64>,
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
    pub async fn review_list(&self, states: &[EntryState]) -> Result<Vec<ReviewLine>, Error> {
        self.run(Mode::Read, async |tx| {
            let mut lines = Vec::new();
            for state in states {
                let rows: Vec<RedemptionRow> = tx
                    .rows(
                        &format!(
                            "{} WHERE e.kind = 'redemption' AND e.state = $1 \
                             ORDER BY e.received_order, e.id",
                            select_redemptions()
                        ),
                        &[state.as_str().into()],
                    )
                    .await?;
                for row in rows {
                    let redemption = row.redemption()?;
                    let coupon = (
                        redemption.coupon.0.clone(),
                        super::serial_to_db(redemption.coupon.1),
                    );
                    let contenders =
                        contenders(tx, &coupon, &redemption.result.id.to_string()).await?;
                    lines.push(ReviewLine {
                        redemption,
                        contenders,
                    });
                }
            }
            Ok(lines)
        })
        .await
    }

    /// Records an admin's decision about redemption `id` and settles its coupon again; answers
    /// its new state. Only held and conflicting redemptions may be accepted or given the
    /// coupon, and only if a minted booklet holds their serial; any redemption not cancelled
    /// may be rejected (its coupon then goes to the next contender, recorded as promoted by
    /// this decision).
    pub async fn review_decide(
        &self,
        id: &str,
        decision: Decision,
        by: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<EntryResult, Error> {
        self.review_decide_audited(id, decision, by, reason, now, |_| None)
            .await
    }

    /// [`Store::review_decide`], and the audit entry `audit` makes of its outcome written in
    /// the same transaction (the console's decisions: no decision without its entry).
    pub async fn review_decide_audited(
        &self,
        id: &str,
        decision: Decision,
        by: &str,
        reason: &str,
        now: Timestamp,
        audit: impl FnOnce(&EntryResult) -> Option<AuditEntry>,
    ) -> Result<EntryResult, Error> {
        check_text("by", by, MAX_ACTOR_CHARS).map_err(|e| invalid(e.to_string()))?;
        check_text("reason", reason, MAX_REASON_CHARS).map_err(|e| invalid(e.to_string()))?;
        self.run(Mode::Write, async |tx| {
            let result = decide(tx, id, &decision, by, reason, now).await?;
            super::accounts::audit_if(tx, audit(&result).as_ref()).await?;
            Ok(result)
        })
        .await
    }
}

/// Records a decision about redemption `id` in `tx` and settles its coupon again; its new
/// state (the rules: [`Store::review_decide`]).
async fn decide(
    tx: &mut Tx,
    id: &str,
    decision: &Decision,
    by: &str,
    reason: &str,
    now: Timestamp,
) -> Result<EntryResult, Error> {
    let row: DecidedRow = tx
        .row(
            "SELECT kid, serial, state, device, paid_cents FROM entries \
                 WHERE id = $1 AND kind = 'redemption'",
            &[id.into()],
        )
        .await?
        .ok_or_else(|| invalid(format!("no redemption {id}")))?;
    let coupon: Coupon = (row.kid.clone(), row.serial);
    let state = row.state.clone();
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
    tx.lock(&[format!("coupon:{}:{}", coupon.0, coupon.1)])
        .await?;
    let paying = *decision != Decision::Reject;
    if paying && row.paid_cents.is_none() {
        return Err(invalid(format!(
            "redemption {id}: no minted booklet holds coupon {} {}; it can never be paid",
            coupon.0,
            serial_from_db(coupon.1)
        )));
    }
    let holder = holder(tx, &coupon, id).await?;
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
    let mut devices = redeeming_devices(tx, &coupons).await?;
    devices.insert(row.device.clone());
    let mut versions = Versions::lock(tx, &devices).await?;
    let from = match &decision {
        Decision::Transfer { from } => Some(from.clone()),
        _ => None,
    };
    // A payment decided now is reported now: today's month, or the first open one.
    let report_day = paris_day(now).max(
        super::report::first_open_day(tx)
            .await?
            .unwrap_or(jiff::civil::Date::MIN),
    );
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
    )
    .await?;
    if let Some(from) = &from {
        // The holder named gives the coupon up: a contender again, behind this one.
        tx.execute(
            "UPDATE entries SET state = 'conflict' WHERE id = $1 AND state = 'accepted'",
            &[from.as_str().into()],
        )
        .await?;
    }
    let settling = Settling {
        promotions: match decision {
            Decision::Reject => [(coupon, format!("decision:{id}"))].into(),
            _ => Promotions::new(),
        },
        received_from: None,
    };
    settle_coupons(tx, &coupons, &mut versions, &settling).await?;
    versions.store(tx).await?;
    tx.one::<ResultRow>(
        &format!("SELECT {RESULT_COLUMNS} FROM entries WHERE id = $1"),
        &[Value::from(id)],
    )
    .await?
    .result()
}
