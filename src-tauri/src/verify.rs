//! `guichet verify`: checks voucher codes offline against a trust bundle file.
//!
//! A thin edge over `guichet_core::verify`: it parses the arguments, reads the bundle and the
//! codes, and prints one line per code. No ledger is consulted, so it never says
//! `ALREADY_REDEEMED`.

use std::ffi::OsString;
use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use ed25519_dalek::VerifyingKey;
use guichet_core::message::{message, Lang, Report};
use guichet_core::{verify_offline, Area, Context, TrustBundle, Verdict};
use jiff::civil::Date;

/// Arguments of `guichet verify`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit status: 0 if every code is OK, 1 if any is not, 2 on a usage error \
                        or a trust bundle that does not verify."
)]
pub struct VerifyArgs {
    /// The signed trust bundle file.
    #[arg(long, value_name = "FILE")]
    bundle: PathBuf,
    /// A pinned platform root public key, 64 hex digits (repeat for several).
    #[arg(long = "root-key", value_name = "HEX", required = true, value_parser = parse_root_key)]
    root_keys: Vec<VerifyingKey>,
    /// The day to check on (default: today in Europe/Paris).
    #[arg(long, value_name = "YYYY-MM-DD")]
    today: Option<Date>,
    /// The workshop's area (1.1 … 3.5); without it the area check is skipped.
    #[arg(long, value_name = "AREA")]
    area: Option<Area>,
    /// The center's zone id (0 = unknown: the zone check is skipped).
    #[arg(long, value_name = "N", default_value_t = 0)]
    zone: u32,
    /// One JSON object per line instead of text.
    #[arg(long)]
    json: bool,
    /// Language of the text output.
    #[arg(long, value_parser = crate::cli::lang_parser(), default_value = "fr")]
    lang: Lang,
    /// The codes to check; `-` reads one code per line from standard input.
    #[arg(value_name = "CODE", required = true, value_parser = clap::value_parser!(OsString))]
    codes: Vec<OsString>,
}

fn parse_root_key(text: &str) -> Result<VerifyingKey, String> {
    let mut bytes = [0; 32];
    hex::decode_to_slice(text, &mut bytes)
        .map_err(|_| "a root key is 64 hex digits (32 bytes)".to_owned())?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| "not an Ed25519 public key".to_owned())
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("guichet verify: {message}");
    ExitCode::from(2)
}

/// Runs `guichet verify`.
pub fn run(args: VerifyArgs) -> ExitCode {
    let bytes = match std::fs::read(&args.bundle) {
        Ok(bytes) => bytes,
        Err(error) => return fail(format!("cannot read {}: {error}", args.bundle.display())),
    };
    let bundle = match TrustBundle::open(&bytes, &args.root_keys) {
        Ok(bundle) => bundle,
        Err(error) => return fail(format!("{} refused: {error}", args.bundle.display())),
    };
    let today = args
        .today
        .unwrap_or_else(|| guichet_core::day::paris_day(jiff::Timestamp::now()));
    let context = Context {
        bundle: &bundle,
        today,
        area: args.area,
        center_zone: args.zone,
    };
    let lang = args.lang;
    let mut printer = Printer {
        out: io::stdout().lock(),
        json: args.json,
        lang,
        bundle: &bundle,
        all_ok: true,
    };
    for code in &args.codes {
        let result = if code == "-" {
            check_lines(io::stdin().lock(), &context, &mut printer)
        } else {
            printer.print(&verify_offline(code.as_encoded_bytes(), &context))
        };
        match result {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => break,
            Err(error) => return fail(format!("cannot read or write: {error}")),
        }
    }
    if printer.all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Checks one code per line; blank lines are skipped. Lines are bytes, so input that is not
/// UTF-8 still gets a verdict (`MALFORMED`).
fn check_lines(
    input: impl BufRead,
    context: &Context<'_>,
    printer: &mut Printer<'_, impl Write>,
) -> io::Result<()> {
    for line in input.split(b'\n') {
        let line = line?;
        if guichet_core::code::trim(&line).is_empty() {
            continue;
        }
        printer.print(&verify_offline(&line, context))?;
    }
    Ok(())
}

/// Prints verdicts and remembers whether all were OK.
struct Printer<'a, W> {
    out: W,
    json: bool,
    lang: Lang,
    bundle: &'a TrustBundle,
    all_ok: bool,
}

impl<W: Write> Printer<'_, W> {
    fn print(&mut self, verdict: &Verdict) -> io::Result<()> {
        self.all_ok &= verdict.is_ok();
        if self.json {
            let report = Report::new(verdict, self.bundle);
            serde_json::to_writer(&mut self.out, &report)?;
            writeln!(self.out)
        } else {
            let coupon = verdict
                .coupon
                .map_or_else(|| "-".to_owned(), |c| format!("{}:{}", c.kid, c.serial));
            let text = message(verdict, self.lang);
            writeln!(self.out, "{:<16} {coupon:<28} {text}", verdict.code())
        }
    }
}
