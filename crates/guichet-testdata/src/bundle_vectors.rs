//! `schema/test-vectors/trust-bundle-v1.json`: bundle files offered to a kiosk and whether it
//! must accept them.

use ed25519_dalek::VerifyingKey;
use guichet_core::bundle::document::{BundleDocument, IssuerKeyEntry, SerialRange};
use guichet_core::bundle::{envelope, KeyStatus, TrustBundle};
use guichet_core::Kid;
use serde_json::{json, Value};

use crate::world::World;

struct Case {
    name: &'static str,
    description: &'static str,
    current: Option<&'static str>,
    offered: Vec<u8>,
    expected: &'static str,
    sequence: Option<u64>,
}

fn accepted(
    name: &'static str,
    description: &'static str,
    current: Option<&'static str>,
    offered: Vec<u8>,
    sequence: u64,
) -> Case {
    Case {
        name,
        description,
        current,
        offered,
        expected: "ACCEPTED",
        sequence: Some(sequence),
    }
}

fn refused(
    name: &'static str,
    description: &'static str,
    current: Option<&'static str>,
    offered: Vec<u8>,
    expected: &'static str,
) -> Case {
    Case {
        name,
        description,
        current,
        offered,
        expected,
        sequence: None,
    }
}

/// An issuer key entry whose key bytes are given as is (kid computed from them).
fn raw_key_entry(bytes: [u8; 32]) -> IssuerKeyEntry {
    IssuerKeyEntry {
        kid: Kid::of_public_key(&bytes),
        public_key: hex::encode(bytes),
        provider: 1,
        status: KeyStatus::Active,
    }
}

/// A non-canonical encoding (y = p + k) of a point that is on the curve and not of small order.
fn non_canonical_key() -> [u8; 32] {
    (2u8..19)
        .map(|k| {
            let mut bytes = [0xff; 32];
            bytes[0] = 0xed + k;
            bytes[31] = 0x7f;
            bytes
        })
        .find(|bytes| VerifyingKey::from_bytes(bytes).is_ok_and(|key| !key.is_weak()))
        .expect("some y = p + k, k < 19, is a point of large order")
}

/// The document as a JSON value, changed by `edit`, sealed by the pinned root.
fn sealed_edit(w: &World, edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut value = serde_json::to_value(w.document_seq1()).expect("documents serialise");
    value["sequence"] = json!(3);
    edit(&mut value);
    envelope::seal(
        &serde_json::to_vec(&value).expect("values serialise"),
        &w.root.signing,
    )
}

fn sealed(w: &World, edit: impl FnOnce(&mut BundleDocument)) -> Vec<u8> {
    let mut document = w.document_seq1();
    document.sequence = 3;
    edit(&mut document);
    w.seal(&document)
}

fn edit_envelope(bytes: &[u8], edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut value: Value = serde_json::from_slice(bytes).expect("envelopes are JSON");
    edit(&mut value);
    serde_json::to_vec_pretty(&value).expect("values serialise")
}

