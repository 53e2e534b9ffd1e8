//! What a pushed redemption proves: the platform's own check of the code the kiosk read,
//! against the platform's data, before anything is paid (`schema/sync-api.md`, "What the
//! platform checks"). Pure: the caller gathers the facts from the database.
//!
//! Who is believed, and why:
//! - the code's fields (value, provider, dates, scope, zone) because an issuer key of the
//!   latest root-signed bundle signed them (`verify_strict`; [`crate::trust`]);
//! - the issuer keys, their status and the revocations, only from bundles signed by a
//!   platform root ([`SignedHistory`]), never from the tables a database writer could fill;
//! - the booklet, the center's zone and enrollment, the referential and the grace days
//!   because they are the platform's own records, written by its admins; for a redemption
//!   without a code the booklet's record is all there is, and an admin must vouch for it;
//! - what the kiosk declares (occurred_at, area, service, its copies of the code's fields)
//!   only where it cannot raise the amount paid: copies must equal the code's (or the
//!   booklet's), the time must fall within bounds the platform sets (else every date check
//!   uses the moment the platform received it), the area and service must fit the code and
//!   the referential.

use std::collections::HashMap;

use ed25519_dalek::{Signature, VerifyingKey};
use guichet_core::bundle::document::Referential;
use guichet_core::code;
use guichet_core::day::{date_of, day_number};
use guichet_core::{Area, Kid, Scope};
use guichet_protocol::signing::MAX_CLOCK_SKEW_SECS;
use guichet_protocol::{Cause, CauseCode, RedemptionEvent};
use jiff::{SignedDuration, Timestamp};

use crate::clock::paris_day;
use crate::trust::{Knowledge, SignedHistory};

/// A minted booklet, as recorded when it was minted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BookletFacts {
    /// Face value of each coupon, in cents.
    pub value_cents: u32,
    /// Issue day (days since 2020-01-01).
    pub issued_on: u16,
    /// Last valid day (days since 2020-01-01).
    pub valid_until: u16,
    /// The provider.
    pub provider: u32,
    /// The areas allowed.
    pub scope: u16,
    /// The zone (0 = anywhere).
    pub zone: u32,
}

/// What the platform knows that bears on one push.
pub struct Facts<'a> {
    /// The root-signed bundles published: issuer keys, their status, revocations.
    pub history: &'a SignedHistory,
    /// The booklet holding each coupon of the push, where one does.
    pub booklets: &'a HashMap<(Kid, u64), BookletFacts>,
    /// The pushing device's center's zone (0 = unknown: no zone check).
    pub center_zone: u32,
    /// The referential in force (services by area).
    pub referential: Option<&'a Referential>,
    /// The grace days after a coupon's last valid day.
    pub grace_days: u32,
    /// What the pushing device's center could know of each bundle.
    pub knowledge: &'a Knowledge,
    /// When the platform received the push.
    pub received_at: Timestamp,
    /// When the pushing device was enrolled.
    pub enrolled_at: Timestamp,
}

/// The platform's verdict on one redemption.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proof {
    /// The code proves the redemption; the conflict rule decides who holds the coupon.
    Proven,
    /// No minted booklet holds the serial: never paid.
    NotMinted,
    /// Refused for good (never paid).
    Rejected(Cause),
    /// Every check the platform can make passed, but an admin must vouch for what it cannot
    /// check (the coupon without its code, or the time): not paid until an admin accepts it.
    Held(Cause),
}

fn reject(code: CauseCode) -> Proof {
    Proof::Rejected(Cause::new(code))
}

/// What the rest of the checks read of the coupon: from its verified code, or from its
/// booklet's record when the kiosk sent no code.
struct Coupon {
    kid: Kid,
    serial: u64,
    issued_on: u16,
    valid_until: u16,
    scope: Scope,
    zone: u32,
}

