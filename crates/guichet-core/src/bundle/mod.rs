//! The trust bundle: the signed, versioned document that tells a kiosk which issuer keys,
//! providers, zones, referential, revocations and rules to trust.
//!
//! Format: `schema/trust-bundle.md`. A bundle is [`open`](TrustBundle::open)ed against the
//! platform root keys the kiosk pins; [`accept_update`](TrustBundle::accept_update) also refuses
//! any sequence that is not higher than the one the kiosk has.

pub mod diff;
pub mod document;
pub mod envelope;
pub mod freshness;
mod validate;

use std::collections::HashMap;

use ed25519_dalek::{SigningKey, VerifyingKey};
use jiff::Timestamp;

pub use document::{BundleDocument, KeyStatus, Rules};
pub use freshness::FreshnessDocument;

use crate::kid::Kid;

/// Why a bundle was refused. Each kind of refusal has its own variant.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// Not a well-formed bundle: bad JSON, bad encoding, or a document that breaks the format's
    /// rules (such as an issuer key whose kid is not its hash).
    #[error("malformed trust bundle: {0}")]
    Malformed(String),
    /// Signed by a key the kiosk does not pin.
    #[error("trust bundle signed by key {signer}, which this kiosk does not trust")]
    WrongSigner {
        /// The kid the envelope names.
        signer: Kid,
    },
    /// The signature does not verify with the pinned key it names.
    #[error("trust bundle signature does not verify")]
    BadSignature,
    /// Not newer than the bundle the kiosk already has (a rollback or a replay).
    #[error("trust bundle sequence {offered} is not newer than the current {current}")]
    NotNewer {
        /// The sequence the kiosk has.
        current: u64,
        /// The sequence offered.
        offered: u64,
    },
    /// A freshness statement about another bundle than the one in force (the kiosk must
    /// first install the bundle it names).
    #[error("the freshness statement is about bundle {statement}, this kiosk holds bundle {held}")]
    OtherBundle {
        /// The sequence the statement names.
        statement: u64,
        /// The sequence in force.
        held: u64,
    },
    /// A freshness statement not newer than the freshness in force (a replay).
    #[error("the freshness statement of {issued_at} is not newer than the freshness in force ({fresh_as_of})")]
    OldStatement {
        /// When the statement was issued.
        issued_at: Timestamp,
        /// The freshness in force.
        fresh_as_of: Timestamp,
    },
}

impl BundleError {
    /// A stable name for the refusal, as used in test vectors.
    pub fn code(&self) -> &'static str {
        match self {
            BundleError::Malformed(_) => "MALFORMED",
            BundleError::WrongSigner { .. } => "WRONG_SIGNER",
            BundleError::BadSignature => "BAD_SIGNATURE",
            BundleError::NotNewer { .. } => "NOT_NEWER",
            BundleError::OtherBundle { .. } => "OTHER_BUNDLE",
            BundleError::OldStatement { .. } => "OLD_STATEMENT",
        }
    }
}

/// An issuer key the bundle lists, ready to verify with.
#[derive(Clone, Debug)]
pub struct IssuerKey {
    /// The key itself (checked canonical and not of small order).
    pub verifying_key: VerifyingKey,
    /// The provider it mints for.
    pub provider: u32,
    /// Active, retired or compromised.
    pub status: KeyStatus,
}

/// An authentic, validated trust bundle.
#[derive(Clone, Debug)]
pub struct TrustBundle {
    document: BundleDocument,
    issuers: HashMap<Kid, IssuerKey>,
    /// Per kid, sorted disjoint inclusive serial ranges.
    revoked: HashMap<Kid, Vec<(u64, u64)>>,
    /// The platform's sync keys (checked canonical and not of small order).
    sync_keys: Vec<VerifyingKey>,
    /// The roots to pin from this bundle on, if it lists any (a rotation).
    roots: Option<Vec<VerifyingKey>>,
    /// `issued_at`, or the latest freshness statement applied ([`freshness`]).
    fresh_as_of: Timestamp,
}

impl TrustBundle {
    /// Opens a bundle file: checks the envelope, the signature by one of `pinned_roots`, and the
    /// document. No sequence check (use [`accept_update`](Self::accept_update) for updates).
    pub fn open(bytes: &[u8], pinned_roots: &[VerifyingKey]) -> Result<TrustBundle, BundleError> {
        let (payload, signer) = envelope::open_as(envelope::BUNDLE, bytes, pinned_roots)?;
        let document: BundleDocument = serde_json::from_slice(&payload)
            .map_err(|e| BundleError::Malformed(format!("invalid bundle document: {e}")))?;
        let bundle = validate::validate(document)?;
        if bundle
            .roots
            .as_ref()
            .is_some_and(|roots| !roots.contains(&signer))
        {
            // A kiosk pinning these roots could not check this very bundle again.
            return Err(BundleError::Malformed(
                "the bundle's roots do not list the key that signed it".into(),
            ));
        }
        Ok(bundle)
    }

