//! One ledger entry as stored, and its place in the hash chain.
//!
//! The canonical bytes of an entry are a tag line followed by each field as
//! `name:length:value\n` (length in bytes, decimal), in the order [`Entry::canonical_bytes`]
//! writes them. The length prefix makes the encoding unambiguous whatever the text holds.
//! A redemption that carries the code the kiosk read is tagged `guichet-ledger-entry-v2` and
//! has one more field, `code`, after `input_method`; every other entry (cancellations, and
//! redemptions recorded before kiosks kept codes) keeps the `guichet-ledger-entry-v1` bytes,
//! so chains written by older kiosks still verify.
//! `hash = SHA-256(prev_hash || canonical bytes)`; the first entry's `prev_hash` is 32 zero
//! bytes (schema/ledger.md).

use serde::Serialize;
use sha2::{Digest, Sha256};

use guichet_protocol::limits;

use crate::error::LedgerError;

/// The `prev_hash` of the first entry of a ledger.
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// The tag that starts the canonical bytes of an entry without a code.
const CANONICAL_TAG_V1: &[u8] = b"guichet-ledger-entry-v1\n";
/// The tag that starts the canonical bytes of a redemption with its code.
const CANONICAL_TAG_V2: &[u8] = b"guichet-ledger-entry-v2\n";

/// How a coupon reached the kiosk: the protocol's type, stored by its lowercase name (the
/// `input_method` column, the canonical bytes, the kiosk's saved basket).
pub use guichet_protocol::InputMethod;

/// Who records a cancellation (a mediator only within the cancellation window, a manager at
/// any time): the protocol's [`ActorRole`](guichet_protocol::ActorRole), stored by its
/// lowercase name (the `actor_role` column, the canonical bytes).
pub use guichet_protocol::ActorRole as Role;

/// A coupon accepted at the counter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RedemptionFields {
    /// The checkout it belongs to.
    pub checkout_id: String,
    /// The issuer key id, 16 lowercase hex digits.
    pub kid: String,
    /// The coupon's serial.
    pub serial: u64,
    /// Face value in cents.
    pub value_cents: u32,
    /// The provider (funder) id.
    pub provider: u32,
    /// The workshop's referential area code, such as `1.2`.
    pub area: String,
    /// The workshop's referential service code.
    pub service: String,
    /// How the code was read.
    pub input_method: InputMethod,
    /// The full code the kiosk read (the `PN1:` text, trimmed): the proof that it held the
    /// coupon. `None` only for entries recorded before kiosks kept codes (ledger format 1).
    pub code: Option<String>,
}

/// A compensating entry that cancels one redemption.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CancellationFields {
    /// The id of the cancelled redemption.
    pub cancels: String,
    /// The canceller's role.
    pub actor_role: Role,
    /// Why, in the canceller's words.
    pub reason: String,
}

/// What an entry records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum EntryBody {
    /// A coupon accepted.
    Redemption(RedemptionFields),
    /// A redemption cancelled.
    Cancellation(CancellationFields),
}

/// One entry of the permanent ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// UUIDv7 made on the device.
    pub id: String,
    /// When, in UTC (`2026-11-23T09:15:02.120Z`).
    pub occurred_at: String,
    /// The Europe/Paris day, `YYYY-MM-DD`.
    pub local_day: String,
    /// The center's id.
    pub center: String,
    /// The kiosk's device id.
    pub device: String,
    /// The mediator (redemption) or the canceller (cancellation).
    pub actor: String,
    /// What it records.
    #[serde(flatten)]
    pub body: EntryBody,
}

/// An entry with its position and links in the hash chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainedEntry {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// The entry.
    pub entry: Entry,
    /// The previous entry's hash.
    pub prev_hash: [u8; 32],
    /// This entry's hash.
    pub hash: [u8; 32],
    /// The device's signature of the entry as the protocol carries it
    /// (`guichet_protocol::entry_signature`), made when it was recorded; `None` for entries
    /// recorded before kiosks signed them, or by a ledger without a signer (tests, tools).
    pub signature: Option<[u8; 64]>,
}

impl Entry {
    /// The entry's kind as stored: `redemption` or `cancellation`.
    pub fn kind(&self) -> &'static str {
        match self.body {
            EntryBody::Redemption(_) => "redemption",
            EntryBody::Cancellation(_) => "cancellation",
        }
    }

    /// The canonical format of this entry: 2 for a redemption with its code, else 1.
    pub fn format_version(&self) -> u8 {
        match &self.body {
            EntryBody::Redemption(RedemptionFields { code: Some(_), .. }) => 2,
            _ => 1,
        }
    }

    /// The bytes the hash covers (module docs).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = match self.format_version() {
            2 => CANONICAL_TAG_V2,
            _ => CANONICAL_TAG_V1,
        }
        .to_vec();
        let mut field = |name: &str, value: &str| {
            out.extend_from_slice(format!("{name}:{}:", value.len()).as_bytes());
            out.extend_from_slice(value.as_bytes());
            out.push(b'\n');
        };
        field("id", &self.id);
        field("kind", self.kind());
        field("occurred_at", &self.occurred_at);
        field("local_day", &self.local_day);
        field("center", &self.center);
        field("device", &self.device);
        field("actor", &self.actor);
        match &self.body {
            EntryBody::Redemption(r) => {
                field("checkout_id", &r.checkout_id);
                field("kid", &r.kid);
                field("serial", &r.serial.to_string());
                field("value_cents", &r.value_cents.to_string());
                field("provider", &r.provider.to_string());
                field("area", &r.area);
                field("service", &r.service);
                field("input_method", r.input_method.into());
                if let Some(code) = &r.code {
                    field("code", code);
                }
            }
            EntryBody::Cancellation(c) => {
                field("cancels", &c.cancels);
                field("actor_role", c.actor_role.into());
                field("reason", &c.reason);
            }
        }
        out
    }

    /// `SHA-256(prev_hash || canonical bytes)`.
    pub fn chain_hash(&self, prev_hash: &[u8; 32]) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(prev_hash);
        hasher.update(self.canonical_bytes());
        hasher.finalize().into()
    }
}

/// Refuses an identifier the ledger should not hold (center, device): empty, longer than
/// 200 bytes, or with control characters.
pub(crate) fn check_text(field: &'static str, value: &str) -> Result<(), LedgerError> {
    check_bounded(field, value, None)
}

/// Refuses a text people type that the platform would refuse (`guichet_protocol::limits`:
/// blank, or more than `limit` characters), or that holds control characters.
pub(crate) fn check_typed(
    field: &'static str,
    value: &str,
    limit: usize,
) -> Result<(), LedgerError> {
    check_bounded(field, value, Some(limit))
}

fn check_bounded(
    field: &'static str,
    value: &str,
    limit: Option<usize>,
) -> Result<(), LedgerError> {
    const MAX_LEN: usize = 200;
    let invalid = |reason: &str| LedgerError::Invalid {
        field,
        reason: reason.to_string(),
    };
    match limit {
        Some(limit) => limits::check_text(field, value, limit)?,
        None => {
            if value.trim().is_empty() {
                return Err(invalid("must not be empty"));
            }
            if value.len() > MAX_LEN {
                return Err(invalid(&format!("longer than {MAX_LEN} bytes")));
            }
        }
    }
    if value.chars().any(char::is_control) {
        return Err(invalid("contains a control character"));
    }
    Ok(())
}
