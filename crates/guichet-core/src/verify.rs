//! The verdict for one scanned text, in the order `voucher-code-v1.md` gives.

use std::convert::Infallible;

use ed25519_dalek::Signature;
use jiff::civil::{Date, DateTime};
use serde::Serialize;

use crate::area::Area;
use crate::bundle::{KeyStatus, TrustBundle};
use crate::code::{self, Coupon, Malformed};
use crate::day;
use crate::kid::Kid;

/// What the caller knows about the moment and place of the check.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The trust bundle in force.
    pub bundle: &'a TrustBundle,
    /// The kiosk's calendar day in Europe/Paris.
    pub today: Date,
    /// The workshop's area, or `None` before a workshop is chosen (the area check is skipped).
    pub area: Option<Area>,
    /// The center's zone; 0 = unknown (the zone check is skipped).
    pub center_zone: u32,
}

/// When, where and by whom a coupon was first accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PriorRedemption {
    /// Local time (Europe/Paris) of the first acceptance.
    pub redeemed_at: DateTime,
    /// The center that accepted it.
    pub center: String,
    /// The mediator who accepted it.
    pub mediator: String,
}

/// The ledger, as far as verification needs it.
pub trait RedemptionLookup {
    /// What a failed lookup reports.
    type Error;

    /// The active (not cancelled) redemption of this coupon, if any.
    fn active_redemption(
        &self,
        kid: Kid,
        serial: u64,
    ) -> Result<Option<PriorRedemption>, Self::Error>;
}

/// No ledger: a bare offline check, which never answers `ALREADY_REDEEMED`.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoLedger;

impl RedemptionLookup for NoLedger {
    type Error = Infallible;

    fn active_redemption(&self, _: Kid, _: u64) -> Result<Option<PriorRedemption>, Infallible> {
        Ok(None)
    }
}

/// Why a coupon does not fit the workshop or the center.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScopeMismatch {
    /// The coupon's scope does not include the workshop's area.
    Area {
        /// The workshop's area.
        workshop: Area,
        /// The areas the coupon allows.
        allowed: Vec<Area>,
    },
    /// The coupon is restricted to another zone.
    Zone {
        /// The coupon's zone.
        coupon_zone: u32,
        /// Its name, if the bundle lists it.
        coupon_zone_name: Option<String>,
    },
}

/// The verdict kinds, with what a mediator needs to know about each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Not a well-formed code.
    Malformed(Malformed),
    /// The kid is not in the trust bundle.
    UnknownIssuer,
    /// The signature does not verify.
    BadSignature,
    /// The issuer key is compromised.
    IssuerRevoked,
    /// Today is before the issue day.
    NotYetValid {
        /// The first day it can be used.
        valid_from: Date,
    },
    /// Today is after the last valid day plus the grace days.
    Expired {
        /// The coupon's printed last day.
        valid_until: Date,
        /// The last day of the grace period.
        grace_until: Date,
    },
    /// The coupon is on the bundle's revocation list.
    Revoked,
    /// The coupon does not fit the workshop's area or the center's zone.
    OutOfScope(ScopeMismatch),
    /// The ledger already holds an active redemption.
    AlreadyRedeemed(PriorRedemption),
    /// Accept the coupon.
    Ok,
}

/// One verdict: the outcome and, unless the code is malformed, its decoded fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The verdict and its reason.
    pub outcome: Outcome,
    /// The decoded (not necessarily authentic) fields; `None` for `MALFORMED`.
    pub coupon: Option<Coupon>,
}

