//! A center's signed monthly statement (`schema/statement.md`): what the platform recorded as
//! payable to one center for one month, signed by the platform's sync key and carrying the
//! root-signed trust bundle that lists that key, so anyone holding the root fingerprint can
//! check it offline: root → bundle → sync key → statement.
//!
//! - [`document`]: the statement's content and its totals;
//! - [`file`]: the signed file, sealing it and checking it ([`verify`]);
//! - [`reconcile`]: matching a statement against a kiosk's own ledger, line by line.

pub mod document;
pub mod file;
pub mod reconcile;

pub use document::{CenterRef, ProviderTotal, StatementDocument, StatementLine, Totals};
pub use file::{check_chain, seal, verify, StatementSeal, VerifiedStatement};
pub use reconcile::{reconcile, Discrepancy, LedgerLine};

/// Why a statement was refused, in the order a verifier checks (`schema/statement.md`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    /// Not a statement file: bad JSON, bad encoding, unknown format, too large.
    #[error("malformed statement: {0}")]
    Malformed(String),
    /// The root keys the file carries are not the ones the given fingerprint names.
    #[error("the statement's root keys have the fingerprint {carried}, not {expected}: it does not come from this platform")]
    WrongRoot {
        /// The fingerprint given to the verifier.
        expected: String,
        /// The fingerprint of the root keys the file carries.
        carried: String,
    },
    /// The trust bundle the file carries is not signed by those roots (or is malformed).
    #[error("the statement's trust bundle is refused: {0}")]
    Bundle(#[from] guichet_core::bundle::BundleError),
    /// The key that signed the statement is not a sync key the bundle lists.
    #[error("the statement is signed by key {signer}, which its trust bundle does not list as a sync key of the platform")]
    UnlistedSigner {
        /// The signer's public key, 64 hex digits.
        signer: String,
    },
    /// The signature does not verify: the statement was changed after it was signed.
    #[error("the statement's signature does not verify: its content was changed after signing")]
    BadSignature,
    /// The signed content breaks the format's rules.
    #[error("the statement's content is invalid: {0}")]
    Invalid(String),
    /// A total is not the sum of the lines.
    #[error("the statement's totals do not add up: {0}")]
    Totals(String),
}

impl StatementError {
    /// A stable name for the refusal, as the test vectors use.
    pub fn code(&self) -> &'static str {
        match self {
            StatementError::Malformed(_) => "MALFORMED",
            StatementError::WrongRoot { .. } => "WRONG_ROOT",
            StatementError::Bundle(_) => "BAD_BUNDLE",
            StatementError::UnlistedSigner { .. } => "UNLISTED_SIGNER",
            StatementError::BadSignature => "BAD_SIGNATURE",
            StatementError::Invalid(_) => "INVALID",
            StatementError::Totals(_) => "BAD_TOTALS",
        }
    }
}
