//! Day review: the redemptions of a day or a date range, filtered, and their totals.

use std::collections::{BTreeMap, BTreeSet};

use guichet_protocol::Cause;
use jiff::civil::Date;
use rusqlite::{params, Row};
use serde::Serialize;

use crate::entry::InputMethod;
use crate::error::LedgerError;
use crate::ledger::Ledger;
use crate::outbox::SyncState;
use crate::store::serial_from_sql;

/// Which redemptions a review covers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    /// Only this mediator's.
    pub mediator: Option<String>,
    /// Only this area (code, such as `1.2`).
    pub area: Option<String>,
    /// Only this provider.
    pub provider: Option<u32>,
    /// Only entries in this sync state.
    pub sync_state: Option<SyncState>,
}

/// A cancellation as the review shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CancelledBy {
    /// When, UTC.
    pub at: String,
    /// Who.
    pub by: String,
    /// Why.
    pub reason: String,
}

/// One redemption in the review list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReviewLine {
    /// Entry id.
    pub id: String,
    /// When, UTC.
    pub occurred_at: String,
    /// The Europe/Paris day.
    pub local_day: String,
    /// The mediator.
    pub mediator: String,
    /// Issuer key id.
    pub kid: String,
    /// Coupon serial.
    pub serial: u64,
    /// Face value, cents.
    pub value_cents: u32,
    /// Provider id.
    pub provider: u32,
    /// Area code.
    pub area: String,
    /// Service code.
    pub service: String,
    /// How it was read.
    pub input_method: InputMethod,
    /// Its checkout.
    pub checkout_id: String,
    /// Set when cancelled.
    pub cancelled: Option<CancelledBy>,
    /// Sync state.
    pub sync_state: SyncState,
    /// The platform's explanation as it sent it (JSON: a conflict's details, a cause).
    pub sync_detail: Option<String>,
    /// Why the platform rejected or held it (read from the detail), for those two states.
    pub cause: Option<Cause>,
}

/// A count and a total.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Coupons.
    pub count: u64,
    /// Their value, cents.
    pub total_cents: u64,
}

impl Tally {
    fn add(&mut self, value_cents: u32) {
        self.count += 1;
        self.total_cents += u64::from(value_cents);
    }
}

/// The totals of a review. Cancelled redemptions count only in `cancelled`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// First day covered.
    pub from: String,
    /// Last day covered (inclusive).
    pub to: String,
    /// Active redemptions.
    pub redeemed: Tally,
    /// Cancelled redemptions.
    pub cancelled: Tally,
    /// Checkouts with at least one listed coupon.
    pub checkouts: u64,
    /// What their learners paid otherwise, cents.
    pub paid_otherwise_cents: u64,
    /// Active redemptions per mediator.
    pub by_mediator: BTreeMap<String, Tally>,
    /// Per area code.
    pub by_area: BTreeMap<String, Tally>,
    /// Per provider id.
    pub by_provider: BTreeMap<u32, Tally>,
    /// Per sync state.
    pub by_sync_state: BTreeMap<SyncState, Tally>,
}

/// A day review: its totals and its lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Review {
    /// The totals.
    pub summary: Summary,
    /// The redemptions, oldest first.
    pub lines: Vec<ReviewLine>,
}

impl Ledger {
    /// The review of the days `from..=to` with `filters`.
    pub fn review(&self, from: Date, to: Date, filters: &Filters) -> Result<Review, LedgerError> {
        let lines = self.review_lines(from, to, filters)?;
        let mut summary = Summary {
            from: from.to_string(),
            to: to.to_string(),
            ..Summary::default()
        };
        let mut checkout_ids = BTreeSet::new();
        for line in &lines {
            if line.cancelled.is_some() {
                summary.cancelled.add(line.value_cents);
                continue;
            }
            summary.redeemed.add(line.value_cents);
            checkout_ids.insert(line.checkout_id.as_str());
            summary
                .by_mediator
                .entry(line.mediator.clone())
                .or_default()
                .add(line.value_cents);
            summary
                .by_area
                .entry(line.area.clone())
                .or_default()
                .add(line.value_cents);
            summary
                .by_provider
                .entry(line.provider)
                .or_default()
                .add(line.value_cents);
            summary
                .by_sync_state
                .entry(line.sync_state)
                .or_default()
                .add(line.value_cents);
        }
        summary.checkouts = checkout_ids.len() as u64;
        summary.paid_otherwise_cents = self.paid_otherwise(from, to, &checkout_ids)?;
        Ok(Review { summary, lines })
    }

