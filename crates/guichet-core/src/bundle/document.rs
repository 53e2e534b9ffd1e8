//! The trust bundle's payload: the JSON document the platform signs.
//!
//! These types are the format (`schema/trust-bundle.md`); the issuer side builds them and
//! serialises them with [`serde_json`], the kiosk deserialises them after the signature has
//! been checked and then validates them into a [`super::TrustBundle`].

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::area::Area;
use crate::kid::Kid;

/// The whole signed document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BundleDocument {
    /// Strictly increasing from one published bundle to the next.
    pub sequence: u64,
    /// When the platform published it (UTC).
    pub issued_at: Timestamp,
    /// After this instant the kiosk shows the bundle as expired (UTC).
    pub expires_at: Timestamp,
    /// Verification and accounting rules.
    #[serde(default)]
    pub rules: Rules,
    /// The providers (funders) coupons may name.
    pub providers: Vec<Provider>,
    /// The zones coupons and centers may name.
    pub zones: Vec<Zone>,
    /// Every issuer key, whatever its status.
    pub issuer_keys: Vec<IssuerKeyEntry>,
    /// The skills referential workshops are chosen from.
    pub referential: Referential,
    /// Revoked coupons (lost or stolen booklets), per issuer key.
    #[serde(default)]
    pub revocations: Vec<Revocation>,
    /// The platform root keys (Ed25519 public keys, 64 hex digits) a kiosk pins from this
    /// bundle on, in place of the ones it pinned (a root rotation, `schema/trust-bundle.md`);
    /// must list the key that signed this bundle. Empty: the pinned roots stay as they are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roots: Vec<String>,
    /// The platform's sync keys (Ed25519 public keys, 64 hex digits): the platform signs its
    /// answers to kiosks (push results, state changes, its clock) with one of them
    /// (`schema/sync-api.md`, "Signed answers"). Several during a rotation. A bundle without
    /// any (older platforms) lets a kiosk trust no answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sync_keys: Vec<String>,
}

/// Rules the platform sets for every kiosk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Rules {
    /// Days after a coupon's `valid_until` during which it is still accepted.
    pub grace_days: u16,
    /// How old the kiosk's bundle may get, counted from `issued_at`, before it is shown as
    /// stale and the kiosk insists on a sync.
    pub max_staleness_days: u16,
    /// The workshop length one coupon pays for.
    pub minutes_per_coupon: u16,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            grace_days: 31,
            max_staleness_days: 7,
            minutes_per_coupon: 120,
        }
    }
}

/// A provider (funder), named on reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    /// The id coupons carry.
    pub id: u32,
    /// Display name.
    pub name: String,
}

/// A zone (territory) a coupon may be restricted to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Zone {
    /// The id coupons carry; 0 is reserved for "anywhere".
    pub id: u32,
    /// Display name.
    pub name: String,
}

/// Whether an issuer key still mints, only validates, or must be refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyStatus {
    /// Minting now.
    Active,
    /// No longer minting; its coupons stay valid.
    Retired,
    /// Its coupons give `ISSUER_REVOKED`.
    Compromised,
}

/// One issuer key as listed in the bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerKeyEntry {
    /// SHA-256(public key)[0..8].
    pub kid: Kid,
    /// The 32-byte Ed25519 public key, in lower-case hex.
    pub public_key: String,
    /// The provider the key mints for.
    pub provider: u32,
    /// Its status.
    pub status: KeyStatus,
}

/// A text in both UI languages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalizedText {
    /// French.
    pub fr: String,
    /// English.
    pub en: String,
}

/// The skills referential: 3 levels, 9 areas, and the services within them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referential {
    /// The referential's own version, shown to admins.
    pub version: String,
    /// True for the example data the project ships; never true in production.
    #[serde(default)]
    pub example: bool,
    /// Exactly levels 1, 2 and 3.
    pub levels: Vec<Level>,
    /// Exactly the nine areas.
    pub areas: Vec<AreaEntry>,
    /// The services a workshop can cover.
    pub services: Vec<Service>,
}

/// A level of the referential.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    /// 1, 2 or 3.
    pub level: u8,
    /// Its name.
    pub name: LocalizedText,
}

/// An area of the referential.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaEntry {
    /// Its code, such as `"2.2"`.
    pub code: Area,
    /// Its name.
    pub name: LocalizedText,
}

/// A service (skill) within an area.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// Unique code, such as `"2.2.03"`.
    pub code: String,
    /// The area it belongs to.
    pub area: Area,
    /// Its name.
    pub name: LocalizedText,
}

/// Revoked coupons of one issuer key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    /// The issuer key.
    pub kid: Kid,
    /// Single revoked serials.
    #[serde(default)]
    pub serials: Vec<u64>,
    /// Revoked inclusive serial ranges (whole booklets).
    #[serde(default)]
    pub ranges: Vec<SerialRange>,
}

/// An inclusive range of serials.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SerialRange {
    /// First revoked serial.
    pub first: u64,
    /// Last revoked serial (≥ first).
    pub last: u64,
}
