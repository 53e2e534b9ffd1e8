//! Why the last sync cycle failed, as a code the window translates (`ui/i18n`:
//! `syncProblem.<code>`), so that no English sentence built here reaches a French screen
//! (issue 26). The error's own text stays in the logs and in [`crate::SyncStatus::last_error`].

use guichet_protocol::ErrorCode;
use serde::Serialize;

use crate::client::ClientError;
use crate::cycle::CycleError;
use crate::identity::IdentityError;

/// Why the last cycle failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncProblem {
    /// The kiosk is not enrolled yet (no `device.json`).
    NotEnrolled,
    /// No answer: offline, connection refused, timeout, an answer cut short.
    Unreachable,
    /// The platform failed (HTTP 5xx).
    PlatformFailed,
    /// The platform's administrators disabled this kiosk.
    DeviceDisabled,
    /// The platform refused a request, for another reason.
    Refused,
    /// An answer that is not what the protocol says, or not signed by a sync key of the
    /// kiosk's bundle: nothing of it was recorded.
    NotBelieved,
    /// The platform's address or its pinned certificate is unusable.
    PlatformSettings,
    /// The kiosk's enrollment files are unreadable or damaged.
    Identity,
    /// The ledger could not be read or written.
    Ledger,
    /// A ledger entry cannot be put on the wire.
    Unsendable,
}

impl SyncProblem {
    /// The problem a cycle's error is.
    pub fn of(error: &CycleError) -> SyncProblem {
        match error {
            CycleError::Platform(error) => SyncProblem::of_client(error),
            CycleError::Ledger(_) => SyncProblem::Ledger,
            CycleError::Identity(error) => SyncProblem::of_identity(error),
            CycleError::Unsendable { .. } => SyncProblem::Unsendable,
        }
    }

    /// The problem an identity error is: not enrolled, the platform's answer, or damaged files.
    pub fn of_identity(error: &IdentityError) -> SyncProblem {
        match error {
            IdentityError::NotEnrolled(_) => SyncProblem::NotEnrolled,
            IdentityError::Platform(error)
            | IdentityError::NotChecked(error)
            | IdentityError::Unfinished(error) => SyncProblem::of_client(error),
            IdentityError::Refused(body) => SyncProblem::of_refusal(body.error),
            _ => SyncProblem::Identity,
        }
    }

    fn of_client(error: &ClientError) -> SyncProblem {
        match error {
            ClientError::Network(_) => SyncProblem::Unreachable,
            ClientError::Server { .. } => SyncProblem::PlatformFailed,
            ClientError::Refused(body) => SyncProblem::of_refusal(body.error),
            ClientError::BadAnswer(_) | ClientError::Unverified(_) => SyncProblem::NotBelieved,
            ClientError::BadUrl(_) | ClientError::InsecureUrl(_) | ClientError::BadCa(_) => {
                SyncProblem::PlatformSettings
            }
        }
    }

    fn of_refusal(code: ErrorCode) -> SyncProblem {
        match code {
            ErrorCode::DeviceDisabled => SyncProblem::DeviceDisabled,
            _ => SyncProblem::Refused,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_is_named_by_its_code() {
        let network = CycleError::Platform(ClientError::Network("connection refused".into()));
        assert_eq!(SyncProblem::of(&network), SyncProblem::Unreachable);
        let not_enrolled = IdentityError::NotEnrolled("device.json".into());
        assert_eq!(
            SyncProblem::of(&CycleError::Identity(not_enrolled)),
            SyncProblem::NotEnrolled
        );
        let server = ClientError::Server {
            status: 503,
            message: String::new(),
        };
        assert_eq!(
            SyncProblem::of(&CycleError::Platform(server)),
            SyncProblem::PlatformFailed
        );
        let insecure = ClientError::InsecureUrl("http://example.org".into());
        assert_eq!(
            SyncProblem::of(&CycleError::Platform(insecure)),
            SyncProblem::PlatformSettings
        );
        let disabled = ClientError::Refused(guichet_protocol::ErrorBody::new(
            ErrorCode::DeviceDisabled,
            "this device is disabled",
        ));
        assert_eq!(
            SyncProblem::of(&CycleError::Platform(disabled)),
            SyncProblem::DeviceDisabled
        );
        // The code the window looks up in its catalogues.
        assert_eq!(
            serde_json::to_string(&SyncProblem::DeviceDisabled).unwrap(),
            "\"device_disabled\""
        );
    }
}
