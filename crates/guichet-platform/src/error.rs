//! The platform's errors.

use guichet_protocol::{ErrorBody, ErrorCode};

/// What went wrong: a refusal under the protocol, a bad admin input, or a failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request refused with a protocol error code.
    #[error("{}: {}", serde_json::to_value(.0.error).unwrap_or_default(), .0.message)]
    Refused(ErrorBody),
    /// An admin command's input is invalid (unknown provider, bad file, …).
    #[error("{0}")]
    Invalid(String),
    /// The database failed.
    #[error("storage error: {0}")]
    Storage(String),
    /// A file could not be read or written.
    #[error("{0}")]
    Io(String),
}

impl Error {
    /// A refusal with this code and message.
    pub fn refused(code: ErrorCode, message: impl Into<String>) -> Error {
        Error::Refused(ErrorBody::new(code, message))
    }

    /// The body of the HTTP answer for this error (failures become `INTERNAL`).
    pub fn body(&self) -> ErrorBody {
        match self {
            Error::Refused(body) => body.clone(),
            Error::Invalid(message) => ErrorBody::new(ErrorCode::MalformedBody, message.clone()),
            Error::Storage(_) | Error::Io(_) => {
                ErrorBody::new(ErrorCode::Internal, "the platform failed; retry later")
            }
        }
    }
}

impl From<guichet_signer::Error> for Error {
    fn from(e: guichet_signer::Error) -> Error {
        match e {
            guichet_signer::Error::Invalid(message) => Error::Invalid(message),
            guichet_signer::Error::Io(message) => Error::Io(message),
        }
    }
}

/// Wraps an I/O error with what was being done.
pub fn io(what: impl std::fmt::Display) -> impl FnOnce(std::io::Error) -> Error {
    move |e| Error::Io(format!("{what}: {e}"))
}
