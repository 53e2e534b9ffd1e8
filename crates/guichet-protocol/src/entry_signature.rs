//! The device's signature of a ledger entry: made by the kiosk when it records the entry
//! (inside the ledger's write transaction), kept in its ledger, carried in
//! [`LedgerEntry::signature`] and checked by the platform against the device's key.
//!
//! The signed bytes are [`CONTEXT`] followed by the entry's JSON as `serde_json` writes a
//! [`LedgerEntry`] without its `signature` member. Both sides build them from this one type,
//! so they agree byte for byte; the entry's `prev_hash` and `hash` are inside, so the
//! signature also pins the entry's place in the device's chain.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::wire::LedgerEntry;

/// What the signed bytes start with, so that no other message of the device can be taken for
/// an entry's signature.
pub const CONTEXT: &[u8] = b"guichet-ledger-entry-signature-v1\n";

/// The bytes the device signs for `entry` (its `signature` member left out).
pub fn signed_bytes(entry: &LedgerEntry) -> Vec<u8> {
    let unsigned = LedgerEntry {
        signature: None,
        ..entry.clone()
    };
    let mut bytes = CONTEXT.to_vec();
    // A LedgerEntry always serialises (strings, numbers and hex only).
    bytes.extend(serde_json::to_vec(&unsigned).unwrap_or_default());
    bytes
}

/// The device's signature of `entry`, as carried (128 lowercase hex digits).
pub fn sign(entry: &LedgerEntry, key: &SigningKey) -> String {
    hex::encode(key.sign(&signed_bytes(entry)).to_bytes())
}

/// What a check of an entry's signature found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntrySignature {
    /// Signed by the key, over this content.
    Good,
    /// No signature (an entry recorded before kiosks signed them).
    Absent,
    /// A signature that is not the key's over this content (or not 128 hex digits).
    Bad,
}

/// Checks `entry`'s signature against the device's key.
pub fn check(entry: &LedgerEntry, key: &VerifyingKey) -> EntrySignature {
    let Some(text) = &entry.signature else {
        return EntrySignature::Absent;
    };
    let mut bytes = [0u8; 64];
    if hex::decode_to_slice(text, &mut bytes).is_err() {
        return EntrySignature::Bad;
    }
    let signature = Signature::from_bytes(&bytes);
    match key.verify_strict(&signed_bytes(entry), &signature) {
        Ok(()) => EntrySignature::Good,
        Err(_) => EntrySignature::Bad,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::ChainHash;
    use crate::wire::{ActorRole, CancellationEvent, EntryEvent};

    fn entry() -> LedgerEntry {
        LedgerEntry {
            id: "0193a1b2-0000-7000-8000-000000000001".parse().unwrap(),
            occurred_at: "2026-12-04T10:00:00.123Z".parse().unwrap(),
            local_day: "2026-12-04".parse().unwrap(),
            center: "C1".into(),
            device: "d1".into(),
            actor: "Zoé".into(),
            event: EntryEvent::Cancellation(CancellationEvent {
                cancels: "0193a1b2-0000-7000-8000-000000000000".parse().unwrap(),
                actor_role: ActorRole::Manager,
                reason: "erreur".into(),
            }),
            prev_hash: ChainHash::GENESIS,
            hash: ChainHash::GENESIS,
            signature: None,
        }
    }

    #[test]
    fn a_signed_entry_checks_and_any_change_breaks_it() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let mut signed = entry();
        assert_eq!(check(&signed, &key.verifying_key()), EntrySignature::Absent);
        signed.signature = Some(sign(&signed, &key));
        assert_eq!(check(&signed, &key.verifying_key()), EntrySignature::Good);
        // The same entry after a round trip through JSON, as the platform receives it.
        let received: LedgerEntry =
            serde_json::from_slice(&serde_json::to_vec(&signed).unwrap()).unwrap();
        assert_eq!(check(&received, &key.verifying_key()), EntrySignature::Good);
        let other = SigningKey::from_bytes(&[8; 32]);
        assert_eq!(check(&signed, &other.verifying_key()), EntrySignature::Bad);
        let mut changed = signed.clone();
        changed.actor = "Zoe".into();
        assert_eq!(check(&changed, &key.verifying_key()), EntrySignature::Bad);
        let mut garbage = signed;
        garbage.signature = Some("zz".into());
        assert_eq!(check(&garbage, &key.verifying_key()), EntrySignature::Bad);
    }
}
