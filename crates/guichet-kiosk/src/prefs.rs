//! What the kiosk remembers between runs: settings, the workshop and mediator at the counter.
//! One JSON file, `kiosk.json`, in the data directory, written atomically. The PINs are not
//! here: they live in the ledger database (`pin.rs`), so deleting this file unlocks nothing.

use std::path::{Path, PathBuf};

use guichet_scan::wedge::Layout;
use serde::{Deserialize, Serialize};

use crate::text::Problem;
use guichet_core::message::Lang;

const PREFS_FILE: &str = "kiosk.json";

/// Which layout a keyboard-wedge scanner types in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScannerLayout {
    /// Try every known layout (the scanner's setting need not be known).
    #[default]
    Auto,
    /// US QWERTY.
    Us,
    /// French AZERTY.
    FrAzerty,
    /// German QWERTZ.
    DeQwertz,
}

impl ScannerLayout {
    /// The layouts the wedge decoder tries, in order.
    pub fn layouts(self) -> Vec<Layout> {
        match self {
            ScannerLayout::Auto => Layout::ALL.to_vec(),
            ScannerLayout::Us => vec![Layout::Us],
            ScannerLayout::FrAzerty => vec![Layout::FrAzerty],
            ScannerLayout::DeQwertz => vec![Layout::DeQwertz],
        }
    }
}

/// Which camera feeds the counter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CameraKind {
    /// No camera: the scanner only.
    None,
    /// A V4L2 camera, by index.
    #[default]
    Device,
    /// A folder of images replayed in a loop (demo, tests, a kit without a camera).
    Replay,
}

/// The camera setting.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CameraSetting {
    /// Which source.
    pub kind: CameraKind,
    /// The device index (`Device`).
    #[serde(default)]
    pub index: u32,
    /// The folder of images (`Replay`).
    #[serde(default)]
    pub folder: String,
}

/// Whether and where a scanner in USB serial mode (CDC-ACM) is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SerialKind {
    /// No serial scanner (keyboard-wedge scanners need no setting).
    Off,
    /// The first `/dev/ttyACM*` or `/dev/ttyUSB*` present, found again when it is replugged.
    #[default]
    Auto,
    /// The port named in [`SerialSetting::port`].
    Port,
}

/// The serial scanner setting.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SerialSetting {
    /// Off, found by itself, or one port.
    pub kind: SerialKind,
    /// The port (`Port`), such as `/dev/ttyACM0` or a `/dev/serial/by-id/…` link.
    #[serde(default)]
    pub port: String,
}

/// The settings an admin can change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Window language.
    pub lang: Lang,
    /// Verdict sounds on.
    pub sound: bool,
    /// The wedge scanner's layout.
    pub scanner_layout: ScannerLayout,
    /// The camera.
    pub camera: CameraSetting,
    /// The serial scanner.
    pub serial_scanner: SerialSetting,
    /// Full-screen kiosk mode.
    pub fullscreen: bool,
    /// Start the kiosk when the session opens.
    pub autostart: bool,
    /// Minutes without a command after which the manager's or admin's screens lock again
    /// (1 to 240).
    pub lock_after_minutes: u32,
}

/// The inactivity lock's default, in minutes.
pub const DEFAULT_LOCK_AFTER_MINUTES: u32 = 5;

/// The inactivity lock's longest delay, in minutes.
pub const MAX_LOCK_AFTER_MINUTES: u32 = 240;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            lang: Lang::Fr,
            sound: true,
            scanner_layout: ScannerLayout::Auto,
            camera: CameraSetting::default(),
            serial_scanner: SerialSetting::default(),
            fullscreen: false,
            autostart: false,
            lock_after_minutes: DEFAULT_LOCK_AFTER_MINUTES,
        }
    }
}

/// The workshop chosen at the counter (area code and service code).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkshopChoice {
    /// Area code, such as `1.1`.
    pub area: String,
    /// Service code from the referential.
    pub service: String,
}

/// Everything in `kiosk.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    /// Settings.
    pub settings: Settings,
    /// The workshop last chosen.
    pub workshop: Option<WorkshopChoice>,
    /// The mediator last at the counter.
    pub mediator: String,
}

impl Prefs {
    /// The file's path in a data directory.
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(PREFS_FILE)
    }

    /// Reads `kiosk.json` (missing: defaults). A damaged file is an error, not silently
    /// replaced: an admin's settings are not thrown away without a word.
    pub fn load(data_dir: &Path) -> Result<Prefs, Problem> {
        let path = Prefs::path(data_dir);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                Problem::local(
                    "BAD_PREFS",
                    &format!("Fichier de réglages illisible ({})", path.display()),
                    &format!("Unreadable settings file ({})", path.display()),
                    e,
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Prefs::default()),
            Err(e) => Err(Problem::local(
                "BAD_PREFS",
                "Réglages illisibles",
                "Cannot read the settings",
                e,
            )),
        }
    }

    /// Writes `kiosk.json` atomically, readable by its owner only.
    pub fn save(&self, data_dir: &Path) -> Result<(), Problem> {
        let bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| Problem::local("BAD_PREFS", "Réglages", "Settings", e))?;
        guichet_sync::files::write_atomically(&Prefs::path(data_dir), &bytes, true).map_err(|e| {
            Problem::local(
                "PREFS_NOT_SAVED",
                "Réglages non enregistrés",
                "Settings not saved",
                e,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefs_round_trip_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Prefs::load(dir.path()).unwrap(), Prefs::default());
        let mut prefs = Prefs::default();
        prefs.settings.lang = Lang::En;
        prefs.settings.scanner_layout = ScannerLayout::FrAzerty;
        prefs.settings.serial_scanner = SerialSetting {
            kind: SerialKind::Port,
            port: "/dev/ttyACM1".into(),
        };
        prefs.mediator = "Zoé".into();
        prefs.workshop = Some(WorkshopChoice {
            area: "1.1".into(),
            service: "S1".into(),
        });
        prefs.settings.lock_after_minutes = 12;
        prefs.save(dir.path()).unwrap();
        assert_eq!(Prefs::load(dir.path()).unwrap(), prefs);
    }

    #[test]
    fn a_damaged_file_is_reported_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(Prefs::path(dir.path()), b"{ not json").unwrap();
        assert_eq!(Prefs::load(dir.path()).unwrap_err().code, "BAD_PREFS");
        assert_eq!(
            std::fs::read(Prefs::path(dir.path())).unwrap(),
            b"{ not json"
        );
    }

    #[test]
    fn unknown_or_missing_fields_take_defaults() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(Prefs::path(dir.path()), br#"{"settings":{"sound":false}}"#).unwrap();
        let prefs = Prefs::load(dir.path()).unwrap();
        assert!(!prefs.settings.sound);
        assert_eq!(prefs.settings.lang, Lang::Fr);
        // A kiosk.json from before the serial setting finds a plugged serial scanner by itself.
        assert_eq!(prefs.settings.serial_scanner.kind, SerialKind::Auto);
    }
}
