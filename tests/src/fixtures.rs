//! The repository's TEST ONLY fixtures as tests use them: the demo coupons and a kiosk data
//! directory as enrollment leaves it (the TEST ONLY platform root pinned, bundle seq 1).

use std::path::{Path, PathBuf};

/// The TEST ONLY platform root's public key (`fixtures/keys/test-only-platform-root.json`),
/// which signs the fixture bundles.
pub const TEST_ROOT_PUBLIC_KEY: &str =
    "db8d8394f9d7af225f334cd96772b458622823d04ea3a84c31d4750a68b56ba0";

/// A path inside the repository.
pub fn repo(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

/// The fixture codes, in order: OK 1000001, OK 1000002, REVOKED, OK (retired issuer),
/// ISSUER_REVOKED, UNKNOWN_ISSUER (`fixtures/coupons/README.md`).
pub fn demo_codes() -> Vec<String> {
    std::fs::read_to_string(repo("fixtures/coupons/test-only-demo-codes.txt"))
        .expect("fixtures/coupons/test-only-demo-codes.txt")
        .lines()
        .map(str::to_string)
        .collect()
}

/// Writes into `dir` what enrollment leaves (`device.json`, `device-key`, `bundle.json` seq 1)
/// for a center named `center_name` whose platform (port 9, discard) never answers.
pub fn write_enrolled_kiosk(dir: &Path, center_name: &str) {
    let device = format!(
        r#"{{"platform_url":"http://127.0.0.1:9","device_id":"dev-test","center":{{"id":"ctr-test","name":"{center_name}","zone":0}},"pinned_root_keys":["{TEST_ROOT_PUBLIC_KEY}"]}}"#
    );
    std::fs::create_dir_all(dir).expect("the kiosk's data directory");
    std::fs::write(dir.join("device.json"), device).expect("device.json");
    std::fs::write(dir.join("device-key"), "11".repeat(32)).expect("device-key");
    std::fs::copy(
        repo("fixtures/bundles/test-only-bundle-seq1.json"),
        dir.join("bundle.json"),
    )
    .expect("bundle.json");
}

/// Sets a PIN in the kiosk data directory `dir` the way a machine's administrator does, with
/// `guichet pin --role ROLE --pin-file FILE` (the binary under test).
pub fn set_pin_with_cli(dir: &Path, role: &str, pin: &str) {
    let pin_file = dir.join(format!(".{role}-pin"));
    std::fs::write(&pin_file, format!("{pin}\n")).expect("the PIN file");
    let output = crate::guichet()
        .env("GUICHET_DATA_DIR", dir)
        .args(["pin", "--role", role, "--by", "test"])
        .arg("--pin-file")
        .arg(&pin_file)
        .output()
        .expect("guichet pin");
    std::fs::remove_file(&pin_file).ok();
    assert!(
        output.status.success(),
        "guichet pin: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Writes a file whose only line is `pin`, for `--pin-file` and `--admin-pin-file`.
pub fn pin_file(dir: &Path, pin: &str) -> PathBuf {
    let path = dir.join("admin-pin.txt");
    std::fs::write(&path, format!("{pin}\n")).expect("the PIN file");
    path
}
