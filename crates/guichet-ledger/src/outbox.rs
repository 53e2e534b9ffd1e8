//! The outbox: each entry's sync state, kept apart from the permanent ledger, and the
//! retention rule that may prune old entries once the platform has accepted them.

use jiff::civil::Date;
use jiff::Timestamp;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::entry::{ChainedEntry, GENESIS_HASH};
use crate::error::LedgerError;
use crate::ledger::{meta_get, meta_set, ChainHead, Ledger, ANCHOR_KEY, HEAD_KEY};

/// `meta` key of the cursor of state changes pulled from the platform.
const CURSOR_KEY: &str = "state_cursor";
use crate::store::{entry_from_row, ENTRY_COLUMNS};
use crate::time;

/// Where an entry stands with the platform: stored in the `state` column, and read by
/// `guichet report --sync-state`, by the lowercase names serde and strum give (`<&str>::from`,
/// `str::parse`).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum SyncState {
    /// Not sent yet.
    Pending,
    /// Sent, awaiting an answer (it will be sent again: the platform is idempotent by id).
    Sent,
    /// Accepted by the platform.
    Accepted,
    /// In conflict: the platform holds an earlier redemption of the same coupon.
    Conflict,
    /// Unknown to the platform: it never minted this coupon.
    Unknown,
    /// Cancelled, as the platform knows: a later entry cancelled this redemption.
    Cancelled,
    /// Rejected by the platform's checks (or an admin): never reimbursed; the cause is in the
    /// detail column.
    Rejected,
    /// Held by the platform for an admin's review (the cause is in the detail column).
    Held,
}

impl SyncState {
    /// Whether a person must look at an entry in this state (conflict, rejected, held).
    pub fn needs_attention(self) -> bool {
        matches!(
            self,
            SyncState::Conflict | SyncState::Rejected | SyncState::Held
        )
    }
}

/// The platform's answer for one entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncResult {
    /// The entry id.
    pub entry_id: String,
    /// Accepted, conflict, unknown, cancelled, rejected or held (pending and sent are the
    /// kiosk's own states).
    pub state: SyncState,
    /// The platform's explanation as JSON: the conflict's details, or the cause of a rejected
    /// or held redemption (`guichet_protocol::Cause`).
    pub detail: Option<String>,
}

/// How many entries stand in each state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SyncCounts {
    /// Not sent yet.
    pub pending: u64,
    /// Sent, awaiting an answer.
    pub sent: u64,
    /// Accepted by the platform.
    pub accepted: u64,
    /// In conflict.
    pub conflict: u64,
    /// Unknown to the platform.
    pub unknown: u64,
    /// Cancelled, as the platform knows.
    pub cancelled: u64,
    /// Rejected by the platform.
    pub rejected: u64,
    /// Held by the platform for review.
    pub held: u64,
}

impl SyncCounts {
    /// Entries still to deliver (pending + sent).
    pub fn to_deliver(&self) -> u64 {
        self.pending + self.sent
    }

    /// Entries a person must look at: in conflict, rejected or held.
    pub fn needing_attention(&self) -> u64 {
        self.conflict + self.rejected + self.held
    }
}

