//! The counter's camera: which frame source the settings name, the decode worker that reads
//! it, and the preview picture for the window; and the serial scanner's worker.

use std::io::Cursor;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use guichet_scan::serial::{watch_serial, PortChoice, SerialWatch};
use guichet_scan::source::camera::{CameraResolution, CameraSource};
use guichet_scan::source::replay::ReplaySource;
use guichet_scan::source::{SourceInfo, SourceKind};
use guichet_scan::worker::{Preview, ScanEvent, ScanWorker, WorkerConfig};
use image::GrayImage;

use crate::prefs::{CameraKind, CameraSetting, SerialKind, SerialSetting};

/// How often the window's preview is refreshed.
pub const PREVIEW_EVERY: Duration = Duration::from_millis(250);

/// Frames per second of a replayed folder (a webcam gives about this many usable frames).
const REPLAY_FPS: f64 = 4.0;

/// Starts the worker the setting names; `None` for no camera.
pub fn start(
    setting: &CameraSetting,
) -> Option<(ScanWorker, std::sync::mpsc::Receiver<ScanEvent>, SourceInfo)> {
    let config = WorkerConfig {
        preview_every: Some(PREVIEW_EVERY),
        ..WorkerConfig::default()
    };
    match setting.kind {
        CameraKind::None => None,
        CameraKind::Device => {
            let index = setting.index;
            let info = SourceInfo {
                kind: SourceKind::Camera,
                // Language-neutral: the caption shows it in French screens too.
                name: format!("/dev/video{index}"),
            };
            let (worker, events) = ScanWorker::spawn(
                info.clone(),
                move || CameraSource::open(index, CameraResolution::Hd720),
                config,
            );
            Some((worker, events, info))
        }
        CameraKind::Replay => {
            let folder = PathBuf::from(&setting.folder);
            let info = SourceInfo {
                kind: SourceKind::Replay,
                name: folder.display().to_string(),
            };
            let (worker, events) = ScanWorker::spawn(
                info.clone(),
                move || ReplaySource::open(&folder, REPLAY_FPS).map(|s| s.looping(true)),
                config,
            );
            Some((worker, events, info))
        }
    }
}

/// Starts the serial scanner's worker the setting names (`None`: off, or a port setting with
/// no port). It finds, loses and finds again its port by itself (`guichet_scan::serial`).
pub fn start_serial(
    setting: &SerialSetting,
) -> Option<(ScanWorker, std::sync::mpsc::Receiver<ScanEvent>)> {
    let choice = match setting.kind {
        SerialKind::Off => return None,
        SerialKind::Auto => PortChoice::Auto,
        SerialKind::Port if setting.port.trim().is_empty() => return None,
        SerialKind::Port => PortChoice::Path(setting.port.trim().to_owned()),
    };
    Some(watch_serial(SerialWatch {
        choice,
        ..SerialWatch::default()
    }))
}

/// A preview frame as a `data:` URL the window can show (PNG: lossless, and the `image`
/// crate's PNG encoder is already built for the replay source).
pub fn preview_data_url(preview: &Preview) -> Option<String> {
    let image: &GrayImage = &preview.image;
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .ok()?;
    Some(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_serial_setting_names_the_worker() {
        let off = SerialSetting {
            kind: SerialKind::Off,
            port: "/dev/ttyACM0".into(),
        };
        assert!(start_serial(&off).is_none());
        let no_port = SerialSetting {
            kind: SerialKind::Port,
            port: "  ".into(),
        };
        assert!(start_serial(&no_port).is_none());
        // A named port that is not there: said once, looked for again (the pseudo-terminal
        // tests of guichet-scan's serial module plug it in).
        let dir = tempfile::tempdir().unwrap();
        let port = dir.path().join("ttyACM0").to_string_lossy().into_owned();
        let setting = SerialSetting {
            kind: SerialKind::Port,
            port: format!(" {port} "),
        };
        let (worker, events) = start_serial(&setting).expect("a worker");
        match events.recv_timeout(Duration::from_secs(10)) {
            Ok(ScanEvent::SourceProblem { source, .. }) => assert_eq!(source.name, port),
            other => panic!("expected a problem, got {other:?}"),
        }
        assert!(worker.is_running());
        worker.stop();
    }
}
