//! What a pushed redemption proves: the platform's own check of the code the kiosk read,
//! against the platform's data, before anything is paid (`schema/sync-api.md`, "What the
//! platform checks"). Pure: the caller gathers the facts from the database.
//!
//! Who is believed, and why:
//! - the code's fields (value, provider, dates, scope, zone) because the platform's own issuer
//!   key signed them (`verify_strict` against the public half in `issuer_keys`);
//! - the booklet, revocations, key status, center zone, referential and grace days because
//!   they are the platform's own records, written by its admins;
//! - what the kiosk declares (occurred_at, area, service, its copies of the code's fields)
//!   only where it cannot raise the amount paid: copies must equal the code's, the time must
//!   fall within bounds the platform sets, the area and service must fit the code and the
//!   referential.

use std::collections::HashMap;

use ed25519_dalek::{Signature, VerifyingKey};
use guichet_core::bundle::document::Referential;
use guichet_core::code::{self, Coupon};
use guichet_core::day::{date_of, day_number};
use guichet_core::{Area, Kid};
use guichet_protocol::signing::MAX_CLOCK_SKEW_SECS;
use guichet_protocol::{Cause, CauseCode, RedemptionEvent};
use jiff::{SignedDuration, Timestamp};

use crate::clock::paris_day;

/// An issuer key as the platform holds it (its public half checks the signatures, before
/// [`check`]: [`signature_verifies`]).
#[derive(Clone, Debug)]
pub struct IssuerFacts {
    /// When an admin marked it compromised, if they did.
    pub compromised_at: Option<Timestamp>,
}

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

/// A revoked serial range and when it was revoked.
#[derive(Clone, Copy, Debug)]
pub struct RevocationFacts {
    /// First serial.
    pub first: u64,
    /// Last serial (inclusive).
    pub last: u64,
    /// When an admin revoked it.
    pub revoked_at: Timestamp,
}

/// What the platform knows that bears on one push.
pub struct Facts<'a> {
    /// The platform's issuer keys, by kid.
    pub issuers: &'a HashMap<Kid, IssuerFacts>,
    /// The booklet holding each coupon of the push, where one does.
    pub booklets: &'a HashMap<(Kid, u64), BookletFacts>,
    /// Revocations of the kids of the push.
    pub revocations: &'a HashMap<Kid, Vec<RevocationFacts>>,
    /// The pushing device's center's zone (0 = unknown: no zone check).
    pub center_zone: u32,
    /// The referential in force (services by area).
    pub referential: Option<&'a Referential>,
    /// The grace days after a coupon's last valid day.
    pub grace_days: u32,
    /// When the pushing device first held a bundle published at or after a moment; `None`
    /// when it never did (see [`Knowledge`]).
    pub knowledge: &'a Knowledge,
    /// When the platform received the push.
    pub received_at: Timestamp,
}

/// From when a device held which bundle: the bundles' publication times and the device's
/// first holding of each sequence.
#[derive(Clone, Debug, Default)]
pub struct Knowledge {
    /// (sequence, published at), in increasing sequence.
    pub published: Vec<(u64, Timestamp)>,
    /// (sequence, since when the device held it), any order.
    pub held: Vec<(u64, Timestamp)>,
}

impl Knowledge {
    /// When the device first held a bundle published at or after `fact` (a bundle holds every
    /// revocation and key status recorded before it was published), if it ever did.
    pub fn known_since(&self, fact: Timestamp) -> Option<Timestamp> {
        let first = self
            .published
            .iter()
            .find(|(_, published)| *published >= fact)?
            .0;
        self.held
            .iter()
            .filter(|(sequence, _)| *sequence >= first)
            .map(|(_, since)| *since)
            .min()
    }
}

/// The platform's verdict on one redemption.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proof {
    /// The code proves the redemption; the conflict rule decides who holds the coupon.
    Proven,
    /// Signed by a platform key, but no minted booklet holds the serial.
    NotMinted,
    /// Refused for good (never paid).
    Rejected(Cause),
    /// Not paid until an admin reviews it.
    Held(Cause),
}

