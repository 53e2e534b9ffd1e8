//! Checking the device's signatures of the entries (`guichet ledger verify`): each signed entry
//! must carry the device key's signature of its content as the protocol carries it.
//!
//! What this proves is limited by where the key lives: it is on the same disk, so whoever can
//! rewrite the file can sign again. It tells entries the kiosk recorded from entries written
//! by anything else (another tool, a copy edited elsewhere), and the platform, which keeps
//! each pushed entry with its signature, can prove what the device declared.

use ed25519_dalek::VerifyingKey;
use guichet_protocol::entry_signature::{self, EntrySignature};

use crate::error::LedgerError;
use crate::ledger::Ledger;
use crate::store::entry_from_row;
use crate::wire::to_wire;

/// What a check of every entry's signature found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignatureReport {
    /// Entries signed by the key.
    pub signed: u64,
    /// Entries without a signature (recorded before kiosks signed them).
    pub unsigned: u64,
    /// The `seq` of entries whose signature is not the key's over their content.
    pub bad: Vec<i64>,
}

impl Ledger {
    /// Checks every entry's signature against the device's public key.
    pub fn check_entry_signatures(
        &self,
        key: &VerifyingKey,
    ) -> Result<SignatureReport, LedgerError> {
        let mut statement = self
            .conn
            .prepare(&format!(
                "SELECT {} FROM entries ORDER BY seq",
                self.entry_columns
            ))
            .map_err(|e| self.sqlite(e))?;
        let mut rows = statement.query([]).map_err(|e| self.sqlite(e))?;
        let mut report = SignatureReport::default();
        while let Some(row) = rows.next().map_err(|e| self.sqlite(e))? {
            let chained = entry_from_row(row)
                .map_err(|e| self.sqlite(e))?
                .map_err(LedgerError::BadRow)?;
            if chained.signature.is_none() {
                report.unsigned += 1;
                continue;
            }
            let good = to_wire(&chained)
                .is_ok_and(|wire| entry_signature::check(&wire, key) == EntrySignature::Good);
            if good {
                report.signed += 1;
            } else {
                report.bad.push(chained.seq);
            }
        }
        Ok(report)
    }
}