impl Ledger {
    /// The next entries to deliver (pending or sent), oldest first, at most `limit`.
    pub fn outbox_batch(&self, limit: usize) -> Result<Vec<ChainedEntry>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {ENTRY_COLUMNS} FROM entries
                 WHERE id IN (SELECT entry_id FROM outbox WHERE state IN ('pending', 'sent'))
                 ORDER BY seq LIMIT ?1"
            ))
            .map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map([limit as i64], entry_from_row)
            .map_err(|e| self.sqlite(e))?;
        let mut batch = Vec::new();
        for row in rows {
            batch.push(
                row.map_err(|e| self.sqlite(e))?
                    .map_err(LedgerError::BadRow)?,
            );
        }
        Ok(batch)
    }

    /// Marks entries as sent (one more attempt), before the request leaves.
    pub fn mark_sent(&mut self, entry_ids: &[String], now: Timestamp) -> Result<(), LedgerError> {
        let path = self.path.clone();
        let sqlite = |e| LedgerError::from_sqlite(&path, e);
        let at = time::utc_text(now);
        let tx = self.write()?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "UPDATE outbox SET state = 'sent', attempts = attempts + 1, updated_at = ?2
                     WHERE entry_id = ?1 AND state IN ('pending', 'sent')",
                )
                .map_err(&sqlite)?;
            for id in entry_ids {
                stmt.execute(params![id, at]).map_err(&sqlite)?;
            }
        }
        tx.commit().map_err(&sqlite)
    }

    /// The hash of this ledger's last entry (all zeros when it has none): what the platform's
    /// copy of the chain ends with once everything was delivered.
    pub fn chain_head_hash(&self) -> Result<[u8; 32], LedgerError> {
        ChainHead::read(&self.conn, HEAD_KEY)
            .map(|head| head.hash)
            .map_err(LedgerError::BadRow)
    }

    /// Puts every entry after the one whose hash is `platform_head` back to `pending`: the
    /// platform answered `CHAIN_GAP` because it lost them (restored from a backup) and needs
    /// them again. The genesis hash (all zeros) means it holds none. Returns how many entries
    /// were re-queued.
    ///
    /// Fails with [`LedgerError::Invalid`] when `platform_head` is neither an entry of this
    /// ledger nor its pruning anchor, or when entries the platform lacks were pruned here
    /// (they cannot be sent again: an admin must reconcile).
    pub fn requeue_after(
        &mut self,
        platform_head: &[u8; 32],
        now: Timestamp,
    ) -> Result<u64, LedgerError> {
        let path = self.path.clone();
        let sqlite = |e| LedgerError::from_sqlite(&path, e);
        let tx = self.write()?;
        let anchor = ChainHead::read(&tx, ANCHOR_KEY).map_err(LedgerError::BadRow)?;
        let found: Option<i64> = tx
            .query_row(
                "SELECT seq FROM entries WHERE hash = ?1",
                [&platform_head[..]],
                |r| r.get(0),
            )
            .optional()
            .map_err(&sqlite)?;
        let after = match found {
            Some(seq) => seq,
            None if *platform_head == anchor.hash => anchor.seq,
            None if *platform_head == GENESIS_HASH => {
                return Err(LedgerError::Invalid {
                    field: "chain_head",
                    reason: format!(
                        "the platform holds none of this kiosk's entries, but entries up to {} were pruned here after the platform accepted them",
                        anchor.seq
                    ),
                })
            }
            None => {
                return Err(LedgerError::Invalid {
                    field: "chain_head",
                    reason: format!(
                        "the platform's chain head {} is not an entry of this ledger",
                        hex::encode(platform_head)
                    ),
                })
            }
        };
        let requeued = tx
            .execute(
                "UPDATE outbox SET state = 'pending', detail = NULL, updated_at = ?2
                 WHERE entry_id IN (SELECT id FROM entries WHERE seq > ?1) AND state <> 'pending'",
                params![after, time::utc_text(now)],
            )
            .map_err(&sqlite)?;
        tx.commit().map_err(&sqlite)?;
        Ok(requeued as u64)
    }

    /// Records the platform's answers (also later changes, such as accepted → conflict).
    pub fn record_sync_results(
        &mut self,
        results: &[SyncResult],
        now: Timestamp,
    ) -> Result<(), LedgerError> {
        self.record_results(results, None, now)
    }

    /// Records a page of state changes pulled from the platform, and the cursor to ask from
    /// next time, in one transaction.
    pub fn record_state_changes(
        &mut self,
        results: &[SyncResult],
        cursor: u64,
        now: Timestamp,
    ) -> Result<(), LedgerError> {
        self.record_results(results, Some(cursor), now)
    }

    /// Where the last pull of state changes stopped (0 before the first).
    pub fn state_cursor(&self) -> Result<u64, LedgerError> {
        let text = meta_get(&self.conn, CURSOR_KEY).map_err(|e| self.sqlite(e))?;
        match text {
            None => Ok(0),
            Some(text) => text
                .parse()
                .map_err(|_| LedgerError::BadRow(format!("meta {CURSOR_KEY} = {text:?}"))),
        }
    }

    fn record_results(
        &mut self,
        results: &[SyncResult],
        cursor: Option<u64>,
        now: Timestamp,
    ) -> Result<(), LedgerError> {
        let path = self.path.clone();
        let sqlite = |e| LedgerError::from_sqlite(&path, e);
        let at = time::utc_text(now);
        let tx = self.write()?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "UPDATE outbox SET state = ?2, detail = ?3, updated_at = ?4 WHERE entry_id = ?1",
                )
                .map_err(&sqlite)?;
            for result in results {
                if matches!(result.state, SyncState::Pending | SyncState::Sent) {
                    return Err(LedgerError::Invalid {
                        field: "sync state",
                        reason: format!("{} is not a platform answer", <&str>::from(result.state)),
                    });
                }
                stmt.execute(params![
                    result.entry_id,
                    <&str>::from(result.state),
                    result.detail,
                    at
                ])
                .map_err(&sqlite)?;
            }
        }
        if let Some(cursor) = cursor {
            meta_set(&tx, CURSOR_KEY, &cursor.to_string()).map_err(&sqlite)?;
        }
        tx.commit().map_err(&sqlite)
    }

    /// The sync state of one entry, with the platform's explanation.
    pub fn sync_state(
        &self,
        entry_id: &str,
    ) -> Result<Option<(SyncState, Option<String>)>, LedgerError> {
        use rusqlite::OptionalExtension;
        let row: Option<(String, Option<String>)> = self
            .conn
            .prepare_cached("SELECT state, detail FROM outbox WHERE entry_id = ?1")
            .and_then(|mut s| {
                s.query_row([entry_id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(|e| self.sqlite(e))?;
        match row {
            None => Ok(None),
            Some((state, detail)) => state
                .parse::<SyncState>()
                .map(|s| Some((s, detail)))
                .map_err(|_| LedgerError::BadRow(format!("sync state {state:?}"))),
        }
    }

    /// How many entries stand in each state.
    pub fn sync_counts(&self) -> Result<SyncCounts, LedgerError> {
        let mut counts = SyncCounts::default();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT state, count(*) FROM outbox GROUP BY state")
            .map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .map_err(|e| self.sqlite(e))?;
        for row in rows {
            let (state, n) = row.map_err(|e| self.sqlite(e))?;
            let n = n as u64;
            match state.parse::<SyncState>().ok() {
                Some(SyncState::Pending) => counts.pending = n,
                Some(SyncState::Sent) => counts.sent = n,
                Some(SyncState::Accepted) => counts.accepted = n,
                Some(SyncState::Conflict) => counts.conflict = n,
                Some(SyncState::Unknown) => counts.unknown = n,
                Some(SyncState::Cancelled) => counts.cancelled = n,
                Some(SyncState::Rejected) => counts.rejected = n,
                Some(SyncState::Held) => counts.held = n,
                None => return Err(LedgerError::BadRow(format!("sync state {state:?}"))),
            }
        }
        Ok(counts)
    }

    /// Retention: removes the oldest entries recorded before `before_day`, as long as every
    /// one of them was accepted by the platform (it stops at the first that was not). The
    /// chain stays verifiable from the new anchor. Returns how many entries were removed.
    pub fn prune_accepted(&mut self, before_day: Date) -> Result<u64, LedgerError> {
        let path = self.path.clone();
        let sqlite = |e| LedgerError::from_sqlite(&path, e);
        let tx = self.write()?;
        let cut: Option<i64> = tx
            .query_row(
                "SELECT coalesce(
                     (SELECT min(e.seq) - 1 FROM entries e JOIN outbox o ON o.entry_id = e.id
                      WHERE o.state <> 'accepted' OR e.local_day >= ?1),
                     (SELECT max(seq) FROM entries))",
                [before_day.to_string()],
                |r| r.get(0),
            )
            .map_err(&sqlite)?;
        let anchor = ChainHead::read(&tx, ANCHOR_KEY).map_err(LedgerError::BadRow)?;
        let Some(cut) = cut.filter(|&cut| cut > anchor.seq) else {
            return Ok(0);
        };
        let hash: Vec<u8> = tx
            .query_row("SELECT hash FROM entries WHERE seq = ?1", [cut], |r| {
                r.get(0)
            })
            .map_err(&sqlite)?;
        let hash = <[u8; 32]>::try_from(hash)
            .map_err(|_| LedgerError::BadRow(format!("entry #{cut}: hash is not 32 bytes")))?;
        let removed = tx
            .execute_batch("INSERT INTO prune_gate (open) VALUES (1)")
            .and_then(|()| {
                tx.execute(
                    "DELETE FROM outbox WHERE entry_id IN (SELECT id FROM entries WHERE seq <= ?1)",
                    [cut],
                )
            })
            .and_then(|_| tx.execute("DELETE FROM entries WHERE seq <= ?1", [cut]))
            .and_then(|removed| {
                tx.execute(
                    "DELETE FROM checkouts WHERE id NOT IN
                         (SELECT checkout_id FROM entries WHERE checkout_id IS NOT NULL)",
                    [],
                )?;
                tx.execute_batch("DELETE FROM prune_gate")?;
                Ok(removed)
            })
            .map_err(&sqlite)?;
        ChainHead { seq: cut, hash }
            .write(&tx, ANCHOR_KEY)
            .map_err(&sqlite)?;
        tx.commit().map_err(&sqlite)?;
        Ok(removed as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_sync_state_keeps_its_stored_name() {
        let names = [
            (SyncState::Pending, "pending"),
            (SyncState::Sent, "sent"),
            (SyncState::Accepted, "accepted"),
            (SyncState::Conflict, "conflict"),
            (SyncState::Unknown, "unknown"),
            (SyncState::Cancelled, "cancelled"),
            (SyncState::Rejected, "rejected"),
            (SyncState::Held, "held"),
        ];
        for (state, name) in names {
            assert_eq!(<&str>::from(state), name);
            assert_eq!(name.parse::<SyncState>(), Ok(state));
            assert_eq!(serde_json::to_value(state).unwrap(), name);
            assert_eq!(
                serde_json::from_value::<SyncState>(name.into()).unwrap(),
                state
            );
        }
        assert!("Pending".parse::<SyncState>().is_err());
        assert!("synced".parse::<SyncState>().is_err());
    }

    /// `guichet report --sync-state` takes the stored names.
    #[cfg(feature = "clap")]
    #[test]
    fn the_command_line_takes_the_stored_names() {
        use clap::ValueEnum;
        for state in SyncState::value_variants() {
            let word = state.to_possible_value().unwrap();
            assert_eq!(word.get_name(), <&str>::from(*state));
        }
    }
}
