//! `guichet ledger verify` and `guichet report`: the ledger from the command line.

use std::path::PathBuf;
use std::process::ExitCode;

use guichet_core::message::Lang;
use guichet_kiosk::ledger_check::{check_ledger, LedgerCheck};
use guichet_ledger::export::{self, Format};
use guichet_ledger::{Filters, Ledger, LedgerSettings, SyncState};
use jiff::civil::Date;

use crate::cli::{data_dir, default_ledger_path};

/// Arguments of `guichet ledger`.
#[derive(clap::Args, Debug)]
pub struct LedgerArgs {
    /// What to do with the ledger.
    #[command(subcommand)]
    command: LedgerCommand,
}

/// Subcommands of `guichet ledger`.
#[derive(clap::Subcommand, Debug)]
enum LedgerCommand {
    /// Check the hash chain, the double-use guard and the outbox against it, and SQLite's
    /// integrity; report the first broken link. Opens the file read-only: never changes it.
    Verify {
        /// The ledger file (default: the kiosk's).
        #[arg(long, value_name = "FILE")]
        db: Option<PathBuf>,
    },
    /// Retention: remove entries recorded before a day, only those the platform accepted.
    Prune {
        /// Entries of earlier days may go.
        #[arg(long, value_name = "YYYY-MM-DD")]
        before: Date,
        /// The ledger file (default: the kiosk's).
        #[arg(long, value_name = "FILE")]
        db: Option<PathBuf>,
    },
}

/// Arguments of `guichet report`.
#[derive(clap::Args, Debug)]
#[command(after_help = "Exit status: 0 on success, 2 on a usage error or an unreadable ledger.")]
pub struct ReportArgs {
    /// The (first) day, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD")]
    day: Date,
    /// The last day of a range (inclusive); default: the same day.
    #[arg(long, value_name = "YYYY-MM-DD")]
    to: Option<Date>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Language of headers and labels.
    #[arg(long, value_parser = crate::cli::lang_parser(), default_value = "fr")]
    lang: Lang,
    /// Only this mediator.
    #[arg(long)]
    mediator: Option<String>,
    /// Only this area (1.1 … 3.5).
    #[arg(long)]
    area: Option<guichet_core::Area>,
    /// Only this provider id.
    #[arg(long)]
    provider: Option<u32>,
    /// Only entries in this sync state.
    #[arg(long, value_enum)]
    sync_state: Option<SyncState>,
    /// The ledger file (default: the kiosk's).
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
}

/// Opens an existing ledger: these commands never create one.
fn open_existing(db: Option<PathBuf>) -> Result<Ledger, String> {
    let path = db.unwrap_or_else(default_ledger_path);
    if !path.exists() {
        return Err(format!("no ledger at {}", path.display()));
    }
    Ledger::open(&path, LedgerSettings::default()).map_err(|e| e.to_string())
}

fn fail(message: String) -> ExitCode {
    eprintln!("guichet: {message}");
    ExitCode::from(2)
}

/// Runs `guichet ledger …`.
pub fn run_ledger(args: LedgerArgs) -> ExitCode {
    match args.command {
        LedgerCommand::Verify { db } => verify(db),
        LedgerCommand::Prune { before, db } => prune(db, before),
    }
}

/// `guichet ledger verify`. Exit status: 0 intact, 1 broken, 2 unreadable.
///
/// The file is opened read-only (no journal-mode switch, no migration): checking a ledger,
/// perhaps a copy kept as evidence, never changes it.
fn verify(db: Option<PathBuf>) -> ExitCode {
    let path = db.unwrap_or_else(default_ledger_path);
    if !path.exists() {
        return fail(format!("no ledger at {}", path.display()));
    }
    match check_ledger(&path) {
        Err(error) => fail(error.to_string()),
        Ok(LedgerCheck::ChainBroken {
            good_entries,
            problem,
        }) => {
            println!("BROKEN after {good_entries} good entries: {problem}");
            ExitCode::from(1)
        }
        Ok(LedgerCheck::TablesDisagree {
            entries,
            mismatches,
        }) => {
            println!(
                "BROKEN: {entries} entries, hash chain intact, but the tables derived from it disagree:"
            );
            for mismatch in &mismatches {
                println!("  {mismatch}");
            }
            ExitCode::from(1)
        }
        Ok(LedgerCheck::Damaged(error)) => {
            println!("BROKEN: {error}");
            ExitCode::from(1)
        }
        Ok(LedgerCheck::Intact {
            entries,
            pruned_active,
        }) => {
            let pruned = if pruned_active > 0 {
                format!(" ({pruned_active} of pruned redemptions, not checkable)")
            } else {
                String::new()
            };
            let signatures = match guichet_kiosk::ledger_check::check_signatures(&path, &data_dir())
            {
                Ok(Some(report)) if !report.bad.is_empty() => {
                    println!(
                            "BROKEN: {entries} entries, hash chain intact, but entries {:?} are not signed by this kiosk's device key",
                            report.bad
                        );
                    return ExitCode::from(1);
                }
                Ok(Some(report)) => format!(
                    ", {} signed by this kiosk's device key, {} unsigned",
                    report.signed, report.unsigned
                ),
                Ok(None) => ", signatures not checked (no device key here)".to_string(),
                Err(error) => return fail(error.to_string()),
            };
            println!(
                "OK: {entries} entries, hash chain intact, active_coupons and outbox agree with it{pruned}, integrity_check ok{signatures}"
            );
            ExitCode::SUCCESS
        }
    }
}

/// `guichet ledger prune`.
fn prune(db: Option<PathBuf>, before: Date) -> ExitCode {
    let mut ledger = match open_existing(db) {
        Ok(ledger) => ledger,
        Err(message) => return fail(message),
    };
    match ledger.prune_accepted(before) {
        Ok(removed) => {
            println!("pruned {removed} accepted entries recorded before {before}");
            ExitCode::SUCCESS
        }
        Err(error) => fail(error.to_string()),
    }
}

/// Runs `guichet report`.
pub fn run_report(args: ReportArgs) -> ExitCode {
    let ledger = match open_existing(args.db) {
        Ok(ledger) => ledger,
        Err(message) => return fail(message),
    };
    let to = args.to.unwrap_or(args.day);
    if to < args.day {
        return fail(format!("--to {to} is before --day {}", args.day));
    }
    let filters = Filters {
        mediator: args.mediator,
        area: args.area.map(|a| a.code().to_string()),
        provider: args.provider,
        sync_state: args.sync_state,
    };
    let review = match ledger.review(args.day, to, &filters) {
        Ok(review) => review,
        Err(error) => return fail(error.to_string()),
    };
    print!("{}", export::render(&review, args.format, args.lang));
    ExitCode::SUCCESS
}
