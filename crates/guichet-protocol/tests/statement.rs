//! Signed monthly statements: a genuine one verifies offline from the root fingerprint alone;
//! every tampering (a line, a total, another signer, a bundle from another root) is refused
//! with its own error; a statement is matched against a kiosk's ledger line by line.

use ed25519_dalek::SigningKey;
use guichet_core::bundle::TrustBundle;
use guichet_protocol::fingerprint::root_fingerprint;
use guichet_protocol::statement::{
    reconcile, seal, verify, Discrepancy, StatementDocument, StatementError, StatementSeal, Totals,
};

mod statement_fixture;

use statement_fixture::{document, ledger_line, with_payload, Platform};

#[test]
fn a_genuine_statement_verifies_with_the_root_fingerprint_alone() {
    let platform = Platform::new();
    let document = document();
    let verified = verify(&platform.seal(&document), &platform.fingerprint()).expect("verifies");
    assert_eq!(verified.document, document);
    assert_eq!(verified.bundle_sequence, 1);
    assert_eq!(verified.document.totals.cents, 5000);
    assert_eq!(verified.document.totals.providers.len(), 2);
    assert_eq!(verified.document.totals.providers[0].cents, 4000);
    // The fingerprint is read as forgivingly as at enrollment.
    let typed = platform.fingerprint().to_lowercase().replace('-', " ");
    assert!(verify(&platform.seal(&document), &typed).is_ok());
}

#[test]
fn one_line_changed_after_signing_fails_the_signature() {
    let platform = Platform::new();
    let file = platform.seal(&document());
    let mut changed = document();
    changed.lines[1].value_cents = 1500;
    changed.totals = Totals::of(&changed.lines).expect("totals");
    let error = verify(&with_payload(&file, &changed), &platform.fingerprint()).unwrap_err();
    assert_eq!(error, StatementError::BadSignature, "{error}");
    assert!(error.to_string().contains("changed after signing"));
}

#[test]
fn a_total_that_is_not_the_sum_of_the_lines_is_refused_even_when_signed() {
    let platform = Platform::new();
    let mut wrong = document();
    wrong.totals.cents += 100;
    let error = verify(&platform.seal(&wrong), &platform.fingerprint()).unwrap_err();
    assert_eq!(error.code(), "BAD_TOTALS", "{error}");
    assert!(error.to_string().contains("5100"), "{error}");

    let mut wrong = document();
    wrong.totals.providers[1].coupons = 2;
    let error = verify(&platform.seal(&wrong), &platform.fingerprint()).unwrap_err();
    assert_eq!(error.code(), "BAD_TOTALS", "{error}");
    assert!(error.to_string().contains("provider 2"), "{error}");

    let mut wrong = document();
    wrong.totals.providers.pop();
    assert_eq!(
        verify(&platform.seal(&wrong), &platform.fingerprint())
            .unwrap_err()
            .code(),
        "BAD_TOTALS"
    );
}

#[test]
fn a_total_changed_after_signing_fails_the_signature() {
    let platform = Platform::new();
    let file = platform.seal(&document());
    let mut changed = document();
    changed.totals.cents = 9999;
    let error = verify(&with_payload(&file, &changed), &platform.fingerprint()).unwrap_err();
    assert_eq!(error, StatementError::BadSignature);
}

#[test]
fn a_statement_signed_by_a_key_the_bundle_does_not_list_is_refused() {
    let platform = Platform::new();
    let stranger = SigningKey::from_bytes(&[8; 32]);
    let file = seal(
        &document(),
        &StatementSeal {
            roots: &platform.roots,
            bundle: &platform.bundle,
            key: &stranger,
        },
    );
    let error = verify(&file, &platform.fingerprint()).unwrap_err();
    assert_eq!(error.code(), "UNLISTED_SIGNER", "{error}");
    assert!(error
        .to_string()
        .contains(&hex::encode(stranger.verifying_key().as_bytes())));
}

#[test]
fn a_signer_named_as_the_listed_key_but_signed_by_another_fails_the_signature() {
    let platform = Platform::new();
    let stranger = SigningKey::from_bytes(&[8; 32]);
    let forged = seal(
        &document(),
        &StatementSeal {
            roots: &platform.roots,
            bundle: &platform.bundle,
            key: &stranger,
        },
    );
    let mut json: serde_json::Value = serde_json::from_slice(&forged).expect("JSON");
    json["signer"] = hex::encode(platform.sync.verifying_key().as_bytes()).into();
    let error = verify(
        &serde_json::to_vec(&json).expect("JSON"),
        &platform.fingerprint(),
    )
    .unwrap_err();
    assert_eq!(error, StatementError::BadSignature);
}

#[test]
fn a_bundle_from_another_root_is_refused_against_the_real_fingerprint() {
    let platform = Platform::new();
    // Another "platform": its own root signs a bundle listing its own sync key.
    let other_root = &platform.world.other_root;
    let other_sync = SigningKey::from_bytes(&[9; 32]);
    let mut document = platform.world.document_seq1();
    document.sync_keys = vec![hex::encode(other_sync.verifying_key().as_bytes())];
    let other_bundle =
        String::from_utf8(TrustBundle::seal(&document, &other_root.signing)).expect("UTF-8");
    let other_roots = vec![hex::encode(other_root.public().as_bytes())];
    let seal_with = |roots: &[String]| {
        seal(
            &self::document(),
            &StatementSeal {
                roots,
                bundle: &other_bundle,
                key: &other_sync,
            },
        )
    };
    // Carrying its own root: the fingerprint does not match.
    let error = verify(&seal_with(&other_roots), &platform.fingerprint()).unwrap_err();
    assert_eq!(error.code(), "WRONG_ROOT", "{error}");
    assert!(error.to_string().contains(&platform.fingerprint()));
    // Carrying the real root's public key: the bundle is not signed by it.
    let error = verify(&seal_with(&platform.roots), &platform.fingerprint()).unwrap_err();
    assert_eq!(error.code(), "BAD_BUNDLE", "{error}");
    // It does verify against its own fingerprint: the check is the fingerprint, nothing else.
    assert!(verify(
        &seal_with(&other_roots),
        &root_fingerprint(&[other_root.public()])
    )
    .is_ok());
}

