//! The kiosk's log files (issue 17, point 5): a scan is logged with its verdict and coupon,
//! never with the text read (the code's signature); `bundle_logs` zips the logs and the
//! doctor's report and nothing private. One test: the subscriber is set once per process.

use std::io::Read;
use std::path::Path;

use guichet_e2e::fixtures::{demo_codes, write_enrolled_kiosk};
use guichet_kiosk::doctor::Report;
use guichet_kiosk::logs::{bundle_logs, init, LOG_DIR};
use guichet_kiosk::Kiosk;
use guichet_ledger::InputMethod;

fn logged(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir.join(LOG_DIR)).unwrap().flatten() {
        text.push_str(&std::fs::read_to_string(entry.path()).unwrap());
    }
    text
}

#[test]
fn scans_are_logged_without_their_code_and_the_bundle_holds_nothing_private() {
    let dir = tempfile::tempdir().unwrap();
    write_enrolled_kiosk(dir.path(), "Centre de test");
    let guard = init(Some(dir.path()), None);
    let now = "2026-11-24T09:30:00Z".parse().unwrap();
    let mut kiosk = Kiosk::open(dir.path()).unwrap();
    kiosk.set_workshop("1.1", "1.1.01").unwrap();
    let codes = demo_codes();
    for code in &codes[..3] {
        kiosk
            .scan(code.as_bytes(), InputMethod::Scanner, now)
            .unwrap();
    }
    kiosk
        .scan(b"PN1:not a code", InputMethod::Pasted, now)
        .unwrap();
    drop(guard); // flushes the writer's thread

    let text = logged(dir.path());
    assert!(
        text.contains("scanned input=Scanner verdict=\"OK\" coupon=e93a3e22a692eb03:1000001"),
        "{text}"
    );
    assert!(
        text.contains("verdict=\"REVOKED\" coupon=e93a3e22a692eb03:1000013"),
        "{text}"
    );
    assert!(
        text.contains("input=Pasted verdict=\"MALFORMED\""),
        "{text}"
    );
    for code in &codes[..3] {
        // Not the code, nor any long piece of it (its signature is the end of the text).
        let tail = &code[code.len() - 24..];
        assert!(!text.contains(tail), "{tail} in the logs: {text}");
    }
    assert!(!text.contains("not a code"), "{text}");
    // The files are in a folder of the data directory that only the kiosk's user opens.
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(dir.path().join(LOG_DIR))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o700);

    let out = dir.path().join("for-the-helper.zip");
    let report = Report::of(Vec::new());
    let bundled = bundle_logs(dir.path(), &report, &out).unwrap();
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let names: Vec<String> = (0..zip.len())
        .map(|i| zip.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    assert_eq!(names, bundled.entries);
    assert_eq!(
        &names[..4],
        [
            "doctor-fr.txt",
            "doctor-en.txt",
            "doctor.json",
            "device.json"
        ]
    );
    assert!(
        names[4..]
            .iter()
            .all(|n| n.starts_with("logs/guichet.") && n.ends_with(".log")),
        "{names:?}"
    );
    assert!(names.len() > 4, "{names:?}");
    let mut summary = String::new();
    zip.by_name("doctor-fr.txt")
        .unwrap()
        .read_to_string(&mut summary)
        .unwrap();
    assert_eq!(summary, "Bilan : tout va bien.\n");
    let mut zipped_log = String::new();
    zip.by_name(&names[4])
        .unwrap()
        .read_to_string(&mut zipped_log)
        .unwrap();
    assert!(zipped_log.contains("scanned"), "{zipped_log}");
    // No key, no ledger, no settings.
    for private in ["device-key", "ledger.sqlite3", "kiosk.json"] {
        assert!(!names.iter().any(|n| n.contains(private)), "{names:?}");
    }
}
