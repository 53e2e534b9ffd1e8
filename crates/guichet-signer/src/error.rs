//! The signer's errors.

/// What went wrong: a bad input (a file that is not what it should be, a draft it refuses),
/// or a file it could not read or write.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input is invalid.
    #[error("{0}")]
    Invalid(String),
    /// A file could not be read or written, or no random source.
    #[error("{0}")]
    Io(String),
}

/// Wraps an I/O error with what was being done.
pub fn io(what: impl std::fmt::Display) -> impl FnOnce(std::io::Error) -> Error {
    move |e| Error::Io(format!("{what}: {e}"))
}
