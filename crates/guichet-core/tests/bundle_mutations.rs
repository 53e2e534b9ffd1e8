//! Property tests on mutated trust bundles: a valid, signed envelope changed in any way is
//! refused (with the error of the step that catches it) and never panics; the only changes
//! that may still open are those that leave the signed payload bytes as they were.

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use guichet_core::bundle::envelope;
use guichet_core::TrustBundle;
use proptest::prelude::*;
use serde_json::Value;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(common::repo_path(&format!(
        "fixtures/bundles/test-only-bundle-{name}.json"
    )))
    .unwrap()
}

fn envelope_json(bytes: &[u8]) -> serde_json::Map<String, Value> {
    match serde_json::from_slice(bytes).unwrap() {
        Value::Object(map) => map,
        other => panic!("not an envelope: {other}"),
    }
}

fn payload_of(bytes: &[u8]) -> Vec<u8> {
    let map = envelope_json(bytes);
    STANDARD.decode(map["payload"].as_str().unwrap()).unwrap()
}

/// One edit of a byte string.
#[derive(Clone, Debug)]
enum Edit {
    /// Replaces the byte at (position mod length) by XOR with a non-zero mask.
    Flip(usize, u8),
    /// Inserts a byte before (position mod length + 1).
    Insert(usize, u8),
    /// Removes the byte at (position mod length).
    Remove(usize),
    /// Keeps the first (position mod length) bytes.
    Truncate(usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, mask)| Edit::Flip(at, mask)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Edit::Insert(at, byte)),
        any::<usize>().prop_map(Edit::Remove),
        any::<usize>().prop_map(Edit::Truncate),
    ];
    proptest::collection::vec(edit, 1..6)
}

fn apply(bytes: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for edit in edits {
        match *edit {
            Edit::Flip(at, mask) if !out.is_empty() => {
                let at = at % out.len();
                out[at] ^= mask;
            }
            Edit::Insert(at, byte) => {
                let at = at % (out.len() + 1);
                out.insert(at, byte);
            }
            Edit::Remove(at) if !out.is_empty() => {
                let at = at % out.len();
                out.remove(at);
            }
            Edit::Truncate(at) if !out.is_empty() => out.truncate(at % out.len()),
            _ => {}
        }
    }
    out
}

