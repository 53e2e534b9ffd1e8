//! The monthly reimbursement report's data.

use jiff::civil::Date;
use jiff::Timestamp;

use guichet_console::model::AuditEntry;
use guichet_protocol::EntryState;

use super::ingest::{ResultRow, RESULT_COLUMNS};
use super::statements::StatementSigner;
use super::{invalid, serial_from_db, stamp, Store};
use crate::clock::paris_day;
use crate::db::{self, Mode, Tx, Value};
use crate::error::Error;

/// What one center is owed for one provider's coupons.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// Face value in cents, from the minted booklet's record, where the platform verified the
    /// code (else none is given: the kiosk's copy cannot be believed).
    pub value_cents: Option<i64>,
    /// Provider id (the booklet's where one holds the serial, else the kiosk's copy).
    pub provider: u32,
    /// Provider name (empty if unknown).
    pub provider_name: String,
    /// When (RFC 3339 UTC), as the kiosk dated it.
    pub redeemed_at: String,
    /// Why it is not reimbursed: the redemption holding the coupon (conflict, JSON) or the
    /// cause (rejected, held) in French.
    pub detail: Option<String>,
    /// For a conflict: the redemption holding the coupon (what `detail` says as JSON).
    pub conflict: Option<guichet_protocol::ConflictDetails>,
}

/// The report of one month (by the entries' report day: the platform's Europe/Paris reading of
/// `occurred_at` for a redemption proven at its push, the day of the decision for one an admin
/// accepted; never a closed month).
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
    /// The report of `month` (any day in it): what is payable per center and provider, and
    /// the redemptions that are not, each in the month of its report day.
    pub async fn month_report(&self, month: Date) -> Result<MonthReport, Error> {
        let start = month.first_of_month();
        let range = month_range(month)?;
        self.run(Mode::Read, async |tx| {
            let reimbursements = match frozen(tx, start).await? {
                Some(lines) => lines,
                None => reimbursements(tx, &range).await?,
            };
            Ok(MonthReport {
                reimbursements,
                conflicts: listed(tx, Listed::InState(EntryState::Conflict), &range).await?,
                unknown: listed(tx, Listed::InState(EntryState::Unknown), &range).await?,
                rejected: listed(tx, Listed::InState(EntryState::Rejected), &range).await?,
                held: listed(tx, Listed::InState(EntryState::Held), &range).await?,
            })
        })
        .await
    }

    /// Every redemption of `center` reported in the month of `month` (any day of it), in
    /// every state, oldest first: what a center's members see of their month.
    pub async fn center_month(&self, center: &str, month: Date) -> Result<Vec<EntryLine>, Error> {
        let range = month_range(month)?;
        self.run(Mode::Read, async |tx| {
            listed(tx, Listed::OfCenter(center), &range).await
        })
        .await
    }
}

/// The report days of the month of `month`: its first day, and the next month's.
fn month_range(month: Date) -> Result<[Value; 2], Error> {
    let start = month.first_of_month();
    let end = start
        .checked_add(jiff::Span::new().months(1))
        .map_err(|e| Error::Invalid(e.to_string()))?;
    Ok([Value::Text(start.to_string()), Value::Text(end.to_string())])
}

/// Which redemptions a list holds.
#[derive(Clone, Copy)]
enum Listed<'a> {
    /// Those in one state, of every center (the report).
    InState(EntryState),
    /// Those of one center, in every state (its members' page).
    OfCenter(&'a str),
}

/// A redemption as the report lists it.
#[derive(sqlx::FromRow)]
struct ListedRow {
    #[sqlx(flatten)]
    result: ResultRow,
    center: String,
    center_name: String,
    device: String,
    kid: String,
    serial: i64,
    paid_cents: Option<i64>,
    provider: i64,
    provider_name: Option<String>,
    occurred_at: String,
    verdict: String,
}

