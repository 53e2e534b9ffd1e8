//! The entry signature vectors (`schema/test-vectors/entry-signature-v1.json`), written by a
//! short Python program from the text of the rule (`schema/sync-api.md`, "Entry signatures"),
//! not from this crate: the signed bytes and the signatures must come out the same here.

use ed25519_dalek::SigningKey;
use guichet_protocol::entry_signature::{check, sign, signed_bytes, EntrySignature};
use guichet_protocol::LedgerEntry;
use serde_json::Value;

#[test]
fn the_vectors_sign_and_check_byte_for_byte() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../schema/test-vectors/entry-signature-v1.json"
    );
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut seed = [0u8; 32];
    hex::decode_to_slice(file["device_key_seed"].as_str().unwrap(), &mut seed).unwrap();
    let key = SigningKey::from_bytes(&seed);
    assert_eq!(
        hex::encode(key.verifying_key().as_bytes()),
        file["device_public_key"].as_str().unwrap()
    );
    let vectors = file["vectors"].as_array().unwrap();
    assert!(!vectors.is_empty());
    for vector in vectors {
        let mut entry: LedgerEntry = serde_json::from_value(vector["entry"].clone()).unwrap();
        let expected = vector["signed_bytes"].as_str().unwrap();
        assert_eq!(
            String::from_utf8(signed_bytes(&entry)).unwrap(),
            expected,
            "signed bytes of {}",
            entry.id
        );
        let signature = sign(&entry, &key);
        assert_eq!(signature, vector["signature"].as_str().unwrap());
        entry.signature = Some(signature);
        assert_eq!(check(&entry, &key.verifying_key()), EntrySignature::Good);
    }
}
