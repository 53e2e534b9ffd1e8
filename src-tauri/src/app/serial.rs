//! The serial scanner's events, forwarded to the page: each line it sends becomes a `scan`
//! event with the kiosk's verdict (input: scanner), as a keyboard-wedge burst does. Its port
//! coming and going (unplugged, plugged again) goes to the log; the worker finds it again by
//! itself.

use guichet_kiosk::{camera, SerialSetting};
use guichet_ledger::InputMethod;
use guichet_scan::worker::{ScanEvent, ScanWorker};
use jiff::Timestamp;
use tauri::{AppHandle, Emitter, Manager};

use super::state::Shell;

/// A running serial scanner worker and the thread that forwards its events.
pub struct SerialControl {
    worker: ScanWorker,
}

impl SerialControl {
    /// Starts the worker the setting names; `None` when it is off.
    pub fn start(app: AppHandle, setting: &SerialSetting) -> Option<SerialControl> {
        let (worker, events) = camera::start_serial(setting)?;
        std::thread::Builder::new()
            .name("guichet-serial-events".into())
            .spawn(move || {
                for event in events.iter() {
                    forward(&app, event);
                }
            })
            .ok()?;
        Some(SerialControl { worker })
    }

    /// Stops the worker (its forwarding thread ends with the channel).
    pub fn stop(self) {
        self.worker.stop();
    }
}

fn forward(app: &AppHandle, event: ScanEvent) {
    let Some(shell) = app.try_state::<Shell>() else {
        return;
    };
    match event {
        ScanEvent::Scan(scan) => {
            let result =
                shell
                    .kiosk()
                    .scan(scan.text.as_bytes(), InputMethod::Scanner, Timestamp::now());
            match result {
                Ok(result) => {
                    let _ = app.emit("scan", result);
                }
                Err(problem) => eprintln!("guichet: serial scan: {problem}"),
            }
            shell.emit_status(app);
        }
        ScanEvent::SourceProblem { source, message } => {
            eprintln!("guichet: serial scanner ({}): {message}", source.name);
        }
        ScanEvent::SourceRecovered { source } => {
            eprintln!("guichet: serial scanner on {}", source.name);
        }
        ScanEvent::Preview(_) | ScanEvent::Ended { .. } => {}
    }
}
