//! The signer as its own small program (issue 23, point 7): what it links and what it does
//! with its files.

const BIN: &str = env!("CARGO_BIN_EXE_guichet-signer");

/// The program holds no database driver, no server and no HTTP client: markers of each
/// (SQLite's C API, the PostgreSQL client, axum, hyper, reqwest) are absent from its bytes,
/// while the printing and signing code it does hold is there.
#[test]
fn the_signer_program_holds_no_database_nor_network() {
    let bytes = std::fs::read(BIN).unwrap();
    let holds = |marker: &str| {
        bytes
            .windows(marker.len())
            .any(|window| window == marker.as_bytes())
    };
    assert!(
        holds("guichet_signer"),
        "the probe reads the program's own symbols"
    );
    assert!(holds("pdf_writer"), "the probe finds a crate it does link");
    for absent in [
        "sqlite3_prepare",
        "tokio_postgres",
        "rusqlite",
        "axum",
        "hyper",
        "reqwest",
    ] {
        assert!(!holds(absent), "the signer program links {absent}");
    }
}

/// `init` makes the root once (kept after), `issuer-key` a new key each time, both mode 0600
/// in a 0700 directory; a key file others may read is refused.
#[test]
fn keys_are_made_once_and_kept_private() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("signer");
    let run = |args: &[&str]| {
        let output = std::process::Command::new(BIN)
            .arg("--dir")
            .arg(&dir)
            .args(args)
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (ok, first, err) = run(&["init"]);
    assert!(ok, "{err}");
    let (_, second, _) = run(&["init"]);
    assert_eq!(first, second, "init keeps the root it made");
    let (_, a, _) = run(&["issuer-key"]);
    let (_, b, _) = run(&["issuer-key"]);
    assert_ne!(a, b, "each issuer key is new");
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    let root = dir.join("platform-root-key.json");
    assert_eq!(mode(&root), 0o600);
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (ok, _, err) = run(&["init"]);
    assert!(!ok && err.contains("chmod 600"), "{err}");
}