/// Checks one redemption dated `occurred_at`, whose device's previous entry is dated
/// `previous` (if any), in this order:
/// 1. the evidence: the code is well-formed, equals the entry's copies, is signed by an issuer
///    key of the latest root-signed bundle and agrees with its booklet; without a code, the
///    serial is in a minted booklet of such a key and the entry's copies equal its record;
/// 2. the time is possible (not before the coupon's issue day, not after the push's receipt,
///    not before the device's enrollment nor its previous entry); if not, every date check
///    after this one reads the moment the platform received the push instead;
/// 3. the key is not compromised, nor the coupon revoked, as far as the center could know;
///    the day is within the validity and grace; zone, area and service fit.
///
/// A failure of 1 or 3 rejects for good (or is `unknown`); a time that does not fit, or a
/// missing code, holds an otherwise valid redemption for an admin.
///
/// `signature_ok` is [`signature_verifies`] of the code with the trusted key of its kid,
/// computed beforehand (outside the write transaction, on several cores: it is the costly
/// part); a kid names one key for good, since it is derived from the key.
pub fn check(
    redemption: &RedemptionEvent,
    occurred_at: Timestamp,
    previous: Option<Timestamp>,
    signature_ok: bool,
    facts: &Facts<'_>,
) -> Proof {
    let coupon = match evidence(redemption, signature_ok, facts) {
        Ok(coupon) => coupon,
        Err(proof) => return proof,
    };
    let held_for_time = time_cause(&coupon, occurred_at, previous, facts);
    let when = if held_for_time.is_some() {
        facts.received_at
    } else {
        occurred_at
    };
    if let Some(code) = date_cause(&coupon, redemption, when, facts) {
        return reject(code);
    }
    match (held_for_time, &redemption.code) {
        (Some(cause), _) => Proof::Held(cause),
        (None, None) => Proof::Held(Cause::new(CauseCode::NoProof)),
        (None, Some(_)) => Proof::Proven,
    }
}

/// Step 1 of [`check`]: what the coupon is, as the platform can establish it.
fn evidence(
    redemption: &RedemptionEvent,
    signature_ok: bool,
    facts: &Facts<'_>,
) -> Result<Coupon, Proof> {
    let Some(text) = &redemption.code else {
        // No code: the booklet's record of the serial is all the platform has.
        facts
            .history
            .issuer(redemption.kid)
            .ok_or_else(|| reject(CauseCode::UnknownIssuer))?;
        let booklet = facts
            .booklets
            .get(&(redemption.kid, redemption.serial))
            .ok_or(Proof::NotMinted)?;
        if (redemption.value_cents, redemption.provider) != (booklet.value_cents, booklet.provider)
        {
            return Err(reject(CauseCode::CodeMismatch));
        }
        return Ok(Coupon {
            kid: redemption.kid,
            serial: redemption.serial,
            issued_on: booklet.issued_on,
            valid_until: booklet.valid_until,
            scope: Scope(booklet.scope),
            zone: booklet.zone,
        });
    };
    let signed = code::decode(text.as_bytes()).map_err(|_| reject(CauseCode::MalformedCode))?;
    let coupon = signed.coupon;
    if (
        coupon.kid,
        coupon.serial,
        coupon.value_cents,
        coupon.provider,
    ) != (
        redemption.kid,
        redemption.serial,
        redemption.value_cents,
        redemption.provider,
    ) {
        return Err(reject(CauseCode::CodeMismatch));
    }
    if facts.history.issuer(coupon.kid).is_none() {
        return Err(reject(CauseCode::UnknownIssuer));
    }
    if !signature_ok {
        return Err(reject(CauseCode::BadSignature));
    }
    let booklet = facts
        .booklets
        .get(&(coupon.kid, coupon.serial))
        .ok_or(Proof::NotMinted)?;
    if !agrees(&coupon, booklet) {
        return Err(reject(CauseCode::CodeMismatch));
    }
    Ok(Coupon {
        kid: coupon.kid,
        serial: coupon.serial,
        issued_on: coupon.issued_on,
        valid_until: coupon.valid_until,
        scope: coupon.scope,
        zone: coupon.zone,
    })
}

