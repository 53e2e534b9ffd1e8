//! `guichet verify`, run as a real process on the fixtures and the test vectors.

use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use guichet_e2e::fixtures::repo;
use guichet_e2e::guichet;
use serde_json::Value;

fn root_key() -> String {
    let key: Value = serde_json::from_slice(
        &std::fs::read(repo("fixtures/keys/test-only-platform-root.json")).unwrap(),
    )
    .unwrap();
    key["public_key_hex"].as_str().unwrap().to_owned()
}

fn verify_cmd(bundle: &str) -> Command {
    let mut cmd = guichet();
    cmd.arg("verify")
        .arg("--bundle")
        .arg(repo(&format!(
            "fixtures/bundles/test-only-bundle-{bundle}.json"
        )))
        .arg("--root-key")
        .arg(root_key());
    cmd
}

fn run_with_stdin(mut cmd: Command, stdin: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("guichet starts");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout_lines(output: &Output) -> Vec<String> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_vector_without_a_ledger_gets_its_verdict_from_the_cli() {
    let vectors: Value = serde_json::from_slice(
        &std::fs::read(repo("schema/test-vectors/voucher-code-v1.json")).unwrap(),
    )
    .unwrap();
    let mut checked = 0;
    for case in vectors["cases"].as_array().unwrap() {
        if !case["ledger"].as_array().unwrap().is_empty() {
            continue; // the CLI has no ledger
        }
        let name = case["name"].as_str().unwrap();
        let input = match case["input"].as_str() {
            Some(text) => text.as_bytes().to_vec(),
            None => hex::decode(case["input_hex"].as_str().unwrap()).unwrap(),
        };
        let mut cmd = verify_cmd(case["bundle"].as_str().unwrap());
        cmd.args(["--json", "--today", case["today"].as_str().unwrap()]);
        cmd.args(["--zone", &case["center_zone"].to_string()]);
        if let Some(area) = case["area"].as_str() {
            cmd.args(["--area", area]);
        }
        // Inputs with a line feed or nothing to read as a line go as an argument, others on stdin.
        let output = if input.contains(&b'\n') || input.iter().all(|b| b.is_ascii_whitespace()) {
            cmd.arg(std::ffi::OsStr::from_bytes(&input));
            run_with_stdin(cmd, b"")
        } else {
            cmd.arg("-");
            run_with_stdin(cmd, &[&input[..], b"\n"].concat())
        };
        let lines = stdout_lines(&output);
        let expected = &case["expected"];
        assert_eq!(
            lines.len(),
            1,
            "{name}: {lines:?} {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let got: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(got["verdict"], expected["verdict"], "{name}");
        assert_eq!(
            got.get("cause"),
            expected["cause"].as_str().map(|_| &expected["cause"]),
            "{name}"
        );
        match expected["decoded"].as_object() {
            Some(decoded) => {
                for field in [
                    "kid",
                    "serial",
                    "value_cents",
                    "valid_until",
                    "issued_on",
                    "provider",
                    "zone",
                ] {
                    assert_eq!(got[field], decoded[field], "{name}: {field}");
                }
            }
            None => {
                for field in ["kid", "serial", "value_cents", "valid_until"] {
                    assert!(
                        got.get(field).is_none(),
                        "{name}: {field} present for an undecodable code"
                    );
                }
            }
        }
        assert!(
            got["message_fr"].as_str().is_some_and(|m| !m.is_empty()),
            "{name}"
        );
        assert!(
            got["message_en"].as_str().is_some_and(|m| !m.is_empty()),
            "{name}"
        );
        let ok = expected["verdict"] == "OK";
        assert_eq!(output.status.code(), Some(if ok { 0 } else { 1 }), "{name}");
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} vectors checked");
}

#[test]
fn one_text_line_per_code_with_verdict_and_message() {
    let codes = std::fs::read(repo("fixtures/coupons/test-only-demo-codes.txt")).unwrap();
    let mut cmd = verify_cmd("seq1");
    cmd.args([
        "--today",
        "2026-11-23",
        "--area",
        "2.2",
        "--zone",
        "33",
        "-",
    ]);
    let output = run_with_stdin(cmd, &codes);
    let lines = stdout_lines(&output);
    let verdicts: Vec<&str> = lines
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        verdicts,
        [
            "OK",
            "OK",
            "REVOKED",
            "OK",
            "ISSUER_REVOKED",
            "UNKNOWN_ISSUER"
        ]
    );
    assert!(lines[0].contains("Pass valable : 10,00 €"), "{}", lines[0]);
    assert_eq!(output.status.code(), Some(1));

    let first = codes.split(|&b| b == b'\n').next().unwrap();
    let mut cmd = verify_cmd("seq1");
    cmd.args(["--today", "2026-11-23", "--lang", "en"])
        .arg(std::ffi::OsStr::from_bytes(first));
    let output = run_with_stdin(cmd, b"");
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout_lines(&output)[0].contains("Valid coupon: €10.00"));
}

