//! What the subcommands share: the output language, the configuration (file, environment,
//! flags) and where the kiosk keeps its files.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::OnceLock;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use guichet_core::message::Lang;
use guichet_kiosk::config::{Key, KioskConfig, Layer};
use strum::VariantNames;

/// The `--lang` flags' parser: `fr` or `en` (listed by `--help`), read as the one language
/// type, the core's [`Lang`] (its names, from strum).
pub fn lang_parser() -> impl TypedValueParser<Value = Lang> {
    PossibleValuesParser::new(Lang::VARIANTS).try_map(|text: String| text.parse::<Lang>())
}

/// The flags that override the configuration file and the `GUICHET_*` variables
/// (`schema/kiosk-config.md`); accepted before or after the subcommand.
#[derive(clap::Args, Debug, Default)]
pub struct ConfigFlags {
    /// The configuration file [default: $GUICHET_CONFIG, else /etc/guichet/kiosk.toml].
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The data directory (ledger, identity, bundle, logs).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<String>,
    /// The platform `guichet enroll` talks to when --platform is not given.
    #[arg(long, global = true, value_name = "URL")]
    platform_url: Option<String>,
    /// The camera: none, device, device:N or replay:FOLDER.
    #[arg(long, global = true, value_name = "CAMERA")]
    camera: Option<String>,
    /// The scanner's layout: auto, us, fr-azerty or de-qwertz.
    #[arg(long, global = true, value_name = "LAYOUT")]
    scanner_layout: Option<String>,
    /// The window's language: fr or en.
    #[arg(long, global = true, value_name = "LANG")]
    language: Option<String>,
    /// Kiosk mode (full screen, not left without the admin PIN): true or false.
    #[arg(long, global = true, value_name = "BOOL")]
    kiosk_mode: Option<String>,
    /// Minutes without a command before the manager's and admin's screens lock (1 to 240).
    #[arg(long, global = true, value_name = "MINUTES")]
    inactivity_lock_minutes: Option<String>,
    /// The program the day review prints with [default: lp].
    #[arg(long, global = true, value_name = "PROGRAM")]
    print_command: Option<String>,
    /// Folders (colon-separated) the administration lists updates from and copies exports to,
    /// besides the removable media.
    #[arg(long, global = true, value_name = "DIRS")]
    update_dirs: Option<String>,
    /// A folder of images the window replays as its camera (demos, tests).
    #[arg(long, global = true, value_name = "DIR")]
    replay_dir: Option<String>,
    /// The log level: error, warn, info, debug, trace or off.
    #[arg(long, global = true, value_name = "LEVEL")]
    log: Option<String>,
    /// WebKit's accelerated compositing (off by default): true or false.
    #[arg(long, global = true, value_name = "BOOL")]
    webkit_compositing: Option<String>,
}

impl ConfigFlags {
    /// The flags as a configuration layer.
    fn layer(&self) -> Result<Layer, String> {
        let mut layer = Layer::default();
        let given = [
            (Key::DataDir, &self.data_dir),
            (Key::PlatformUrl, &self.platform_url),
            (Key::Camera, &self.camera),
            (Key::ScannerLayout, &self.scanner_layout),
            (Key::Language, &self.language),
            (Key::KioskMode, &self.kiosk_mode),
            (Key::InactivityLockMinutes, &self.inactivity_lock_minutes),
            (Key::PrintCommand, &self.print_command),
            (Key::UpdateDirs, &self.update_dirs),
            (Key::ReplayDir, &self.replay_dir),
            (Key::Log, &self.log),
            (Key::WebkitCompositing, &self.webkit_compositing),
        ];
        for (key, value) in given {
            if let Some(value) = value {
                layer
                    .set(key, value, &key.flag())
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(layer)
    }
}

static CONFIG: OnceLock<KioskConfig> = OnceLock::new();

/// Reads the configuration (file < environment < flags) once, before any command runs; a
/// bad value stops the program with a message naming where it is (exit status 2).
pub fn configure(flags: &ConfigFlags) -> Result<(), ExitCode> {
    let loaded = flags.layer().and_then(|layer| {
        KioskConfig::load(
            flags.config.as_deref(),
            |name| std::env::var_os(name),
            layer,
        )
        .map_err(|e| e.to_string())
    });
    match loaded {
        Ok(config) => {
            let _ = CONFIG.set(config);
            Ok(())
        }
        Err(message) => {
            eprintln!("guichet: configuration: {message}");
            Err(ExitCode::from(2))
        }
    }
}

/// The configuration in force (the defaults if [`configure`] was not called).
pub fn config() -> &'static KioskConfig {
    CONFIG.get_or_init(KioskConfig::default)
}

/// The kiosk's data directory: the configured one (`data_dir`, `$GUICHET_DATA_DIR`,
/// `--data-dir`), else `$XDG_DATA_HOME/guichet`, else `~/.local/share/guichet`.
pub fn data_dir() -> PathBuf {
    config().data_dir(|name| std::env::var_os(name))
}

/// The ledger file inside the data directory.
pub fn default_ledger_path() -> PathBuf {
    data_dir().join("ledger.sqlite3")
}
