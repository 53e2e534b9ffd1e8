//! Kiosk mode on the window: full screen without decorations, and the window manager's close
//! (Alt+F4, its menu) or minimise refused unless the kiosk says the window may be left
//! (`Kiosk::may_leave`: the admin PIN). The page is told (`close_refused`) and asks for it.

use tauri::{Emitter, Manager, Window, WindowEvent};

use super::state::Shell;

/// Line printed on stdout when a close is refused; end-to-end tests wait for it.
pub const CLOSE_REFUSED_LINE: &str = "guichet: close refused (kiosk mode)";

/// Puts the window in or out of kiosk mode.
pub fn apply(window: &tauri::WebviewWindow, on: bool) {
    // Already so (most saves of the settings): nothing is touched, the window is not
    // reconfigured under the page (decorations, full screen and the buttons go together).
    if window.is_fullscreen().ok() == Some(on) {
        return;
    }
    let _ = window.set_decorations(!on);
    let _ = window.set_fullscreen(on);
    let _ = window.set_minimizable(!on);
    let _ = window.set_closable(!on);
}

/// The window's events: a close request is refused in kiosk mode unless the admin is
/// unlocked; losing the screen (minimised, or fullscreen left) puts it back.
pub fn on_window_event(window: &Window, event: &WindowEvent) {
    let Some(shell) = window.try_state::<Shell>() else {
        return;
    };
    match event {
        WindowEvent::CloseRequested { api, .. } if shell.kiosk().may_leave().is_err() => {
            api.prevent_close();
            tracing::info!("close refused (kiosk mode)");
            println!("{CLOSE_REFUSED_LINE}");
            let _ = window.emit("close_refused", ());
        }
        WindowEvent::Focused(false) | WindowEvent::Resized(_) if shell.kiosk().kiosk_mode() => {
            if window.is_minimized().unwrap_or(false) {
                let _ = window.unminimize();
            }
            if !window.is_fullscreen().unwrap_or(true) {
                let _ = window.set_fullscreen(true);
            }
        }
        _ => {}
    }
}
