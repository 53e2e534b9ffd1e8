//! Minting on the platform: the booklets recorded in the database (numbers and serials
//! allocated) and the order the offline signer prints (`guichet-signer print`); the printing
//! itself is the signer's ([`guichet_signer::print`]).

use std::path::Path;

use jiff::Timestamp;

pub use guichet_signer::print::{
    euros, print, qr_code, write_png, MintOrder, MintOutput, MintedCoupon, OrderedBooklet,
};

use crate::acting::Acting;
use crate::error::Error;
use crate::store::{BookletRecord, MintRequest, Store};

/// Records the booklets of `request` (the platform's part of minting) and answers the order
/// the signer signs and prints.
///
/// The audit entry (`booklets.mint`: the booklets' numbers and what they are worth) is written
/// with the booklets, when `by` is given.
pub async fn order(
    store: &Store,
    request: &MintRequest,
    provider_name: &str,
    now: Timestamp,
    by: Option<&Acting>,
) -> Result<MintOrder, Error> {
    let audit = |booklets: &[BookletRecord]| {
        let (first, last) = (booklets.first()?.number, booklets.last()?.number);
        by.map(|by| {
            by.audit(
                "booklets.mint",
                &format!("booklets:{first}-{last}"),
                Some(serde_json::json!({
                    "first": first,
                    "last": last,
                    "coupons_per_booklet": request.coupons_per_booklet,
                    "value_cents": request.value_cents,
                    "provider": request.provider,
                    "issued_on": request.issued_on.to_string(),
                    "valid_until": request.valid_until.to_string(),
                    "zone": request.zone,
                    "scope": request.scope.0,
                })),
                now,
            )
        })
    };
    let booklets = store.record_mint_with(request, now, audit).await?;
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
/// `booklets-FIRST-LAST.pdf` and one PNG per coupon into `out_dir`; audited as [`order`].
pub async fn mint(
    store: &Store,
    request: &MintRequest,
    provider_name: &str,
    out_dir: &Path,
    issuer_key: impl Fn(guichet_core::Kid) -> Result<ed25519_dalek::SigningKey, guichet_signer::Error>,
    now: Timestamp,
    by: Option<&Acting>,
) -> Result<MintOutput, Error> {
    Ok(print(
        &order(store, request, provider_name, now, by).await?,
        issuer_key,
        out_dir,
    )?)
}
