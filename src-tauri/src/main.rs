//! Guichet: the kiosk application.
//!
//! Without a subcommand it opens the counter window; `guichet verify` checks
//! voucher codes offline from the command line.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod app;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Command-line interface of the `guichet` binary.
#[derive(Parser, Debug)]
#[command(name = "guichet", version, about)]
struct Cli {
    /// What to do; opens the kiosk window when omitted.
    #[command(subcommand)]
    command: Option<Command>,
}

/// Subcommands of `guichet`.
#[derive(Subcommand, Debug)]
enum Command {
    /// Check voucher codes offline and print the verdict for each one.
    Verify(verify::VerifyArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => app::run(),
        Some(Command::Verify(args)) => verify::run(args),
    }
}
