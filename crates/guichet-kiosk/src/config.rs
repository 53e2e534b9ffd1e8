//! The kiosk's configuration: one TOML file (`/etc/guichet/kiosk.toml`, or the file
//! `GUICHET_CONFIG` names), then `GUICHET_*` environment variables, then command-line flags,
//! each overriding the one before, key by key. The keys are described in
//! `schema/kiosk-config.md`. No other place reads a `GUICHET_*` variable: the print command,
//! the update folders, the camera replay, the log level and WebKit's compositing are keys too.
//!
//! What the configuration sets wins over the administration screen's settings (`kiosk.json`)
//! at each start: an installer's choice is not undone by a restart; what it leaves unset the
//! administration screen decides.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use guichet_scan::wedge::{WedgeConfig, WedgeDecoder};
use serde::de::value::{Error as ValueError, StrDeserializer};
use serde::Deserialize;
use tracing_subscriber::filter::LevelFilter;

use crate::kiosk::Kiosk;
use crate::prefs::{CameraKind, CameraSetting, ScannerLayout, MAX_LOCK_AFTER_MINUTES};
use guichet_core::message::Lang;

/// The configuration file read when `GUICHET_CONFIG` names none; its absence is not an error.
pub const DEFAULT_CONFIG_FILE: &str = "/etc/guichet/kiosk.toml";

/// The environment variable that names another configuration file.
pub const CONFIG_ENV: &str = "GUICHET_CONFIG";

/// The keys of the configuration, in the order of `schema/kiosk-config.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// `platform_url`: the platform `guichet enroll` talks to by default.
    PlatformUrl,
    /// `data_dir`: where the kiosk keeps its files.
    DataDir,
    /// `camera`: `none`, `device`, `device:N` or `replay:FOLDER`.
    Camera,
    /// `scanner_layout`: `auto`, `us`, `fr-azerty` or `de-qwertz`.
    ScannerLayout,
    /// `language`: `fr` or `en`.
    Language,
    /// `kiosk_mode`: full screen, and the window cannot be left without the admin PIN.
    KioskMode,
    /// `inactivity_lock_minutes`: the manager's and admin's screens lock again after this
    /// many minutes without a command (1 to 240).
    InactivityLockMinutes,
    /// `print_command`: the program the day review prints with (default CUPS's `lp`).
    PrintCommand,
    /// `update_dirs`: folders the administration lists update files from and copies exports
    /// to, besides the removable media.
    UpdateDirs,
    /// `replay_dir`: a folder of images the window replays as its camera (the demo, tests),
    /// over the camera setting, which it does not change.
    ReplayDir,
    /// `log`: the level of the log files and of standard error.
    Log,
    /// `webkit_compositing`: WebKit's accelerated compositing (off unless set).
    WebkitCompositing,
}

impl Key {
    /// Every key.
    pub const ALL: [Key; 12] = [
        Key::PlatformUrl,
        Key::DataDir,
        Key::Camera,
        Key::ScannerLayout,
        Key::Language,
        Key::KioskMode,
        Key::InactivityLockMinutes,
        Key::PrintCommand,
        Key::UpdateDirs,
        Key::ReplayDir,
        Key::Log,
        Key::WebkitCompositing,
    ];

    /// Its name in the file.
    pub fn name(self) -> &'static str {
        match self {
            Key::PlatformUrl => "platform_url",
            Key::DataDir => "data_dir",
            Key::Camera => "camera",
            Key::ScannerLayout => "scanner_layout",
            Key::Language => "language",
            Key::KioskMode => "kiosk_mode",
            Key::InactivityLockMinutes => "inactivity_lock_minutes",
            Key::PrintCommand => "print_command",
            Key::UpdateDirs => "update_dirs",
            Key::ReplayDir => "replay_dir",
            Key::Log => "log",
            Key::WebkitCompositing => "webkit_compositing",
        }
    }

    /// The environment variable that overrides it, such as `GUICHET_DATA_DIR`.
    pub fn env_var(self) -> String {
        format!("GUICHET_{}", self.name().to_ascii_uppercase())
    }

    /// The command-line flag that overrides it, such as `--data-dir`.
    pub fn flag(self) -> String {
        format!("--{}", self.name().replace('_', "-"))
    }
}

