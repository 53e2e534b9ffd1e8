//! Checking the hash chain: the first place where the stored ledger differs from what the
//! ledger wrote.

use serde::Serialize;

use crate::error::LedgerError;
use crate::ledger::{ChainHead, Ledger, ANCHOR_KEY, HEAD_KEY};
use crate::store::entry_from_row;

/// The first broken link found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum ChainBreak {
    /// Entries are missing: `expected_seq` is not there, the next one found is `found_seq`
    /// (or none: the last entries were removed).
    Missing {
        /// The sequence number that should come next.
        expected_seq: i64,
        /// The one found instead, if any.
        found_seq: Option<i64>,
    },
    /// An entry's `prev_hash` is not the previous entry's hash.
    BrokenLink {
        /// The entry.
        seq: i64,
    },
    /// An entry's content no longer matches its hash: it was edited.
    Altered {
        /// The entry.
        seq: i64,
        /// Its id as stored now.
        id: String,
    },
    /// A row cannot be read back as an entry (a field edited to nonsense).
    Unreadable {
        /// What is wrong.
        detail: String,
    },
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainBreak::Missing {
                expected_seq,
                found_seq: Some(found),
            } => write!(f, "entries #{expected_seq} to #{} are missing", found - 1),
            ChainBreak::Missing {
                expected_seq,
                found_seq: None,
            } => write!(
                f,
                "entries from #{expected_seq} on are missing (the end was removed)"
            ),
            ChainBreak::BrokenLink { seq } => {
                write!(f, "entry #{seq} does not link to the entry before it")
            }
            ChainBreak::Altered { seq, id } => {
                write!(f, "entry #{seq} ({id}) was changed after it was recorded")
            }
            ChainBreak::Unreadable { detail } => write!(f, "{detail}"),
        }
    }
}

/// What `guichet ledger verify` reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    /// Entries checked.
    pub entries: u64,
    /// The first problem, or `None` when the chain is intact.
    pub first_break: Option<ChainBreak>,
}

impl Ledger {
    /// Walks the whole chain, from the pruning anchor to the recorded head.
    pub fn verify_chain(&self) -> Result<ChainReport, LedgerError> {
        let unreadable = |detail: String| ChainReport {
            entries: 0,
            first_break: Some(ChainBreak::Unreadable { detail }),
        };
        let anchor = match ChainHead::read(&self.conn, ANCHOR_KEY) {
            Ok(anchor) => anchor,
            Err(detail) => return Ok(unreadable(detail)),
        };
        let head = match ChainHead::read(&self.conn, HEAD_KEY) {
            Ok(head) => head,
            Err(detail) => return Ok(unreadable(detail)),
        };
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {} FROM entries WHERE seq > ?1 ORDER BY seq",
                self.entry_columns
            ))
            .map_err(|e| self.sqlite(e))?;
        let mut rows = stmt.query([anchor.seq]).map_err(|e| self.sqlite(e))?;
        let mut expected = anchor;
        let mut checked = 0u64;
        let report = |checked, problem| {
            Ok(ChainReport {
                entries: checked,
                first_break: problem,
            })
        };
        while let Some(row) = rows.next().map_err(|e| self.sqlite(e))? {
            let chained = match entry_from_row(row) {
                Ok(Ok(chained)) => chained,
                Ok(Err(detail)) => return report(checked, Some(ChainBreak::Unreadable { detail })),
                Err(e) => {
                    return report(
                        checked,
                        Some(ChainBreak::Unreadable {
                            detail: format!("after entry #{}: {e}", expected.seq),
                        }),
                    )
                }
            };
            if chained.seq != expected.seq + 1 {
                return report(
                    checked,
                    Some(ChainBreak::Missing {
                        expected_seq: expected.seq + 1,
                        found_seq: Some(chained.seq),
                    }),
                );
            }
            if chained.prev_hash != expected.hash {
                return report(checked, Some(ChainBreak::BrokenLink { seq: chained.seq }));
            }
            if chained.entry.chain_hash(&chained.prev_hash) != chained.hash {
                return report(
                    checked,
                    Some(ChainBreak::Altered {
                        seq: chained.seq,
                        id: chained.entry.id,
                    }),
                );
            }
            checked += 1;
            expected = ChainHead {
                seq: chained.seq,
                hash: chained.hash,
            };
        }
        if expected.seq < head.seq {
            return report(
                checked,
                Some(ChainBreak::Missing {
                    expected_seq: expected.seq + 1,
                    found_seq: None,
                }),
            );
        }
        if expected != head {
            return report(checked, Some(ChainBreak::BrokenLink { seq: head.seq }));
        }
        report(checked, None)
    }
}

/// Where a table derived from the chain (`active_coupons`, `outbox`) disagrees with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// The derived table: `active_coupons` or `outbox`.
    pub table: &'static str,
    /// What disagrees, in words.
    pub detail: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.table, self.detail)
    }
}

/// What [`Ledger::cross_check`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CrossCheck {
    /// Every disagreement, in a stable order.
    pub mismatches: Vec<Mismatch>,
    /// `active_coupons` rows of redemptions removed by retention: kept on purpose (a pruned
    /// coupon stays used), and no longer checkable against the chain.
    pub pruned_active: u64,
}

