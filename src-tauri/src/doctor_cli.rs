//! `guichet doctor`: the kiosk's health, one line per check, for a remote helper.

use std::process::ExitCode;

use guichet_kiosk::doctor::{examine, DeviceDirs, Setup};
use guichet_kiosk::prefs::Prefs;
use guichet_kiosk::UiLang;
use jiff::Timestamp;

use crate::cli::{config, data_dir, Language};

/// Arguments of `guichet doctor`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit status: 0 without a problem (warnings allowed), 1 with one, 2 on a usage error."
)]
pub struct DoctorArgs {
    /// Language of the lines [default: the configured language, else fr].
    #[arg(long, value_enum)]
    lang: Option<Language>,
    /// One JSON object (checks with id, level and message in French and English; counts;
    /// summary) instead of lines.
    #[arg(long)]
    json: bool,
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
    let lang = match args.lang {
        Some(Language::Fr) => UiLang::Fr,
        Some(Language::En) => UiLang::En,
        None => values.language.unwrap_or_default(),
    };
    let setup = Setup {
        data_dir: dir,
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
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => println!("{json}"),
            Err(e) => {
                eprintln!("guichet: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        print!("{}", report.render(lang));
    }
    ExitCode::from(report.exit_status())
}