    /// Opens a bundle offered as an update to `current` (the bundle the kiosk has, if any),
    /// refusing it unless its sequence is strictly higher.
    pub fn accept_update(
        current: Option<&TrustBundle>,
        bytes: &[u8],
        pinned_roots: &[VerifyingKey],
    ) -> Result<TrustBundle, BundleError> {
        TrustBundle::accept_update_after(current, None, bytes, pinned_roots)
    }

    /// [`accept_update`](Self::accept_update) for a kiosk that also remembers
    /// `highest_accepted`, the highest sequence it ever accepted, even if that bundle is no
    /// longer at hand (its file deleted or damaged). Refused with [`BundleError::NotNewer`]
    /// when the offered sequence is not strictly higher than `current`'s, or lower than
    /// `highest_accepted`. The same sequence as `highest_accepted` may be installed again by a
    /// kiosk that lost its file: a platform signs one document per sequence.
    pub fn accept_update_after(
        current: Option<&TrustBundle>,
        highest_accepted: Option<u64>,
        bytes: &[u8],
        pinned_roots: &[VerifyingKey],
    ) -> Result<TrustBundle, BundleError> {
        let offered = TrustBundle::open(bytes, pinned_roots)?;
        let sequence = offered.sequence();
        let not_newer = |current| BundleError::NotNewer {
            current,
            offered: sequence,
        };
        if let Some(current) = current.map(TrustBundle::sequence) {
            if sequence <= current {
                return Err(not_newer(current));
            }
        }
        match highest_accepted {
            Some(highest) if sequence < highest => Err(not_newer(highest)),
            _ => Ok(offered),
        }
    }

    /// The issuer side: the signed file for a document. The document is not validated here;
    /// the platform validates before publishing, and tests use this to make malformed bundles.
    pub fn seal(document: &BundleDocument, root: &SigningKey) -> Vec<u8> {
        let payload = serde_json::to_vec(document).expect("a bundle document always serialises");
        envelope::seal(&payload, root)
    }

    /// The document as published.
    pub fn document(&self) -> &BundleDocument {
        &self.document
    }

    /// The bundle's sequence number.
    pub fn sequence(&self) -> u64 {
        self.document.sequence
    }

    /// The rules in force.
    pub fn rules(&self) -> &Rules {
        &self.document.rules
    }

    /// The root keys a kiosk pins from this bundle on, if it lists them (a root rotation,
    /// `schema/trust-bundle.md`, "Rotating the root"); `None`: the pinned roots stay.
    pub fn roots(&self) -> Option<&[VerifyingKey]> {
        self.roots.as_deref()
    }

    /// The platform's sync keys: the keys whose signature makes a platform answer trusted.
    pub fn sync_keys(&self) -> &[VerifyingKey] {
        &self.sync_keys
    }

    /// The issuer key with this kid, if listed.
    pub fn issuer(&self, kid: Kid) -> Option<&IssuerKey> {
        self.issuers.get(&kid)
    }

    /// Whether the coupon (kid, serial) is revoked, one by one or within a range.
    pub fn is_revoked(&self, kid: Kid, serial: u64) -> bool {
        self.revokes_all(kid, serial, serial)
    }

    /// Whether every serial of `first..=last` of key `kid` is revoked, one by one or within
    /// ranges (by the bundle, or a freshness statement applied to it).
    pub fn revokes_all(&self, kid: Kid, first: u64, last: u64) -> bool {
        self.revoked.get(&kid).is_some_and(|ranges| {
            let after = ranges.partition_point(|&(start, _)| start <= first);
            after > 0 && ranges[after - 1].1 >= last
        })
    }

    /// The provider's name, if the bundle lists it.
    pub fn provider_name(&self, id: u32) -> Option<&str> {
        let providers = &self.document.providers;
        providers
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.name.as_str())
    }

    /// The zone's name, if the bundle lists it.
    pub fn zone_name(&self, id: u32) -> Option<&str> {
        let zones = &self.document.zones;
        zones.iter().find(|z| z.id == id).map(|z| z.name.as_str())
    }
}
