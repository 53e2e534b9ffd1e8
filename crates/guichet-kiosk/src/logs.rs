//! The kiosk's diagnostics (`tracing`): rotating files in the data directory
//! (`logs/guichet.YYYY-MM-DD.log`, one a day, the last [`KEEP_DAYS`] kept) and, from warnings
//! up, standard error; what a person must read (a command's output) is printed, not logged.
//! `guichet doctor --bundle-logs` puts the files and the doctor's report in one zip a helper
//! can receive by email or on a USB stick.
//!
//! What was scanned is logged as the coupon's key id and serial with the verdict: never the
//! text read, so the code's signature stays out of the logs.

use std::io::Write;
use std::path::{Path, PathBuf};

use guichet_core::Verdict;
use guichet_ledger::InputMethod;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

use crate::doctor::Report;
use guichet_core::message::Lang;

/// The folder of the log files, in the data directory.
pub const LOG_DIR: &str = "logs";

/// Days of log files kept.
pub const KEEP_DAYS: usize = 14;

/// The target of events meant for the files only: the user was already told on standard
/// error in words (a start that failed), the helper reads it in the files.
pub const FILES_ONLY: &str = "guichet::files";

/// Keeps the file writer's thread; dropping it flushes what is left.
#[must_use = "the logs stop when the guard is dropped"]
pub struct LogGuard {
    _writer: Option<tracing_appender::non_blocking::WorkerGuard>,
}

/// Starts the logs: standard error, and the files in `data_dir`'s `logs/` (created for its
/// owner only) when a data directory is given. A second call, or a folder that cannot be
/// made, leaves what could be set up (standard error at least). `level` (the configuration's
/// `log`, `GUICHET_LOG`) sets both the files' (default `info`) and standard error's (default
/// `warn`).
pub fn init(data_dir: Option<&Path>, level: Option<LevelFilter>) -> LogGuard {
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_filter(level.unwrap_or(LevelFilter::WARN))
        .with_filter(tracing_subscriber::filter::filter_fn(|meta| {
            meta.target() != FILES_ONLY
        }));
    let (file, guard) = match data_dir.and_then(|dir| file_appender(dir).ok()) {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let layer = tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(false)
                .with_filter(level.unwrap_or(LevelFilter::INFO));
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init();
    LogGuard { _writer: guard }
}

fn file_appender(
    data_dir: &Path,
) -> Result<tracing_appender::rolling::RollingFileAppender, String> {
    let dir = data_dir.join(LOG_DIR);
    guichet_sync::files::create_private_dir(&dir).map_err(|e| e.to_string())?;
    tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("guichet")
        .filename_suffix("log")
        .max_log_files(KEEP_DAYS)
        .build(dir)
        .map_err(|e| e.to_string())
}

/// Logs a scan's verdict: how it was read, the verdict, the coupon (key id and serial) when
/// the text could be decoded. Never the text itself.
pub fn scanned(input: InputMethod, verdict: &Verdict) {
    match &verdict.coupon {
        Some(coupon) => tracing::info!(
            input = ?input,
            verdict = verdict.code(),
            coupon = %format_args!("{}:{}", coupon.kid, coupon.serial),
            "scanned"
        ),
        None => tracing::info!(input = ?input, verdict = verdict.code(), "scanned"),
    }
}

/// What a log bundle holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundled {
    /// The zip written.
    pub path: PathBuf,
    /// The names inside it.
    pub entries: Vec<String>,
}

/// Writes `out` (a zip, mode 0600): the doctor's report (`doctor-fr.txt`, `doctor-en.txt`,
/// `doctor.json`), `device.json` (the enrollment: platform, device, center; no key) and every
/// file of `logs/`. Never the device key, the ledger or the settings.
pub fn bundle_logs(data_dir: &Path, report: &Report, out: &Path) -> std::io::Result<Bundled> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(out)?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o600);
    let mut entries = Vec::new();
    let mut add = |name: String, bytes: &[u8]| -> std::io::Result<()> {
        zip.start_file(name.as_str(), options)
            .map_err(std::io::Error::other)?;
        zip.write_all(bytes)?;
        entries.push(name);
        Ok(())
    };
    add("doctor-fr.txt".into(), report.render(Lang::Fr).as_bytes())?;
    add("doctor-en.txt".into(), report.render(Lang::En).as_bytes())?;
    let json = serde_json::to_vec_pretty(report).map_err(std::io::Error::other)?;
    add("doctor.json".into(), &json)?;
    if let Ok(device) = std::fs::read(data_dir.join("device.json")) {
        add("device.json".into(), &device)?;
    }
    let mut logs: Vec<PathBuf> = std::fs::read_dir(data_dir.join(LOG_DIR))
        .map(|dir| dir.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    logs.sort();
    for log in logs.iter().filter(|p| p.is_file()) {
        let name = log.file_name().map(|n| n.to_string_lossy().into_owned());
        if let Some(name) = name {
            add(format!("{LOG_DIR}/{name}"), &std::fs::read(log)?)?;
        }
    }
    zip.finish().map_err(std::io::Error::other)?;
    Ok(Bundled {
        path: out.to_path_buf(),
        entries,
    })
}
