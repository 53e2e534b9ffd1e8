//! The counter's camera: which frame source the settings name, the decode worker that reads
//! it, and the preview picture for the window.

use std::io::Cursor;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use guichet_scan::source::camera::{CameraResolution, CameraSource};
use guichet_scan::source::replay::ReplaySource;
use guichet_scan::source::{SourceInfo, SourceKind};
use guichet_scan::worker::{Preview, ScanEvent, ScanWorker, WorkerConfig};
use image::GrayImage;

use crate::prefs::{CameraKind, CameraSetting};

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
                name: format!("camera {index}"),
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
                name: format!("replay {}", folder.display()),
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