/// The camera named by the configuration, parsed from `none`, `device`, `device:N` or
/// `replay:FOLDER`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct CameraChoice(pub CameraSetting);

impl TryFrom<String> for CameraChoice {
    type Error = String;

    fn try_from(text: String) -> Result<CameraChoice, String> {
        let setting = |kind, index, folder: &str| CameraSetting {
            kind,
            index,
            folder: folder.to_string(),
        };
        let text = text.trim();
        match text.split_once(':') {
            None if text == "none" => Ok(CameraChoice(setting(CameraKind::None, 0, ""))),
            None if text == "device" => Ok(CameraChoice(setting(CameraKind::Device, 0, ""))),
            Some(("device", index)) => index
                .parse()
                .map(|index| CameraChoice(setting(CameraKind::Device, index, "")))
                .map_err(|_| format!("`{index}` is not a camera number (device:0, device:1…)")),
            Some(("replay", folder)) if !folder.is_empty() => {
                Ok(CameraChoice(setting(CameraKind::Replay, 0, folder)))
            }
            _ => Err(format!(
                "`{text}` is not a camera: expected none, device, device:N or replay:FOLDER"
            )),
        }
    }
}

/// The inactivity lock's delay, 1 to [`MAX_LOCK_AFTER_MINUTES`] minutes (as the
/// administration screen takes it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "u32")]
pub struct LockMinutes(pub u32);

impl TryFrom<u32> for LockMinutes {
    type Error = String;

    fn try_from(minutes: u32) -> Result<LockMinutes, String> {
        if (1..=MAX_LOCK_AFTER_MINUTES).contains(&minutes) {
            Ok(LockMinutes(minutes))
        } else {
            Err(format!(
                "{minutes} minutes: expected 1 to {MAX_LOCK_AFTER_MINUTES}"
            ))
        }
    }
}

/// The level of the logs: `error`, `warn`, `info`, `debug`, `trace` or `off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct LogLevel(pub LevelFilter);

impl TryFrom<String> for LogLevel {
    type Error = String;

    fn try_from(text: String) -> Result<LogLevel, String> {
        text.trim().parse().map(LogLevel).map_err(|_| {
            format!("`{text}` is not a log level: expected error, warn, info, debug, trace or off")
        })
    }
}

/// A boolean as the environment and the flags write it.
fn boolean(value: &str) -> Result<bool, String> {
    match value.trim() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        other => Err(format!("`{other}` is not true or false")),
    }
}

/// One layer of configuration (the file, the environment or the flags): what it sets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    /// `platform_url`.
    pub platform_url: Option<String>,
    /// `data_dir`.
    pub data_dir: Option<PathBuf>,
    /// `camera`.
    pub camera: Option<CameraChoice>,
    /// `scanner_layout`.
    pub scanner_layout: Option<ScannerLayout>,
    /// `language`.
    pub language: Option<Lang>,
    /// `kiosk_mode`.
    pub kiosk_mode: Option<bool>,
    /// `inactivity_lock_minutes`.
    pub inactivity_lock_minutes: Option<LockMinutes>,
    /// `print_command`.
    pub print_command: Option<PathBuf>,
    /// `update_dirs` (colon-separated in the environment and on the command line).
    pub update_dirs: Option<Vec<PathBuf>>,
    /// `replay_dir`.
    pub replay_dir: Option<PathBuf>,
    /// `log`.
    pub log: Option<LogLevel>,
    /// `webkit_compositing`.
    pub webkit_compositing: Option<bool>,
}

/// Why the configuration cannot be used. Every message names where the bad value is.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but cannot be read (or a file named by `GUICHET_CONFIG`/`--config`
    /// does not exist).
    #[error("{}: cannot read the configuration file: {source}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A bad value or a syntax error in the file.
    #[error("{}:{line}:{column}: {key}: {message}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// 1-based line of the bad value.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The key (`(syntax)` when the file is not TOML at all there).
        key: String,
        /// What is wrong, as the TOML reader says it.
        message: String,
    },
    /// A bad value in an environment variable or a flag.
    #[error("{origin}: {message}")]
    Value {
        /// The variable (`GUICHET_LANGUAGE`) or the flag (`--language`).
        origin: String,
        /// What is wrong.
        message: String,
    },
}

