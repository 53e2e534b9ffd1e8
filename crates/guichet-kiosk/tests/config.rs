//! The configuration file, the environment and the flags (`schema/kiosk-config.md`): the
//! precedence, and a bad value named by file, line and key.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use guichet_kiosk::config::{ConfigError, Key, KioskConfig, Layer};
use guichet_kiosk::{CameraKind, Kiosk, Lang, ScannerLayout};

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
    let map: HashMap<String, OsString> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), OsString::from(v)))
        .collect();
    move |name| map.get(name).cloned()
}

const FULL: &str = r#"
# A center's kiosk
platform_url = "https://plateforme.example.org"
data_dir = "/var/lib/guichet"
camera = "device:1"
scanner_layout = "us"
language = "en"
kiosk_mode = true
inactivity_lock_minutes = 15
"#;

#[test]
fn every_key_is_read_from_the_file() {
    let layer = Layer::from_toml(Path::new("kiosk.toml"), FULL).unwrap();
    assert_eq!(
        layer.platform_url.as_deref(),
        Some("https://plateforme.example.org")
    );
    assert_eq!(layer.data_dir, Some(PathBuf::from("/var/lib/guichet")));
    let camera = layer.camera.unwrap().0;
    assert_eq!((camera.kind, camera.index), (CameraKind::Device, 1));
    assert_eq!(layer.scanner_layout, Some(ScannerLayout::Us));
    assert_eq!(layer.language, Some(Lang::En));
    assert_eq!(layer.kiosk_mode, Some(true));
    assert_eq!(layer.inactivity_lock_minutes.map(|m| m.0), Some(15));
}

#[test]
fn file_then_environment_then_flags() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kiosk.toml");
    std::fs::write(&file, FULL).unwrap();
    let file_text = file.to_str().unwrap();

    // The file alone, named by GUICHET_CONFIG.
    let config = KioskConfig::load(
        None,
        env(&[("GUICHET_CONFIG", file_text)]),
        Layer::default(),
    )
    .unwrap();
    assert_eq!(config.file, file);
    assert_eq!(config.values.language, Some(Lang::En));
    assert_eq!(config.data_dir(env(&[])), PathBuf::from("/var/lib/guichet"));

    // The environment overrides the file, key by key.
    let variables = env(&[
        ("GUICHET_CONFIG", file_text),
        ("GUICHET_LANGUAGE", "fr"),
        ("GUICHET_DATA_DIR", "/srv/env"),
        ("GUICHET_CAMERA", "replay:/srv/frames"),
    ]);
    let config = KioskConfig::load(None, &variables, Layer::default()).unwrap();
    assert_eq!(config.values.language, Some(Lang::Fr));
    assert_eq!(config.values.data_dir, Some(PathBuf::from("/srv/env")));
    let camera = config.values.camera.clone().unwrap().0;
    assert_eq!(
        (camera.kind, camera.folder.as_str()),
        (CameraKind::Replay, "/srv/frames")
    );
    assert_eq!(config.values.kiosk_mode, Some(true), "left to the file");

    // Flags override both.
    let mut flags = Layer::default();
    flags.set(Key::DataDir, "/srv/flag", "--data-dir").unwrap();
    flags.set(Key::KioskMode, "false", "--kiosk-mode").unwrap();
    let config = KioskConfig::load(None, &variables, flags).unwrap();
    assert_eq!(config.values.data_dir, Some(PathBuf::from("/srv/flag")));
    assert_eq!(config.values.kiosk_mode, Some(false));
    assert_eq!(
        config.values.language,
        Some(Lang::Fr),
        "from the environment"
    );

    // --config names another file than GUICHET_CONFIG.
    let other = dir.path().join("other.toml");
    std::fs::write(&other, "language = \"fr\"\n").unwrap();
    let config = KioskConfig::load(Some(&other), &variables, Layer::default()).unwrap();
    assert_eq!(config.file, other);
    assert_eq!(config.values.kiosk_mode, None);
}

