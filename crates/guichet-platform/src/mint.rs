//! Minting on the platform: the booklets recorded in the database (numbers and serials
//! allocated) and the order the offline signer prints (`guichet-signer print`); the printing
//! itself is the signer's ([`guichet_signer::print`]).

use std::path::Path;

use jiff::Timestamp;

pub use guichet_signer::print::{
    euros, print, qr_code, write_png, MintOrder, MintOutput, MintedCoupon, OrderedBooklet,
};

use crate::error::Error;
use crate::store::{MintRequest, Store};

/// Records the booklets of `request` (the platform's part of minting) and answers the order
/// the signer signs and prints.
pub async fn order(
    store: &Store,
    request: &MintRequest,
    provider_name: &str,
    now: Timestamp,
) -> Result<MintOrder, Error> {
    let booklets = store.record_mint(request, now).await?;
    Ok(MintOrder {
        provider_name: provider_name.to_owned(),
        provider: request.provider,
        value_cents: request.value_cents,
        issued_on: request.issued_on,
        valid_until: request.valid_until,
        scope: request.scope.0,
        zone: request.zone,
        booklets: booklets
            .into_iter()
            .map(|b| OrderedBooklet {
                number: b.number,
                kid: b.kid,
                first_serial: b.first_serial,
                coupons: b.coupons,
            })
            .collect(),
    })
}

/// Mints booklets: records them, signs their coupons with the provider's active issuer key
/// (its private half from `issuer_key`: the signer directory), writes
/// `booklets-FIRST-LAST.pdf` and one PNG per coupon into `out_dir`.
pub async fn mint(
    store: &Store,
    request: &MintRequest,
    provider_name: &str,
    out_dir: &Path,
    issuer_key: impl Fn(guichet_core::Kid) -> Result<ed25519_dalek::SigningKey, guichet_signer::Error>,
    now: Timestamp,
) -> Result<MintOutput, Error> {
    Ok(print(
        &order(store, request, provider_name, now).await?,
        issuer_key,
        out_dir,
    )?)
}