/// The key of the `key = value` line holding byte `offset` of `text`, and what to write
/// instead when its value is a bare word (`language = fr`: text values are quoted).
fn syntax_hint(text: &str, offset: usize) -> Option<(String, String)> {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or("");
    let (key, value) = line.split_once('=')?;
    let key = key.trim();
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let value = value.trim();
    let bare = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_alphanumeric() || "_-.:/".contains(c));
    let hint = if bare {
        format!("a text value is quoted: {key} = \"{value}\"")
    } else {
        format!("write {key} = followed by a value")
    };
    Some((key.to_string(), hint))
}

impl Layer {
    /// Reads a configuration file. A file that does not exist is an empty layer if
    /// `must_exist` is false (the default file is optional), an error otherwise.
    pub fn from_file(path: &Path, must_exist: bool) -> Result<Layer, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
                return Ok(Layer::default())
            }
            Err(source) => {
                return Err(ConfigError::Unreadable {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        Layer::from_toml(path, &text)
    }

    /// Parses the text of a configuration file read from `path`.
    pub fn from_toml(path: &Path, text: &str) -> Result<Layer, ConfigError> {
        let located = |span: Option<std::ops::Range<usize>>, key: String, message: &str| {
            let offset = span.map_or(0, |s| s.start).min(text.len());
            let before = &text[..offset];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            ConfigError::File {
                path: path.to_path_buf(),
                line,
                column,
                key,
                message: message.trim().to_string(),
            }
        };
        let deserializer = toml::Deserializer::parse(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start).min(text.len());
            match syntax_hint(text, offset) {
                Some((key, hint)) => {
                    located(e.span(), key, &format!("{} ({hint})", e.message().trim()))
                }
                None => located(e.span(), "(syntax)".to_string(), e.message()),
            }
        })?;
        serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            // An unknown key is named by the path too (and the message lists the known ones).
            let key = if path == "." {
                "(document)".to_string()
            } else {
                path
            };
            located(inner.span(), key, inner.message())
        })
    }

    /// Reads the `GUICHET_*` variables of [`Key::ALL`] through `var` (`std::env::var_os` in
    /// the app; a map in tests).
    pub fn from_env(var: impl Fn(&str) -> Option<OsString>) -> Result<Layer, ConfigError> {
        let mut layer = Layer::default();
        for key in Key::ALL {
            let name = key.env_var();
            if let Some(value) = var(&name) {
                let value = value.into_string().map_err(|_| ConfigError::Value {
                    origin: name.clone(),
                    message: "not valid UTF-8".to_string(),
                })?;
                layer.set(key, &value, &name)?;
            }
        }
        Ok(layer)
    }

    /// Sets `key` from its text form (an environment variable's or a flag's value);
    /// `origin` names where it came from in the error.
    pub fn set(&mut self, key: Key, value: &str, origin: &str) -> Result<(), ConfigError> {
        let bad = |message: String| ConfigError::Value {
            origin: origin.to_string(),
            message,
        };
        let word = StrDeserializer::<ValueError>::new(value.trim());
        match key {
            Key::PlatformUrl => self.platform_url = Some(value.trim().to_string()),
            Key::DataDir if value.is_empty() => return Err(bad("empty path".to_string())),
            Key::DataDir => self.data_dir = Some(PathBuf::from(value)),
            Key::Camera => {
                self.camera = Some(CameraChoice::try_from(value.to_string()).map_err(bad)?);
            }
            Key::ScannerLayout => {
                self.scanner_layout =
                    Some(ScannerLayout::deserialize(word).map_err(|e| bad(e.to_string()))?);
            }
            Key::Language => {
                self.language = Some(Lang::deserialize(word).map_err(|e| bad(e.to_string()))?);
            }
            Key::InactivityLockMinutes => {
                let minutes = value
                    .trim()
                    .parse::<u32>()
                    .map_err(|_| bad(format!("`{value}` is not a number of minutes")))?;
                self.inactivity_lock_minutes = Some(LockMinutes::try_from(minutes).map_err(bad)?);
            }
            Key::KioskMode => self.kiosk_mode = Some(boolean(value).map_err(bad)?),
            Key::PrintCommand if value.trim().is_empty() => {
                return Err(bad("empty command".to_string()))
            }
            Key::PrintCommand => self.print_command = Some(PathBuf::from(value.trim())),
            Key::UpdateDirs => {
                self.update_dirs = Some(
                    std::env::split_paths(value)
                        .filter(|dir| !dir.as_os_str().is_empty())
                        .collect(),
                );
            }
            // Empty: no replay (as the variable always meant).
            Key::ReplayDir => {
                self.replay_dir = Some(PathBuf::from(value)).filter(|_| !value.is_empty())
            }
            Key::Log => self.log = Some(LogLevel::try_from(value.to_string()).map_err(bad)?),
            Key::WebkitCompositing => {
                self.webkit_compositing = Some(boolean(value).map_err(bad)?);
            }
        }
        Ok(())
    }

    /// This layer over `lower`: each key this one sets wins.
    pub fn over(self, lower: Layer) -> Layer {
        Layer {
            platform_url: self.platform_url.or(lower.platform_url),
            data_dir: self.data_dir.or(lower.data_dir),
            camera: self.camera.or(lower.camera),
            scanner_layout: self.scanner_layout.or(lower.scanner_layout),
            language: self.language.or(lower.language),
            kiosk_mode: self.kiosk_mode.or(lower.kiosk_mode),
            inactivity_lock_minutes: self
                .inactivity_lock_minutes
                .or(lower.inactivity_lock_minutes),
            print_command: self.print_command.or(lower.print_command),
            update_dirs: self.update_dirs.or(lower.update_dirs),
            replay_dir: self.replay_dir.or(lower.replay_dir),
            log: self.log.or(lower.log),
            webkit_compositing: self.webkit_compositing.or(lower.webkit_compositing),
        }
    }
}