/// The redemptions `which` names reported in `range`.
async fn listed(
    tx: &mut Tx,
    which: Listed<'_>,
    range: &[Value; 2],
) -> Result<Vec<EntryLine>, Error> {
    let (column, value) = match which {
        Listed::InState(state) => ("e.state", Value::from(state.as_str())),
        Listed::OfCenter(center) => ("e.center", Value::from(center)),
    };
    let results = RESULT_COLUMNS
        .split(", ")
        .map(|column| format!("e.{column}"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows: Vec<ListedRow> = tx
        .rows(
            &format!(
                "SELECT {results}, e.center, c.name AS center_name, e.device, e.kid, e.serial, \
                 e.paid_cents, COALESCE(e.paid_provider, e.provider) AS provider, \
                 p.name AS provider_name, e.occurred_at, e.verdict \
                 FROM entries e JOIN centers c ON c.id = e.center \
                 LEFT JOIN providers p ON p.id = COALESCE(e.paid_provider, e.provider) \
                 WHERE e.kind = 'redemption' AND {column} = $1 \
                 AND e.report_day >= $2 AND e.report_day < $3 \
                 ORDER BY e.occurred_us, e.id"
            ),
            &[value, range[0].clone(), range[1].clone()],
        )
        .await?;
    rows.into_iter()
        .map(|row| {
            let result = row.result.result()?;
            let detail = match (&result.conflict, &result.cause) {
                (Some(conflict), _) => Some(
                    serde_json::to_string(conflict).map_err(|e| Error::Storage(e.to_string()))?,
                ),
                (None, Some(cause)) => {
                    Some(format!("{}: {}", cause.code.as_str(), cause.message("fr")))
                }
                (None, None) => None,
            };
            Ok(EntryLine {
                id: result.id.to_string(),
                state: result.state,
                center: row.center,
                center_name: row.center_name,
                device: row.device,
                kid: row.kid,
                serial: serial_from_db(row.serial),
                value_cents: row.paid_cents.filter(|_| row.verdict == "ok"),
                provider: db::small(row.provider)?,
                provider_name: row.provider_name.unwrap_or_default(),
                redeemed_at: row.occurred_at,
                detail,
                conflict: result.conflict,
            })
        })
        .collect()
}

/// A line of what is payable, as the report's query sums it.
#[derive(sqlx::FromRow)]
struct PayableRow {
    center: String,
    center_name: String,
    provider: i64,
    provider_name: Option<String>,
    coupons: i64,
    amount_cents: i64,
}

/// What is payable in `range`, per center and provider.
async fn reimbursements(tx: &mut Tx, range: &[Value; 2]) -> Result<Vec<ReimbursementLine>, Error> {
    tx.rows::<PayableRow>(
        "SELECT e.center, c.name AS center_name, e.paid_provider AS provider, \
         p.name AS provider_name, COUNT(*) AS coupons, \
         CAST(SUM(e.paid_cents) AS BIGINT) AS amount_cents \
         FROM entries e JOIN centers c ON c.id = e.center \
         LEFT JOIN providers p ON p.id = e.paid_provider \
         WHERE e.kind = 'redemption' AND e.state = 'accepted' \
         AND e.paid_cents IS NOT NULL \
         AND e.report_day >= $1 AND e.report_day < $2 \
         GROUP BY e.center, c.name, e.paid_provider, p.name \
         ORDER BY e.center, e.paid_provider",
        range,
    )
    .await?
    .into_iter()
    .map(|row| {
        Ok(ReimbursementLine {
            center: row.center,
            center_name: row.center_name,
            provider: db::small(row.provider)?,
            provider_name: row.provider_name.unwrap_or_default(),
            coupons: db::count(row.coupons)?,
            amount_cents: row.amount_cents,
        })
    })
    .collect()
}

/// The payable lines frozen when the month starting on `first` was closed, if it was.
async fn frozen(tx: &mut Tx, first: Date) -> Result<Option<Vec<ReimbursementLine>>, Error> {
    tx.value::<String>(
        "SELECT report FROM closed_months WHERE month = $1",
        &[first.strftime("%Y-%m").to_string().into()],
    )
    .await?
    .map(|json| serde_json::from_str(&json).map_err(|e| Error::Storage(e.to_string())))
    .transpose()
}

/// The first day of the month after the last closed one, if any month is closed: nothing is
/// reported before it any more.
pub(super) async fn first_open_day(tx: &mut Tx) -> Result<Option<Date>, Error> {
    tx.value::<Option<String>>("SELECT MAX(month) FROM closed_months", &[])
        .await?
        .flatten()
        .map(|month| {
            let first: Date = format!("{month}-01")
                .parse()
                .map_err(|e| Error::Storage(format!("closed month {month:?}: {e}")))?;
            first
                .checked_add(jiff::Span::new().months(1))
                .map_err(|e| Error::Storage(e.to_string()))
        })
        .transpose()
}

impl Store {
    /// Closes the month of `month` (any day of it) and every month before it: its
    /// reimbursements are frozen as they are now (kept with the closure), each center with
    /// accepted redemptions in it gets its signed statement (`signer`; see
    /// [`super::statements`]), and whatever is decided or received later is reported in the
    /// first open month. Only a month that has ended (in Europe/Paris, at `now`) can be
    /// closed. Returns how many statements were issued.
    pub async fn close_month(
        &self,
        month: Date,
        by: &str,
        now: Timestamp,
        signer: &StatementSigner,
    ) -> Result<usize, Error> {
        self.close_month_audited(month, by, now, signer, None).await
    }

    /// [`Store::close_month`], with the audit entry of the console's account that closed it
    /// written in the same transaction.
    pub async fn close_month_audited(
        &self,
        month: Date,
        by: &str,
        now: Timestamp,
        signer: &StatementSigner,
        audit: Option<&AuditEntry>,
    ) -> Result<usize, Error> {
        // The statements carry the roots in force (after any rotation), as verifiers hold them.
        let signer = &StatementSigner {
            key: signer.key.clone(),
            roots: self.roots_in_force(&signer.roots).await?,
        };
        let first = month.first_of_month();
        let next = first
            .checked_add(jiff::Span::new().months(1))
            .map_err(|e| invalid(e.to_string()))?;
        if paris_day(now) < next {
            return Err(invalid(format!(
                "{} has not ended yet: only a past month can be closed",
                first.strftime("%Y-%m")
            )));
        }
        self.run(Mode::Write, async |tx| {
            tx.lock(&["months".to_owned()]).await?;
            let open_from = first_open_day(tx).await?;
            if open_from.is_some_and(|open| open >= next) {
                return Err(invalid(format!(
                    "{} is closed already",
                    first.strftime("%Y-%m")
                )));
            }
            let range = [
                Value::Text(first.to_string()),
                Value::Text(next.to_string()),
            ];
            let lines = reimbursements(tx, &range).await?;
            tx.execute(
                "INSERT INTO closed_months (month, closed_at, closed_by, report) \
                 VALUES ($1, $2, $3, $4)",
                &[
                    first.strftime("%Y-%m").to_string().into(),
                    stamp(now).into(),
                    by.into(),
                    serde_json::to_string(&lines)
                        .map_err(|e| Error::Storage(e.to_string()))?
                        .into(),
                ],
            )
            .await?;
            let issued = super::statements::issue(tx, first, next, now, signer).await?;
            super::accounts::audit_if(tx, audit).await?;
            Ok(issued)
        })
        .await
    }

    /// When and by whom the month of `month` (any day of it) was closed, if it was: by its own
    /// closure or by the closure of a later month (which closes every month before it).
    pub async fn month_closure(&self, month: Date) -> Result<Option<(String, String)>, Error> {
        let key = month.first_of_month().strftime("%Y-%m").to_string();
        self.run(Mode::Read, async |tx| {
            Ok(tx
                .row::<ClosureRow>(
                    "SELECT closed_at, closed_by FROM closed_months WHERE month >= $1 \
                     ORDER BY month LIMIT 1",
                    &[key.clone().into()],
                )
                .await?
                .map(|row| (row.closed_at, row.closed_by)))
        })
        .await
    }
}

/// Who closed a month, and when.
#[derive(sqlx::FromRow)]
struct ClosureRow {
    closed_at: String,
    closed_by: String,
}
