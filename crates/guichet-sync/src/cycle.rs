//! One sync cycle: pull the bundle, push the pending entries, pull state changes.

use guichet_ledger::{ChainedEntry, Ledger, LedgerError, SyncResult, SyncState};
use guichet_protocol::{
    EntryResult, EntryState, ErrorCode, LedgerEntry, PushRequest, StatesAnswer,
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
    /// Whether a new freshness statement was accepted for the bundle in force.
    pub freshened: bool,
    /// Why the platform's freshness statement was refused, if it was.
    pub freshness_refused: Option<String>,
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
    /// Redemptions the platform rejected (never reimbursed).
    pub rejected: u64,
    /// Redemptions the platform holds for an admin's review.
    pub held: u64,
    /// Platform clock minus the kiosk's, seconds, from a signed answer's time.
    pub clock_skew_seconds: Option<i64>,
    /// Entries put back in the queue because the platform had lost them (`CHAIN_GAP`).
    pub requeued_after_gap: u64,
    /// The trust bundle names no sync key (none installed, or published before the platform
    /// had one): no answer could be believed, so nothing was pushed or pulled.
    pub answers_unverifiable: bool,
    /// The state cursor was beyond the platform's latest version for this device (moved by
    /// a forged answer) and was reset to 0: every state was pulled again.
    pub state_cursor_reset: bool,
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
    let result = cycle(identity, trust, ledger).await;
    match &result {
        Ok(report) => tracing::info!(
            pushed = report.pushed,
            state_changes = report.state_changes,
            pending = report.pending,
            bundle = ?report.bundle_sequence,
            bundle_updated = report.bundle_updated,
            "sync done"
        ),
        Err(error) => tracing::warn!(retryable = error.is_retryable(), "sync failed: {error}"),
    }
    result
}

async fn cycle(
    identity: &Identity,
    trust: &mut TrustStore,
    ledger: &mut Ledger,
) -> Result<CycleReport, CycleError> {
    let client = identity.client()?;
    // The answers must be signed by a sync key of the bundle in force: the one held now for
    // the bundle pull, the one just accepted (a rotation) for the rest of the cycle.
    let answer_keys = |trust: &TrustStore| {
        trust
            .bundle()
            .map(|bundle| bundle.sync_keys().to_vec())
            .unwrap_or_default()
    };
    let keys = answer_keys(trust);
    let signer = Signer {
        device_id: &identity.enrollment.device_id,
        key: identity.signing_key(),
        answer_keys: &keys,
    };
    let mut report = CycleReport::default();
    let mut server_time = None;

    // Roots the bundle in force lists but `device.json` does not pin yet (a crash between
    // the two writes) are pinned first.
    let mut roots = match trust.follow_roots()? {
        Some(roots) => roots,
        None => identity.root_keys()?,
    };
    loop {
        let have = trust.bundle().map_or(0, |b| b.sequence());
        let answer = client.bundle(&signer, have).await?;
        server_time = answer.server_time.or(server_time);
        let BundleAnswer::Newer(bytes) = answer.value else {
            break;
        };
        match trust.accept(&bytes, &roots) {
            Ok(_) => report.bundle_updated = true,
            Err(refusal) => {
                report.bundle_refused = Some(refusal.to_string());
                break;
            }
        }
        // A link of a root rotation: pin its roots and pull again, so a kiosk that missed
        // links climbs the chain in one cycle (the platform serves the next link first).
        match trust.follow_roots()? {
            Some(followed) => roots = followed,
            None => break,
        }
    }
    report.bundle_sequence = trust.bundle().map(|b| b.sequence());
    let keys = answer_keys(trust);
    if keys.is_empty() {
        // No bundle, or one without the platform's sync keys (published before it had one):
        // no answer could be believed, so nothing is pushed or pulled until a bundle naming
        // them is installed (the entries wait, nothing is lost).
        report.answers_unverifiable = true;
        report.clock_skew_seconds = None;
        return with_counts(report, ledger);
    }
    let signer = Signer {
        answer_keys: &keys,
        ..signer
    };
    // Freshness and the restrictions decided since the bundle, signed by a sync key that
    // bundle lists: the bundle stays current without the offline root.
    let answer = client.freshness(&signer).await?;
    server_time = answer.server_time.or(server_time);
    if let Some(bytes) = answer.value {
        match trust.accept_freshness(&bytes, &roots) {
            Ok(new) => report.freshened = new,
            Err(refusal) => report.freshness_refused = Some(refusal.to_string()),
        }
    }

    let mut gap_handled = false;
    loop {
        let drained = loop {
            let batch = ledger.outbox_batch(BATCH_SIZE)?;
            if batch.is_empty() {
                break true;
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
                    let head = body.chain_head.ok_or_else(|| {
                        ClientError::BadAnswer("CHAIN_GAP without chain_head".into())
                    })?;
                    report.requeued_after_gap = ledger.requeue_after(&head.0, Timestamp::now())?;
                    gap_handled = true;
                    continue;
                }
                Err(error) => return Err(error.into()),
            };
            server_time = answer.server_time.or(server_time);
            report.pushed += batch.len() as u64;
            let results: Vec<SyncResult> =
                answer.value.results.iter().map(to_sync_result).collect();
            let answered = results.len();
            ledger.record_sync_results(&results, Timestamp::now())?;
            if answered < batch.len() {
                // The platform answered part of the batch: what is left stays sent and goes
                // again next cycle rather than looping here.
                break false;
            }
        };
        if !drained || gap_handled {
            break;
        }
        // Everything is delivered, as far as this kiosk knows. A platform restored from a
        // backup lost the end of the chain and says so only when pushed to: ask, in a signed
        // answer, where its copy ends, and send the rest again in this cycle rather than at
        // the next redemption.
        let status = client.device(&signer).await?;
        server_time = status.server_time.or(server_time);
        let head = status.value.chain_head;
        if head.0 == ledger.chain_head_hash()? {
            break;
        }
        match ledger.requeue_after(&head.0, Timestamp::now()) {
            Ok(requeued) => report.requeued_after_gap = requeued,
            // The platform's copy is not a beginning of this chain (this kiosk's ledger was
            // restored from an older copy, or pruned past it): nothing here can repair it;
            // the next push is refused with what an admin must reconcile, and state changes
            // are still pulled below.
            Err(LedgerError::Invalid { reason, .. }) => {
                tracing::warn!("the platform's copy of this kiosk's chain: {reason}");
                break;
            }
            Err(error) => return Err(error.into()),
        }
        gap_handled = true;
    }

    let mut cursor = ledger.state_cursor()?;
    loop {
        let answer = client.states(&signer, cursor).await?;
        server_time = answer.server_time.or(server_time);
        let StatesAnswer { page, latest } = answer.value;
        if let Some(latest) = latest {
            if cursor > latest {
                // A cursor beyond anything the platform has (an answer signed with a stolen
                // sync key moved it): start again from 0, so every entry's state is pulled
                // again from the platform's signed answers.
                tracing::warn!(
                    cursor,
                    latest,
                    "the state cursor is beyond the platform's latest version: pulled again from 0"
                );
                ledger.record_state_changes(&[], 0, Timestamp::now())?;
                report.state_cursor_reset = true;
                cursor = 0;
                continue;
            }
            if page.cursor > latest {
                return Err(ClientError::BadAnswer(format!(
                    "a state cursor {} beyond the platform's latest version {latest}",
                    page.cursor
                ))
                .into());
            }
        }
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
        // The platform's clock, from a signed answer only, counts as trusted time for the
        // clock guard.
        ledger.observe_trusted_time(
            server_time.min(now + SignedDuration::from_hours(24 * 365)),
            now,
        )?;
    }
    with_counts(report, ledger)
}