/// The configuration in force: the layers merged, and where the file was.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KioskConfig {
    /// The file read (or looked for, when the default one is absent).
    pub file: PathBuf,
    /// The merged values.
    pub values: Layer,
}

impl KioskConfig {
    /// Reads the file (`config_flag`, else `GUICHET_CONFIG`, else [`DEFAULT_CONFIG_FILE`]),
    /// then the environment, then applies `flags`: file < environment < flags.
    pub fn load(
        config_flag: Option<&Path>,
        var: impl Fn(&str) -> Option<OsString>,
        flags: Layer,
    ) -> Result<KioskConfig, ConfigError> {
        let named = config_flag
            .map(Path::to_path_buf)
            .or_else(|| var(CONFIG_ENV).map(PathBuf::from));
        let file = named
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_FILE));
        let from_file = Layer::from_file(&file, named.is_some())?;
        let from_env = Layer::from_env(&var)?;
        Ok(KioskConfig {
            file,
            values: flags.over(from_env.over(from_file)),
        })
    }

    /// The data directory: the configured one, else `$XDG_DATA_HOME/guichet`, else
    /// `~/.local/share/guichet`.
    pub fn data_dir(&self, var: impl Fn(&str) -> Option<OsString>) -> PathBuf {
        if let Some(dir) = &self.values.data_dir {
            return dir.clone();
        }
        let base = var("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".local/share")))
            .unwrap_or_else(|| PathBuf::from("."));
        base.join("guichet")
    }
}

impl Kiosk {
    /// Puts the configured settings in force over `kiosk.json`'s for this run. A later save
    /// of `kiosk.json` may record them, which changes nothing: the configuration wins at
    /// each start.
    pub fn impose(&mut self, config: &Layer) {
        let settings = &mut self.prefs.settings;
        if let Some(CameraChoice(camera)) = &config.camera {
            settings.camera = camera.clone();
        }
        if let Some(layout) = config.scanner_layout {
            settings.scanner_layout = layout;
        }
        if let Some(lang) = config.language {
            settings.lang = lang;
        }
        if let Some(kiosk_mode) = config.kiosk_mode {
            settings.fullscreen = kiosk_mode;
        }
        if let Some(LockMinutes(minutes)) = config.inactivity_lock_minutes {
            settings.lock_after_minutes = minutes;
        }
        self.configured_platform_url = config.platform_url.clone().filter(|u| !u.is_empty());
        if let Some(command) = &config.print_command {
            self.print_command = command.clone();
        }
        if let Some(dirs) = &config.update_dirs {
            let mut roots = crate::admin::default_update_roots();
            roots.extend(dirs.iter().cloned());
            self.update_roots = roots;
        }
        self.wedge = WedgeDecoder::new(WedgeConfig {
            layouts: settings.scanner_layout.layouts(),
            ..WedgeConfig::default()
        });
    }
}
