//! The desktop window: a thin Tauri shell over `guichet-kiosk`. Commands and events only
//! translate between the page's JSON (`schema/kiosk-ui.md`) and the kiosk's methods; no rule
//! lives here.

mod camera;
mod commands;
mod state;

use std::process::ExitCode;

use guichet_kiosk::Kiosk;
use tauri::Manager;

use crate::cli::data_dir;
use state::Shell;

/// Line printed on stdout once the page has loaded; end-to-end tests wait for it.
pub const UI_READY_LINE: &str = "guichet: ui ready";

/// Opens the kiosk window and runs the event loop until it is closed.
pub fn run() -> ExitCode {
    let started = std::time::Instant::now();
    let kiosk = match Kiosk::open(&data_dir()) {
        Ok(kiosk) => kiosk,
        Err(problem) => {
            eprintln!("guichet: {}", problem.message.fr);
            return ExitCode::from(2);
        }
    };
    let result = tauri::Builder::default()
        .setup(move |app| {
            let shell = Shell::start(app.handle().clone(), kiosk, started);
            app.manage(shell);
            Ok(())
        })
        .invoke_handler(commands::handler())
        .run(tauri::generate_context!());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("guichet: cannot start the window: {err}");
            ExitCode::FAILURE
        }
    }
}
