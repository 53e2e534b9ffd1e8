//! One sync cycle: pull the bundle, push the pending entries, pull state changes.

use guichet_core::{Area, Kid};
use guichet_ledger::{ChainedEntry, EntryBody, Ledger, LedgerError, SyncResult, SyncState};
use guichet_protocol::{
    ActorRole, CancellationEvent, ChainHash, EntryEvent, EntryResult, EntryState, ErrorCode,
    InputMethod, LedgerEntry, PushRequest, RedemptionEvent,
};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::client::{BundleAnswer, ClientError, Signer};
use crate::identity::{Identity, IdentityError};
use crate::trust::TrustStore;

/// Entries per push (the platform takes up to 2000).
pub const BATCH_SIZE: usize = 500;

/// What a cycle did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CycleReport {
    /// The bundle sequence in force after the cycle.
    pub bundle_sequence: Option<u64>,
    /// Whether a newer bundle was installed.
    pub bundle_updated: bool,
    /// Why an offered bundle was refused, if one was.
    pub bundle_refused: Option<String>,
    /// Entries pushed (including resends).
    pub pushed: u64,
    /// State changes pulled.
    pub state_changes: u64,
    /// Entries still to deliver.
    pub pending: u64,
    /// Entries in conflict.
    pub conflicts: u64,
    /// Entries unknown to the platform.
    pub unknown: u64,
    /// Platform clock minus the kiosk's, seconds, when the platform sent its `Date`.
    pub clock_skew_seconds: Option<i64>,
    /// Entries put back in the queue because the platform had lost them (`CHAIN_GAP`).
    pub requeued_after_gap: u64,
}

/// Why a cycle stopped.
#[derive(Debug, thiserror::Error)]
pub enum CycleError {
    /// The platform refused or could not be reached.
    #[error(transparent)]
    Platform(#[from] ClientError),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The identity is unusable.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// A ledger entry cannot be put on the wire (edited by hand?).
    #[error("ledger entry {id} cannot be sent: {reason}")]
    Unsendable {
        /// The entry.
        id: String,
        /// Why.
        reason: String,
    },
}

impl CycleError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            CycleError::Platform(e) => e.is_retryable(),
            CycleError::Ledger(LedgerError::Busy { .. }) => true,
            _ => false,
        }
    }
}

/// Runs one cycle. Cut at any point (network, crash), it is simply run again: the ledger marks
/// an entry only with an answer, and the platform is idempotent by entry id.
pub async fn sync_once(
    identity: &Identity,
    trust: &mut TrustStore,
    ledger: &mut Ledger,
) -> Result<CycleReport, CycleError> {
    let client = identity.client()?;
    let signer = Signer {
        device_id: &identity.enrollment.device_id,
        key: identity.signing_key(),
    };
    let mut report = CycleReport::default();
    let mut server_time = None;

    let have = trust.bundle().map_or(0, |b| b.sequence());
    let answer = client.bundle(&signer, have).await?;
    server_time = answer.server_time.or(server_time);
    if let BundleAnswer::Newer(bytes) = answer.value {
        match trust.accept(&bytes, &identity.root_keys()?) {
            Ok(_) => report.bundle_updated = true,
            Err(refusal) => report.bundle_refused = Some(refusal.to_string()),
        }
    }
    report.bundle_sequence = trust.bundle().map(|b| b.sequence());

    let mut gap_handled = false;
    loop {
        let batch = ledger.outbox_batch(BATCH_SIZE)?;
        if batch.is_empty() {
            break;
        }
        let entries = batch.iter().map(to_wire).collect::<Result<Vec<_>, _>>()?;
        let ids: Vec<String> = batch.iter().map(|e| e.entry.id.clone()).collect();
        ledger.mark_sent(&ids, Timestamp::now())?;
        let answer = match client.push(&signer, &PushRequest { entries }).await {
            Ok(answer) => answer,
            // The platform lost the end of this kiosk's chain (restored from a backup):
            // resend from the entry after its head, once per cycle.
            Err(ClientError::Refused(body))
                if body.error == ErrorCode::ChainGap && !gap_handled =>
            {
                let head = body
                    .chain_head
                    .ok_or_else(|| ClientError::BadAnswer("CHAIN_GAP without chain_head".into()))?;
                report.requeued_after_gap = ledger.requeue_after(&head.0, Timestamp::now())?;
                gap_handled = true;
                continue;
            }
            Err(error) => return Err(error.into()),
        };
        server_time = answer.server_time.or(server_time);
        report.pushed += batch.len() as u64;
        let results: Vec<SyncResult> = answer.value.results.iter().map(to_sync_result).collect();
        let answered = results.len();
        ledger.record_sync_results(&results, Timestamp::now())?;
        if answered < batch.len() {
            // The platform answered part of the batch: what is left stays sent and goes again
            // next cycle rather than looping here.
            break;
        }
    }

    let mut cursor = ledger.state_cursor()?;
    loop {
        let answer = client.states(&signer, cursor).await?;
        server_time = answer.server_time.or(server_time);
        let page = answer.value;
        let results: Vec<SyncResult> = page.changes.iter().map(to_sync_result).collect();
        report.state_changes += results.len() as u64;
        ledger.record_state_changes(&results, page.cursor, Timestamp::now())?;
        if !page.more || page.cursor <= cursor {
            break;
        }
        cursor = page.cursor;
    }

    if let Some(server_time) = server_time {
        let now = Timestamp::now();
        report.clock_skew_seconds = Some(server_time.duration_since(now).as_secs());
        // The platform's clock counts as trusted time for the clock guard.
        ledger.observe_trusted_time(
            server_time.min(now + SignedDuration::from_hours(24 * 365)),
            now,
        )?;
    }
    let counts = ledger.sync_counts()?;
    report.pending = counts.to_deliver();
    report.conflicts = counts.conflict;
    report.unknown = counts.unknown;
    Ok(report)
}