impl Ledger {
    /// Checks the tables derived from the chain against it: every redemption that is not
    /// cancelled has its `active_coupons` row (same coupon, same redemption), no row remains
    /// for a cancelled redemption or for an entry that does not exist (unless retention
    /// removed it), no coupon has two active redemptions, and every entry has exactly one
    /// outbox row and every outbox row an entry.
    ///
    /// Run it with [`verify_chain`](Self::verify_chain): a hand edit that deletes an
    /// `active_coupons` row (making a coupon redeemable again) leaves the chain intact but
    /// shows here.
    pub fn cross_check(&self) -> Result<CrossCheck, LedgerError> {
        let sqlite = |e| self.sqlite(e);
        let anchor = ChainHead::read(&self.conn, ANCHOR_KEY).map_err(LedgerError::BadRow)?;
        let mut check = CrossCheck::default();
        let mut active = |detail: String| {
            check.mismatches.push(Mismatch {
                table: "active_coupons",
                detail,
            })
        };
        let strings = |sql: &str| -> Result<Vec<(String, i64, String, String)>, LedgerError> {
            let mut stmt = self.conn.prepare(sql).map_err(sqlite)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                        r.get::<_, Option<i64>>(1)?.unwrap_or_default(),
                        r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                        r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    ))
                })
                .and_then(Iterator::collect)
                .map_err(sqlite)?;
            Ok(rows)
        };
        // Redemptions in force without their row: the coupon could be redeemed again.
        for (id, seq, kid, serial) in strings(
            "SELECT e.id, e.seq, e.kid, CAST(e.serial AS TEXT) FROM entries e
             WHERE e.kind = 'redemption'
               AND NOT EXISTS (SELECT 1 FROM entries c WHERE c.cancels = e.id)
               AND NOT EXISTS (SELECT 1 FROM active_coupons a WHERE a.redemption_id = e.id
                                   AND a.kid = e.kid AND a.serial = e.serial)
             ORDER BY e.seq",
        )? {
            active(format!(
                "entry #{seq} ({id}) redeemed coupon {kid}/{} and is not cancelled, but has no row: the coupon could be redeemed again",
                crate::store::serial_from_sql(serial.parse().unwrap_or_default())
            ));
        }
        // Rows that no redemption in force explains.
        for (redemption, seq, kid, serial) in strings(
            "SELECT a.redemption_id, e.seq, a.kid, CAST(a.serial AS TEXT) FROM active_coupons a
             LEFT JOIN entries e ON e.id = a.redemption_id
             WHERE e.id IS NULL OR e.kind <> 'redemption' OR e.kid IS NOT a.kid
                OR e.serial IS NOT a.serial
                OR EXISTS (SELECT 1 FROM entries c WHERE c.cancels = a.redemption_id)
             ORDER BY a.kid, a.serial",
        )? {
            let coupon = format!(
                "{kid}/{}",
                crate::store::serial_from_sql(serial.parse().unwrap_or_default())
            );
            if seq == 0 && anchor.seq > 0 {
                // Its redemption may have been pruned; nothing to compare with.
                check.pruned_active += 1;
                continue;
            }
            let cancelled: bool = self
                .conn
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM entries WHERE cancels = ?1)",
                    [&redemption],
                    |r| r.get(0),
                )
                .map_err(sqlite)?;
            active(if seq == 0 {
                format!("the row of coupon {coupon} names redemption {redemption}, which is not in the ledger")
            } else if cancelled {
                format!("the row of coupon {coupon} remains although its redemption (entry #{seq}) was cancelled")
            } else {
                format!("the row of coupon {coupon} does not match its redemption (entry #{seq})")
            });
        }
        // Two redemptions in force for one coupon: a double use.
        for (kid, count, serial, _) in strings(
            "SELECT kid, count(*), CAST(serial AS TEXT), '' FROM entries e
             WHERE kind = 'redemption'
               AND NOT EXISTS (SELECT 1 FROM entries c WHERE c.cancels = e.id)
             GROUP BY kid, serial HAVING count(*) > 1 ORDER BY kid, serial",
        )? {
            active(format!(
                "coupon {kid}/{} has {count} redemptions in force",
                crate::store::serial_from_sql(serial.parse().unwrap_or_default())
            ));
        }
        for (id, seq, _, _) in strings(
            "SELECT id, seq, '', '' FROM entries
             WHERE id NOT IN (SELECT entry_id FROM outbox) ORDER BY seq",
        )? {
            check.mismatches.push(Mismatch {
                table: "outbox",
                detail: format!("entry #{seq} ({id}) has no sync state"),
            });
        }
        for (id, _, state, _) in strings(
            "SELECT entry_id, 0, state, '' FROM outbox
             WHERE entry_id NOT IN (SELECT id FROM entries) ORDER BY entry_id",
        )? {
            check.mismatches.push(Mismatch {
                table: "outbox",
                detail: format!(
                    "a sync state ({state}) for entry {id}, which is not in the ledger"
                ),
            });
        }
        Ok(check)
    }
}
