//! The JSON form of the wire types, checked against literal documents (the format is the
//! contract with other implementations, so it is written out here by hand).

use guichet_protocol::{
    ActorRole, ChainHash, EntryEvent, EntryResult, EntryState, ErrorBody, ErrorCode, LedgerEntry,
    PushRequest,
};
use serde_json::json;

fn redemption_json() -> serde_json::Value {
    json!({
        "id": "0193f0a4-7c1e-7d4a-9b1f-2a3b4c5d6e7f",
        "occurred_at": "2026-11-23T09:41:07.123Z",
        "local_day": "2026-11-23",
        "center": "C0001",
        "device": "d-1",
        "actor": "Awa",
        "kind": "redemption",
        "checkout_id": "0193f0a4-7c1e-7d4a-9b1f-000000000001",
        "kid": "e93a3e22a692eb03",
        "serial": 18446744073709551615u64,
        "value_cents": 1000,
        "provider": 7,
        "area": "2.2",
        "service": "2.2.03",
        "input_method": "scanner",
        "code": "PN1:ABC",
        "prev_hash": "00".repeat(32),
        "hash": "ab".repeat(32),
    })
}

#[test]
fn a_redemption_entry_reads_and_writes_the_documented_members() {
    let entry: LedgerEntry = serde_json::from_value(redemption_json()).unwrap();
    assert_eq!(entry.prev_hash, ChainHash::GENESIS);
    let Some((kid, serial)) = entry.coupon() else {
        panic!("a redemption names its coupon")
    };
    assert_eq!(kid.to_hex(), "e93a3e22a692eb03");
    assert_eq!(serial, u64::MAX);
    assert_eq!(serde_json::to_value(&entry).unwrap(), redemption_json());
}

#[test]
fn a_cancellation_entry_reads_and_writes_the_documented_members() {
    let document = json!({
        "id": "0193f0a4-7c1e-7d4a-9b1f-2a3b4c5d6e80",
        "occurred_at": "2026-11-23T09:45:00Z",
        "local_day": "2026-11-23",
        "center": "C0001",
        "device": "d-1",
        "actor": "Awa",
        "kind": "cancellation",
        "cancels": "0193f0a4-7c1e-7d4a-9b1f-2a3b4c5d6e7f",
        "actor_role": "manager",
        "reason": "wrong workshop",
        "prev_hash": "ab".repeat(32),
        "hash": "cd".repeat(32),
    });
    let entry: LedgerEntry = serde_json::from_value(document.clone()).unwrap();
    let EntryEvent::Cancellation(cancellation) = &entry.event else {
        panic!("kind cancellation")
    };
    assert_eq!(cancellation.actor_role, ActorRole::Manager);
    assert_eq!(serde_json::to_value(&entry).unwrap(), document);
}

#[test]
fn entries_with_a_bad_member_are_refused() {
    for (member, value) in [
        ("kind", json!("gift")),
        ("kid", json!("e93a3e22a692eb0")),
        ("area", json!("4.1")),
        ("prev_hash", json!("00")),
        ("serial", json!(-1)),
        ("input_method", json!("telepathy")),
        ("local_day", json!("2026-13-01")),
    ] {
        let mut document = redemption_json();
        document[member] = value;
        let request = json!({ "entries": [document] });
        assert!(
            serde_json::from_value::<PushRequest>(request).is_err(),
            "{member} accepted"
        );
    }
}

#[test]
fn error_bodies_and_states_use_their_wire_names() {
    let body = ErrorBody::new(ErrorCode::ReplayedNonce, "again");
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({"error": "REPLAYED_NONCE", "message": "again"})
    );
    let unknown: ErrorBody =
        serde_json::from_value(json!({"error": "FROM_THE_FUTURE", "message": ""})).unwrap();
    assert_eq!(unknown.error, ErrorCode::Other);
    let result = EntryResult {
        id: uuid::Uuid::nil(),
        state: EntryState::Cancelled,
        conflict: None,
        cause: None,
    };
    assert_eq!(
        serde_json::to_value(&result).unwrap(),
        json!({"id": "00000000-0000-0000-0000-000000000000", "state": "cancelled"})
    );
    let held = EntryResult {
        state: EntryState::Held,
        cause: Some(guichet_protocol::Cause::new(
            guichet_protocol::CauseCode::NoProof,
        )),
        ..result
    };
    assert_eq!(
        serde_json::to_value(&held).unwrap(),
        json!({"id": "00000000-0000-0000-0000-000000000000", "state": "held",
               "cause": {"code": "NO_PROOF"}})
    );
    for state in [
        "accepted",
        "conflict",
        "unknown",
        "cancelled",
        "rejected",
        "held",
    ] {
        assert_eq!(
            EntryState::parse(state).map(EntryState::as_str),
            Some(state)
        );
    }
    assert_eq!(EntryState::parse("paid"), None);
    assert_eq!(ErrorCode::ChainGap.http_status(), 409);
    assert_eq!(ErrorCode::BodyTooLarge.http_status(), 413);
}