fn cases(w: &World) -> Vec<Case> {
    let seq1 = w.seal(&w.document_seq1());
    let seq2 = w.seal(&w.document_seq2());
    let root_kid = json!(w.root.kid().to_hex());
    let by_other_root = TrustBundle::seal(&w.document_seq2(), &w.other_root.signing);
    let claims_pinned_root = edit_envelope(&by_other_root, |e| e["signer"] = root_kid.clone());
    let payload_swapped = edit_envelope(&seq2, |e| {
        let seq1_envelope: Value = serde_json::from_slice(&seq1).expect("JSON");
        e["payload"] = seq1_envelope["payload"].clone();
    });
    let signature_flipped = edit_envelope(&seq2, |e| {
        let mut signature = hex::decode(e["signature"].as_str().expect("hex")).expect("hex");
        signature[10] ^= 1;
        e["signature"] = json!(hex::encode(signature));
    });
    let small_order_key = {
        let mut identity = [0; 32];
        identity[0] = 1;
        identity
    };
    vec![
        accepted(
            "accept-first",
            "the first bundle of a kiosk that has none",
            None,
            seq1.clone(),
            1,
        ),
        accepted(
            "accept-newer",
            "sequence 2 over sequence 1",
            Some("seq1"),
            seq2.clone(),
            2,
        ),
        refused(
            "refuse-older",
            "sequence 1 over sequence 2 (rollback)",
            Some("seq2"),
            seq1.clone(),
            "NOT_NEWER",
        ),
        refused(
            "refuse-same-sequence",
            "sequence 1 again over sequence 1 (replay)",
            Some("seq1"),
            seq1.clone(),
            "NOT_NEWER",
        ),
        refused(
            "refuse-other-root",
            "signed by a root key the kiosk does not pin",
            None,
            by_other_root,
            "WRONG_SIGNER",
        ),
        refused(
            "refuse-signer-claims-pinned-root",
            "names the pinned root but was signed by another key",
            None,
            claims_pinned_root,
            "BAD_SIGNATURE",
        ),
        refused(
            "refuse-payload-swapped",
            "sequence 2's signature over sequence 1's payload",
            None,
            payload_swapped,
            "BAD_SIGNATURE",
        ),
        refused(
            "refuse-signature-bit-flipped",
            "one bit of the signature flipped",
            None,
            signature_flipped,
            "BAD_SIGNATURE",
        ),
        refused(
            "refuse-empty-file",
            "an empty file",
            None,
            Vec::new(),
            "MALFORMED",
        ),
        refused(
            "refuse-not-json",
            "not JSON",
            None,
            b"PN1 bundle\n".to_vec(),
            "MALFORMED",
        ),
        refused(
            "refuse-not-utf8",
            "bytes that are not UTF-8",
            None,
            vec![0xff, 0xfe, 0x00, 0x7b],
            "MALFORMED",
        ),
        refused(
            "refuse-truncated",
            "the file cut in the middle",
            None,
            seq2[..seq2.len() / 2].to_vec(),
            "MALFORMED",
        ),
        refused(
            "refuse-unknown-format",
            "a format name this kiosk does not know",
            None,
            edit_envelope(&seq2, |e| e["format"] = json!("guichet-trust-bundle-v2")),
            "MALFORMED",
        ),
        refused(
            "refuse-extra-envelope-field",
            "an envelope field the format does not define",
            None,
            edit_envelope(&seq2, |e| e["comment"] = json!("hi")),
            "MALFORMED",
        ),
        refused(
            "refuse-payload-not-base64",
            "the payload is not base64",
            None,
            edit_envelope(&seq2, |e| e["payload"] = json!("not base64!")),
            "MALFORMED",
        ),
        refused(
            "refuse-short-signature",
            "a signature of 63 bytes",
            None,
            edit_envelope(&seq2, |e| e["signature"] = json!("00".repeat(63))),
            "MALFORMED",
        ),
        refused(
            "refuse-signed-non-json-payload",
            "a correctly signed payload that is not JSON",
            None,
            envelope::seal(b"sequence=3", &w.root.signing),
            "MALFORMED",
        ),
        refused(
            "refuse-missing-field",
            "a signed document without issuer_keys",
            None,
            sealed_edit(w, |d| {
                d.as_object_mut().expect("object").remove("issuer_keys");
            }),
            "MALFORMED",
        ),
        refused(
            "refuse-unknown-key-status",
            "an issuer key status that does not exist",
            None,
            sealed_edit(w, |d| d["issuer_keys"][0]["status"] = json!("suspended")),
            "MALFORMED",
        ),
        refused(
            "refuse-kid-mismatch",
            "an issuer key whose kid is not SHA-256(public key)[0..8]",
            None,
            sealed(w, |d| d.issuer_keys[0].kid = w.unlisted.kid()),
            "MALFORMED",
        ),
        refused(
            "refuse-duplicate-kid",
            "the same issuer key listed twice",
            None,
            sealed(w, |d| {
                let first = d.issuer_keys[0].clone();
                d.issuer_keys.push(first);
            }),
            "MALFORMED",
        ),
        refused(
            "refuse-small-order-key",
            "an issuer key that is the identity point",
            None,
            sealed(w, |d| d.issuer_keys.push(raw_key_entry(small_order_key))),
            "MALFORMED",
        ),
        refused(
            "refuse-non-canonical-key",
            "an issuer key encoded with y ≥ p",
            None,
            sealed(w, |d| {
                d.issuer_keys.push(raw_key_entry(non_canonical_key()))
            }),
            "MALFORMED",
        ),
        refused(
            "refuse-key-not-on-curve",
            "an issuer key that is not a curve point",
            None,
            sealed(w, |d| {
                let bytes = (0u8..=255)
                    .map(|b| [b; 32])
                    .find(|bytes| VerifyingKey::from_bytes(bytes).is_err())
                    .expect("some repeated byte is off the curve");
                d.issuer_keys.push(raw_key_entry(bytes));
            }),
            "MALFORMED",
        ),
        refused(
            "refuse-key-unknown-provider",
            "an issuer key naming an unlisted provider",
            None,
            sealed(w, |d| d.issuer_keys[0].provider = 99),
            "MALFORMED",
        ),
        refused(
            "refuse-expires-before-issued",
            "expires_at before issued_at",
            None,
            sealed(w, |d| d.expires_at = d.issued_at),
            "MALFORMED",
        ),
        refused(
            "refuse-missing-area",
            "a referential with eight areas",
            None,
            sealed(w, |d| {
                d.referential.areas.pop();
            }),
            "MALFORMED",
        ),
        refused(
            "refuse-unknown-area",
            "a service in area 4.1",
            None,
            sealed_edit(w, |d| {
                d["referential"]["services"][0]["area"] = json!("4.1")
            }),
            "MALFORMED",
        ),
        refused(
            "refuse-reversed-range",
            "a revoked range whose first serial is after its last",
            None,
            sealed(w, |d| {
                d.revocations[0]
                    .ranges
                    .push(SerialRange { first: 10, last: 9 })
            }),
            "MALFORMED",
        ),
        refused(
            "refuse-zone-zero",
            "a zone with the reserved id 0",
            None,
            sealed(w, |d| d.zones[0].id = 0),
            "MALFORMED",
        ),
    ]
}

/// The whole vectors document.
pub fn document(w: &World) -> Value {
    let cases: Vec<Value> = cases(w)
        .into_iter()
        .map(|case| {
            let mut value = json!({ "name": case.name, "description": case.description, "current": case.current });
            match String::from_utf8(case.offered) {
                Ok(text) => value["offered"] = json!(text),
                Err(error) => value["offered_hex"] = json!(hex::encode(error.into_bytes())),
            }
            value["expected"] = json!(case.expected);
            value["expected_sequence"] = json!(case.sequence);
            value
        })
        .collect();
    json!({
        "description": "Test vectors for accepting a trust bundle (schema/trust-bundle.md). Each case: the bundle the kiosk has (`current`: a file under fixtures/bundles/, test-only-bundle-<current>.json, or null), the file offered (its exact bytes as text, or offered_hex), and the expected result: ACCEPTED (with the new sequence), MALFORMED, WRONG_SIGNER, BAD_SIGNATURE or NOT_NEWER. Pinned root: pinned_root_public_key (TEST ONLY, fixtures/keys/).",
        "generator": "cargo run -p guichet-testdata",
        "pinned_root_public_key": hex::encode(w.root.public().as_bytes()),
        "cases": cases,
    })
}
