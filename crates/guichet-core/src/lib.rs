//! The pure core of Guichet.
//!
//! It owns the rules every other crate relies on:
//! - [`code`]: the PN1 voucher code (`../shared/spec/voucher-code-v1.md`), decoding any bytes
//!   into a [`code::SignedCode`] or a [`code::Malformed`] cause, and encoding + signing;
//! - [`bundle`]: the signed trust bundle (issuer keys, providers, zones, referential,
//!   revocations, rules) and the rules for accepting a new one;
//! - [`verify`]: the verdict for one scanned text, in the order the spec gives.
//!
//! Nothing here reads a file, the network, the clock or a random source: callers pass
//! today's date, the ledger lookup and the bytes they read.

pub mod area;
pub mod base45;
pub mod bundle;
pub mod code;
pub mod day;
pub mod kid;
pub mod message;
pub mod money;
pub mod verify;

pub use area::{Area, Scope};
pub use bundle::{BundleError, TrustBundle};
pub use code::{Coupon, Malformed, SignedCode};
pub use kid::Kid;
pub use money::Cents;
pub use verify::{
    verify, verify_offline, Context, Outcome, PriorRedemption, RedemptionLookup, Verdict,
};
