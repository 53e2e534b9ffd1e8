//! Checking the hash chain: the first place where the stored ledger differs from what the
//! ledger wrote.

use serde::Serialize;

use crate::error::LedgerError;
use crate::ledger::{ChainHead, Ledger, ANCHOR_KEY, HEAD_KEY};
use crate::store::{entry_from_row, ENTRY_COLUMNS};

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
                "SELECT {ENTRY_COLUMNS} FROM entries WHERE seq > ?1 ORDER BY seq"
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
