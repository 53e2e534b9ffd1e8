//! Refusals: a stable code, its HTTP status, and the JSON body every error response carries.

use serde::{Deserialize, Serialize};

use crate::hash::ChainHash;

/// Why the platform refused a request. Serialised as `SCREAMING_SNAKE_CASE`
/// (`"REPLAYED_NONCE"`); a code this version does not know reads as [`ErrorCode::Other`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// The body is not the JSON the endpoint expects (400).
    MalformedBody,
    /// A query parameter is missing or invalid (400).
    MalformedQuery,
    /// The body is larger than [`crate::paths::MAX_BODY_BYTES`] (413).
    BodyTooLarge,
    /// The push carries more than [`crate::paths::MAX_BATCH_ENTRIES`] entries (413).
    BatchTooLarge,
    /// A signing header is missing or not in its format (401).
    MissingAuth,
    /// The timestamp is more than [`crate::signing::MAX_CLOCK_SKEW_SECS`] away from the
    /// platform's clock (401); compare with the response's `Date` header.
    StaleTimestamp,
    /// No enrolled device has this id (401). The platform answers an unknown device as
    /// [`ErrorCode::BadSignature`] (so device ids cannot be probed); kept for older platforms.
    UnknownDevice,
    /// The device was disabled by an admin (403).
    DeviceDisabled,
    /// The signature does not verify with the device's key (401).
    BadSignature,
    /// This nonce was already used by this device within the window (401).
    ReplayedNonce,
    /// The enrollment code is unknown, already used or expired (403).
    EnrollCodeInvalid,
    /// This device public key is already enrolled (409).
    DeviceKeyTaken,
    /// An entry names another device or center than the signing device's (422).
    WrongDevice,
    /// An entry's own signature is not the device's signature of its content (422): the
    /// entry was changed after the kiosk recorded it, or signed by another key.
    BadEntrySignature,
    /// The batch does not continue the device's chain as the platform has it (409);
    /// the body's `chain_head` says where the platform's copy ends.
    ChainGap,
    /// An entry id the platform already holds with different content (409).
    EntryMismatch,
    /// No trust bundle has been published yet (404).
    NoBundle,
    /// No such endpoint (404).
    NotFound,
    /// The method is not allowed on this endpoint (405).
    MethodNotAllowed,
    /// Too many requests of this kind from this client (429; enrollment attempts); retry
    /// later.
    RateLimited,
    /// The request took longer than the platform allows (408); retry later.
    RequestTimeout,
    /// The platform failed; retry later (500 or 503).
    Internal,
    /// A code this version of the protocol does not know.
    #[serde(other)]
    Other,
}

impl ErrorCode {
    /// The HTTP status the platform answers with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::MalformedBody | ErrorCode::MalformedQuery => 400,
            ErrorCode::BodyTooLarge | ErrorCode::BatchTooLarge => 413,
            ErrorCode::MissingAuth
            | ErrorCode::StaleTimestamp
            | ErrorCode::UnknownDevice
            | ErrorCode::BadSignature
            | ErrorCode::ReplayedNonce => 401,
            ErrorCode::DeviceDisabled | ErrorCode::EnrollCodeInvalid => 403,
            ErrorCode::DeviceKeyTaken | ErrorCode::ChainGap | ErrorCode::EntryMismatch => 409,
            ErrorCode::WrongDevice | ErrorCode::BadEntrySignature => 422,
            ErrorCode::NoBundle | ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::RequestTimeout => 408,
            ErrorCode::RateLimited => 429,
            ErrorCode::Internal | ErrorCode::Other => 500,
        }
    }

    /// Whether resending the same request later may succeed (a server failure), as opposed
    /// to a refusal that will not change by itself.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorCode::Internal
                | ErrorCode::Other
                | ErrorCode::RateLimited
                | ErrorCode::RequestTimeout
        )
    }
}

/// The JSON body of every error response: `{"error": CODE, "message": "..."}`, plus
/// `chain_head` on `CHAIN_GAP`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The refusal code.
    pub error: ErrorCode,
    /// A sentence for logs and admins (English).
    pub message: String,
    /// On `CHAIN_GAP`: the hash of the last entry the platform holds from this device
    /// ([`ChainHash::GENESIS`] if none); the kiosk resends from the entry after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_head: Option<ChainHash>,
}

impl ErrorBody {
    /// An error body without `chain_head`.
    pub fn new(error: ErrorCode, message: impl Into<String>) -> ErrorBody {
        ErrorBody {
            error,
            message: message.into(),
            chain_head: None,
        }
    }
}