/// The envelope with `payload` in place of its payload, the signature kept.
fn with_payload(bytes: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut map = envelope_json(bytes);
    map.insert("payload".into(), Value::String(STANDARD.encode(payload)));
    serde_json::to_vec(&Value::Object(map)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    /// Any edit of the file's bytes: refused, or (JSON whitespace, hex case…) the very
    /// payload that was signed. Never a panic, never another document.
    #[test]
    fn an_edited_file_is_refused_or_carries_the_signed_payload(
        name in prop_oneof![Just("seq1"), Just("seq2")],
        edits in edits(),
    ) {
        let original = fixture(name);
        let edited = apply(&original, &edits);
        let roots = [common::test_root()];
        match envelope::open(&edited, &roots) {
            Ok(payload) => {
                prop_assert_eq!(&payload, &payload_of(&original));
                let opened = TrustBundle::open(&edited, &roots).unwrap();
                let expected = TrustBundle::open(&original, &roots).unwrap();
                prop_assert_eq!(opened.sequence(), expected.sequence());
            }
            Err(e) => {
                prop_assert!(
                    matches!(e.code(), "MALFORMED" | "WRONG_SIGNER" | "BAD_SIGNATURE"),
                    "{:?}", e
                );
                prop_assert!(TrustBundle::open(&edited, &roots).is_err());
                prop_assert!(TrustBundle::accept_update(None, &edited, &roots).is_err());
            }
        }
    }

    /// The payload changed under the root's signature (well encoded, so only the signature
    /// can catch it): always `BAD_SIGNATURE`, whatever the change.
    #[test]
    fn an_edited_payload_under_the_old_signature_is_a_bad_signature(
        name in prop_oneof![Just("seq1"), Just("seq2")],
        edits in edits(),
    ) {
        let original = fixture(name);
        let payload = payload_of(&original);
        let edited_payload = apply(&payload, &edits);
        prop_assume!(edited_payload != payload);
        let edited = with_payload(&original, &edited_payload);
        let refused = TrustBundle::open(&edited, &[common::test_root()]).unwrap_err();
        prop_assert_eq!(refused.code(), "BAD_SIGNATURE");
    }

    /// The payload changed and signed again by the real root (so the document parser and its
    /// rules see arbitrary bytes): refused as `MALFORMED` or a valid bundle; never a panic.
    #[test]
    fn an_edited_document_signed_again_is_malformed_or_valid(
        name in prop_oneof![Just("seq1"), Just("seq2")],
        edits in edits(),
    ) {
        let payload = payload_of(&fixture(name));
        let edited_payload = apply(&payload, &edits);
        let root = common::test_signing_key("test-only-platform-root");
        let resealed = envelope::seal(&edited_payload, &root);
        match TrustBundle::open(&resealed, &[common::test_root()]) {
            Ok(bundle) => {
                // What opened is the edited document, read as JSON.
                let document: Value = serde_json::from_slice(&edited_payload).unwrap();
                prop_assert_eq!(document["sequence"].as_u64(), Some(bundle.sequence()));
            }
            Err(e) => prop_assert_eq!(e.code(), "MALFORMED", "{:?}", e),
        }
    }

    /// A valid document signed by a key the kiosk does not pin is `WRONG_SIGNER`; the same
    /// signature claimed as the pinned root's is `BAD_SIGNATURE`.
    #[test]
    fn another_key_never_passes_for_the_root(
        name in prop_oneof![Just("seq1"), Just("seq2")],
        key in prop_oneof![
            Just("test-only-other-root"),
            Just("test-only-issuer-active"),
            Just("test-only-issuer-unlisted"),
        ],
    ) {
        let original = fixture(name);
        let payload = payload_of(&original);
        let other = envelope::seal(&payload, &common::test_signing_key(key));
        let roots = [common::test_root()];
        prop_assert_eq!(TrustBundle::open(&other, &roots).unwrap_err().code(), "WRONG_SIGNER");
        let mut claimed = envelope_json(&other);
        claimed.insert("signer".into(), envelope_json(&original)["signer"].clone());
        let claimed = serde_json::to_vec(&Value::Object(claimed)).unwrap();
        prop_assert_eq!(TrustBundle::open(&claimed, &roots).unwrap_err().code(), "BAD_SIGNATURE");
    }

    /// Each member of the envelope replaced by another JSON value, or removed, or a member
    /// added: refused with the step's error, never a panic.
    #[test]
    fn an_envelope_member_changed_is_refused(
        name in prop_oneof![Just("seq1"), Just("seq2")],
        member in prop_oneof![Just("format"), Just("signer"), Just("payload"), Just("signature"), Just("extra")],
        value in prop_oneof![
            Just(Value::Null),
            any::<i64>().prop_map(Value::from),
            "[ -~]{0,140}".prop_map(Value::String),
            "[0-9a-f]{16}".prop_map(Value::String),
            "[0-9a-f]{128}".prop_map(Value::String),
            Just(Value::Array(vec![])),
        ],
        remove in any::<bool>(),
    ) {
        let original = fixture(name);
        let mut map = envelope_json(&original);
        let unchanged = map.get(member) == Some(&value);
        if remove && member != "extra" {
            map.remove(member);
        } else {
            map.insert(member.into(), value);
        }
        let edited = serde_json::to_vec(&Value::Object(map)).unwrap();
        let roots = [common::test_root()];
        match TrustBundle::open(&edited, &roots) {
            Ok(_) => prop_assert!(unchanged && !remove, "a changed envelope opened"),
            Err(e) => prop_assert!(
                matches!(e.code(), "MALFORMED" | "WRONG_SIGNER" | "BAD_SIGNATURE"),
                "{:?}", e
            ),
        }
    }
}

/// The mutations above are real: an unchanged fixture opens (so a refusal is the edit's doing).
#[test]
fn the_fixtures_open_unchanged() {
    for name in ["seq1", "seq2"] {
        let bytes = fixture(name);
        let opened = TrustBundle::open(&bytes, &[common::test_root()]).unwrap();
        assert_eq!(opened.sequence(), common::test_bundle(name).sequence());
        assert_ne!(apply(&bytes, &[Edit::Flip(0, 1)]), bytes);
    }
}

/// No rollback without the bundle: with only the highest sequence ever accepted, an older
/// bundle is refused, the same sequence may be installed again, a newer one is accepted;
/// with a bundle in force, only a newer one.
#[test]
fn the_highest_accepted_sequence_refuses_older_bundles_without_the_current_one() {
    let roots = [common::test_root()];
    let (seq1, seq2) = (fixture("seq1"), fixture("seq2"));
    let refused = |r: Result<TrustBundle, guichet_core::BundleError>| {
        r.map(|b| b.sequence()).unwrap_err().code()
    };
    assert_eq!(
        refused(TrustBundle::accept_update_after(
            None,
            Some(2),
            &seq1,
            &roots
        )),
        "NOT_NEWER"
    );
    let again = TrustBundle::accept_update_after(None, Some(2), &seq2, &roots).unwrap();
    assert_eq!(again.sequence(), 2);
    assert_eq!(
        TrustBundle::accept_update_after(None, Some(1), &seq2, &roots)
            .unwrap()
            .sequence(),
        2
    );
    assert_eq!(
        refused(TrustBundle::accept_update_after(
            Some(&again),
            Some(1),
            &seq2,
            &roots
        )),
        "NOT_NEWER"
    );
    let first = TrustBundle::open(&seq1, &roots).unwrap();
    assert_eq!(
        refused(TrustBundle::accept_update_after(
            Some(&first),
            Some(2),
            &seq1,
            &roots
        )),
        "NOT_NEWER"
    );
}
