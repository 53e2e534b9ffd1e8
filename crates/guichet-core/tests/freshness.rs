//! Freshness statements (`schema/trust-bundle.md`, "Freshness statements"): a sync key may
//! freshen and restrict the bundle in force, never widen it; and the roots a bundle asks
//! kiosks to pin ("Rotating the root"). Each attack is a test.

mod common;

use ed25519_dalek::SigningKey;
use guichet_core::bundle::document::{KeyStatus, Revocation, SerialRange};
use guichet_core::bundle::FreshnessDocument;
use guichet_core::{BundleError, Kid, TrustBundle};
use jiff::SignedDuration;

use common::{test_root, test_signing_key};

fn sync_key() -> SigningKey {
    SigningKey::from_bytes(&[0x5c; 32])
}

fn root() -> SigningKey {
    test_signing_key("test-only-platform-root")
}

fn issuer(name: &str) -> Kid {
    Kid::of_public_key(test_signing_key(name).verifying_key().as_bytes())
}

/// The fixture bundle of sequence 1, listing `sync_key()` as the platform's sync key.
fn bundle() -> TrustBundle {
    let mut document = common::test_bundle("seq1").document().clone();
    document.sync_keys = vec![hex::encode(sync_key().verifying_key().as_bytes())];
    TrustBundle::open(&TrustBundle::seal(&document, &root()), &[test_root()]).unwrap()
}

fn statement(bundle: &TrustBundle, hours_after: i64) -> FreshnessDocument {
    FreshnessDocument {
        bundle_sequence: bundle.sequence(),
        issued_at: bundle.document().issued_at + SignedDuration::from_hours(hours_after),
        revocations: Vec::new(),
        compromised_keys: Vec::new(),
    }
}

fn revoking(mut statement: FreshnessDocument, kid: Kid, serial: u64) -> FreshnessDocument {
    statement.revocations.push(Revocation {
        kid,
        serials: vec![serial],
        ranges: Vec::new(),
    });
    statement
}

#[test]
fn a_statement_freshens_the_bundle_and_restricts_it() {
    let bundle = bundle();
    let active = issuer("test-only-issuer-active");
    assert_eq!(bundle.fresh_as_of(), bundle.document().issued_at);
    assert!(!bundle.is_revoked(active, 4242));
    let mut document = revoking(statement(&bundle, 24 * 10), active, 4242);
    document
        .compromised_keys
        .push(issuer("test-only-issuer-retired"));
    let (restricted, opened) = bundle.with_freshness(&document.seal(&sync_key())).unwrap();
    assert_eq!(opened, document);
    assert_eq!(restricted.fresh_as_of(), document.issued_at);
    assert!(restricted.is_revoked(active, 4242));
    assert!(!restricted.is_revoked(active, 4243));
    let retired = restricted
        .issuer(issuer("test-only-issuer-retired"))
        .unwrap();
    assert_eq!(retired.status, KeyStatus::Compromised);
    // The root's document is unchanged: only the view the verifier asks is restricted.
    assert_eq!(restricted.document(), bundle.document());
}

#[test]
fn a_later_statement_that_omits_a_restriction_does_not_lift_it() {
    let bundle = bundle();
    let active = issuer("test-only-issuer-active");
    let first = revoking(statement(&bundle, 1), active, 7);
    let (restricted, _) = bundle.with_freshness(&first.seal(&sync_key())).unwrap();
    let second = statement(&bundle, 2);
    let (later, _) = restricted
        .with_freshness(&second.seal(&sync_key()))
        .unwrap();
    assert!(
        later.is_revoked(active, 7),
        "a sync key cannot lift a revocation"
    );
    assert_eq!(later.fresh_as_of(), second.issued_at);
    // What a kiosk keeps: the second statement alone does not cover the first.
    let (second_alone, _) = bundle.with_freshness(&second.seal(&sync_key())).unwrap();
    assert!(!second_alone.refuses_all_of(&first));
    assert!(later.refuses_all_of(&first));
}

#[test]
fn a_sync_key_cannot_sign_a_bundle_nor_widen_through_a_statement() {
    let bundle = bundle();
    // A whole bundle signed by the sync key: refused, it is not a root.
    let mut widened = bundle.document().clone();
    widened.sequence += 1;
    widened
        .issuer_keys
        .retain(|key| key.status != KeyStatus::Compromised);
    let forged = TrustBundle::seal(&widened, &sync_key());
    let refused = TrustBundle::accept_update(Some(&bundle), &forged, &[test_root()]).unwrap_err();
    assert_eq!(refused.code(), "WRONG_SIGNER");
    // A statement with a member that would widen trust: refused, not ignored.
    let mut value = serde_json::to_value(statement(&bundle, 1)).unwrap();
    value["issuer_keys"] = serde_json::json!([]);
    let payload = serde_json::to_vec(&value).unwrap();
    let smuggled = reseal(&payload, &sync_key());
    let refused = bundle.with_freshness(&smuggled).unwrap_err();
    assert_eq!(refused.code(), "MALFORMED", "{refused}");
    // A statement's signature cannot pass as a bundle's, nor the reverse: the format name is
    // in the signed bytes.
    let statement_file = statement(&bundle, 1).seal(&sync_key());
    let as_bundle = String::from_utf8(statement_file)
        .unwrap()
        .replace("guichet-freshness-v1", "guichet-trust-bundle-v1");
    let root_statement = statement(&bundle, 1).seal(&root());
    assert_eq!(
        TrustBundle::open(as_bundle.as_bytes(), &[sync_key().verifying_key()])
            .unwrap_err()
            .code(),
        "BAD_SIGNATURE"
    );
    // The root is not a sync key: it signs bundles, not statements.
    assert_eq!(
        bundle.with_freshness(&root_statement).unwrap_err().code(),
        "WRONG_SIGNER"
    );
}