#[test]
fn the_default_file_may_be_absent_but_a_named_one_may_not() {
    let config = KioskConfig::load(None, env(&[("HOME", "/home/centre")]), Layer::default());
    // /etc/guichet/kiosk.toml does not exist on a build machine.
    if !Path::new(guichet_kiosk::config::DEFAULT_CONFIG_FILE).exists() {
        let config = config.unwrap();
        assert_eq!(config.values, Layer::default());
        assert_eq!(
            config.data_dir(env(&[("HOME", "/home/centre")])),
            PathBuf::from("/home/centre/.local/share/guichet")
        );
        assert_eq!(
            config.data_dir(env(&[("HOME", "/h"), ("XDG_DATA_HOME", "/x")])),
            PathBuf::from("/x/guichet")
        );
    }
    let missing = KioskConfig::load(
        None,
        env(&[("GUICHET_CONFIG", "/nonexistent/kiosk.toml")]),
        Layer::default(),
    )
    .unwrap_err();
    assert!(matches!(missing, ConfigError::Unreadable { .. }));
    assert!(missing.to_string().starts_with("/nonexistent/kiosk.toml: "));
}

/// Each bad file: the line and key the message must name, and a word of the reason.
const BAD_FILES: &[(&str, usize, &str, &str)] = &[
    (
        "language = \"fr\"\nkiosk_mode = \"oui\"\n",
        2,
        "kiosk_mode",
        "bool",
    ),
    (
        "# comment\n\nlanguage = \"de\"\n",
        3,
        "language",
        "unknown variant `de`",
    ),
    (
        "scanner_layout = \"azerty\"\n",
        1,
        "scanner_layout",
        "unknown variant `azerty`, expected one of",
    ),
    ("camera = \"webcam\"\n", 1, "camera", "none, device"),
    (
        "camera = \"device:x\"\n",
        1,
        "camera",
        "not a camera number",
    ),
    (
        "inactivity_lock_minutes = 0\n",
        1,
        "inactivity_lock_minutes",
        "expected 1 to 240",
    ),
    ("data_dir = 3\n", 1, "data_dir", "expected"),
    (
        "language = \"fr\"\nplatfrom_url = \"https://x\"\n",
        2,
        "platfrom_url",
        "unknown field `platfrom_url`, expected one of `platform_url`",
    ),
    (
        "language = \"fr\"\nkiosk_mode = \n",
        2,
        "kiosk_mode",
        "write kiosk_mode = followed by a value",
    ),
    // Issue 26: an unquoted word names its key and says to quote it.
    (
        "platform_url = \"https://x\"\nlanguage = fr\n",
        2,
        "language",
        "a text value is quoted: language = \"fr\"",
    ),
    ("= 3\n", 1, "(syntax)", ""),
];

#[test]
fn a_bad_value_names_the_file_the_line_and_the_key() {
    for (text, line, key, reason) in BAD_FILES {
        let error = Layer::from_toml(Path::new("/etc/guichet/kiosk.toml"), text).unwrap_err();
        let message = error.to_string();
        match &error {
            ConfigError::File {
                line: got_line,
                key: got_key,
                message: got,
                ..
            } => {
                assert_eq!(got_line, line, "{text:?}: {message}");
                assert_eq!(got_key, key, "{text:?}: {message}");
                assert!(got.contains(reason), "{text:?}: {message}");
            }
            other => panic!("{text:?}: {other:?}"),
        }
        assert!(
            message.starts_with(&format!("/etc/guichet/kiosk.toml:{line}:")),
            "{message}"
        );
    }
}

#[test]
fn a_bad_variable_or_flag_is_named() {
    for (name, value, reason) in [
        ("GUICHET_LANGUAGE", "de", "unknown variant"),
        ("GUICHET_KIOSK_MODE", "maybe", "not true or false"),
        ("GUICHET_CAMERA", "replay:", "not a camera"),
        ("GUICHET_SCANNER_LAYOUT", "dvorak", "unknown variant"),
        ("GUICHET_DATA_DIR", "", "empty path"),
        (
            "GUICHET_INACTIVITY_LOCK_MINUTES",
            "241",
            "expected 1 to 240",
        ),
        (
            "GUICHET_INACTIVITY_LOCK_MINUTES",
            "five",
            "not a number of minutes",
        ),
    ] {
        let error = Layer::from_env(env(&[(name, value)])).unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("{name}: ")) && message.contains(reason),
            "{message}"
        );
    }
    let error = Layer::default()
        .set(Key::Language, "it", &Key::Language.flag())
        .unwrap_err();
    assert!(error.to_string().starts_with("--language: "), "{error}");
    assert_eq!(Key::PlatformUrl.env_var(), "GUICHET_PLATFORM_URL");
    assert_eq!(Key::ScannerLayout.flag(), "--scanner-layout");
}

