//! The JSON bodies of the sync API (`schema/sync-api.md`).
//!
//! Times are RFC 3339 in UTC (`2026-11-23T09:41:07.123Z`), days `YYYY-MM-DD`, kids 16 hex
//! digits, hashes 64 hex digits, ids UUIDs in their hyphenated form. Members this version does
//! not define are ignored when read, so either side may add optional members later.

use guichet_core::{Area, Kid};
use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::cause::Cause;
use crate::hash::ChainHash;

/// `GET /v1/enroll/bundle` response (unsigned): what a kiosk checks before it sends anything
/// secret. The kiosk pins `root_keys` only if they have the fingerprint the admin gave, opens
/// `bundle` with them, and seals its enrollment to a sync key of that bundle
/// ([`crate::seal`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollBundle {
    /// The platform root public keys (64 hex digits each).
    pub root_keys: Vec<String>,
    /// The current trust bundle file (the envelope JSON, byte for byte).
    pub bundle: String,
    /// The sync key the platform answers with now (64 hex): the kiosk seals to it only if the
    /// bundle names it (a hint, believed for nothing else).
    pub sync_key: String,
}

/// The center a device belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CenterInfo {
    /// The center's id, which every ledger entry of the device carries.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The center's zone (0 = unknown).
    pub zone: u32,
}

/// `POST /v1/enroll` response (201), signed by the sync key the enrollment was sealed to
/// (`guichet_protocol::answer`, with the device public key in place of the device id and the
/// sealed payload's nonce): a kiosk believes none of it otherwise.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    /// The id to sign every later request with.
    pub device_id: String,
    /// The center the code was made for.
    pub center: CenterInfo,
    /// The platform's clock.
    pub server_time: Timestamp,
}

/// How a coupon's code reached the kiosk: the one type of the wire, the kiosk's ledger (its
/// `input_method` column and canonical bytes) and its saved basket, by the same lowercase
/// names from serde and strum (`<&str>::from`, `str::parse`).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum InputMethod {
    /// A webcam.
    Camera,
    /// A USB scanner (keyboard wedge or serial).
    Scanner,
    /// Typed or pasted.
    Pasted,
}

/// Who recorded a cancellation: the one type of the wire and the kiosk's ledger (its
/// `actor_role` column and canonical bytes), by the same lowercase names from serde and strum.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum ActorRole {
    /// The mediator at the counter: only within the cancellation window.
    Mediator,
    /// The center manager: at any time.
    Manager,
}

/// A coupon accepted at the counter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedemptionEvent {
    /// The learner's checkout (one workshop, one or more coupons).
    pub checkout_id: Uuid,
    /// The coupon's issuer key id.
    pub kid: Kid,
    /// The coupon's serial.
    pub serial: u64,
    /// Face value in euro cents.
    pub value_cents: u32,
    /// The provider (funder) id the coupon carries.
    pub provider: u32,
    /// The workshop's area.
    pub area: Area,
    /// The workshop's service code.
    pub service: String,
    /// How the code was read.
    pub input_method: InputMethod,
    /// The full code the kiosk read (the `PN1:` text): the proof that the kiosk held the
    /// coupon. The platform verifies it and takes value, provider, dates, scope and zone from
    /// it; the copies above must equal the code's. Absent only for entries recorded before
    /// kiosks kept codes (ledger format 1): those cannot prove possession and are held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// A compensating entry that cancels one earlier redemption of the same device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancellationEvent {
    /// The id of the redemption it cancels.
    pub cancels: Uuid,
    /// Who cancelled.
    pub actor_role: ActorRole,
    /// Why.
    pub reason: String,
}

/// What a ledger entry records; the `kind` member tells which.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum EntryEvent {
    /// `"kind": "redemption"`.
    Redemption(RedemptionEvent),
    /// `"kind": "cancellation"`.
    Cancellation(CancellationEvent),
}

/// One entry of a kiosk's ledger, as pushed: its common members, the event's members
/// (flattened, with `kind`), and its place in the device's hash chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// UUIDv7 made on the device; the platform stores an id once.
    pub id: Uuid,
    /// When it happened (UTC): for a redemption, when the coupon was accepted.
    pub occurred_at: Timestamp,
    /// The calendar day in Europe/Paris.
    pub local_day: Date,
    /// The center id (as given at enrollment).
    pub center: String,
    /// The device id (as given at enrollment).
    pub device: String,
    /// The mediator (redemption) or the person who cancelled.
    pub actor: String,
    /// The event.
    #[serde(flatten)]
    pub event: EntryEvent,
    /// The previous entry's `hash` ([`ChainHash::GENESIS`] for the device's first entry).
    pub prev_hash: ChainHash,
    /// This entry's hash (the kiosk's; the platform does not recompute it).
    pub hash: ChainHash,
    /// The device's Ed25519 signature of this entry, made when the kiosk recorded it
    /// ([`crate::entry_signature`]), 128 hex digits; absent on entries recorded before kiosks
    /// signed them (ledger schema 4 and older).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl LedgerEntry {
    /// The coupon (kid, serial) of a redemption.
    pub fn coupon(&self) -> Option<(Kid, u64)> {
        match &self.event {
            EntryEvent::Redemption(r) => Some((r.kid, r.serial)),
            EntryEvent::Cancellation(_) => None,
        }
    }
}

