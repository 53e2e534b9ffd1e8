//! What the shell holds: the kiosk behind a mutex, the sync loop, the camera worker, and the
//! events that push status changes to the page.

use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use guichet_kiosk::{CameraStatus, Kiosk, Status};
use guichet_sync::{RunnerSettings, SyncRunner, SyncStatus};
use jiff::Timestamp;
use tauri::{AppHandle, Emitter, Manager};

use super::camera::CameraControl;
use super::serial::SerialControl;

/// The shell's state, managed by Tauri.
pub struct Shell {
    kiosk: Mutex<Kiosk>,
    sync: SyncRunner,
    camera_status: Mutex<CameraStatus>,
    camera: Mutex<Option<CameraControl>>,
    serial: Mutex<Option<SerialControl>>,
    /// When the process started, for the cold-start figure printed at `ui_ready`.
    pub started: Instant,
}

impl Shell {
    /// Starts the sync loop and the camera, applies the window settings.
    pub fn start(app: AppHandle, kiosk: Kiosk, started: Instant) -> Shell {
        let data_dir = kiosk.data_dir().to_path_buf();
        let ledger = kiosk.ledger_path();
        let fullscreen = kiosk.settings().fullscreen;
        let sync = tauri::async_runtime::block_on(async move {
            SyncRunner::spawn(data_dir, ledger, RunnerSettings::default())
        });
        let shell = Shell {
            kiosk: Mutex::new(kiosk),
            sync,
            camera_status: Mutex::new(CameraStatus::off()),
            camera: Mutex::new(None),
            serial: Mutex::new(None),
            started,
        };
        if let Some(window) = app.get_webview_window("main") {
            super::kiosk_mode::apply(&window, fullscreen);
        }
        forward_sync_status(&app, shell.sync.watch());
        shell.restart_camera(&app);
        shell
    }

    /// The kiosk, locked. A panic while it was held does not stop the counter: the kiosk's
    /// state lives in its files, which every method re-reads or writes in transactions.
    pub fn kiosk(&self) -> MutexGuard<'_, Kiosk> {
        self.kiosk
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The latest sync status.
    pub fn sync_status(&self) -> SyncStatus {
        self.sync.status()
    }

    /// Asks for a sync cycle now.
    pub fn sync_now(&self) {
        self.sync.sync_now();
    }

    /// The camera's state.
    pub fn camera_status(&self) -> CameraStatus {
        self.camera_status
            .lock()
            .map(|s| s.clone())
            .unwrap_or_else(|_| CameraStatus::off())
    }

    /// Records the camera's state and tells the page.
    pub fn set_camera_status(&self, app: &AppHandle, status: CameraStatus) {
        if let Ok(mut current) = self.camera_status.lock() {
            *current = status;
        }
        self.emit_status(app);
    }

    /// The status bar as of now.
    pub fn status(&self) -> Status {
        let sync = self.sync_status();
        let camera = self.camera_status();
        self.kiosk().status(&sync, &camera, Timestamp::now())
    }

    /// Sends the status bar to the page.
    pub fn emit_status(&self, app: &AppHandle) {
        let _ = app.emit("status", self.status());
    }

    /// (Re)starts the camera and the serial scanner the settings name (after a settings
    /// change, too).
    pub fn restart_camera(&self, app: &AppHandle) {
        self.restart_serial(app);
        let setting = super::camera::effective_setting(self.kiosk().settings());
        let Ok(mut slot) = self.camera.lock() else {
            return;
        };
        if let Some(old) = slot.take() {
            old.stop();
        }
        *slot = CameraControl::start(app.clone(), &setting);
        let status = slot
            .as_ref()
            .map_or_else(CameraStatus::off, CameraControl::running);
        drop(slot);
        self.set_camera_status(app, status);
    }
}

impl Shell {
    /// (Re)starts the serial scanner the settings name.
    fn restart_serial(&self, app: &AppHandle) {
        let setting = self.kiosk().settings().serial_scanner.clone();
        let Ok(mut slot) = self.serial.lock() else {
            return;
        };
        if let Some(old) = slot.take() {
            old.stop();
        }
        *slot = SerialControl::start(app.clone(), &setting);
    }
}

/// Emits `status` on every change of the sync loop's state.
fn forward_sync_status(app: &AppHandle, mut watch: tokio::sync::watch::Receiver<SyncStatus>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        while watch.changed().await.is_ok() {
            if let Some(shell) = app.try_state::<Shell>() {
                shell.emit_status(&app);
            }
        }
    });
}
