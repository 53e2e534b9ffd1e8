//! The sync loop the app runs in the background, and the state it shows in the status bar.
//!
//! It owns its own connection to the ledger file (SQLite serialises it with the counter's),
//! so a slow or dead network never holds the counter up. It syncs every `interval`, at once
//! when asked ([`SyncRunner::sync_now`]), and after a failure waits with [`Backoff`]. Each
//! cycle's outcome is recorded in the data directory (`outcome`), where `guichet doctor`
//! reads it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use guichet_ledger::{Ledger, LedgerSettings};
use jiff::Timestamp;
use serde::Serialize;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::backoff::{random_unit, Backoff};
use crate::cycle::{sync_once, CycleError};
use crate::identity::Identity;
use crate::problem::SyncProblem;
use crate::trust::TrustStore;

/// What the status bar shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Connection {
    /// Not enrolled with a platform yet.
    #[default]
    NotEnrolled,
    /// A cycle is running.
    Syncing,
    /// The last cycle succeeded.
    UpToDate,
    /// The platform could not be reached; retrying with backoff.
    Offline,
    /// The platform refused (or a local error); retried at the normal interval.
    Error,
}

/// The sync state, always visible at the counter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    /// Online, offline, syncing…
    pub connection: Connection,
    /// When a cycle last succeeded.
    pub last_success: Option<Timestamp>,
    /// The last error, in words (English, for the logs and the English administration).
    pub last_error: Option<String>,
    /// The last error as a code the window translates.
    pub problem: Option<SyncProblem>,
    /// Entries still to deliver.
    pub pending: u64,
    /// Entries in conflict.
    pub conflicts: u64,
    /// Entries a person must look at: in conflict, rejected or held.
    pub attention: u64,
    /// The bundle sequence in force.
    pub bundle_sequence: Option<u64>,
    /// Platform clock minus the kiosk's, seconds.
    pub clock_skew_seconds: Option<i64>,
}

/// How often and how patiently to sync.
#[derive(Clone, Copy, Debug)]
pub struct RunnerSettings {
    /// Between successful cycles.
    pub interval: Duration,
    /// First retry delay after a failure.
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
}

impl Default for RunnerSettings {
    fn default() -> Self {
        RunnerSettings {
            interval: Duration::from_secs(60),
            backoff_base: Duration::from_secs(2),
            backoff_max: Duration::from_secs(300),
        }
    }
}

/// The background sync task.
#[derive(Debug)]
pub struct SyncRunner {
    status: watch::Receiver<SyncStatus>,
    wake: Arc<Notify>,
    task: JoinHandle<()>,
}

impl SyncRunner {
    /// Starts the loop on the current tokio runtime.
    pub fn spawn(data_dir: PathBuf, ledger_path: PathBuf, settings: RunnerSettings) -> SyncRunner {
        let (sender, status) = watch::channel(SyncStatus::default());
        let wake = Arc::new(Notify::new());
        let task = tokio::spawn(run(
            data_dir,
            ledger_path,
            settings,
            sender,
            Arc::clone(&wake),
        ));
        SyncRunner { status, wake, task }
    }

    /// The latest status.
    pub fn status(&self) -> SyncStatus {
        self.status.borrow().clone()
    }

    /// A receiver that sees every status change.
    pub fn watch(&self) -> watch::Receiver<SyncStatus> {
        self.status.clone()
    }

    /// Starts a cycle now rather than at the next tick.
    pub fn sync_now(&self) {
        self.wake.notify_one();
    }

    /// Stops the loop.
    pub fn stop(self) {
        self.task.abort();
    }
}

