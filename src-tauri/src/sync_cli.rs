//! `guichet enroll` and `guichet sync`: the sync client from the command line.

use std::process::ExitCode;

use guichet_ledger::{Ledger, LedgerSettings};
use guichet_sync::{enroll, sync_once, Identity, TrustStore};

use guichet_kiosk::Kiosk;
use jiff::Timestamp;

use crate::cli::{data_dir, default_ledger_path};
use crate::pin_cli::read_pin;

/// Arguments of `guichet enroll`.
#[derive(clap::Args, Debug)]
pub struct EnrollArgs {
    /// The platform's URL: https://…, or http:// on this machine only (127.0.0.1, localhost)
    /// [default: the configuration's `platform_url`].
    #[arg(long, value_name = "URL")]
    platform: Option<String>,
    /// The one-time enrollment code given by the platform's admin.
    #[arg(long, value_name = "CODE", required_unless_present = "ticket")]
    code: Option<String>,
    /// The platform's root fingerprint, given by the admin with the code (such as
    /// 7D2K-QH0M-4XNB-91TR): the kiosk pins the platform's root keys only if they match it.
    #[arg(long, value_name = "FINGERPRINT", required_unless_present = "ticket")]
    fingerprint: Option<String>,
    /// The code and the fingerprint in one, `CODE/FINGERPRINT`, as the admin's enrollment
    /// sheet prints it (and its QR code holds).
    #[arg(long, value_name = "TICKET", conflicts_with_all = ["code", "fingerprint"])]
    ticket: Option<String>,
    /// The CA certificate (PEM file) a self-hosted platform's TLS certificate chains to; it
    /// replaces the system's roots for this platform. Without it, the system's roots.
    #[arg(long, value_name = "FILE")]
    ca: Option<std::path::PathBuf>,
    /// A label for this kiosk, shown to admins.
    #[arg(long)]
    label: Option<String>,
    /// A file whose first line is the admin PIN chosen for this kiosk (6 to 12 digits);
    /// without it, the PIN is typed twice at the terminal. It is kept in the ledger before
    /// the platform is called, so an enrolled kiosk always has one.
    #[arg(long, value_name = "FILE")]
    admin_pin_file: Option<std::path::PathBuf>,
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("guichet: {message}");
    ExitCode::from(2)
}

/// Runs `guichet enroll`.
pub fn run_enroll(args: EnrollArgs) -> ExitCode {
    let Some(platform) = args
        .platform
        .clone()
        .or_else(|| crate::cli::config().values.platform_url.clone())
    else {
        return fail("give --platform URL, or platform_url in the configuration file");
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(message) => return fail(message),
    };
    let dir = data_dir();
    let (code, fingerprint) = match (&args.ticket, &args.code, &args.fingerprint) {
        (Some(ticket), _, _) => match guichet_sync::split_ticket(ticket) {
            Some((code, fingerprint)) => (code.to_owned(), fingerprint.to_owned()),
            None => return fail("--ticket: expected CODE/FINGERPRINT"),
        },
        (None, Some(code), Some(fingerprint)) => (code.clone(), fingerprint.clone()),
        _ => return fail("give --code and --fingerprint, or --ticket"),
    };
    let ca = match args.ca.as_deref().map(std::fs::read_to_string).transpose() {
        Ok(ca) => ca,
        Err(error) => return fail(format!("--ca: {error}")),
    };
    // A failed attempt leaves no ledger behind that it created.
    let ledger_existed = dir.join(guichet_kiosk::kiosk::LEDGER_FILE).exists();
    let prepared = read_pin(args.admin_pin_file.as_deref(), "PIN administrateur").and_then(|pin| {
        let mut kiosk = Kiosk::open(&dir).map_err(|p| p.to_string())?;
        kiosk
            .prepare_enrollment("guichet enroll", &pin, Timestamp::now())
            .map_err(|p| p.to_string())?;
        Ok(kiosk)
    });
    let mut kiosk = match prepared {
        Ok(kiosk) => kiosk,
        Err(message) => return fail(message),
    };
    let enrolled = runtime.block_on(enroll(&dir, &platform, &code, &fingerprint, ca, args.label));
    if let Err(error) = &enrolled {
        let kept = kiosk.enrollment_failed();
        drop(kiosk);
        if !ledger_existed {
            guichet_kiosk::kiosk::remove_ledger_files(&dir);
        }
        return fail(format!("{error}; {}", kept.en));
    }
    drop(kiosk);
    match enrolled {
        Ok(identity) => {
            let e = &identity.enrollment;
            println!(
                "enrolled: device {} of center {} ({}, zone {}); platform root fingerprint {}",
                e.device_id,
                e.center.id,
                e.center.name,
                e.center.zone,
                identity.root_fingerprint().unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Err(error) => fail(error),
    }
}

/// Runs `guichet sync`: one cycle, then a summary. Exit status 0 on success, 1 when the
/// platform could not be reached (retry later), 2 on a refusal or a local error.
pub fn run_sync() -> ExitCode {
    let dir = data_dir();
    let identity = match Identity::load(&dir) {
        Ok(identity) => identity,
        Err(error) => return fail(error),
    };
    let roots = match identity.root_keys() {
        Ok(roots) => roots,
        Err(error) => return fail(error),
    };
    let mut trust = match TrustStore::load(&dir, &roots) {
        Ok(trust) => trust,
        Err(error) => return fail(error),
    };
    let mut ledger = match Ledger::open(default_ledger_path(), LedgerSettings::default()) {
        Ok(ledger) => ledger,
        Err(error) => return fail(error),
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(message) => return fail(message),
    };
    let result = runtime.block_on(sync_once(&identity, &mut trust, &mut ledger));
    if let Err(error) = guichet_sync::outcome::record(&dir, result.as_ref(), Timestamp::now()) {
        eprintln!("guichet: the sync outcome could not be recorded for `guichet doctor`: {error}");
    }
    match result {
        Ok(report) => {
            println!(
                "sync: bundle {} ({}), pushed {}, state changes {}, pending {}, conflicts {}, rejected {}, held {}, unknown {}{}",
                report.bundle_sequence.map_or("none".to_string(), |s| s.to_string()),
                if report.bundle_updated { "updated" } else { "current" },
                report.pushed,
                report.state_changes,
                report.pending,
                report.conflicts,
                report.rejected,
                report.held,
                report.unknown,
                report
                    .clock_skew_seconds
                    .map_or(String::new(), |s| format!(", clock skew {s} s")),
            );
            if report.requeued_after_gap > 0 {
                println!(
                    "sync: the platform had lost {} entries of this kiosk (restored backup?); they were sent again",
                    report.requeued_after_gap
                );
            }
            if let Some(refusal) = report.bundle_refused {
                println!("sync: the offered bundle was refused: {refusal}");
            }
            if let Some(refusal) = report.freshness_refused {
                println!("sync: the platform's freshness statement was refused: {refusal}");
            }
            if report.answers_unverifiable {
                println!(
                    "sync: the trust bundle names no platform sync key, so no answer can be \
                     checked: nothing was pushed or pulled; the entries wait for a bundle that \
                     names it"
                );
            }
            ExitCode::SUCCESS
        }
        Err(error) if error.is_retryable() => {
            eprintln!("guichet: {error}; nothing is lost, the next sync retries");
            ExitCode::from(1)
        }
        Err(error) => fail(error),
    }
}
