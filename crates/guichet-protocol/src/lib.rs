//! Sync protocol between kiosk and platform: wire types and request signing (pure).
//!
//! The protocol is described in `schema/sync-api.md`. This crate holds what both sides must
//! agree on, and nothing else:
//! - [`paths`]: the endpoints and the limits;
//! - [`wire`]: the JSON bodies (serde types);
//! - [`hash`]: the 32-byte ledger chain hashes, carried as hex;
//! - [`entry_signature`]: the device's signature of each ledger entry, made when recorded;
//! - [`signing`]: the canonical request string, and signing and checking it with the device's
//!   Ed25519 key;
//! - [`error`]: the refusal codes, their HTTP status, and the JSON error body;
//! - [`answer`]: the platform's signature of its answers (sync key), checked by kiosks;
//! - [`fingerprint`]: the root fingerprint an admin hands out with an enrollment code;
//! - [`cause`]: why a redemption is rejected or held, with French and English messages;
//! - [`limits`]: the field limits both sides enforce;
//! - [`seal`]: the enrollment sealed to the platform's sync key.
//! - [`statement`]: a center's monthly statement, signed by the sync key, checked offline.
//!
//! Nothing here reads the clock, a random source, a file or the network: callers pass the
//! time and the nonce in.

pub mod answer;
pub mod cause;
pub mod entry_signature;
pub mod error;
pub mod fingerprint;
pub mod hash;
pub mod limits;
pub mod paths;
pub mod seal;
pub mod signing;
pub mod statement;
pub mod wire;

pub use cause::{Cause, CauseCode};
pub use error::{ErrorBody, ErrorCode};
pub use hash::ChainHash;
pub use signing::{AuthHeaders, RequestToSign, SigningError};
pub use wire::*;
