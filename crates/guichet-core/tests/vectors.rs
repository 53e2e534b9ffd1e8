//! Runs every case of `schema/test-vectors/` through the core.

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::Path;

use ed25519_dalek::VerifyingKey;
use guichet_core::message::Report;
use guichet_core::{verify, Area, Context, Kid, PriorRedemption, RedemptionLookup, TrustBundle};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schema/test-vectors")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("vector files are JSON")
}

fn root_key(doc: &Value) -> VerifyingKey {
    let mut bytes = [0; 32];
    hex::decode_to_slice(doc["pinned_root_public_key"].as_str().unwrap(), &mut bytes).unwrap();
    VerifyingKey::from_bytes(&bytes).unwrap()
}

fn case_bytes(case: &Value, text: &str, hex_field: &str) -> Vec<u8> {
    match case[text].as_str() {
        Some(text) => text.as_bytes().to_vec(),
        None => hex::decode(case[hex_field].as_str().expect("text or hex")).unwrap(),
    }
}

/// The ledger a case describes.
struct VectorLedger(HashMap<(Kid, u64), PriorRedemption>);

impl RedemptionLookup for VectorLedger {
    type Error = Infallible;

    fn active_redemption(
        &self,
        kid: Kid,
        serial: u64,
    ) -> Result<Option<PriorRedemption>, Infallible> {
        Ok(self.0.get(&(kid, serial)).cloned())
    }
}

fn ledger_of(case: &Value) -> VectorLedger {
    let entries = case["ledger"].as_array().expect("ledger is a list");
    VectorLedger(
        entries
            .iter()
            .map(|entry| {
                let kid: Kid = entry["kid"].as_str().unwrap().parse().unwrap();
                let prior = PriorRedemption {
                    redeemed_at: entry["redeemed_at"].as_str().unwrap().parse().unwrap(),
                    center: entry["center"].as_str().unwrap().to_owned(),
                    mediator: entry["mediator"].as_str().unwrap().to_owned(),
                };
                ((kid, entry["serial"].as_u64().unwrap()), prior)
            })
            .collect(),
    )
}

#[test]
fn every_voucher_code_vector_gives_its_verdict_and_fields() {
    let doc = load("voucher-code-v1.json");
    let root = root_key(&doc);
    let bundles: HashMap<&str, TrustBundle> = doc["bundles"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, envelope)| {
            let bytes = serde_json::to_vec(envelope).unwrap();
            (name.as_str(), TrustBundle::open(&bytes, &[root]).unwrap())
        })
        .collect();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 40, "the issue asks for at least 40 cases");
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let bundle = &bundles[case["bundle"].as_str().unwrap()];
        let context = Context {
            bundle,
            today: case["today"].as_str().unwrap().parse().unwrap(),
            area: case["area"].as_str().map(|a| a.parse::<Area>().unwrap()),
            center_zone: case["center_zone"].as_u64().unwrap() as u32,
        };
        let input = case_bytes(case, "input", "input_hex");
        let verdict = match verify(&input, &context, &ledger_of(case)) {
            Ok(verdict) => verdict,
            Err(never) => match never {},
        };
        let report = Report::new(&verdict, bundle);
        let expected = &case["expected"];
        let got_decoded = verdict.coupon.map(|_| {
            serde_json::json!({
                "kid": report.kid, "serial": report.serial, "value_cents": report.value_cents,
                "issued_on": report.issued_on.map(|d| d.to_string()),
                "valid_until": report.valid_until.map(|d| d.to_string()),
                "provider": report.provider, "scope": report.scope, "zone": report.zone,
            })
        });
        let got = serde_json::json!({
            "verdict": report.verdict,
            "cause": report.cause,
            "decoded": got_decoded,
        });
        if &got != expected {
            failures.push(format!("{name}: expected {expected}, got {got}"));
        }
        if verdict.is_ok() {
            continue;
        }
        assert!(
            !report.message_fr.is_empty() && !report.message_en.is_empty(),
            "{name}"
        );
        assert_ne!(report.message_fr, report.message_en, "{name}");
    }
    assert!(
        failures.is_empty(),
        "{} failing vectors:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_verdict_and_cause_has_a_vector() {
    let doc = load("voucher-code-v1.json");
    let cases = doc["cases"].as_array().unwrap();
    let seen = |field: &str, value: &str| cases.iter().any(|c| c["expected"][field] == value);
    for verdict in [
        "MALFORMED",
        "UNKNOWN_ISSUER",
        "BAD_SIGNATURE",
        "ISSUER_REVOKED",
        "NOT_YET_VALID",
        "EXPIRED",
        "REVOKED",
        "OUT_OF_SCOPE",
        "ALREADY_REDEEMED",
        "OK",
    ] {
        assert!(seen("verdict", verdict), "no vector for {verdict}");
    }
    for cause in guichet_core::Malformed::ALL {
        assert!(
            seen("cause", cause.code()),
            "no vector for MALFORMED {}",
            cause.code()
        );
    }
}

#[test]
fn every_bundle_vector_is_accepted_or_refused_as_stated() {
    let doc = load("trust-bundle-v1.json");
    let root = root_key(&doc);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/bundles");
    let mut failures = Vec::new();
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let current = case["current"].as_str().map(|current| {
            let bytes =
                std::fs::read(fixtures.join(format!("test-only-bundle-{current}.json"))).unwrap();
            TrustBundle::open(&bytes, &[root]).unwrap()
        });
        let offered = case_bytes(case, "offered", "offered_hex");
        let got = match TrustBundle::accept_update(current.as_ref(), &offered, &[root]) {
            Ok(bundle) => ("ACCEPTED", Some(bundle.sequence())),
            Err(error) => (error.code(), None),
        };
        let expected = (
            case["expected"].as_str().unwrap(),
            case["expected_sequence"].as_u64(),
        );
        if got != expected {
            failures.push(format!("{name}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing vectors:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
