//! `guichet pin`, and how the command line reads a PIN: from a file (`--pin-file`, for
//! scripts and `make run`) or typed twice at the terminal without echo.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use guichet_kiosk::{Kiosk, Role};
use jiff::Timestamp;

use crate::cli::data_dir;

/// Arguments of `guichet pin`.
#[derive(clap::Args, Debug)]
pub struct PinArgs {
    /// Whose PIN.
    #[arg(long, value_enum)]
    role: Role,
    /// A file whose first line is the PIN; without it, the PIN is typed twice.
    #[arg(long, value_name = "FILE")]
    pin_file: Option<PathBuf>,
    /// Who sets it (recorded with the PIN).
    #[arg(long, value_name = "NAME")]
    by: String,
}

/// Reads a PIN from `file`'s first line, or from the terminal (asked twice, not echoed).
pub fn read_pin(file: Option<&Path>, what: &str) -> Result<String, String> {
    if let Some(file) = file {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("--pin-file {}: {e}", file.display()))?;
        return Ok(text.lines().next().unwrap_or_default().trim().to_string());
    }
    if !std::io::stdin().is_terminal() {
        return Err(format!(
            "{what}: no terminal to type it in; give --pin-file FILE"
        ));
    }
    let first =
        rpassword::prompt_password(format!("{what} : ")).map_err(|e| format!("{what}: {e}"))?;
    let again = rpassword::prompt_password(format!("{what} (encore une fois) : "))
        .map_err(|e| format!("{what}: {e}"))?;
    if first != again {
        return Err(format!("{what}: the two PINs differ"));
    }
    Ok(first.trim().to_string())
}

/// Runs `guichet pin`: sets a role's PIN from this machine (a forgotten admin PIN, or a kiosk
/// enrolled before PINs were chosen at enrollment).
pub fn run(args: PinArgs) -> ExitCode {
    let role = args.role;
    let result = read_pin(args.pin_file.as_deref(), "PIN").and_then(|pin| {
        let mut kiosk = Kiosk::open(&data_dir()).map_err(|p| p.to_string())?;
        kiosk
            .set_pin_locally(role, &pin, &args.by, Timestamp::now())
            .map_err(|p| p.to_string())
    });
    match result {
        Ok(()) => {
            println!("PIN set: {role}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("guichet: {message}");
            ExitCode::from(2)
        }
    }
}
