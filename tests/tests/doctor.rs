//! `guichet doctor` on real processes (issue 17, point 4): a kiosk enrolled with the demo
//! platform on 127.0.0.1 is healthy; with its bundle removed, its ledger edited by hand and
//! its platform stopped, each problem is named, in French and in English, and the exit status
//! says so. The configuration file's errors reach the user the same way.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use guichet_e2e::{guichet, platform_bin, ProcessGroup};
use serde_json::Value;

/// The demo platform, serving, and a kiosk enrolled with it.
struct Demo {
    dir: tempfile::TempDir,
    server: ProcessGroup,
    kiosk: PathBuf,
    codes: PathBuf,
}

fn start() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let platform = dir.path().join("platform");
    let mut command = std::process::Command::new(platform_bin());
    command.arg("--data-dir").arg(&platform).arg("demo");
    let mut server = ProcessGroup::spawn(command);
    let wait = Duration::from_secs(60);
    let code = server
        .wait_for_line_starting("enroll code: ", wait)
        .unwrap();
    let fingerprint = server
        .wait_for_line_starting("root fingerprint: ", wait)
        .unwrap();
    let rest = server
        .wait_for_line_starting("guichet-platform listening on ", wait)
        .unwrap();
    let url = rest.split_whitespace().next().unwrap().to_string();
    let kiosk = dir.path().join("kiosk");
    let pin = dir.path().join("admin-pin");
    std::fs::write(&pin, "246810\n").unwrap();
    // The platform from the configuration (here its environment variable), not --platform.
    let enrolled = doctor_env(&kiosk)
        .env("GUICHET_PLATFORM_URL", &url)
        .args(["enroll", "--code", code.trim()])
        .args(["--fingerprint", fingerprint.trim(), "--admin-pin-file"])
        .arg(&pin)
        .output()
        .unwrap();
    assert!(enrolled.status.success(), "enroll: {enrolled:?}");
    Demo {
        codes: platform.join("demo-codes.txt"),
        dir,
        server,
        kiosk,
    }
}

/// `guichet` on the kiosk's data directory, with no configuration file of the machine.
fn doctor_env(kiosk: &Path) -> std::process::Command {
    let mut command = guichet();
    command
        .env("GUICHET_DATA_DIR", kiosk)
        .env("GUICHET_CONFIG", "/dev/null");
    command
}

fn doctor(kiosk: &Path, args: &[&str]) -> Output {
    doctor_env(kiosk).arg("doctor").args(args).output().unwrap()
}

/// The JSON report and the level of each check by id.
fn report(kiosk: &Path) -> (Option<i32>, Value) {
    let output = doctor(kiosk, &["--json"]);
    let json: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)));
    (output.status.code(), json)
}

fn check<'a>(report: &'a Value, id: &str) -> (&'a str, &'a str) {
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {report}"));
    (
        check["level"].as_str().unwrap(),
        check["message"]["en"].as_str().unwrap(),
    )
}

#[test]
fn doctor_says_a_healthy_kiosk_is_healthy_and_names_each_problem_of_a_broken_one() {
    let mut demo = start();
    let kiosk = demo.kiosk.clone();
    // One coupon accepted, so the ledger has entries to check; then a sync.
    let code = std::fs::read_to_string(&demo.codes).unwrap();
    let code = code.lines().next().unwrap();
    let redeemed = doctor_env(&kiosk)
        .args(["redeem", "--area", "1.1", "--service", "1.1.01"])
        .args(["--mediator", "Zoé", code])
        .output()
        .unwrap();
    assert!(redeemed.status.success(), "redeem: {redeemed:?}");
    let synced = doctor_env(&kiosk).arg("sync").output().unwrap();
    assert!(synced.status.success(), "sync: {synced:?}");

    // Healthy.
    let (status, healthy) = report(&kiosk);
    for id in [
        "data_dir",
        "disk",
        "enrollment",
        "bundle",
        "ledger",
        "pending",
        "platform",
        "sync",
        "clock",
    ] {
        let (level, message) = check(&healthy, id);
        assert_eq!(level, "ok", "{id}: {message}\n{healthy:#}");
    }
    assert_eq!(status, Some(0), "{healthy:#}");
    assert_eq!(healthy["problems"], 0);
    assert!(check(&healthy, "ledger")
        .1
        .contains("entries, hash chain intact"));
    assert!(check(&healthy, "platform")
        .1
        .contains("reachable, signed answer"));
    assert!(check(&healthy, "pending").1.starts_with("0 to send"));
    // No camera on this machine: said, as a warning (the scanner still works).
    let (level, message) = check(&healthy, "camera");
    if !Path::new("/dev/video0").exists() {
        assert_eq!(
            (level, message),
            ("warning", "no camera found: only the scanner reads coupons")
        );
    }
    let french = doctor(&kiosk, &[]);
    let text = String::from_utf8_lossy(&french.stdout);
    assert_eq!(french.status.code(), Some(0), "{text}");
    assert_eq!(
        text.lines().count(),
        12,
        "eleven checks and the summary:\n{text}"
    );
    assert!(
        text.contains("Registre") && text.contains("chaîne intacte"),
        "{text}"
    );
    assert!(
        text.lines().last().unwrap().starts_with("Bilan : "),
        "{text}"
    );
    let english = doctor(&kiosk, &["--lang", "en"]);
    let text = String::from_utf8_lossy(&english.stdout);
    assert!(
        text.lines().last().unwrap().starts_with("Summary: "),
        "{text}"
    );

    // The zip for a helper: the report and the logs the commands above wrote (the sync).
    let zip_path = kiosk.join("pour-le-support.zip");
    let bundled = doctor(&kiosk, &["--bundle-logs", zip_path.to_str().unwrap()]);
    assert_eq!(bundled.status.code(), Some(0), "{bundled:?}");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let mut logs = String::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        assert!(
            !name.contains("device-key") && !name.contains("ledger"),
            "{name}"
        );
        if name.starts_with("logs/") {
            std::io::Read::read_to_string(&mut entry, &mut logs).unwrap();
        }
    }
    assert!(logs.contains("sync done"), "{logs}");
    assert!(zip.by_name("doctor-fr.txt").is_ok() && zip.by_name("doctor.json").is_ok());

    // Broken: no bundle, a ledger edited by hand, the platform stopped.
    std::fs::remove_file(kiosk.join("bundle.json")).unwrap();
    let conn = rusqlite::Connection::open(kiosk.join("ledger.sqlite3")).unwrap();
    conn.execute_batch(
        "DROP TRIGGER entries_append_only_update;
         UPDATE entries SET value_cents = 2000 WHERE seq = 1;",
    )
    .unwrap();
    drop(conn);
    demo.server.kill();
    let (status, broken) = report(&kiosk);
    assert_eq!(status, Some(1), "{broken:#}");
    let (level, message) = check(&broken, "bundle");
    assert_eq!(level, "problem");
    assert!(message.starts_with("no trust bundle"), "{message}");
    let (level, message) = check(&broken, "ledger");
    assert_eq!(level, "problem");
    assert!(
        message.starts_with("BROKEN after 0 good entries") && message.contains("entry #1"),
        "{message}"
    );
    let (level, message) = check(&broken, "platform");
    assert_eq!(level, "problem");
    assert!(
        message.contains("unreachable") && message.contains("onnection refused"),
        "{message}"
    );
    assert_eq!(broken["problems"], 3, "{broken:#}");
    let french = doctor(&kiosk, &[]);
    let text = String::from_utf8_lossy(&french.stdout);
    assert_eq!(french.status.code(), Some(1));
    for words in [
        "aucun paquet de confiance",
        "ENDOMMAGÉ après 0 écritures",
        "injoignable",
        "Bilan : 3 problèmes",
    ] {
        assert!(text.contains(words), "{words}: {text}");
    }
}

