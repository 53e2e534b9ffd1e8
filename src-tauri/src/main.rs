//! Guichet: the kiosk application.
//!
//! Without a subcommand it opens the counter window; `guichet verify` checks
//! voucher codes offline, `guichet ledger verify` checks the ledger's hash chain and
//! `guichet report` prints a day review; `guichet enroll` and `guichet sync` talk to the
//! platform; `guichet pin` sets a PIN from the machine; `guichet statement verify` checks a
//! center's signed monthly statement offline.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod app;
mod cli;
mod doctor_cli;
mod ledger_cli;
mod pin_cli;
mod redeem_cli;
mod statement_cli;
mod supervise;
mod sync_cli;
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
    /// The configuration's overrides.
    #[command(flatten)]
    config: cli::ConfigFlags,
}

/// Subcommands of `guichet`.
#[derive(Subcommand, Debug)]
enum Command {
    /// Check voucher codes offline and print the verdict for each one.
    Verify(verify::VerifyArgs),
    /// Check the ledger's hash chain and integrity.
    Ledger(ledger_cli::LedgerArgs),
    /// Print the day review of the ledger (table, CSV or JSON).
    Report(ledger_cli::ReportArgs),
    /// Verify codes against the kiosk's bundle and ledger and record them as one checkout.
    Redeem(redeem_cli::RedeemArgs),
    /// Enroll this kiosk with the platform, using a one-time code.
    Enroll(sync_cli::EnrollArgs),
    /// Run one sync cycle with the platform and print a summary.
    Sync,
    /// Check the kiosk's health (camera, scanners, clock, disk, files, platform, bundle,
    /// ledger, pending entries): one line per check and a summary.
    Doctor(doctor_cli::DoctorArgs),
    /// Run the window and start it again whenever it dies (the session's autostart entry, at
    /// a counter); stops when the window exits cleanly.
    Kiosk,
    /// Set the manager's or admin's PIN from this machine (a forgotten admin PIN).
    Pin(pin_cli::PinArgs),
    /// Check a center's signed monthly statement offline (chain, signature, totals), and match
    /// it against the kiosk's ledger.
    Statement(statement_cli::StatementArgs),
}

fn main() -> ExitCode {
    // Files 600, directories 700 in the data directory, whoever writes them.
    guichet_kiosk::owner_only_files();
    let cli = Cli::parse();
    if let Err(code) = cli::configure(&cli.config) {
        return code;
    }
    // Diagnostics go to the data directory's log files when it exists (the window makes it).
    let data_dir = cli::data_dir();
    let files = (cli.command.is_none() || data_dir.is_dir()).then_some(data_dir.as_path());
    let _logs = guichet_kiosk::logs::init(files, cli::config().values.log.map(|l| l.0));
    match cli.command {
        None => app::run(),
        Some(Command::Verify(args)) => verify::run(args),
        Some(Command::Ledger(args)) => ledger_cli::run_ledger(args),
        Some(Command::Report(args)) => ledger_cli::run_report(args),
        Some(Command::Redeem(args)) => redeem_cli::run(args),
        Some(Command::Enroll(args)) => sync_cli::run_enroll(args),
        Some(Command::Sync) => sync_cli::run_sync(),
        Some(Command::Doctor(args)) => doctor_cli::run(args),
        Some(Command::Kiosk) => supervise::run(),
        Some(Command::Pin(args)) => pin_cli::run(args),
        Some(Command::Statement(args)) => statement_cli::run(args),
    }
}
