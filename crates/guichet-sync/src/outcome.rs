//! The outcome of the last sync cycles, kept in `sync-status.json` (mode 0600) in the data
//! directory by whoever runs a cycle (the app's runner, `guichet sync`), so that
//! `guichet doctor` can tell a sync that keeps failing from one that works.

use std::path::Path;

use guichet_protocol::ErrorCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::client::ClientError;
use crate::cycle::{CycleError, CycleReport};
use crate::files::write_atomically;

/// The file, in the data directory.
pub const OUTCOME_FILE: &str = "sync-status.json";

/// How a cycle ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// Everything went through, with signed answers.
    Ok,
    /// The platform could not be reached or failed (network, 5xx): retried with backoff.
    Unreachable,
    /// An answer was not signed by a sync key of the bundle in force, or not understood.
    NotBelieved,
    /// The bundle in force names no sync key: nothing was pushed or pulled.
    NoSyncKey,
    /// An admin disabled this device on the platform.
    Disabled,
    /// The platform refused (a chain gap it could not repair, a malformed entry…).
    Refused,
    /// The kiosk's own data stopped the cycle (ledger, identity, an unsendable entry).
    Local,
}

impl OutcomeKind {
    /// Whether the cycle succeeded.
    pub fn is_ok(self) -> bool {
        self == OutcomeKind::Ok
    }

    /// Whether it may recover by itself (else a person must act).
    pub fn may_recover(self) -> bool {
        matches!(
            self,
            OutcomeKind::Ok | OutcomeKind::Unreachable | OutcomeKind::NotBelieved
        )
    }

    /// How a cycle's result is classed.
    pub fn of(result: Result<&CycleReport, &CycleError>) -> OutcomeKind {
        match result {
            Ok(report) if report.answers_unverifiable => OutcomeKind::NoSyncKey,
            Ok(_) => OutcomeKind::Ok,
            Err(CycleError::Platform(error)) => match error {
                ClientError::Network(_) | ClientError::Server { .. } => OutcomeKind::Unreachable,
                ClientError::Unverified(_) | ClientError::BadAnswer(_) => OutcomeKind::NotBelieved,
                ClientError::Refused(body) if body.error == ErrorCode::DeviceDisabled => {
                    OutcomeKind::Disabled
                }
                ClientError::Refused(_) => OutcomeKind::Refused,
                ClientError::BadUrl(_) | ClientError::InsecureUrl(_) | ClientError::BadCa(_) => {
                    OutcomeKind::Local
                }
            },
            Err(_) => OutcomeKind::Local,
        }
    }
}

/// What `sync-status.json` holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncOutcome {
    /// When the last cycle ended.
    pub at: Timestamp,
    /// How it ended.
    pub kind: OutcomeKind,
    /// Its error, in words (none when it succeeded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Failed cycles in a row, the last one included (0 after a success).
    pub failures_in_a_row: u32,
    /// When the current run of failures began.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<Timestamp>,
    /// When a cycle last succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success: Option<Timestamp>,
}

/// Reads `sync-status.json`: `None` when no cycle was recorded yet (or the file is unreadable:
/// the next cycle writes it again).
pub fn load(data_dir: &Path) -> Option<SyncOutcome> {
    let bytes = std::fs::read(data_dir.join(OUTCOME_FILE)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Records a cycle's result at `now` after the previous ones, and returns what was written.
pub fn record(
    data_dir: &Path,
    result: Result<&CycleReport, &CycleError>,
    now: Timestamp,
) -> std::io::Result<SyncOutcome> {
    let previous = load(data_dir);
    let kind = OutcomeKind::of(result);
    let outcome = if kind.is_ok() {
        SyncOutcome {
            at: now,
            kind,
            error: None,
            failures_in_a_row: 0,
            failing_since: None,
            last_success: Some(now),
        }
    } else {
        let (failures, since) = match &previous {
            Some(p) if !p.kind.is_ok() => (p.failures_in_a_row, p.failing_since),
            _ => (0, None),
        };
        SyncOutcome {
            at: now,
            kind,
            error: Some(match result {
                Err(error) => error.to_string(),
                Ok(_) => {
                    "the trust bundle in force names no sync key: nothing was pushed or pulled"
                        .to_owned()
                }
            }),
            failures_in_a_row: failures.saturating_add(1),
            failing_since: since.or(Some(now)),
            last_success: previous.and_then(|p| p.last_success),
        }
    };
    let json = serde_json::to_vec_pretty(&outcome).map_err(std::io::Error::other)?;
    write_atomically(&data_dir.join(OUTCOME_FILE), &json, true)?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use guichet_protocol::ErrorBody;

    use super::*;

    #[test]
    fn failures_in_a_row_are_counted_from_the_first_and_a_success_resets_them() {
        let dir = tempfile::tempdir().unwrap();
        let t = |s: &str| -> Timestamp { s.parse().unwrap() };
        let ok = CycleReport::default();
        record(dir.path(), Ok(&ok), t("2026-11-23T09:00:00Z")).unwrap();
        let disabled = CycleError::Platform(ClientError::Refused(ErrorBody::new(
            ErrorCode::DeviceDisabled,
            "disabled",
        )));
        record(dir.path(), Err(&disabled), t("2026-11-23T09:01:00Z")).unwrap();
        let second = record(dir.path(), Err(&disabled), t("2026-11-23T09:02:00Z")).unwrap();
        assert_eq!(second.kind, OutcomeKind::Disabled);
        assert!(!second.kind.may_recover());
        assert_eq!(second.failures_in_a_row, 2);
        assert_eq!(second.failing_since, Some(t("2026-11-23T09:01:00Z")));
        assert_eq!(second.last_success, Some(t("2026-11-23T09:00:00Z")));
        assert_eq!(load(dir.path()), Some(second));
        let mode = std::fs::metadata(dir.path().join(OUTCOME_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);

        let unverifiable = CycleReport {
            answers_unverifiable: true,
            ..CycleReport::default()
        };
        let third = record(dir.path(), Ok(&unverifiable), t("2026-11-23T09:03:00Z")).unwrap();
        assert_eq!(third.kind, OutcomeKind::NoSyncKey);
        assert_eq!(third.failures_in_a_row, 3);
        let back = record(dir.path(), Ok(&ok), t("2026-11-23T09:04:00Z")).unwrap();
        assert_eq!(back.failures_in_a_row, 0);
        assert_eq!(back.failing_since, None);
    }
}
