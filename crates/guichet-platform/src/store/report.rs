//! The monthly reimbursement report's data.

use jiff::civil::Date;

use guichet_protocol::EntryState;

use super::ingest::{result_of, RESULT_COLUMNS};
use super::{serial_from_db, Store};
use crate::db::{Mode, Row, Value};
use crate::error::Error;

/// What one center is owed for one provider's coupons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReimbursementLine {
    /// Center id.
    pub center: String,
    /// Center name.
    pub center_name: String,
    /// Provider id.
    pub provider: u32,
    /// Provider name (empty if unknown).
    pub provider_name: String,
    /// Valid redemptions.
    pub coupons: u64,
    /// Their total face value, in cents.
    pub amount_cents: i64,
}

/// A redemption listed apart (not reimbursed: conflict, unknown coupon, rejected, held).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryLine {
    /// The redemption id.
    pub id: String,
    /// Its state.
    pub state: EntryState,
    /// Center id.
    pub center: String,
    /// Center name.
    pub center_name: String,
    /// Device id.
    pub device: String,
    /// Coupon kid (hex).
    pub kid: String,
    /// Coupon serial.
    pub serial: u64,
    /// Face value in cents, where the platform verified the code (else the kiosk's copy
    /// cannot be believed, and none is given).
    pub value_cents: Option<i64>,
    /// Provider id (the code's where verified, else the kiosk's copy).
    pub provider: u32,
    /// Provider name (empty if unknown).
    pub provider_name: String,
    /// When (RFC 3339 UTC), as the kiosk dated it.
    pub redeemed_at: String,
    /// Why it is not reimbursed: the redemption holding the coupon (conflict, JSON) or the
    /// cause (rejected, held) in French.
    pub detail: Option<String>,
}

/// The report of one month (by the entries' Europe/Paris day).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthReport {
    /// Per center and provider, valid redemptions only.
    pub reimbursements: Vec<ReimbursementLine>,
    /// Redemptions in conflict (not reimbursed).
    pub conflicts: Vec<EntryLine>,
    /// Redemptions of coupons never minted (not reimbursed).
    pub unknown: Vec<EntryLine>,
    /// Redemptions the platform's checks or an admin refused (never reimbursed).
    pub rejected: Vec<EntryLine>,
    /// Redemptions waiting for an admin's review (not reimbursed until accepted).
    pub held: Vec<EntryLine>,
}

impl Store {
    /// The report for the month starting on `first_day` (any day of it will do).
    pub fn month_report(&self, month: Date) -> Result<MonthReport, Error> {
        let start = month.first_of_month();
        let end = start
            .checked_add(jiff::Span::new().months(1))
            .map_err(|e| Error::Invalid(e.to_string()))?;
        let range = [Value::Text(start.to_string()), Value::Text(end.to_string())];
        self.run(Mode::Read, |tx| {
            let reimbursements = tx
                .query(
                    "SELECT e.center, c.name, e.provider, p.name, COUNT(*), \
                     CAST(SUM(e.value_cents) AS BIGINT) \
                     FROM entries e JOIN centers c ON c.id = e.center \
                     LEFT JOIN providers p ON p.id = e.provider \
                     WHERE e.kind = 'redemption' AND e.state = 'accepted' \
                     AND e.local_day >= $1 AND e.local_day < $2 \
                     GROUP BY e.center, c.name, e.provider, p.name ORDER BY e.center, e.provider",
                    &range,
                )?
                .iter()
                .map(|row| {
                    Ok(ReimbursementLine {
                        center: row.text(0)?,
                        center_name: row.text(1)?,
                        provider: row.int(2)? as u32,
                        provider_name: row.opt_text(3)?.unwrap_or_default(),
                        coupons: row.int(4)? as u64,
                        amount_cents: row.int(5)?,
                    })
                })
                .collect::<Result<_, Error>>()?;
            let mut listed = |state: EntryState| -> Result<Vec<EntryLine>, Error> {
                tx.query(
                    &format!(
                        "SELECT e.id, e.center, c.name, e.device, e.kid, e.serial, \
                         e.value_cents, e.provider, p.name, e.occurred_at, e.verdict, \
                         {} FROM entries e JOIN centers c ON c.id = e.center \
                         LEFT JOIN providers p ON p.id = e.provider \
                         WHERE e.kind = 'redemption' AND e.state = $1 \
                         AND e.local_day >= $2 AND e.local_day < $3 ORDER BY e.occurred_us, e.id",
                        RESULT_COLUMNS
                            .split(", ")
                            .map(|column| format!("e.{column}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    &[state.as_str().into(), range[0].clone(), range[1].clone()],
                )?
                .iter()
                .map(|row| {
                    let result = result_of(&Row(row.0[11..].to_vec()))?;
                    let detail = match (&result.conflict, &result.cause) {
                        (Some(conflict), _) => Some(
                            serde_json::to_string(conflict)
                                .map_err(|e| Error::Storage(e.to_string()))?,
                        ),
                        (None, Some(cause)) => {
                            Some(format!("{}: {}", cause.code.as_str(), cause.message("fr")))
                        }
                        (None, None) => None,
                    };
                    Ok(EntryLine {
                        id: row.text(0)?,
                        state,
                        center: row.text(1)?,
                        center_name: row.text(2)?,
                        device: row.text(3)?,
                        kid: row.text(4)?,
                        serial: serial_from_db(row.int(5)?),
                        value_cents: (row.text(10)? == "ok").then(|| row.int(6)).transpose()?,
                        provider: row.int(7)? as u32,
                        provider_name: row.opt_text(8)?.unwrap_or_default(),
                        redeemed_at: row.text(9)?,
                        detail,
                    })
                })
                .collect()
            };
            let conflicts = listed(EntryState::Conflict)?;
            let unknown = listed(EntryState::Unknown)?;
            let rejected = listed(EntryState::Rejected)?;
            let held = listed(EntryState::Held)?;
            Ok(MonthReport {
                reimbursements,
                conflicts,
                unknown,
                rejected,
                held,
            })
        })
    }
}
