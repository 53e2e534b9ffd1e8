//! Cancellation: an append-only compensating entry, never an edit.

use jiff::Timestamp;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::checkout::new_id;
use guichet_protocol::limits;

use crate::entry::{check_text, check_typed, CancellationFields, Entry, EntryBody, Role};
use crate::error::LedgerError;
use crate::ledger::Ledger;
use crate::store::{self, AppendError};
use crate::time;

/// Who cancels, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Canceller {
    /// The person's name as the kiosk knows it.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// The center (for the entry).
    pub center: String,
    /// This kiosk's device id.
    pub device: String,
}

/// Why a cancellation was refused.
#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    /// No redemption or checkout has this id.
    #[error("no redemption or checkout {0} in this ledger")]
    NotFound(String),
    /// Already cancelled.
    #[error("redemption {0} is already cancelled")]
    AlreadyCancelled(String),
    /// A mediator's window has passed; a manager must cancel.
    #[error("the {window_minutes}-minute window for a mediator has passed (accepted at {occurred_at}); ask a manager")]
    WindowPassed {
        /// When the redemption was recorded, UTC.
        occurred_at: String,
        /// The configured window.
        window_minutes: i64,
    },
    /// The ledger failed; nothing was recorded.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// One recorded cancellation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cancellation {
    /// The cancellation entry's id.
    pub id: String,
    /// The cancelled redemption's id.
    pub cancels: String,
}

impl Ledger {
    /// Cancels one redemption.
    pub fn cancel_redemption(
        &mut self,
        redemption_id: &str,
        by: &Canceller,
        reason: &str,
        now: Timestamp,
    ) -> Result<Cancellation, CancelError> {
        let mut done = self.cancel(&[redemption_id.to_string()], by, reason, now)?;
        Ok(done.remove(0))
    }

    /// Cancels every redemption of a checkout ("undo the last checkout"), all or none.
    pub fn cancel_checkout(
        &mut self,
        checkout_id: &str,
        by: &Canceller,
        reason: &str,
        now: Timestamp,
    ) -> Result<Vec<Cancellation>, CancelError> {
        let ids: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT id FROM entries WHERE kind = 'redemption' AND checkout_id = ?1 ORDER BY seq",
            )
            .and_then(|mut s| s.query_map([checkout_id], |r| r.get(0))?.collect())
            .map_err(|e| self.sqlite(e))?;
        if ids.is_empty() {
            return Err(CancelError::NotFound(checkout_id.to_string()));
        }
        self.cancel(&ids, by, reason, now)
    }

    fn cancel(
        &mut self,
        redemption_ids: &[String],
        by: &Canceller,
        reason: &str,
        now: Timestamp,
    ) -> Result<Vec<Cancellation>, CancelError> {
        check_typed("actor", &by.name, limits::MAX_ACTOR_CHARS)?;
        check_typed("reason", reason, limits::MAX_REASON_CHARS)?;
        check_text("center", &by.center)?;
        check_text("device", &by.device)?;
        let window = self.settings.mediator_cancel_window;
        let path = self.path.clone();
        let sqlite = |e| LedgerError::from_sqlite(&path, e);
        let occurred_at = time::utc_text(now);
        let local_day = guichet_core::day::paris_day(now).to_string();
        let signer = self.signer.clone();
        let tx = self.write()?;
        let mut done = Vec::with_capacity(redemption_ids.len());
        for id in redemption_ids {
            let found: Option<(String, String, i64)> = tx
                .prepare_cached(
                    "SELECT r.occurred_at, r.kid, r.serial FROM entries r
                     WHERE r.id = ?1 AND r.kind = 'redemption'",
                )
                .and_then(|mut s| {
                    s.query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                        .optional()
                })
                .map_err(&sqlite)?;
            let Some((redeemed_at, kid, serial)) = found else {
                return Err(CancelError::NotFound(id.clone()));
            };
            let cancelled: bool = tx
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM entries WHERE cancels = ?1)")
                .and_then(|mut s| s.query_row([id], |r| r.get(0)))
                .map_err(&sqlite)?;
            if cancelled {
                return Err(CancelError::AlreadyCancelled(id.clone()));
            }
            if by.role == Role::Mediator && now > time::parse_utc(&redeemed_at)? + window {
                return Err(CancelError::WindowPassed {
                    occurred_at: redeemed_at,
                    window_minutes: window.as_mins(),
                });
            }
            let entry = Entry {
                id: new_id(now),
                occurred_at: occurred_at.clone(),
                local_day: local_day.clone(),
                center: by.center.clone(),
                device: by.device.clone(),
                actor: by.name.clone(),
                body: EntryBody::Cancellation(CancellationFields {
                    cancels: id.clone(),
                    actor_role: by.role,
                    reason: reason.to_string(),
                }),
            };
            let chained =
                store::append(&tx, entry, &occurred_at, signer.as_ref()).map_err(|e| match e {
                    AppendError::BadHead(detail) => LedgerError::BadRow(detail),
                    AppendError::Sqlite(e) => sqlite(e),
                })?;
            tx.prepare_cached(
                "DELETE FROM active_coupons WHERE kid = ?1 AND serial = ?2 AND redemption_id = ?3",
            )
            .and_then(|mut s| s.execute(params![kid, serial, id]))
            .map_err(&sqlite)?;
            done.push(Cancellation {
                id: chained.entry.id,
                cancels: id.clone(),
            });
        }
        tx.commit().map_err(&sqlite)?;
        Ok(done)
    }
}