/// The report with the ledger's counts of what is pending and what needs attention.
fn with_counts(mut report: CycleReport, ledger: &Ledger) -> Result<CycleReport, CycleError> {
    let counts = ledger.sync_counts()?;
    report.pending = counts.to_deliver();
    report.conflicts = counts.conflict;
    report.unknown = counts.unknown;
    report.rejected = counts.rejected;
    report.held = counts.held;
    Ok(report)
}

/// The platform's answer for one entry as the ledger keeps it: the state, and the
/// explanation as JSON (kept as JSON so that each screen can word it in its own language):
/// the conflict's details, or the cause of a rejected or held redemption.
pub fn to_sync_result(result: &EntryResult) -> SyncResult {
    let state = match result.state {
        EntryState::Accepted => SyncState::Accepted,
        EntryState::Conflict => SyncState::Conflict,
        EntryState::Unknown => SyncState::Unknown,
        EntryState::Cancelled => SyncState::Cancelled,
        EntryState::Rejected => SyncState::Rejected,
        EntryState::Held => SyncState::Held,
    };
    let detail = match result.state {
        EntryState::Rejected | EntryState::Held => result
            .cause
            .as_ref()
            .and_then(|c| serde_json::to_string(c).ok()),
        _ => result
            .conflict
            .as_ref()
            .and_then(|c| serde_json::to_string(c).ok()),
    };
    SyncResult {
        entry_id: result.id.to_string(),
        state,
        detail,
    }
}