#[test]
fn the_configuration_wins_over_the_saved_settings() {
    let dir = tempfile::tempdir().unwrap();
    let mut kiosk = Kiosk::open(dir.path()).unwrap();
    assert_eq!(kiosk.settings().lang, Lang::Fr);
    let layer = Layer::from_toml(
        Path::new("kiosk.toml"),
        "language = \"en\"\nkiosk_mode = true\ncamera = \"none\"\nscanner_layout = \"us\"\ninactivity_lock_minutes = 30\n",
    )
    .unwrap();
    kiosk.impose(&layer);
    let settings = kiosk.settings();
    assert_eq!(settings.lang, Lang::En);
    assert!(settings.fullscreen);
    assert_eq!(settings.camera.kind, CameraKind::None);
    assert_eq!(settings.scanner_layout, ScannerLayout::Us);
    assert_eq!(settings.lock_after_minutes, 30);
    // What the configuration leaves unset stays the saved setting.
    kiosk.impose(&Layer::default());
    assert_eq!(kiosk.settings().lang, Lang::En);
    assert!(kiosk.settings().sound);
}

/// The variables the libraries used to read on their own (issue 27) are keys like the others:
/// in the file, the environment (under their old names) and the flags, a bad value named.
#[test]
fn the_print_command_update_folders_replay_log_and_compositing_are_keys() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kiosk.toml");
    std::fs::write(
        &file,
        r#"
print_command = "/usr/local/bin/print-pdf"
update_dirs = ["/srv/updates", "/srv/more"]
replay_dir = "/srv/frames"
log = "debug"
webkit_compositing = true
"#,
    )
    .unwrap();
    let file_text = file.to_str().unwrap();
    let config = KioskConfig::load(
        None,
        env(&[("GUICHET_CONFIG", file_text)]),
        Layer::default(),
    )
    .unwrap();
    let values = &config.values;
    assert_eq!(
        values.print_command,
        Some(PathBuf::from("/usr/local/bin/print-pdf"))
    );
    assert_eq!(
        values.update_dirs,
        Some(vec![
            PathBuf::from("/srv/updates"),
            PathBuf::from("/srv/more")
        ])
    );
    assert_eq!(values.replay_dir, Some(PathBuf::from("/srv/frames")));
    assert_eq!(
        values.log.map(|l| l.0),
        Some(tracing_subscriber::filter::LevelFilter::DEBUG)
    );
    assert_eq!(values.webkit_compositing, Some(true));

    // The variables, under the names they always had, override the file.
    let variables = env(&[
        ("GUICHET_CONFIG", file_text),
        ("GUICHET_PRINT_COMMAND", "lp"),
        ("GUICHET_UPDATE_DIRS", "/media/a:/media/b"),
        ("GUICHET_REPLAY_DIR", ""),
        ("GUICHET_LOG", "warn"),
        ("GUICHET_WEBKIT_COMPOSITING", "0"),
    ]);
    let config = KioskConfig::load(None, &variables, Layer::default()).unwrap();
    let values = &config.values;
    assert_eq!(values.print_command, Some(PathBuf::from("lp")));
    assert_eq!(
        values.update_dirs,
        Some(vec![PathBuf::from("/media/a"), PathBuf::from("/media/b")])
    );
    // An empty GUICHET_REPLAY_DIR never replayed anything: the file's folder stays.
    assert_eq!(values.replay_dir, Some(PathBuf::from("/srv/frames")));
    assert_eq!(
        values.log.map(|l| l.0),
        Some(tracing_subscriber::filter::LevelFilter::WARN)
    );
    assert_eq!(values.webkit_compositing, Some(false));

    for (name, value, reason) in [
        ("GUICHET_PRINT_COMMAND", " ", "empty command"),
        ("GUICHET_LOG", "loud", "not a log level"),
        ("GUICHET_WEBKIT_COMPOSITING", "maybe", "not true or false"),
    ] {
        let message = Layer::from_env(env(&[(name, value)]))
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with(&format!("{name}: ")) && message.contains(reason),
            "{message}"
        );
    }
    assert_eq!(Key::UpdateDirs.flag(), "--update-dirs");
    assert_eq!(Key::Log.env_var(), "GUICHET_LOG");
}
