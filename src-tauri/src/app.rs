//! The desktop window: builds and runs the Tauri application.

use std::io::Write;
use std::process::ExitCode;

/// Line printed on stdout once the page has loaded; end-to-end tests wait for it.
pub const UI_READY_LINE: &str = "guichet: ui ready";

/// Called by the page once it has loaded: announces it on stdout.
#[tauri::command]
fn ui_ready() {
    let mut out = std::io::stdout().lock();
    // A closed stdout must not take the window down with it.
    let _ = writeln!(out, "{UI_READY_LINE}");
    let _ = out.flush();
}

/// Opens the kiosk window and runs the event loop until it is closed.
pub fn run() -> ExitCode {
    let result = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![ui_ready])
        .run(tauri::generate_context!());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("guichet: cannot start the window: {err}");
            ExitCode::FAILURE
        }
    }
}
