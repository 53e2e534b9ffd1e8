//! The statement test vectors (`schema/test-vectors/statement-v1.json`): a genuine statement
//! and tampered ones, each with the verdict a verifier must give. The committed file must be
//! what this crate makes (Ed25519 is deterministic), and each case must give its verdict.
//! `GUICHET_WRITE_VECTORS=1 cargo test -p guichet-protocol --test statement_vectors` rewrites it.

mod statement_fixture;

use ed25519_dalek::SigningKey;
use guichet_core::bundle::TrustBundle;
use guichet_protocol::fingerprint::root_fingerprint;
use guichet_protocol::statement::{seal, verify, StatementSeal};
use serde_json::{json, Value};
use statement_fixture::{document, with_payload, Platform};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../schema/test-vectors/statement-v1.json"
);

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).expect("statements are UTF-8")
}

fn vectors() -> Value {
    let platform = Platform::new();
    let genuine = platform.seal(&document());
    let mut line_changed = document();
    line_changed.lines[0].value_cents = 5000;
    let mut total_changed = document();
    total_changed.totals.cents += 1;
    let stranger = SigningKey::from_bytes(&[8; 32]);
    let other_root = &platform.world.other_root;
    let mut other_document = platform.world.document_seq1();
    other_document.sync_keys = vec![hex::encode(stranger.verifying_key().as_bytes())];
    let other_bundle = text(TrustBundle::seal(&other_document, &other_root.signing));
    let by = |roots: &[String], bundle: &str, key: &SigningKey| {
        text(seal(&document(), &StatementSeal { roots, bundle, key }))
    };
    let mut correction = document();
    correction.sequence = 2;
    correction.replaces = Some(1);
    let mut outside = document();
    outside.lines[2].day = "2026-12-01".into();
    outside.totals = guichet_protocol::statement::Totals::of(&outside.lines).expect("totals");
    let cases = [
        ("accept-genuine", text(genuine.clone()), "ACCEPTED"),
        (
            "accept-correction",
            text(platform.seal(&correction)),
            "ACCEPTED",
        ),
        (
            "refuse-line-changed-after-signing",
            text(with_payload(&genuine, &line_changed)),
            "BAD_SIGNATURE",
        ),
        (
            "refuse-total-changed-after-signing",
            text(with_payload(&genuine, &total_changed)),
            "BAD_SIGNATURE",
        ),
        (
            "refuse-signed-total-not-the-sum",
            text(platform.seal(&total_changed)),
            "BAD_TOTALS",
        ),
        (
            "refuse-signed-by-unlisted-key",
            by(&platform.roots, &platform.bundle, &stranger),
            "UNLISTED_SIGNER",
        ),
        (
            "refuse-other-root",
            by(
                &[hex::encode(other_root.public().as_bytes())],
                &other_bundle,
                &stranger,
            ),
            "WRONG_ROOT",
        ),
        (
            "refuse-bundle-of-other-root",
            by(&platform.roots, &other_bundle, &stranger),
            "BAD_BUNDLE",
        ),
        (
            "refuse-line-outside-month",
            text(platform.seal(&outside)),
            "INVALID",
        ),
        ("refuse-not-json", "statement".to_owned(), "MALFORMED"),
    ];
    json!({
        "root_public_key": hex::encode(platform.world.root.public().as_bytes()),
        "root_fingerprint": root_fingerprint(&[platform.world.root.public()]),
        "sync_key_seed": hex::encode(platform.sync.to_bytes()),
        "cases": cases.iter().map(|(name, file, expected)| json!({
            "name": name, "file": file, "expected": expected,
        })).collect::<Vec<_>>(),
    })
}

#[test]
fn the_vectors_are_what_this_crate_makes_and_give_their_verdicts() {
    let made = vectors();
    let mut pretty = serde_json::to_string_pretty(&made).expect("JSON");
    pretty.push('\n');
    if std::env::var_os("GUICHET_WRITE_VECTORS").is_some() {
        std::fs::write(PATH, &pretty).expect("write the vectors");
    }
    let committed = std::fs::read_to_string(PATH).expect("schema/test-vectors/statement-v1.json");
    assert_eq!(committed, pretty, "the committed vectors are stale");
    let fingerprint = made["root_fingerprint"].as_str().expect("fingerprint");
    for case in made["cases"].as_array().expect("cases") {
        let file = case["file"].as_str().expect("file");
        let verdict = match verify(file.as_bytes(), fingerprint) {
            Ok(_) => "ACCEPTED",
            Err(error) => error.code(),
        };
        assert_eq!(verdict, case["expected"], "{}", case["name"]);
    }
}
