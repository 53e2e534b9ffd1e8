//! The camera worker's events, forwarded to the page: a scan becomes a `scan` event with the
//! kiosk's verdict, a preview a `preview` event, a problem a `status` event.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use guichet_kiosk::{camera, CameraKind, CameraSetting, CameraStatus, Settings};
use guichet_ledger::InputMethod;
use guichet_scan::worker::{ScanEvent, ScanWorker};
use jiff::Timestamp;
use tauri::{AppHandle, Emitter, Manager};

use super::state::Shell;

/// The configuration's `replay_dir` (`GUICHET_REPLAY_DIR`) replays a folder of images as the
/// camera (the demo and the end-to-end tests; this machine has no camera). It overrides the
/// setting without saving it.
pub fn effective_setting(settings: &Settings) -> CameraSetting {
    match &crate::cli::config().values.replay_dir {
        Some(folder) => CameraSetting {
            kind: CameraKind::Replay,
            index: 0,
            folder: folder.to_string_lossy().into_owned(),
        },
        None => settings.camera.clone(),
    }
}

/// A running camera worker and the thread that forwards its events.
pub struct CameraControl {
    worker: ScanWorker,
    name: String,
}

impl CameraControl {
    /// Starts the worker the setting names; `None` for no camera.
    pub fn start(app: AppHandle, setting: &CameraSetting) -> Option<CameraControl> {
        let (worker, events, info) = camera::start(setting)?;
        let name = info.name.clone();
        std::thread::Builder::new()
            .name("guichet-camera-events".into())
            .spawn(move || {
                for event in events.iter() {
                    forward(&app, &name, event);
                }
            })
            .ok()?;
        Some(CameraControl {
            worker,
            name: info.name,
        })
    }

    /// The state of a camera that has just started.
    pub fn running(&self) -> CameraStatus {
        running(&self.name)
    }

    /// Stops the worker (its forwarding thread ends with the channel).
    pub fn stop(self) {
        self.worker.stop();
    }
}

fn running(name: &str) -> CameraStatus {
    CameraStatus {
        state: "running",
        name: name.to_string(),
        message: None,
    }
}

fn epoch_ms_before(elapsed: Duration) -> f64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    now.saturating_sub(elapsed).as_secs_f64() * 1000.0
}

fn forward(app: &AppHandle, name: &str, event: ScanEvent) {
    let Some(shell) = app.try_state::<Shell>() else {
        return;
    };
    match event {
        ScanEvent::Scan(scan) => {
            let captured_at_ms = epoch_ms_before(scan.frame_to_text);
            let result =
                shell
                    .kiosk()
                    .scan(scan.text.as_bytes(), InputMethod::Camera, Timestamp::now());
            match result {
                Ok(mut result) => {
                    result.captured_at_ms = Some(captured_at_ms);
                    let _ = app.emit("scan", result);
                }
                Err(problem) => tracing::warn!("camera scan: {problem}"),
            }
            shell.emit_status(app);
        }
        ScanEvent::Preview(preview) => {
            if let Some(png) = camera::preview_data_url(&preview) {
                let _ = app.emit("preview", serde_json::json!({ "png": png }));
            }
        }
        ScanEvent::SourceProblem { message, .. } => shell.set_camera_status(
            app,
            CameraStatus {
                state: "problem",
                name: name.to_string(),
                message: Some(message),
            },
        ),
        ScanEvent::SourceRecovered { .. } => shell.set_camera_status(app, running(name)),
        ScanEvent::Ended { error, .. } => shell.set_camera_status(
            app,
            CameraStatus {
                state: if error.is_some() { "problem" } else { "off" },
                name: name.to_string(),
                message: error,
            },
        ),
    }
}