#[test]
fn a_bundle_without_the_sync_key_does_not_vouch_for_it() {
    let platform = Platform::new();
    let bundle =
        String::from_utf8(platform.world.seal(&platform.world.document_seq1())).expect("UTF-8");
    let file = seal(
        &document(),
        &StatementSeal {
            roots: &platform.roots,
            bundle: &bundle,
            key: &platform.sync,
        },
    );
    assert_eq!(
        verify(&file, &platform.fingerprint()).unwrap_err().code(),
        "UNLISTED_SIGNER"
    );
}

/// A change made to a statement's document before it is signed.
type Change = Box<dyn Fn(&mut StatementDocument)>;

#[test]
fn inconsistent_signed_content_is_refused() {
    let platform = Platform::new();
    let cases: Vec<(&str, Change)> = vec![
        (
            "a line outside the month",
            Box::new(|d| d.lines[0].day = "2026-10-31".into()),
        ),
        (
            "an entry twice",
            Box::new(|d| d.lines[1].entry = "e1".into()),
        ),
        ("a coupon twice", Box::new(|d| d.lines[1].serial = 10)),
        ("sequence 0", Box::new(|d| d.sequence = 0)),
        ("a correction naming nothing", Box::new(|d| d.sequence = 2)),
        ("replacing a later one", Box::new(|d| d.replaces = Some(1))),
        ("a bad month", Box::new(|d| d.month = "2026-13".into())),
        ("a bad time", Box::new(|d| d.issued_at = "yesterday".into())),
    ];
    for (name, change) in cases {
        let mut document = document();
        change(&mut document);
        document.totals = Totals::of(&document.lines).expect("totals");
        let error = verify(&platform.seal(&document), &platform.fingerprint()).unwrap_err();
        assert_eq!(error.code(), "INVALID", "{name}: {error}");
    }
    let mut correction = document();
    correction.sequence = 2;
    correction.replaces = Some(1);
    assert!(verify(&platform.seal(&correction), &platform.fingerprint()).is_ok());
}

#[test]
fn any_bytes_give_a_verdict_not_a_panic() {
    let platform = Platform::new();
    let file = platform.seal(&document());
    for cut in (0..file.len()).step_by(97) {
        assert!(verify(&file[..cut], &platform.fingerprint()).is_err());
    }
    for bytes in [&b""[..], b"{}", b"null", b"\xff\xfe", b"[1,2]"] {
        assert_eq!(
            verify(bytes, &platform.fingerprint()).unwrap_err().code(),
            "MALFORMED"
        );
    }
    let mut json: serde_json::Value = serde_json::from_slice(&file).expect("JSON");
    json["format"] = "guichet-statement-v2".into();
    assert_eq!(
        verify(
            &serde_json::to_vec(&json).expect("JSON"),
            &platform.fingerprint()
        )
        .unwrap_err()
        .code(),
        "MALFORMED"
    );
}

#[test]
fn a_ledger_that_agrees_has_no_discrepancy() {
    let ledger = [
        ledger_line("e1", "2026-11-03", 10, 2000, 1),
        ledger_line("e2", "2026-11-04", 11, 1000, 2),
    ];
    assert_eq!(reconcile(&document(), "kiosk-a", &ledger), vec![]);
    // kiosk-b's line is not kiosk-a's business.
    assert_eq!(
        reconcile(
            &document(),
            "kiosk-b",
            &[ledger_line("e3", "2026-11-05", 12, 2000, 1)]
        ),
        vec![]
    );
}

#[test]
fn a_statement_that_disagrees_with_the_ledger_is_reported_line_by_line() {
    let ledger = [
        // e1: the statement pays 2000 for what the kiosk read as 2500, provider 2.
        ledger_line("e1", "2026-11-03", 10, 2500, 2),
        // e2 missing from the ledger: extra in the statement.
        // e9: redeemed at the kiosk, not paid.
        ledger_line("e9", "2026-11-20", 99, 2000, 1),
    ];
    let found = reconcile(&document(), "kiosk-a", &ledger);
    assert_eq!(found.len(), 3, "{found:?}");
    match &found[0] {
        Discrepancy::Conflicting {
            statement, fields, ..
        } => {
            assert_eq!(statement.entry, "e1");
            assert_eq!(fields, &vec!["value_cents", "provider"]);
        }
        other => panic!("expected a conflict, got {other}"),
    }
    assert!(matches!(&found[1], Discrepancy::Extra(line) if line.entry == "e2"));
    assert!(matches!(&found[2], Discrepancy::Missing(line) if line.entry == "e9"));
    let text: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert!(text[0].starts_with("CONFLICTING entry e1"), "{}", text[0]);
    assert!(text[1].starts_with("EXTRA"), "{}", text[1]);
    assert!(text[2].starts_with("MISSING"), "{}", text[2]);
}
