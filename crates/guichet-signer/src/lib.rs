//! The offline signer: the only holder of the platform root key and the issuer keys. It works
//! on files alone, on a machine apart (no server, no database driver, no network): it makes the
//! keys, signs the trust bundles the server drafts (showing first what each changes against
//! the last one it signed) and signs and prints the booklets of a mint order.
//!
//! The platform's server links this library for the key files and the printing code it shares
//! (its demo and single-machine `mint` path), never the other way round.

pub mod dir;
pub mod error;
pub mod keys;
pub mod print;
pub mod seal;

pub use dir::SignerDir;
pub use error::Error;
