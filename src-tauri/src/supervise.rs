//! `guichet kiosk`: the window, started again whenever it dies (a crash, a kill), as the
//! session's autostart entry runs it at a counter. It stops when the window exits cleanly:
//! closed outside kiosk mode, or left with the admin PIN in kiosk mode.
//!
//! Decision: a supervising process of our own rather than a systemd user unit: the counters'
//! sessions start programs through XDG autostart (which the settings already write), not all
//! of them run a systemd user manager, and the loop is tested as it runs.

use std::io::Write;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

/// Printed on stdout, followed by the window's process id, each time it is started.
pub const STARTED_LINE: &str = "guichet: window started, pid ";

/// The first wait before starting a window that died; it doubles up to [`LONGEST_WAIT`] while
/// the window keeps dying within [`STEADY`].
const FIRST_WAIT: Duration = Duration::from_secs(1);
const LONGEST_WAIT: Duration = Duration::from_secs(30);
const STEADY: Duration = Duration::from_secs(60);

/// Runs the window until it exits cleanly. The child gets the same arguments but the
/// subcommand (the configuration flags) and the same environment.
pub fn run() -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("guichet: cannot find this program: {e}");
            return ExitCode::from(2);
        }
    };
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = args.iter().position(|a| a == "kiosk") {
        args.remove(at);
    }
    let mut wait = FIRST_WAIT;
    loop {
        let started = Instant::now();
        let mut child = match Command::new(&exe).args(&args).spawn() {
            Ok(child) => child,
            Err(e) => {
                eprintln!("guichet: cannot start the window: {e}");
                return ExitCode::from(2);
            }
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{STARTED_LINE}{}", child.id()).and_then(|()| out.flush());
        drop(out);
        match child.wait() {
            Ok(status) if status.success() => return ExitCode::SUCCESS,
            Ok(status) => tracing::warn!("the window stopped ({status}); starting it again"),
            Err(e) => tracing::warn!("waiting for the window: {e}; starting it again"),
        }
        if started.elapsed() > STEADY {
            wait = FIRST_WAIT;
        }
        std::thread::sleep(wait);
        wait = (wait * 2).min(LONGEST_WAIT);
    }
}
