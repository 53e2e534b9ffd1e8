//! The OpenAPI description (`schema/sync-api.openapi.yaml`) against the server's real
//! answers: every kind of body the sync API sends, collected over HTTP on loopback, is
//! validated by `schema/check_openapi_answers.py` (python3-jsonschema); a wrong body is refused,
//! so the check can fail.

mod common;

use std::process::Command;

use common::{Backend, TestPlatform};
use guichet_platform::keys::generate_key;
use reqwest::Method;
use serde_json::{json, Value};

/// Runs the checker on `answers`; answers its exit success and output.
fn check(answers: &Value) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("answers.json");
    std::fs::write(&path, serde_json::to_vec_pretty(answers).unwrap()).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../schema/check_openapi_answers.py"
    );
    let output = Command::new("python3")
        .arg(script)
        .arg(&path)
        .output()
        .expect("python3 with python3-yaml and python3-jsonschema (make setup installs them)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_of_the_server_matches_the_openapi_description() {
    let platform = TestPlatform::start(Backend::Sqlite).await.unwrap();
    let key = generate_key().unwrap();
    let code = platform.enroll_code("C1").await;
    let offered: Value = platform
        .client
        .get(platform.url(guichet_protocol::paths::ENROLL_BUNDLE))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let enrolled: Value = platform
        .post_enroll(&code, &key)
        .await
        .json()
        .await
        .unwrap();
    let mut kiosk = platform.kiosk("C1").await;
    let mut other = platform.kiosk("C2").await;
    let now = jiff::Timestamp::now();
    let minter = platform.minter.clone();
    let first = other.redemption_of(&minter.code(1), now, |_| {});
    other.push(&[first]).await;
    let entries = [
        kiosk.redemption_of(&minter.code(2), now, |_| {}),
        kiosk.redemption_of(&minter.code(1), now, |_| {}),
        kiosk.redemption_of(&minter.code(3), now, |r| r.value_cents = 99_999),
        kiosk.redemption_of(&minter.code(4), now, |r| r.code = None),
        kiosk.redemption(platform.kid, 99, now),
    ];
    let pushed: Value = kiosk.push(&entries).await.json().await.unwrap();
    let states: Vec<&str> = pushed["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        ["accepted", "conflict", "rejected", "held", "unknown"]
    );
    let get = |path: &str| kiosk.signed(Method::GET, path, vec![]).send();
    let changes: Value = get("/v1/redemptions/states?since=0")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let device: Value = get("/v1/device").await.unwrap().json().await.unwrap();
    let freshness: Value = get("/v1/freshness").await.unwrap().json().await.unwrap();
    let forged = kiosk
        .signed_with(
            Method::GET,
            "/v1/device",
            vec![],
            now.as_second(),
            &common::random_nonce(),
            &generate_key().unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    let error: Value = forged.json().await.unwrap();

    let answers = json!([
        {"schema": "EnrollBundle", "body": offered},
        {"schema": "EnrollResponse", "body": enrolled},
        {"schema": "PushResponse", "body": pushed},
        {"schema": "StatesResponse", "body": changes},
        {"schema": "DeviceStatus", "body": device},
        {"schema": "FreshnessEnvelope", "body": freshness},
        {"schema": "ErrorBody", "body": error},
    ]);
    let (ok, output) = check(&answers);
    assert!(ok, "{output}");
    assert!(output.contains("7 answers, 0 failures"), "{output}");

    let mut wrong = pushed.clone();
    wrong["results"][0]["state"] = json!("paid");
    wrong["results"][2]["cause"] = json!({"code": 7});
    let (ok, output) = check(&json!([{"schema": "PushResponse", "body": wrong}]));
    assert!(!ok, "a wrong answer must fail the check: {output}");
    assert!(
        output.contains("paid") && output.contains("cause.code"),
        "{output}"
    );
}