    fn review_lines(
        &self,
        from: Date,
        to: Date,
        filters: &Filters,
    ) -> Result<Vec<ReviewLine>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT r.id, r.occurred_at, r.local_day, r.actor, r.kid, r.serial, r.value_cents,
                        r.provider, r.area, r.service, r.input_method, r.checkout_id,
                        c.occurred_at, c.actor, c.reason, o.state, o.detail
                 FROM entries r
                 LEFT JOIN entries c ON c.cancels = r.id
                 LEFT JOIN outbox o ON o.entry_id = r.id
                 WHERE r.kind = 'redemption' AND r.local_day BETWEEN ?1 AND ?2
                   AND (?3 IS NULL OR r.actor = ?3)
                   AND (?4 IS NULL OR r.area = ?4)
                   AND (?5 IS NULL OR r.provider = ?5)
                   AND (?6 IS NULL OR o.state = ?6)
                 ORDER BY r.seq",
            )
            .map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map(
                params![
                    from.to_string(),
                    to.to_string(),
                    filters.mediator,
                    filters.area,
                    filters.provider,
                    filters.sync_state.map(<&str>::from),
                ],
                line_from_row,
            )
            .map_err(|e| self.sqlite(e))?;
        let mut lines = Vec::new();
        for row in rows {
            lines.push(
                row.map_err(|e| self.sqlite(e))?
                    .map_err(LedgerError::BadRow)?,
            );
        }
        Ok(lines)
    }

    fn paid_otherwise(
        &self,
        from: Date,
        to: Date,
        checkout_ids: &BTreeSet<&str>,
    ) -> Result<u64, LedgerError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, paid_otherwise_cents FROM checkouts WHERE local_day BETWEEN ?1 AND ?2",
            )
            .map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map(params![from.to_string(), to.to_string()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })
            .map_err(|e| self.sqlite(e))?;
        let mut total = 0u64;
        for row in rows {
            let (id, cents) = row.map_err(|e| self.sqlite(e))?;
            if checkout_ids.contains(id.as_str()) {
                total += cents.max(0) as u64;
            }
        }
        Ok(total)
    }
}

fn line_from_row(row: &Row<'_>) -> rusqlite::Result<Result<ReviewLine, String>> {
    let id: String = row.get(0)?;
    let input: String = row.get(10)?;
    let Ok(input_method) = input.parse::<InputMethod>() else {
        return Ok(Err(format!("entry {id}: input method {input:?}")));
    };
    let state: Option<String> = row.get(15)?;
    let Some(sync_state) = state.as_deref().and_then(|s| s.parse::<SyncState>().ok()) else {
        return Ok(Err(format!("entry {id}: sync state {state:?}")));
    };
    let cancelled = match row.get::<_, Option<String>>(12)? {
        Some(at) => Some(CancelledBy {
            at,
            by: row.get(13)?,
            reason: row.get(14)?,
        }),
        None => None,
    };
    let sync_detail: Option<String> = row.get(16)?;
    let cause = match sync_state {
        SyncState::Rejected | SyncState::Held => sync_detail
            .as_deref()
            .and_then(|detail| serde_json::from_str::<Cause>(detail).ok()),
        _ => None,
    };
    Ok(Ok(ReviewLine {
        occurred_at: row.get(1)?,
        local_day: row.get(2)?,
        mediator: row.get(3)?,
        kid: row.get(4)?,
        serial: serial_from_sql(row.get(5)?),
        value_cents: row.get(6)?,
        provider: row.get(7)?,
        area: row.get(8)?,
        service: row.get(9)?,
        input_method,
        checkout_id: row.get(11)?,
        cancelled,
        sync_state,
        sync_detail,
        cause,
        id,
    }))
}
