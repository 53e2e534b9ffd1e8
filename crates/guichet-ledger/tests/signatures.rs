//! Ledger schema 5 on real files: every entry recorded with a signer carries the device key's
//! signature of the entry as the protocol carries it, the platform's own check accepts it, and
//! a check with another key, or of an entry edited in the file, finds them (issue 18, item 3).

mod common;

use std::sync::Arc;

use common::*;
use ed25519_dalek::{Signer, SigningKey};
use guichet_ledger::{to_wire, Role};
use guichet_protocol::entry_signature::{self, EntrySignature};
use rusqlite::Connection;

fn device_key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

#[test]
fn entries_are_signed_when_recorded_and_the_signature_is_the_protocols() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite3");
    let mut ledger = open(&path);
    // Recorded before the kiosk lent its key: unsigned.
    ledger
        .commit_checkout(&station("Amine"), &basket(&[1]), at(MORNING))
        .unwrap();
    let key = device_key();
    let signing = key.clone();
    ledger.set_entry_signer(Some(Arc::new(move |bytes: &[u8]| {
        signing.sign(bytes).to_bytes()
    })));
    let receipt = ledger
        .commit_checkout(&station("Amine"), &basket(&[2, 3]), at(MORNING))
        .unwrap();
    ledger
        .cancel_redemption(
            &receipt.redemptions[0].id,
            &canceller(Role::Manager),
            "erreur",
            at(MORNING),
        )
        .unwrap();

    let report = ledger.check_entry_signatures(&key.verifying_key()).unwrap();
    assert_eq!((report.signed, report.unsigned), (3, 1));
    assert!(report.bad.is_empty());
    // What the kiosk pushes verifies with the platform's check.
    let batch = ledger.outbox_batch(10).unwrap();
    let signed: Vec<_> = batch.iter().filter(|e| e.signature.is_some()).collect();
    assert_eq!(signed.len(), 3);
    for chained in signed {
        let wire = to_wire(chained).unwrap();
        assert_eq!(
            entry_signature::check(&wire, &key.verifying_key()),
            EntrySignature::Good
        );
    }
    // Another kiosk's key: every signed entry is refused.
    let other = SigningKey::from_bytes(&[43; 32]).verifying_key();
    assert_eq!(
        ledger.check_entry_signatures(&other).unwrap().bad,
        vec![2, 3, 4]
    );
    drop(ledger);

    // An entry edited in the file (its chain hash recomputed or not) no longer verifies.
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER entries_append_only_update;
         UPDATE entries SET actor = 'Quelqu''un' WHERE seq = 3;",
    )
    .unwrap();
    drop(conn);
    let ledger = open(&path);
    let report = ledger.check_entry_signatures(&key.verifying_key()).unwrap();
    assert_eq!(report.bad, vec![3]);
    assert_eq!(report.signed, 2);
}