/// Step 2 of [`check`]: why the platform cannot believe `occurred_at`, if it cannot.
fn time_cause(
    coupon: &Coupon,
    occurred_at: Timestamp,
    previous: Option<Timestamp>,
    facts: &Facts<'_>,
) -> Option<Cause> {
    let skew = SignedDuration::from_secs(MAX_CLOCK_SKEW_SECS);
    let day = paris_day(occurred_at);
    if day_number(day) < i64::from(coupon.issued_on) {
        return Some(Cause::with_detail(
            CauseCode::BeforeIssue,
            format!("{day} < {}", date_of(coupon.issued_on)),
        ));
    }
    let latest = facts
        .received_at
        .checked_add(skew)
        .unwrap_or(Timestamp::MAX);
    if occurred_at > latest {
        return Some(Cause::with_detail(
            CauseCode::InTheFuture,
            format!("{occurred_at} > {}", facts.received_at),
        ));
    }
    let enrolled = facts
        .enrolled_at
        .checked_sub(skew)
        .unwrap_or(Timestamp::MIN);
    if occurred_at < enrolled {
        return Some(Cause::with_detail(
            CauseCode::BeforeEnrollment,
            format!("{occurred_at} < {}", facts.enrolled_at),
        ));
    }
    if let Some(previous) = previous.filter(|&previous| occurred_at < previous) {
        return Some(Cause::with_detail(
            CauseCode::BeforePrevious,
            format!("{occurred_at} < {previous}"),
        ));
    }
    None
}

/// Step 3 of [`check`], at the instant `when` the platform believes.
fn date_cause(
    coupon: &Coupon,
    redemption: &RedemptionEvent,
    when: Timestamp,
    facts: &Facts<'_>,
) -> Option<CauseCode> {
    let known = |published| facts.knowledge.known_since(published) <= when;
    let compromised = facts
        .history
        .issuer(coupon.kid)
        .map(|issuer| issuer.compromised)
        .unwrap_or_default();
    if compromised.into_iter().any(known) {
        return Some(CauseCode::IssuerRevoked);
    }
    let day = day_number(paris_day(when));
    if day > i64::from(coupon.valid_until) + i64::from(facts.grace_days) {
        return Some(CauseCode::Expired);
    }
    if facts
        .history
        .revoked(coupon.kid, coupon.serial)
        .into_iter()
        .any(known)
    {
        return Some(CauseCode::Revoked);
    }
    if coupon.zone != 0 && facts.center_zone != 0 && coupon.zone != facts.center_zone {
        return Some(CauseCode::OutOfZone);
    }
    if !coupon.scope.allows(redemption.area) {
        return Some(CauseCode::OutOfScope);
    }
    if !service_in_area(facts.referential, &redemption.service, redemption.area) {
        return Some(CauseCode::UnknownService);
    }
    None
}

/// Whether `text` is a PN1 code whose signature verifies (`verify_strict`) with the issuer key
/// `key_of` gives for its kid.
pub fn signature_verifies(text: &str, key_of: impl Fn(Kid) -> Option<VerifyingKey>) -> bool {
    let Ok(signed) = code::decode(text.as_bytes()) else {
        return false;
    };
    key_of(signed.coupon.kid).is_some_and(|key| {
        key.verify_strict(
            &signed.signed_message(),
            &Signature::from_bytes(&signed.signature),
        )
        .is_ok()
    })
}

/// Whether the signed code says what its booklet recorded at minting.
fn agrees(coupon: &code::Coupon, booklet: &BookletFacts) -> bool {
    (
        coupon.value_cents,
        coupon.issued_on,
        coupon.valid_until,
        coupon.provider,
        coupon.scope.0,
        coupon.zone,
    ) == (
        booklet.value_cents,
        booklet.issued_on,
        booklet.valid_until,
        booklet.provider,
        booklet.scope,
        booklet.zone,
    )
}

/// Whether the referential lists `service` under `area` (no referential: nothing fits).
fn service_in_area(referential: Option<&Referential>, service: &str, area: Area) -> bool {
    referential.is_some_and(|referential| {
        referential
            .services
            .iter()
            .any(|known| known.code == service && known.area == area)
    })
}