fn reject(code: CauseCode) -> Proof {
    Proof::Rejected(Cause::new(code))
}

/// Checks one redemption dated `occurred_at`, whose device's previous entry is dated
/// `previous` (if any), in this order: the code is present and well-formed, equals the
/// entry's copies, is signed by a platform issuer key and agrees with its booklet; the time
/// is possible (else it is held: every date check after it would read a date the kiosk
/// chose); the key is not compromised, nor the coupon revoked, to the kiosk's knowledge; the
/// day is within the validity and grace; zone, area and service fit.
///
/// `signature_ok` is [`signature_verifies`] of the code with the platform's key of its kid,
/// computed beforehand (outside the write transaction, on several cores: it is the costly
/// part); a kid names one key for good, since it is derived from the key.
pub fn check(
    redemption: &RedemptionEvent,
    occurred_at: Timestamp,
    previous: Option<Timestamp>,
    signature_ok: bool,
    facts: &Facts<'_>,
) -> Proof {
    let Some(text) = &redemption.code else {
        return Proof::Held(Cause::new(CauseCode::NoProof));
    };
    let Ok(signed) = code::decode(text.as_bytes()) else {
        return reject(CauseCode::MalformedCode);
    };
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
        return reject(CauseCode::CodeMismatch);
    }
    let Some(issuer) = facts.issuers.get(&coupon.kid) else {
        return reject(CauseCode::UnknownIssuer);
    };
    if !signature_ok {
        return reject(CauseCode::BadSignature);
    }
    let Some(booklet) = facts.booklets.get(&(coupon.kid, coupon.serial)) else {
        return Proof::NotMinted;
    };
    if !agrees(&coupon, booklet) {
        return reject(CauseCode::CodeMismatch);
    }
    let day = paris_day(occurred_at);
    if day_number(day) < i64::from(coupon.issued_on) {
        return Proof::Held(Cause::with_detail(
            CauseCode::BeforeIssue,
            format!("{day} < {}", date_of(coupon.issued_on)),
        ));
    }
    let latest = facts
        .received_at
        .checked_add(SignedDuration::from_secs(MAX_CLOCK_SKEW_SECS))
        .unwrap_or(Timestamp::MAX);
    if occurred_at > latest {
        return Proof::Held(Cause::with_detail(
            CauseCode::InTheFuture,
            format!("{occurred_at} > {}", facts.received_at),
        ));
    }
    if let Some(previous) = previous.filter(|&previous| occurred_at < previous) {
        return Proof::Held(Cause::with_detail(
            CauseCode::BeforePrevious,
            format!("{occurred_at} < {previous}"),
        ));
    }
    let knew = |fact: Timestamp| {
        facts
            .knowledge
            .known_since(fact)
            .is_some_and(|since| since <= occurred_at)
    };
    if issuer.compromised_at.is_some_and(knew) {
        return reject(CauseCode::IssuerRevoked);
    }
    if day_number(day) > i64::from(coupon.valid_until) + i64::from(facts.grace_days) {
        return reject(CauseCode::Expired);
    }
    let revoked = facts.revocations.get(&coupon.kid).is_some_and(|ranges| {
        ranges.iter().any(|range| {
            (range.first..=range.last).contains(&coupon.serial) && knew(range.revoked_at)
        })
    });
    if revoked {
        return reject(CauseCode::Revoked);
    }
    if coupon.zone != 0 && facts.center_zone != 0 && coupon.zone != facts.center_zone {
        return reject(CauseCode::OutOfZone);
    }
    if !coupon.scope.allows(redemption.area) {
        return reject(CauseCode::OutOfScope);
    }
    if !service_in_area(facts.referential, &redemption.service, redemption.area) {
        return reject(CauseCode::UnknownService);
    }
    Proof::Proven
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
fn agrees(coupon: &Coupon, booklet: &BookletFacts) -> bool {
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
