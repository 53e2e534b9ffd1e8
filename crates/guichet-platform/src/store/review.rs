//! An admin's review of held and conflicting redemptions: each decision is recorded with the
//! admin's name, the moment and the reason, and the coupon is settled again.

use std::collections::BTreeSet;

use guichet_protocol::limits::{check_text, MAX_ACTOR_CHARS, MAX_REASON_CHARS};
use guichet_protocol::{EntryResult, EntryState};
use jiff::Timestamp;

use super::ingest::{result_of, RESULT_COLUMNS};
use super::settle::{redeeming_devices, settle_coupons, Coupon};
use super::versions::Versions;
use super::{invalid, serial_from_db, stamp, Store};
use crate::db::{Mode, Row, Value};
use crate::error::Error;

/// What an admin decides about a redemption.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Pay it: a held redemption becomes a contender for its coupon; a conflicting one
    /// becomes the coupon's holder (the one it displaces becomes the conflict).
    Accept,
    /// Never pay it.
    Reject,
}

impl Decision {
    fn as_str(self) -> &'static str {
        match self {
            Decision::Accept => "accept",
            Decision::Reject => "reject",
        }
    }
}

/// A redemption waiting for review, or listed for one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewLine {
    /// Its state, with the cause or the conflicting redemption.
    pub result: EntryResult,
    /// Center id and name.
    pub center: (String, String),
    /// Device id.
    pub device: String,
    /// Coupon kid (hex) and serial.
    pub coupon: (String, u64),
    /// When the kiosk dated it, and when the platform received it (RFC 3339 UTC).
    pub occurred_at: String,
    /// When the platform received it.
    pub received_at: String,
    /// Whether it carries a code (entries recorded before kiosks kept codes do not).
    pub has_code: bool,
}

impl Store {
    /// The redemptions in one of `states`, oldest received first.
    pub fn review_list(&self, states: &[EntryState]) -> Result<Vec<ReviewLine>, Error> {
        self.run(Mode::Read, |tx| {
            let mut lines = Vec::new();
            for state in states {
                for row in tx.query(
                    &format!(
                        "SELECT {}, e.center, c.name, e.device, e.kid, e.serial, e.occurred_at, \
                         e.received_at, e.code IS NOT NULL FROM entries e \
                         JOIN centers c ON c.id = e.center \
                         WHERE e.kind = 'redemption' AND e.state = $1 ORDER BY e.received_us, e.id",
                        RESULT_COLUMNS
                            .split(", ")
                            .map(|column| format!("e.{column}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    &[state.as_str().into()],
                )? {
                    lines.push(ReviewLine {
                        result: result_of(&Row(row.0[..6].to_vec()))?,
                        center: (row.text(6)?, row.text(7)?),
                        device: row.text(8)?,
                        coupon: (row.text(9)?, serial_from_db(row.int(10)?)),
                        occurred_at: row.text(11)?,
                        received_at: row.text(12)?,
                        has_code: row.int(13)? != 0,
                    });
                }
            }
            Ok(lines)
        })
    }

    /// Records an admin's decision about redemption `id` and settles its coupon again; answers
    /// its new state. Only held and conflicting redemptions may be accepted (a rejected one's
    /// code proves nothing); any redemption not cancelled may be rejected.
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
                    "SELECT kid, serial, state, device FROM entries \
                     WHERE id = $1 AND kind = 'redemption'",
                    &[id.into()],
                )?
                .ok_or_else(|| invalid(format!("no redemption {id}")))?;
            let coupon: Coupon = (row.text(0)?, row.int(1)?);
            let state = row.text(2)?;
            let allowed = match decision {
                Decision::Accept => matches!(state.as_str(), "held" | "conflict"),
                Decision::Reject => state != "cancelled",
            };
            if !allowed {
                return Err(invalid(format!(
                    "redemption {id} is {state}: it cannot be {}ed",
                    decision.as_str()
                )));
            }
            tx.lock(&[format!("coupon:{}:{}", coupon.0, coupon.1)])?;
            let coupons = BTreeSet::from([coupon]);
            let mut devices = redeeming_devices(tx, &coupons)?;
            devices.insert(row.text(3)?);
            let mut versions = Versions::lock(tx, &devices)?;
            tx.execute(
                "UPDATE entries SET decision = $1, decided_by = $2, decided_at = $3, \
                 decision_reason = $4 WHERE id = $5",
                &[
                    decision.as_str().into(),
                    by.into(),
                    stamp(now).into(),
                    reason.into(),
                    id.into(),
                ],
            )?;
            settle_coupons(tx, &coupons, &mut versions)?;
            versions.store(tx)?;
            let row = tx.query_one(
                &format!("SELECT {RESULT_COLUMNS} FROM entries WHERE id = $1"),
                &[Value::from(id)],
            )?;
            result_of(&row)
        })
    }
}