/// Issue 22, point 8: a sync that keeps failing is a problem, with what to do. The platform's
/// admin disables the device: `guichet sync` is refused, and doctor says so at once (it will
/// not recover by itself); enabled again, the next sync clears it.
#[test]
fn doctor_reports_a_sync_that_keeps_failing_as_a_problem_with_what_to_do() {
    let demo = start();
    let kiosk = demo.kiosk.clone();
    let synced = doctor_env(&kiosk).arg("sync").output().unwrap();
    assert!(synced.status.success(), "sync: {synced:?}");
    let device: Value =
        serde_json::from_slice(&std::fs::read(kiosk.join("device.json")).unwrap()).unwrap();
    let id = device["device_id"].as_str().unwrap().to_owned();
    let binary = || {
        let mut command = std::process::Command::new(platform_bin());
        command
            .arg("--data-dir")
            .arg(demo.dir.path().join("platform"));
        command
    };
    guichet_e2e::create_first_platform_admin(binary());
    let platform = |args: &[&str]| {
        let output = binary()
            .args(args)
            .env("GUICHET_ACCOUNT", guichet_e2e::PLATFORM_ADMIN)
            .output()
            .unwrap();
        assert!(output.status.success(), "{args:?}: {output:?}");
    };
    platform(&["device", "disable", "--id", &id]);
    let refused = doctor_env(&kiosk).arg("sync").output().unwrap();
    assert!(!refused.status.success(), "{refused:?}");
    let (status, failing) = report(&kiosk);
    assert_eq!(status, Some(1), "{failing:#}");
    let (level, message) = check(&failing, "sync");
    assert_eq!(level, "problem", "{message}");
    assert!(
        message.starts_with("1 failure(s) in a row")
            && message.contains("DeviceDisabled")
            && message.contains("ask them to enable it again"),
        "{message}"
    );
    let french = String::from_utf8_lossy(&doctor(&kiosk, &[]).stdout).into_owned();
    assert!(french.contains("désactivé cet appareil"), "{french}");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(kiosk.join("sync-status.json"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);

    platform(&["device", "enable", "--id", &id]);
    let synced = doctor_env(&kiosk).arg("sync").output().unwrap();
    assert!(synced.status.success(), "sync: {synced:?}");
    let (_, recovered) = report(&kiosk);
    let (level, message) = check(&recovered, "sync");
    assert_eq!(level, "ok", "{message}");
}

#[test]
fn a_bad_configuration_names_the_file_the_line_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kiosk.toml");
    std::fs::write(&file, "# Centre\nlanguage = \"en\"\nkiosk_mode = \"oui\"\n").unwrap();
    let output = guichet()
        .env("GUICHET_CONFIG", &file)
        .env("GUICHET_DATA_DIR", dir.path().join("kiosk"))
        .arg("doctor")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:3:14: kiosk_mode: ", file.display())),
        "{stderr}"
    );

    // The language from the file, the data directory from the environment, a flag over both.
    std::fs::write(&file, "language = \"en\"\ndata_dir = \"/nonexistent\"\n").unwrap();
    let output = guichet()
        .env("GUICHET_CONFIG", &file)
        .env("GUICHET_DATA_DIR", dir.path().join("from-env"))
        .arg("doctor")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("from-env") && stdout.contains("Summary: "),
        "{stdout}"
    );
    let output = guichet()
        .env("GUICHET_CONFIG", &file)
        .env("GUICHET_DATA_DIR", dir.path().join("from-env"))
        .args(["doctor", "--data-dir"])
        .arg(dir.path().join("from-flag"))
        .args(["--language", "fr"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("from-flag") && stdout.contains("Bilan : "),
        "{stdout}"
    );
}
