//! The monthly reimbursement report's data.

use jiff::civil::Date;

use super::{serial_from_db, Store};
use crate::db::{Mode, Value};
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

/// A redemption listed apart (conflict or unknown coupon).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryLine {
    /// The redemption id.
    pub id: String,
    /// Center id.
    pub center: String,
    /// Device id.
    pub device: String,
    /// Coupon kid (hex).
    pub kid: String,
    /// Coupon serial.
    pub serial: u64,
    /// Face value in cents.
    pub value_cents: i64,
    /// Provider id.
    pub provider: u32,
    /// When (RFC 3339 UTC).
    pub redeemed_at: String,
    /// The conflict details (JSON), for conflicts.
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
            let mut listed = |state: &str| -> Result<Vec<EntryLine>, Error> {
                tx.query(
                    "SELECT id, center, device, kid, serial, value_cents, provider, occurred_at, \
                     conflict FROM entries WHERE kind = 'redemption' AND state = $1 \
                     AND local_day >= $2 AND local_day < $3 ORDER BY occurred_us, id",
                    &[state.into(), range[0].clone(), range[1].clone()],
                )?
                .iter()
                .map(|row| {
                    Ok(EntryLine {
                        id: row.text(0)?,
                        center: row.text(1)?,
                        device: row.text(2)?,
                        kid: row.text(3)?,
                        serial: serial_from_db(row.int(4)?),
                        value_cents: row.int(5)?,
                        provider: row.int(6)? as u32,
                        redeemed_at: row.text(7)?,
                        detail: row.opt_text(8)?,
                    })
                })
                .collect()
            };
            let conflicts = listed("conflict")?;
            let unknown = listed("unknown")?;
            Ok(MonthReport {
                reimbursements,
                conflicts,
                unknown,
            })
        })
    }
}
