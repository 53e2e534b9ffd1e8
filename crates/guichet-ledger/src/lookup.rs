//! The ledger as the core's verification sees it.

use guichet_core::{Kid, PriorRedemption, RedemptionLookup};

use crate::checkout::active_redemption;
use crate::error::LedgerError;
use crate::ledger::Ledger;

impl RedemptionLookup for Ledger {
    type Error = LedgerError;

    fn active_redemption(
        &self,
        kid: Kid,
        serial: u64,
    ) -> Result<Option<PriorRedemption>, LedgerError> {
        match active_redemption(&self.conn, kid, serial).map_err(|e| self.sqlite(e))? {
            Some(row) => Ok(Some(row.into_prior()?)),
            None => Ok(None),
        }
    }
}
