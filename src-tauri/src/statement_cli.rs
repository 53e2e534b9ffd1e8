//! `guichet statement verify`: checks a center's signed monthly statement offline, from the
//! platform's root fingerprint alone, and with `--ledger` matches it against this kiosk's
//! ledger line by line. The checks are `guichet_protocol::statement` (`schema/statement.md`);
//! this is the edge that reads the files and prints.

use std::path::PathBuf;
use std::process::ExitCode;

use guichet_core::message::Lang;
use guichet_core::Cents;
use guichet_ledger::{Filters, Ledger, LedgerSettings};
use guichet_protocol::statement::{self, LedgerLine, VerifiedStatement};

use crate::cli::{data_dir, default_ledger_path};

/// Arguments of `guichet statement`.
#[derive(clap::Args, Debug)]
pub struct StatementArgs {
    /// What to do with a statement.
    #[command(subcommand)]
    command: StatementCommand,
}

/// Subcommands of `guichet statement`.
#[derive(clap::Subcommand, Debug)]
enum StatementCommand {
    /// Check a statement's chain (root fingerprint → bundle → sync key → signature) and its
    /// totals; with `--ledger`, match its lines against this kiosk's ledger.
    #[command(
        after_help = "Exit status: 0 if the statement is authentic (and, with --ledger, agrees \
                      with the ledger), 1 if it is refused or disagrees, 2 on a usage error or an \
                      unreadable file."
    )]
    Verify(VerifyArgs),
}

/// Arguments of `guichet statement verify`.
#[derive(clap::Args, Debug)]
struct VerifyArgs {
    /// The statement file (`guichet-platform statement --out FILE`).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The platform's root fingerprint, as the admin gave it (`XXXX-XXXX-XXXX-XXXX`).
    #[arg(long, value_name = "FINGERPRINT")]
    root_fingerprint: String,
    /// Match the statement against a kiosk ledger (default: this kiosk's).
    #[arg(long, value_name = "LEDGER", num_args = 0..=1, default_missing_value = "")]
    ledger: Option<PathBuf>,
    /// The kiosk whose lines are matched (default: this kiosk's enrolled device id).
    #[arg(long, value_name = "DEVICE", requires = "ledger")]
    device: Option<String>,
    /// Language of amounts.
    #[arg(long, value_parser = crate::cli::lang_parser(), default_value = "fr")]
    lang: Lang,
}

/// Runs `guichet statement`.
pub fn run(args: StatementArgs) -> ExitCode {
    match args.command {
        StatementCommand::Verify(args) => verify(args),
    }
}

fn verify(args: VerifyArgs) -> ExitCode {
    let bytes = match std::fs::read(&args.file) {
        Ok(bytes) => bytes,
        Err(e) => return fail(format!("cannot read {}: {e}", args.file.display())),
    };
    let verified = match statement::verify(&bytes, &args.root_fingerprint) {
        Ok(verified) => verified,
        Err(error) => {
            println!("REFUSED ({}): {error}", error.code());
            return ExitCode::from(1);
        }
    };
    print_statement(&verified, args.lang);
    let Some(ledger_path) = args.ledger else {
        return ExitCode::SUCCESS;
    };
    let ledger_path = if ledger_path.as_os_str().is_empty() {
        default_ledger_path()
    } else {
        ledger_path
    };
    let device = match args.device {
        Some(device) => device,
        None => match guichet_sync::Identity::load(&data_dir()) {
            Ok(identity) => identity.enrollment.device_id,
            Err(error) => return fail(format!("{error}; or give --device")),
        },
    };
    let lines = match ledger_lines(&ledger_path, &verified) {
        Ok(lines) => lines,
        Err(message) => return fail(message),
    };
    let found = statement::reconcile(&verified.document, &device, &lines);
    if found.is_empty() {
        println!(
            "AGREES with the ledger {}: {} redemptions of kiosk {device} in {}",
            ledger_path.display(),
            lines.len(),
            verified.document.month
        );
        return ExitCode::SUCCESS;
    }
    println!(
        "DISAGREES with the ledger {} (kiosk {device}): {} lines",
        ledger_path.display(),
        found.len()
    );
    for discrepancy in &found {
        println!("  {discrepancy}");
    }
    ExitCode::from(1)
}

/// Prints what a verified statement says.
fn print_statement(verified: &VerifiedStatement, lang: Lang) {
    let document = &verified.document;
    let replaces = document
        .replaces
        .map(|old| format!(", replaces statement {old}"))
        .unwrap_or_default();
    println!(
        "AUTHENTIC: statement {} of center {} ({}) for {}{replaces}, issued {}; signed by sync key {} listed in trust bundle {}",
        document.sequence,
        document.center.id,
        document.center.name,
        document.month,
        document.issued_at,
        verified.signer,
        verified.bundle_sequence
    );
    for total in &document.totals.providers {
        println!(
            "  provider {} ({}): {} coupons, {}",
            total.provider,
            total.provider_name,
            total.coupons,
            Cents(total.cents).text(lang)
        );
    }
    println!(
        "  total: {} coupons, {}",
        document.totals.coupons,
        Cents(document.totals.cents).text(lang)
    );
}

/// The ledger's active redemptions of the statement's month.
fn ledger_lines(path: &PathBuf, verified: &VerifiedStatement) -> Result<Vec<LedgerLine>, String> {
    if !path.is_file() {
        return Err(format!("no ledger at {}", path.display()));
    }
    let ledger =
        Ledger::open_read_only(path, LedgerSettings::default()).map_err(|e| e.to_string())?;
    let first = verified.document.first_day().map_err(|e| e.to_string())?;
    let review = ledger
        .review(first, first.last_of_month(), &Filters::default())
        .map_err(|e| e.to_string())?;
    review
        .lines
        .into_iter()
        .filter(|line| line.cancelled.is_none())
        .map(|line| {
            Ok(LedgerLine {
                kid: line
                    .kid
                    .parse()
                    .map_err(|e| format!("ledger entry {}: {e}", line.id))?,
                entry: line.id,
                day: line.local_day,
                serial: line.serial,
                value_cents: u64::from(line.value_cents),
                provider: line.provider,
            })
        })
        .collect()
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("guichet statement: {message}");
    ExitCode::from(2)
}