fn to_sync_result(result: &EntryResult) -> SyncResult {
    let state = match result.state {
        EntryState::Accepted => SyncState::Accepted,
        EntryState::Conflict => SyncState::Conflict,
        EntryState::Unknown => SyncState::Unknown,
        EntryState::Cancelled => SyncState::Cancelled,
    };
    SyncResult {
        entry_id: result.id.to_string(),
        state,
        // Kept as JSON so that each screen can word it in its own language.
        detail: result
            .conflict
            .as_ref()
            .and_then(|c| serde_json::to_string(c).ok()),
    }
}

/// A ledger entry as the protocol carries it.
pub fn to_wire(chained: &ChainedEntry) -> Result<LedgerEntry, CycleError> {
    let entry = &chained.entry;
    let unsendable = |reason: String| CycleError::Unsendable {
        id: entry.id.clone(),
        reason,
    };
    let uuid =
        |text: &str| uuid::Uuid::parse_str(text).map_err(|e| unsendable(format!("id {text}: {e}")));
    let event = match &entry.body {
        EntryBody::Redemption(r) => EntryEvent::Redemption(RedemptionEvent {
            checkout_id: uuid(&r.checkout_id)?,
            kid: r
                .kid
                .parse::<Kid>()
                .map_err(|e| unsendable(e.to_string()))?,
            serial: r.serial,
            value_cents: r.value_cents,
            provider: r.provider,
            area: r
                .area
                .parse::<Area>()
                .map_err(|e| unsendable(e.to_string()))?,
            service: r.service.clone(),
            input_method: match r.input_method {
                guichet_ledger::InputMethod::Camera => InputMethod::Camera,
                guichet_ledger::InputMethod::Scanner => InputMethod::Scanner,
                guichet_ledger::InputMethod::Pasted => InputMethod::Pasted,
            },
        }),
        EntryBody::Cancellation(c) => EntryEvent::Cancellation(CancellationEvent {
            cancels: uuid(&c.cancels)?,
            actor_role: match c.actor_role {
                guichet_ledger::Role::Mediator => ActorRole::Mediator,
                guichet_ledger::Role::Manager => ActorRole::Manager,
            },
            reason: c.reason.clone(),
        }),
    };
    Ok(LedgerEntry {
        id: uuid(&entry.id)?,
        occurred_at: entry
            .occurred_at
            .parse()
            .map_err(|e| unsendable(format!("occurred_at: {e}")))?,
        local_day: entry
            .local_day
            .parse()
            .map_err(|e| unsendable(format!("local_day: {e}")))?,
        center: entry.center.clone(),
        device: entry.device.clone(),
        actor: entry.actor.clone(),
        event,
        prev_hash: ChainHash(chained.prev_hash),
        hash: ChainHash(chained.hash),
    })
}
