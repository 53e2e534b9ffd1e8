//! Freshness statements: what the platform may say online, between two root-signed bundles.
//!
//! A statement is signed by one of the platform's **sync keys** that the bundle in force lists
//! (the root delegated them that power by listing them), and says "the latest bundle is
//! `bundle_sequence`, as of `issued_at`", with the restrictions decided since that bundle:
//! coupons revoked and issuer keys compromised. It can only take trust away: the document has
//! no member that could add an issuer key, a root, a provider or a rule (unknown members are
//! refused, not ignored), and a kiosk keeps every restriction of every statement it accepted
//! for its bundle, so a later statement that omits one does not lift it. Only a new bundle,
//! signed by a root, can widen trust or lift a restriction. Format: `schema/trust-bundle.md`,
//! "Freshness statements".

use std::collections::HashMap;

use ed25519_dalek::SigningKey;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::document::{KeyStatus, Revocation};
use super::envelope::{self, Kind};
use super::{validate, BundleError, TrustBundle};
use crate::kid::Kid;

/// The envelope's `format` value (and signing context) of a freshness statement.
pub const FORMAT: &str = "guichet-freshness-v1";

/// The statement's kind of envelope; a statement is small (restrictions since one bundle).
const STATEMENT: Kind = Kind {
    format: FORMAT,
    max_bytes: 4 * 1024 * 1024,
};

/// The signed document of a freshness statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreshnessDocument {
    /// The latest root-signed bundle when the statement was issued.
    pub bundle_sequence: u64,
    /// When the platform issued it: a kiosk holding that bundle is fresh as of this instant.
    pub issued_at: Timestamp,
    /// Coupons revoked since that bundle (lost or stolen booklets).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revocations: Vec<Revocation>,
    /// Issuer keys found compromised since that bundle: their coupons are refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compromised_keys: Vec<Kid>,
}

impl FreshnessDocument {
    /// The platform's side: the statement file, signed by its sync key.
    pub fn seal(&self, sync_key: &SigningKey) -> Vec<u8> {
        let payload = serde_json::to_vec(self).expect("a freshness statement always serialises");
        envelope::seal_as(STATEMENT, &payload, sync_key)
    }
}

impl TrustBundle {
    /// When this bundle was last known current: its own `issued_at`, or the latest freshness
    /// statement applied to it. Staleness counts from here; `expires_at` (the root's) still
    /// bounds it.
    pub fn fresh_as_of(&self) -> Timestamp {
        self.fresh_as_of
    }

    /// Applies a freshness statement (`bytes`, as received) to this bundle: checked against
    /// the sync keys this bundle lists, it must name this bundle's sequence and be newer than
    /// the freshness in force. The result refuses what the statement revokes or marks
    /// compromised, on top of everything this bundle already refuses, and is fresh as of the
    /// statement. Returns the result and the authentic document.
    pub fn with_freshness(
        &self,
        bytes: &[u8],
    ) -> Result<(TrustBundle, FreshnessDocument), BundleError> {
        let statement = self.open_statement(bytes)?;
        if statement.issued_at <= self.fresh_as_of {
            return Err(BundleError::OldStatement {
                issued_at: statement.issued_at,
                fresh_as_of: self.fresh_as_of,
            });
        }
        let mut restricted = self.clone();
        validate::add_revocations(&mut restricted.revoked, &statement.revocations)?;
        for kid in &statement.compromised_keys {
            if let Some(issuer) = restricted.issuers.get_mut(kid) {
                issuer.status = KeyStatus::Compromised;
            }
        }
        restricted.fresh_as_of = statement.issued_at;
        Ok((restricted, statement))
    }

    /// Checks a statement's envelope, signer and bundle sequence, without applying it.
    pub fn open_statement(&self, bytes: &[u8]) -> Result<FreshnessDocument, BundleError> {
        let (payload, _) = envelope::open_as(STATEMENT, bytes, &self.sync_keys)?;
        let statement: FreshnessDocument = serde_json::from_slice(&payload).map_err(|e| {
            BundleError::Malformed(format!("invalid freshness statement document: {e}"))
        })?;
        // Validated apart from any bundle: a malformed list is refused as a whole.
        validate::add_revocations(&mut HashMap::new(), &statement.revocations)?;
        if statement.bundle_sequence != self.sequence() {
            return Err(BundleError::OtherBundle {
                statement: statement.bundle_sequence,
                held: self.sequence(),
            });
        }
        Ok(statement)
    }

    /// Whether this bundle already refuses everything `statement` restricts: every coupon it
    /// revokes and every issuer key it marks compromised (a key this bundle does not list
    /// pays nothing anyway).
    pub fn refuses_all_of(&self, statement: &FreshnessDocument) -> bool {
        let keys = statement.compromised_keys.iter().all(|kid| {
            self.issuers
                .get(kid)
                .is_none_or(|issuer| issuer.status == KeyStatus::Compromised)
        });
        keys && statement.revocations.iter().all(|revocation| {
            revocation
                .serials
                .iter()
                .all(|&serial| self.revokes_all(revocation.kid, serial, serial))
                && revocation
                    .ranges
                    .iter()
                    .all(|range| self.revokes_all(revocation.kid, range.first, range.last))
        })
    }
}
