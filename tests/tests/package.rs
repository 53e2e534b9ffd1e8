//! The Debian package (issue 17, point 1): cargo-deb packs the debug build the other tests
//! run (`make package` packs a release build the same way); its metadata and contents are
//! checked with `dpkg-deb -I/-c`, it is unpacked into a scratch root with `dpkg-deb -x`, and
//! the `guichet` found there answers `--version` and runs `guichet doctor` with the
//! configuration file it ships.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use guichet_e2e::fixtures::repo;
use guichet_e2e::{find_on_path, guichet_bin};

fn run(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?}: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn cargo_deb() -> PathBuf {
    find_on_path("cargo-deb")
        .or_else(|| {
            let path = PathBuf::from(std::env::var_os("HOME")?).join(".cargo/bin/cargo-deb");
            path.exists().then_some(path)
        })
        .expect("cargo-deb is missing: `make setup` installs it")
}

/// Packs the debug build of `guichet` (fast compression: this is a test, not a release).
fn build_package(out: &Path) {
    // The binary the package takes is the one the other tests use.
    assert!(
        guichet_bin().exists(),
        "build first: cargo build -p guichet"
    );
    run(Command::new(cargo_deb())
        .current_dir(repo("."))
        .args([
            "deb",
            "-p",
            "guichet",
            "--no-build",
            "--profile",
            "dev",
            "--fast",
        ])
        .arg("-o")
        .arg(out));
}

#[test]
fn the_package_installs_into_a_scratch_root_and_runs_there() {
    let dir = tempfile::tempdir().unwrap();
    let deb = dir.path().join("guichet.deb");
    build_package(&deb);

    // Metadata.
    let info = stdout(&run(Command::new("dpkg-deb").arg("-I").arg(&deb)));
    let version = env!("CARGO_PKG_VERSION");
    for field in [
        "Package: guichet\n".to_string(),
        format!("Version: {version}-1\n"),
        "Architecture: amd64\n".to_string(),
    ] {
        assert!(info.contains(&field), "{field:?} in\n{info}");
    }
    let depends = info
        .lines()
        .find_map(|l| l.trim().strip_prefix("Depends: "))
        .unwrap_or_else(|| panic!("no Depends in\n{info}"));
    // python3-xdg: what openbox's autostart needs; ca-certificates: the roots the platform
    // client cannot be built without (issue 26).
    for library in [
        "libwebkit2gtk-4.1-0",
        "libgtk-3-0",
        "libc6",
        "python3-xdg",
        "ca-certificates",
    ] {
        assert!(depends.contains(library), "{library} in {depends}");
    }
    let conffiles = stdout(&run(Command::new("dpkg-deb")
        .arg("-I")
        .arg(&deb)
        .arg("conffiles")));
    assert_eq!(conffiles.trim(), "/etc/guichet/kiosk.toml");

    // Contents: the binary, its desktop entry and icon, the configuration, the docs; no
    // Rust toolchain, nothing else to build.
    let listing = stdout(&run(Command::new("dpkg-deb").arg("-c").arg(&deb)));
    let files: Vec<&str> = listing
        .lines()
        .filter(|l| !l.starts_with('d'))
        .filter_map(|l| l.split_whitespace().last())
        .collect();
    let mut expected = vec![
        "./etc/guichet/kiosk.toml",
        "./usr/bin/guichet",
        "./usr/share/applications/guichet.desktop",
        "./usr/share/doc/guichet/README.md",
        "./usr/share/doc/guichet/changelog.Debian.gz",
        "./usr/share/doc/guichet/copyright",
        "./usr/share/doc/guichet/kiosk-config.md",
        "./usr/share/icons/hicolor/256x256/apps/guichet.png",
        "./usr/share/lintian/overrides/guichet",
    ];
    expected.sort_unstable();
    let mut found = files.clone();
    found.sort_unstable();
    assert_eq!(found, expected, "{listing}");

    // Unpacked into a scratch root, it runs from there.
    let root = dir.path().join("root");
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root));
    let bin = root.join("usr/bin/guichet");
    let version_line = stdout(&run(Command::new(&bin).arg("--version")));
    assert_eq!(version_line.trim(), format!("guichet {version}"));
    let desktop =
        std::fs::read_to_string(root.join("usr/share/applications/guichet.desktop")).unwrap();
    assert!(
        desktop.starts_with("[Desktop Entry]\n")
            && desktop.contains("\nExec=guichet\n")
            && desktop.contains("\nIcon=guichet\n"),
        "{desktop}"
    );

    // `guichet doctor` with the shipped configuration (every key commented out) on a new
    // kiosk: it runs, reads the file, and names what is missing.
    let kiosk = dir.path().join("kiosk");
    let doctor = Command::new(&bin)
        .env("GUICHET_CONFIG", root.join("etc/guichet/kiosk.toml"))
        .env("GUICHET_DATA_DIR", &kiosk)
        .args(["doctor", "--lang", "en"])
        .output()
        .unwrap();
    let report = stdout(&doctor);
    assert_eq!(doctor.status.code(), Some(1), "{report}");
    assert!(
        report.contains("Enrollment") && report.contains("kiosk not enrolled"),
        "{report}"
    );
    assert!(
        report.lines().last().unwrap().starts_with("Summary: "),
        "{report}"
    );
}
