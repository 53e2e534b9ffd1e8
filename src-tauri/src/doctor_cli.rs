//! `guichet doctor`: the kiosk's health, one line per check, for a remote helper.

use std::io::Write;
use std::process::ExitCode;

use guichet_kiosk::doctor::{examine, DeviceDirs, Setup};
use guichet_kiosk::logs;
use guichet_kiosk::prefs::Prefs;
use guichet_kiosk::Lang;
use jiff::Timestamp;

use crate::cli::{config, data_dir};

/// Arguments of `guichet doctor`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit status: 0 without a problem (warnings allowed), 1 with one, 2 on a usage error."
)]
pub struct DoctorArgs {
    /// Language of the lines [default: the configured language, else fr].
    #[arg(long, value_parser = crate::cli::lang_parser())]
    lang: Option<Lang>,
    /// One JSON object (checks with id, level and message in French and English; counts;
    /// summary) instead of lines.
    #[arg(long)]
    json: bool,
    /// Also write a zip for a helper: the report (French, English, JSON), the enrollment
    /// (device.json, no key) and the log files of the data directory.
    #[arg(long, value_name = "FILE.zip")]
    bundle_logs: Option<std::path::PathBuf>,
}

/// Runs `guichet doctor`.
pub fn run(args: DoctorArgs) -> ExitCode {
    let dir = data_dir();
    let values = &config().values;
    // The camera the window would use: the configured one, else the saved setting.
    let camera = match &values.camera {
        Some(choice) => choice.0.clone(),
        None => Prefs::load(&dir)
            .map(|prefs| prefs.settings.camera)
            .unwrap_or_default(),
    };
    let lang = args.lang.or(values.language).unwrap_or_default();
    let setup = Setup {
        data_dir: dir.clone(),
        camera,
        devices: DeviceDirs::default(),
        now: Timestamp::now(),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("guichet: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let report = runtime.block_on(examine(&setup));
    let text = if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => json + "\n",
            Err(e) => {
                eprintln!("guichet: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        report.render(lang)
    };
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = std::io::stdout().write_all(text.as_bytes());
    if let Some(out) = &args.bundle_logs {
        match logs::bundle_logs(&dir, &report, out) {
            Ok(bundled) => eprintln!(
                "guichet: {} written ({} files: {})",
                bundled.path.display(),
                bundled.entries.len(),
                bundled.entries.join(", ")
            ),
            Err(e) => {
                eprintln!("guichet: {}: {e}", out.display());
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::from(report.exit_status())
}