/// `POST /v1/redemptions` request: consecutive entries of the device's chain, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRequest {
    /// At least one, at most [`crate::paths::MAX_BATCH_ENTRIES`].
    pub entries: Vec<LedgerEntry>,
}

/// An entry's standing on the platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryState {
    /// Stored; a redemption in this state is the valid one for its coupon and is reimbursed.
    /// Cancellations are always `accepted` once stored.
    Accepted,
    /// Stored; the same coupon was redeemed earlier under another id (see `conflict`).
    /// Not reimbursed.
    Conflict,
    /// Stored; the platform never minted this coupon. Not reimbursed.
    Unknown,
    /// Stored; the redemption was cancelled by a later cancellation entry. Not reimbursed.
    Cancelled,
    /// Stored; the platform's checks (or an admin) refused it (see `cause`). Never reimbursed.
    Rejected,
    /// Stored; waiting for an admin's review (see `cause`). Not reimbursed unless accepted.
    Held,
}

impl EntryState {
    /// The state's name on the wire (`"accepted"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            EntryState::Accepted => "accepted",
            EntryState::Conflict => "conflict",
            EntryState::Unknown => "unknown",
            EntryState::Cancelled => "cancelled",
            EntryState::Rejected => "rejected",
            EntryState::Held => "held",
        }
    }

    /// The state of a wire name, `None` for a name this version does not define.
    pub fn parse(text: &str) -> Option<EntryState> {
        Some(match text {
            "accepted" => EntryState::Accepted,
            "conflict" => EntryState::Conflict,
            "unknown" => EntryState::Unknown,
            "cancelled" => EntryState::Cancelled,
            "rejected" => EntryState::Rejected,
            "held" => EntryState::Held,
            _ => return None,
        })
    }

    /// Whether the platform pays for a redemption in this state.
    pub fn is_reimbursed(self) -> bool {
        self == EntryState::Accepted
    }
}

/// The redemption that holds a coupon, told to the one in conflict with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictDetails {
    /// The valid redemption's id.
    pub other_id: Uuid,
    /// When it was accepted (UTC).
    pub redeemed_at: Timestamp,
    /// Its day in Europe/Paris.
    pub local_day: Date,
    /// Its center id.
    pub center: String,
    /// Its center's name.
    pub center_name: String,
    /// Its device id.
    pub device: String,
}

/// The state of one entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryResult {
    /// The entry's id.
    pub id: Uuid,
    /// Its state now.
    pub state: EntryState,
    /// For `conflict`: the redemption that holds the coupon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflict: Option<ConflictDetails>,
    /// For `rejected` and `held`: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
}

/// `POST /v1/redemptions` response (200): one result per entry of the request, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// The state of each entry sent, in the request's order.
    pub results: Vec<EntryResult>,
    /// The hash of the last entry the platform now holds from this device.
    pub chain_head: ChainHash,
}

/// `GET /v1/redemptions/states?since=CURSOR` response: entries of this device whose state
/// changed after `since` (each entry at most once, with its latest state), oldest change first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatesResponse {
    /// The changes (at most [`crate::paths::MAX_STATES_PER_PAGE`]).
    pub changes: Vec<EntryResult>,
    /// The cursor to pass as `since` next time.
    pub cursor: u64,
    /// True when more changes wait: ask again at once with the new cursor.
    pub more: bool,
}

/// `GET /v1/redemptions/states` response as it travels: the page, and the device's latest
/// state version on the platform, which no cursor can be above. A kiosk whose cursor is above
/// it (a forged answer moved it) starts again from 0; a page whose cursor is above it is not
/// believed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatesAnswer {
    /// The changes, the cursor and whether more wait.
    #[serde(flatten)]
    pub page: StatesResponse,
    /// The device's latest state version (absent from platforms before it was added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<u64>,
}

/// `GET /v1/device` response: what the platform holds for the calling device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceStatus {
    /// The device id.
    pub device_id: String,
    /// Its center.
    pub center: CenterInfo,
    /// The hash of the last entry the platform holds from it ([`ChainHash::GENESIS`] if none).
    pub chain_head: ChainHash,
    /// How many of its entries the platform holds.
    pub entries: u64,
    /// The sequence of the current published bundle, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle_sequence: Option<u64>,
    /// The platform's clock.
    pub server_time: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each value's one name, as serde and strum write and read it.
    fn same_name_everywhere<T>(value: T, name: &str)
    where
        T: Copy + std::fmt::Debug + PartialEq + Serialize + serde::de::DeserializeOwned,
        T: std::str::FromStr + Into<&'static str>,
        <T as std::str::FromStr>::Err: std::fmt::Debug,
    {
        assert_eq!(value.into(), name);
        assert_eq!(name.parse::<T>().unwrap(), value);
        assert_eq!(
            serde_json::to_string(&value).unwrap(),
            format!("\"{name}\"")
        );
        assert_eq!(
            serde_json::from_str::<T>(&format!("\"{name}\"")).unwrap(),
            value
        );
    }

    #[test]
    fn input_methods_and_actor_roles_keep_their_names() {
        same_name_everywhere(InputMethod::Camera, "camera");
        same_name_everywhere(InputMethod::Scanner, "scanner");
        same_name_everywhere(InputMethod::Pasted, "pasted");
        same_name_everywhere(ActorRole::Mediator, "mediator");
        same_name_everywhere(ActorRole::Manager, "manager");
        assert!("Camera".parse::<InputMethod>().is_err());
        assert!("admin".parse::<ActorRole>().is_err());
    }
}