impl Verdict {
    /// The verdict's name in the spec, such as `"ALREADY_REDEEMED"`.
    pub fn code(&self) -> &'static str {
        match self.outcome {
            Outcome::Malformed(_) => "MALFORMED",
            Outcome::UnknownIssuer => "UNKNOWN_ISSUER",
            Outcome::BadSignature => "BAD_SIGNATURE",
            Outcome::IssuerRevoked => "ISSUER_REVOKED",
            Outcome::NotYetValid { .. } => "NOT_YET_VALID",
            Outcome::Expired { .. } => "EXPIRED",
            Outcome::Revoked => "REVOKED",
            Outcome::OutOfScope(_) => "OUT_OF_SCOPE",
            Outcome::AlreadyRedeemed(_) => "ALREADY_REDEEMED",
            Outcome::Ok => "OK",
        }
    }

    /// Whether the coupon may be accepted.
    pub fn is_ok(&self) -> bool {
        self.outcome == Outcome::Ok
    }

    /// The `MALFORMED` cause, if any.
    pub fn malformed_cause(&self) -> Option<Malformed> {
        match self.outcome {
            Outcome::Malformed(cause) => Some(cause),
            _ => None,
        }
    }
}

/// Verifies a scanned text against the bundle, the day, the workshop and the ledger.
///
/// Only the ledger lookup can fail; every input gives a verdict.
pub fn verify<L: RedemptionLookup>(
    input: &[u8],
    context: &Context<'_>,
    ledger: &L,
) -> Result<Verdict, L::Error> {
    let signed = match code::decode(input) {
        Ok(signed) => signed,
        Err(cause) => {
            return Ok(Verdict {
                outcome: Outcome::Malformed(cause),
                coupon: None,
            })
        }
    };
    let coupon = signed.coupon;
    let verdict = |outcome| {
        Ok(Verdict {
            outcome,
            coupon: Some(coupon),
        })
    };
    let bundle = context.bundle;
    let Some(issuer) = bundle.issuer(coupon.kid) else {
        return verdict(Outcome::UnknownIssuer);
    };
    let signature = Signature::from_bytes(&signed.signature);
    if issuer
        .verifying_key
        .verify_strict(&signed.signed_message(), &signature)
        .is_err()
    {
        return verdict(Outcome::BadSignature);
    }
    if issuer.status == KeyStatus::Compromised {
        return verdict(Outcome::IssuerRevoked);
    }
    let today = day::day_number(context.today);
    if today < i64::from(coupon.issued_on) {
        return verdict(Outcome::NotYetValid {
            valid_from: day::date_of(coupon.issued_on),
        });
    }
    let grace_days = i64::from(bundle.rules().grace_days);
    if today > i64::from(coupon.valid_until) + grace_days {
        let valid_until = day::date_of(coupon.valid_until);
        let grace_until = valid_until
            .checked_add(jiff::Span::new().days(grace_days))
            .unwrap_or(jiff::civil::Date::MAX);
        return verdict(Outcome::Expired {
            valid_until,
            grace_until,
        });
    }
    if bundle.is_revoked(coupon.kid, coupon.serial) {
        return verdict(Outcome::Revoked);
    }
    if let Some(workshop) = context.area.filter(|&area| !coupon.scope.allows(area)) {
        return verdict(Outcome::OutOfScope(ScopeMismatch::Area {
            workshop,
            allowed: coupon.scope.areas(),
        }));
    }
    if coupon.zone != 0 && context.center_zone != 0 && coupon.zone != context.center_zone {
        return verdict(Outcome::OutOfScope(ScopeMismatch::Zone {
            coupon_zone: coupon.zone,
            coupon_zone_name: bundle.zone_name(coupon.zone).map(str::to_owned),
        }));
    }
    if let Some(prior) = ledger.active_redemption(coupon.kid, coupon.serial)? {
        return verdict(Outcome::AlreadyRedeemed(prior));
    }
    verdict(Outcome::Ok)
}

/// [`verify`] with no ledger: never `ALREADY_REDEEMED`.
pub fn verify_offline(input: &[u8], context: &Context<'_>) -> Verdict {
    match verify(input, context, &NoLedger) {
        Ok(verdict) => verdict,
        Err(never) => match never {},
    }
}
