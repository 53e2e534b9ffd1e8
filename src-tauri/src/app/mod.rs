//! The desktop window: a thin Tauri shell over `guichet-kiosk`. Commands and events only
//! translate between the page's JSON (`schema/kiosk-ui.md`) and the kiosk's methods; no rule
//! lives here.

mod camera;
mod commands;
mod kiosk_mode;
mod serial;
mod state;

use std::process::ExitCode;

use guichet_kiosk::logs::FILES_ONLY;
use guichet_kiosk::Kiosk;
use tauri::Manager;

use crate::cli::data_dir;
use state::Shell;

/// Line printed on stdout once the page has loaded; end-to-end tests wait for it.
pub const UI_READY_LINE: &str = "guichet: ui ready";

/// Turns WebKit's accelerated compositing off unless the configuration's `webkit_compositing`
/// (`GUICHET_WEBKIT_COMPOSITING=1`) asks for it.
///
/// Decision: the counter is a plain page (no 3D, no video); on the kiosks' integrated or
/// missing GPUs compositing is done in software and costs memory: measured under Xvfb, the
/// web process drops from 293 to 198 MiB without it (docs/benchmarks.md). Set before any
/// thread exists (edition 2021: `set_var` is safe, and nothing else runs yet).
fn choose_compositing() {
    let wanted = crate::cli::config().values.webkit_compositing == Some(true);
    if !wanted && std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
}

/// Opens the kiosk window and runs the event loop until it is closed.
pub fn run() -> ExitCode {
    let started = std::time::Instant::now();
    choose_compositing();
    let mut kiosk = match Kiosk::open(&data_dir()) {
        Ok(kiosk) => kiosk,
        Err(problem) => {
            let message = &problem.message.en;
            tracing::error!(target: FILES_ONLY, "cannot open the kiosk: {message}");
            eprintln!("guichet: {}", problem.message.fr);
            return ExitCode::from(2);
        }
    };
    tracing::info!(
        data_dir = %kiosk.data_dir().display(),
        version = env!("CARGO_PKG_VERSION"),
        "window starting"
    );
    kiosk.impose(&crate::cli::config().values);
    let result = tauri::Builder::default()
        .setup(move |app| {
            let shell = Shell::start(app.handle().clone(), kiosk, started);
            app.manage(shell);
            Ok(())
        })
        .invoke_handler(commands::handler())
        .on_window_event(kiosk_mode::on_window_event)
        .run(tauri::generate_context!());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(target: FILES_ONLY, "cannot start the window: {err}");
            eprintln!("guichet: cannot start the window: {err}");
            ExitCode::FAILURE
        }
    }
}