async fn run(
    data_dir: PathBuf,
    ledger_path: PathBuf,
    settings: RunnerSettings,
    sender: watch::Sender<SyncStatus>,
    wake: Arc<Notify>,
) {
    let mut backoff = Backoff::new(settings.backoff_base, settings.backoff_max);
    let mut status = SyncStatus::default();
    loop {
        let wait = match cycle_off_the_workers(&data_dir, &ledger_path, &mut status, &sender).await
        {
            Ok(()) => {
                backoff.reset();
                settings.interval
            }
            Err(retry_soon) if retry_soon => backoff.after_failure(random_unit()),
            Err(_) => settings.interval,
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = wake.notified() => {}
        }
    }
}

/// Runs [`cycle`] on a thread of the blocking pool: its SQLite work, fsyncs, file lock and
/// trust-store reads block that thread, never a runtime worker that serves the window's
/// commands. A cycle that panics counts as a failure worth retrying.
async fn cycle_off_the_workers(
    data_dir: &std::path::Path,
    ledger_path: &std::path::Path,
    status: &mut SyncStatus,
    sender: &watch::Sender<SyncStatus>,
) -> Result<(), bool> {
    let (data_dir, ledger_path, sender) = (
        data_dir.to_path_buf(),
        ledger_path.to_path_buf(),
        sender.clone(),
    );
    let mut cycle_status = status.clone();
    let runtime = tokio::runtime::Handle::current();
    let joined = tokio::task::spawn_blocking(move || {
        let result = runtime.block_on(cycle(&data_dir, &ledger_path, &mut cycle_status, &sender));
        (result, cycle_status)
    })
    .await;
    match joined {
        Ok((result, cycle_status)) => {
            *status = cycle_status;
            result
        }
        Err(_) => Err(true),
    }
}

/// One cycle with its status updates; `Err(true)` when a retry with backoff may help.
async fn cycle(
    data_dir: &std::path::Path,
    ledger_path: &std::path::Path,
    status: &mut SyncStatus,
    sender: &watch::Sender<SyncStatus>,
) -> Result<(), bool> {
    let identity = match Identity::load(data_dir) {
        Ok(identity) => identity,
        Err(error) => {
            status.connection = Connection::NotEnrolled;
            status.last_error = Some(error.to_string());
            status.problem = Some(SyncProblem::of_identity(&error));
            sender.send_replace(status.clone());
            return Err(false);
        }
    };
    status.connection = Connection::Syncing;
    sender.send_replace(status.clone());
    let result = async {
        let roots = identity.root_keys()?;
        let mut trust = TrustStore::load(data_dir, &roots)
            .map_err(|e| CycleError::Identity(crate::identity::IdentityError::Bundle(e)))?;
        let mut ledger = Ledger::open(ledger_path, LedgerSettings::default())?;
        sync_once(&identity, &mut trust, &mut ledger).await
    }
    .await;
    // For `guichet doctor`: a sync that keeps failing is a problem a person must see.
    if let Err(error) = crate::outcome::record(data_dir, result.as_ref(), Timestamp::now()) {
        tracing::warn!("the sync outcome could not be recorded: {error}");
    }
    let outcome = match result {
        Ok(report) => {
            status.connection = Connection::UpToDate;
            status.last_success = Some(Timestamp::now());
            status.last_error = None;
            status.problem = None;
            status.pending = report.pending;
            status.conflicts = report.conflicts;
            status.attention = report.conflicts + report.rejected + report.held;
            status.bundle_sequence = report.bundle_sequence;
            status.clock_skew_seconds = report.clock_skew_seconds;
            Ok(())
        }
        Err(error) => {
            let retryable = error.is_retryable();
            status.connection = if retryable {
                Connection::Offline
            } else {
                Connection::Error
            };
            status.last_error = Some(error.to_string());
            status.problem = Some(SyncProblem::of(&error));
            if let Ok(ledger) = Ledger::open(ledger_path, LedgerSettings::default()) {
                if let Ok(counts) = ledger.sync_counts() {
                    status.pending = counts.to_deliver();
                    status.conflicts = counts.conflict;
                    status.attention = counts.needing_attention();
                }
            }
            Err(retryable)
        }
    };
    sender.send_replace(status.clone());
    outcome
}