/// A ledger entry as the protocol carries it (the ledger's [`guichet_ledger::to_wire`]).
pub fn to_wire(chained: &ChainedEntry) -> Result<LedgerEntry, CycleError> {
    guichet_ledger::to_wire(chained).map_err(|reason| CycleError::Unsendable {
        id: chained.entry.id.clone(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use guichet_core::{Area, Kid};
    use guichet_ledger::{
        Entry, EntryBody, Filters, LedgerSettings, RedemptionFields, GENESIS_HASH,
    };
    use guichet_protocol::EntryEvent;
    use guichet_protocol::{Cause, CauseCode, ConflictDetails};

    use super::*;

    fn result(state: EntryState, cause: Option<Cause>) -> EntryResult {
        EntryResult {
            id: uuid::Uuid::now_v7(),
            state,
            conflict: None,
            cause,
        }
    }

    #[test]
    fn rejected_and_held_keep_the_cause_and_conflicts_their_details() {
        let cause = Cause::with_detail(CauseCode::BeforeIssue, "2026-01-01");
        let held = to_sync_result(&result(EntryState::Held, Some(cause.clone())));
        assert_eq!(held.state, SyncState::Held);
        let kept: Cause = serde_json::from_str(held.detail.as_deref().unwrap()).unwrap();
        assert_eq!(kept, cause);
        let rejected = to_sync_result(&result(
            EntryState::Rejected,
            Some(Cause::new(CauseCode::Revoked)),
        ));
        assert_eq!(rejected.state, SyncState::Rejected);
        assert_eq!(rejected.detail.as_deref(), Some(r#"{"code":"REVOKED"}"#));
        // A platform that gives no cause: the state still counts.
        assert_eq!(
            to_sync_result(&result(EntryState::Rejected, None)).detail,
            None
        );
        let mut conflict = result(EntryState::Conflict, None);
        conflict.conflict = Some(ConflictDetails {
            other_id: uuid::Uuid::now_v7(),
            redeemed_at: "2026-11-22T10:00:00Z".parse().unwrap(),
            local_day: "2026-11-22".parse().unwrap(),
            center: "C2".into(),
            center_name: "Centre social".into(),
            device: "d2".into(),
        });
        let mapped = to_sync_result(&conflict);
        assert_eq!(mapped.state, SyncState::Conflict);
        assert!(mapped.detail.unwrap().contains("Centre social"));
    }

    #[test]
    fn a_platform_answer_is_recorded_with_its_cause_in_a_real_ledger() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger =
            Ledger::open(dir.path().join("l.sqlite3"), LedgerSettings::default()).unwrap();
        let coupon = guichet_core::Coupon {
            kid: Kid([1; 8]),
            serial: 5,
            value_cents: 1000,
            issued_on: 2400,
            valid_until: 2800,
            provider: 1,
            scope: guichet_core::Scope::ANY,
            zone: 0,
        };
        let mut bytes = coupon.to_payload().to_vec();
        bytes.extend_from_slice(&[0; 64]);
        let mut basket = guichet_ledger::Basket::new(guichet_ledger::Workshop {
            area: Area::A1_1,
            service: "1.1.01".into(),
        });
        basket
            .add(
                guichet_core::code::text_of(&bytes).as_bytes(),
                guichet_ledger::InputMethod::Camera,
            )
            .unwrap();
        let station = guichet_ledger::Station {
            center: "C1".into(),
            device: "d1".into(),
            mediator: "Zoé".into(),
        };
        let now: Timestamp = "2026-11-23T09:00:00Z".parse().unwrap();
        let receipt = ledger.commit_checkout(&station, &basket, now).unwrap();
        let mut answer = result(EntryState::Rejected, Some(Cause::new(CauseCode::OutOfZone)));
        answer.id = receipt.redemptions[0].id.parse().unwrap();
        ledger
            .record_sync_results(&[to_sync_result(&answer)], now)
            .unwrap();
        let day = guichet_core::day::paris_day(now);
        let review = ledger.review(day, day, &Filters::default()).unwrap();
        assert_eq!(review.lines[0].sync_state, SyncState::Rejected);
        assert_eq!(
            review.lines[0].cause,
            Some(Cause::new(CauseCode::OutOfZone))
        );
        assert_eq!(ledger.sync_counts().unwrap().rejected, 1);
    }

    fn redemption(code: Option<String>) -> ChainedEntry {
        let entry = Entry {
            id: "01937a2b-1c00-7000-8000-000000000001".into(),
            occurred_at: "2026-11-23T09:00:00.000Z".into(),
            local_day: "2026-11-23".into(),
            center: "C1".into(),
            device: "d1".into(),
            actor: "Zoé".into(),
            body: EntryBody::Redemption(RedemptionFields {
                checkout_id: "01937a2b-1c00-7000-8000-0000000000c1".into(),
                kid: "0101010101010101".into(),
                serial: 5,
                value_cents: 1000,
                provider: 1,
                area: "1.1".into(),
                service: "1.1.01".into(),
                input_method: guichet_ledger::InputMethod::Camera,
                code,
            }),
        };
        let hash = entry.chain_hash(&GENESIS_HASH);
        ChainedEntry {
            seq: 1,
            entry,
            prev_hash: GENESIS_HASH,
            hash,
            signature: None,
        }
    }

    #[test]
    fn the_code_goes_on_the_wire_and_an_old_entry_goes_without_one() {
        let with = to_wire(&redemption(Some("PN1:ABC".into()))).unwrap();
        let EntryEvent::Redemption(r) = &with.event else {
            panic!("a redemption")
        };
        assert_eq!(r.code.as_deref(), Some("PN1:ABC"));
        let without = to_wire(&redemption(None)).unwrap();
        let EntryEvent::Redemption(r) = &without.event else {
            panic!("a redemption")
        };
        assert_eq!(r.code, None);
        let json = serde_json::to_value(&without).unwrap();
        assert!(json.get("code").is_none(), "{json}");
    }
}