/// An envelope in the statement format around `payload`, signed by `key` as the platform
/// would (the format name, a line feed, the payload).
fn reseal(payload: &[u8], key: &SigningKey) -> Vec<u8> {
    use base64::Engine;
    use ed25519_dalek::Signer;
    let message = [b"guichet-freshness-v1\n".as_slice(), payload].concat();
    serde_json::to_vec(&serde_json::json!({
        "format": "guichet-freshness-v1",
        "signer": Kid::of_public_key(key.verifying_key().as_bytes()).to_hex(),
        "payload": base64::engine::general_purpose::STANDARD.encode(payload),
        "signature": hex::encode(key.sign(&message).to_bytes()),
    }))
    .unwrap()
}

#[test]
fn a_statement_about_another_bundle_or_a_replay_is_refused() {
    let bundle = bundle();
    let mut other = statement(&bundle, 1);
    other.bundle_sequence = 2;
    let refused = bundle.with_freshness(&other.seal(&sync_key())).unwrap_err();
    assert!(matches!(
        refused,
        BundleError::OtherBundle {
            statement: 2,
            held: 1
        }
    ));
    let first = statement(&bundle, 5);
    let (fresh, _) = bundle.with_freshness(&first.seal(&sync_key())).unwrap();
    for replay in [first.clone(), statement(&bundle, 4)] {
        let refused = fresh.with_freshness(&replay.seal(&sync_key())).unwrap_err();
        assert_eq!(refused.code(), "OLD_STATEMENT");
    }
    // Not newer than the bundle itself either.
    let refused = bundle
        .with_freshness(&statement(&bundle, 0).seal(&sync_key()))
        .unwrap_err();
    assert_eq!(refused.code(), "OLD_STATEMENT");
}

#[test]
fn a_statement_with_an_empty_range_or_foreign_bytes_is_refused_whole() {
    let bundle = bundle();
    let mut bad = statement(&bundle, 1);
    bad.revocations.push(Revocation {
        kid: issuer("test-only-issuer-active"),
        serials: vec![1],
        ranges: vec![SerialRange { first: 9, last: 3 }],
    });
    assert_eq!(
        bundle
            .with_freshness(&bad.seal(&sync_key()))
            .unwrap_err()
            .code(),
        "MALFORMED"
    );
    for bytes in [&b""[..], b"{}", b"\xff\xfe", b"[1,2]"] {
        assert_eq!(
            bundle.with_freshness(bytes).unwrap_err().code(),
            "MALFORMED"
        );
    }
    // A bundle without sync keys believes no statement.
    let plain = common::test_bundle("seq1");
    let refused = plain
        .with_freshness(&statement(&plain, 1).seal(&sync_key()))
        .unwrap_err();
    assert_eq!(refused.code(), "WRONG_SIGNER");
}

#[test]
fn a_bundle_must_list_its_own_signer_among_its_roots() {
    let next = SigningKey::from_bytes(&[0x77; 32]).verifying_key();
    let mut document = common::test_bundle("seq1").document().clone();
    // A rotation's first link: the current root and the next, signed by the current.
    document.roots = vec![
        hex::encode(test_root().as_bytes()),
        hex::encode(next.as_bytes()),
    ];
    let link = TrustBundle::open(&TrustBundle::seal(&document, &root()), &[test_root()]).unwrap();
    assert_eq!(link.roots(), Some(&[test_root(), next][..]));
    // Roots that leave out the key that signed: a kiosk pinning them could not check it.
    document.roots = vec![hex::encode(next.as_bytes())];
    let refused =
        TrustBundle::open(&TrustBundle::seal(&document, &root()), &[test_root()]).unwrap_err();
    assert_eq!(refused.code(), "MALFORMED", "{refused}");
    // A root that is not a key, or listed twice: the whole bundle is refused.
    for roots in [
        vec!["zz".to_owned()],
        vec![hex::encode(test_root().as_bytes()); 2],
    ] {
        document.roots = roots;
        let refused =
            TrustBundle::open(&TrustBundle::seal(&document, &root()), &[test_root()]).unwrap_err();
        assert_eq!(refused.code(), "MALFORMED", "{refused}");
    }
    // No roots: the pinned ones stay.
    assert_eq!(common::test_bundle("seq1").roots(), None);
}