#[test]
fn blank_lines_on_stdin_are_skipped_and_bad_bytes_get_a_verdict() {
    let mut cmd = verify_cmd("seq1");
    cmd.args(["--json", "-"]);
    let output = run_with_stdin(cmd, b"\n  \r\nPN1:\xff\xfe\n\nhello\n");
    let verdicts: Vec<Value> = stdout_lines(&output)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(verdicts.len(), 2);
    assert_eq!(
        (
            verdicts[0]["verdict"].as_str(),
            verdicts[0]["cause"].as_str()
        ),
        (Some("MALFORMED"), Some("ALPHABET"))
    );
    assert_eq!(
        (
            verdicts[1]["verdict"].as_str(),
            verdicts[1]["cause"].as_str()
        ),
        (Some("MALFORMED"), Some("PREFIX"))
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn usage_errors_and_refused_bundles_exit_2_with_a_clear_message() {
    let stderr = |output: &Output| String::from_utf8_lossy(&output.stderr).into_owned();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--area".into(), "4.1".into(), "x".into()],
            "not an area",
        ),
        (
            vec!["--today".into(), "2026-13-01".into(), "x".into()],
            "--today",
        ),
        (vec![], "CODE"),
    ];
    for (args, needle) in cases {
        let mut cmd = verify_cmd("seq1");
        cmd.args(&args);
        let output = run_with_stdin(cmd, b"");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&output).contains(needle),
            "{args:?}: {}",
            stderr(&output)
        );
    }

    let other_root: Value = serde_json::from_slice(
        &std::fs::read(repo("fixtures/keys/test-only-other-root.json")).unwrap(),
    )
    .unwrap();
    assert_bundle_refused(
        &repo("fixtures/bundles/test-only-bundle-seq1.json"),
        other_root["public_key_hex"].as_str().unwrap(),
        "does not trust",
    );

    let dir = std::env::temp_dir().join(format!("guichet-verify-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let tampered = dir.join("tampered.json");
    let mut envelope: Value = serde_json::from_slice(
        &std::fs::read(repo("fixtures/bundles/test-only-bundle-seq1.json")).unwrap(),
    )
    .unwrap();
    let signature = envelope["signature"].as_str().unwrap();
    let flipped = format!(
        "{}{}",
        if signature.starts_with('0') { '1' } else { '0' },
        &signature[1..]
    );
    envelope["signature"] = Value::String(flipped);
    std::fs::write(&tampered, serde_json::to_vec(&envelope).unwrap()).unwrap();
    assert_bundle_refused(&tampered, &root_key(), "signature does not verify");
    assert_bundle_refused(&dir.join("missing.json"), &root_key(), "cannot read");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `guichet verify` with this bundle and root key exits 2 with `needle` on stderr.
fn assert_bundle_refused(bundle: &Path, root_key: &str, needle: &str) {
    let mut cmd = guichet();
    cmd.args(["verify", "--bundle"])
        .arg(bundle)
        .args(["--root-key", root_key, "x"]);
    let output = run_with_stdin(cmd, b"");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}: {stderr}",
        bundle.display()
    );
    assert!(stderr.contains(needle), "{}: {stderr}", bundle.display());
}
