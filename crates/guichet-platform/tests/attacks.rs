//! The settlement attack suite: a dishonest kiosk holder with a real enrolled device key and
//! `schema/sync-api.md` alone tries to be paid for coupons it did not hold, or to take a coupon
//! from an honest kiosk. Real HTTP on loopback, both backends. Every attack must end with
//! 0 € more in the monthly report, and the honest kiosk's redemption still accepted.

mod common;

use common::{blocking, Backend, Kiosk, Minter, TestPlatform};
use guichet_core::bundle::document::KeyStatus;
use guichet_core::{Area, Kid, Scope};
use guichet_platform::clock::paris_day;
use guichet_platform::keys::generate_key;
use guichet_platform::store::MintRequest;
use guichet_protocol::{CauseCode, EntryResult, EntryState, LedgerEntry, PushResponse};
use jiff::{SignedDuration, Timestamp};
use reqwest::Method;

/// The honest kiosk's coupon: serial 1 of the seeded booklet.
const HONEST_SERIAL: u64 = 1;
/// Its face value.
const VALUE: i64 = 1000;

/// A platform where an honest kiosk of C1 had serial 1 accepted, and an attacker's kiosk of C2.
struct Scene {
    platform: TestPlatform,
    honest: LedgerEntry,
    attacker: Kiosk,
}

async fn scene(backend: Backend) -> Option<Scene> {
    let platform = TestPlatform::start(backend).await?;
    let mut kiosk = platform.kiosk("C1").await;
    let code = platform.minter.code(HONEST_SERIAL);
    let honest = kiosk.redemption_of(
        &code,
        Timestamp::now() - SignedDuration::from_mins(5),
        |_| {},
    );
    let pushed: PushResponse = kiosk
        .push(std::slice::from_ref(&honest))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pushed.results[0].state, EntryState::Accepted);
    let attacker = platform.kiosk("C2").await;
    Some(Scene {
        platform,
        honest,
        attacker,
    })
}

impl Scene {
    /// Pushes the attacker's entries; answers their results.
    async fn attack(&self, entries: &[LedgerEntry]) -> Vec<EntryResult> {
        let response = self.attacker.push(entries).await;
        assert_eq!(response.status(), 200);
        response.json::<PushResponse>().await.unwrap().results
    }

    /// Pushes one redemption of `code` by the attacker (see [`Kiosk::redemption_of`]).
    async fn attack_one(
        &mut self,
        code: &str,
        at: Timestamp,
        change: impl FnOnce(&mut guichet_protocol::RedemptionEvent),
    ) -> Vec<EntryResult> {
        let entry = self.attacker.redemption_of(code, at, change);
        self.attack(&[entry]).await
    }

    /// The attacker gets the current bundle (so it knows its revocations and key statuses).
    async fn attacker_pulls_bundle(&self) {
        let response = self
            .attacker
            .signed(Method::GET, "/v1/bundle?have=0", vec![])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    async fn publish(&self) {
        let (store, root) = (self.platform.store.clone(), self.platform.root.clone());
        blocking(move || common::publish(&store, &root)).await;
    }

    /// The monthly report is what it was before the attack (the honest coupon only), in the
    /// month of now and of every `days` the attack used; the honest redemption is untouched.
    async fn assert_nothing_paid(&self, days: &[Timestamp]) {
        let store = self.platform.store.clone();
        let honest = self.honest.id.to_string();
        let months: Vec<_> = days.iter().map(|&at| paris_day(at)).collect();
        let (now_report, others, honest_state) = blocking(move || {
            let now_report = store.month_report(paris_day(Timestamp::now())).unwrap();
            let others: Vec<_> = months
                .into_iter()
                .map(|day| store.month_report(day).unwrap())
                .collect();
            (
                now_report,
                others,
                store.entry_state(&honest).unwrap().unwrap(),
            )
        })
        .await;
        assert_eq!(total(&now_report, "C1"), VALUE, "{now_report:?}");
        assert_eq!(total(&now_report, "C2"), 0, "{now_report:?}");
        for report in &others {
            assert_eq!(total(report, "C2"), 0, "{report:?}");
        }
        assert_eq!(honest_state.state, EntryState::Accepted);
    }
}

/// What a month's report pays `center`, in cents.
fn total(report: &guichet_platform::store::MonthReport, center: &str) -> i64 {
    report
        .reimbursements
        .iter()
        .filter(|line| line.center == center)
        .map(|line| line.amount_cents)
        .sum()
}

fn assert_refused(results: &[EntryResult], state: EntryState, cause: CauseCode) {
    for result in results {
        assert_eq!(result.state, state, "{result:?}");
        assert_eq!(
            result.cause.as_ref().map(|c| c.code),
            Some(cause),
            "{result:?}"
        );
    }
}

/// Real codes with inflated values or another provider: the code's own fields decide.
async fn declared_value_and_provider_are_not_believed(backend: Backend) {
    let Some(mut s) = scene(backend).await else {
        return;
    };
    let now = Timestamp::now();
    let entries = [
        s.attacker
            .redemption_of(&s.platform.minter.code(2), now, |r| {
                r.value_cents = 1_000_000
            }),
        s.attacker
            .redemption_of(&s.platform.minter.code(3), now, |r| {
                r.value_cents = u32::MAX
            }),
        s.attacker
            .redemption_of(&s.platform.minter.code(4), now, |r| r.provider = 8),
        // A valid code pushed as another serial (the honest kiosk's), or another value.
        s.attacker
            .redemption_of(&s.platform.minter.code(5), now, |r| {
                r.serial = HONEST_SERIAL
            }),
    ];
    let results = s.attack(&entries).await;
    assert_refused(&results, EntryState::Rejected, CauseCode::CodeMismatch);
    s.assert_nothing_paid(&[now]).await;
}

/// Codes the platform never signed: one character changed, another platform's key under this
/// kid, another platform's kid, garbage.
async fn forged_codes_prove_nothing(backend: Backend) {
    let Some(mut s) = scene(backend).await else {
        return;
    };
    let now = Timestamp::now();
    let genuine = s.platform.minter.code(6);
    let mut changed: Vec<char> = genuine.chars().collect();
    let last = changed.len() - 1;
    changed[last] = if changed[last] == '0' { '1' } else { '0' };
    let changed: String = changed.into_iter().collect();
    let foreign = generate_key().unwrap();
    let same_kid = s.platform.minter.code_with(&foreign, |c| c.serial = 7);
    let other_kid = s.platform.minter.code_with(&foreign, |c| {
        c.kid = Kid([9; 8]);
        c.serial = 7;
    });
    let bad_signature = [
        s.attacker.redemption_of(&changed, now, |r| r.serial = 6),
        s.attacker.redemption_of(&same_kid, now, |_| {}),
    ];
    let results = s.attack(&bad_signature).await;
    assert_refused(&results, EntryState::Rejected, CauseCode::BadSignature);
    let unknown_issuer = [s.attacker.redemption_of(&other_kid, now, |_| {})];
    let results = s.attack(&unknown_issuer).await;
    assert_refused(&results, EntryState::Rejected, CauseCode::UnknownIssuer);
    let garbage = [s.attacker.redemption_of("PN1:NOT A CODE", now, |_| {})];
    let results = s.attack(&garbage).await;
    assert_refused(&results, EntryState::Rejected, CauseCode::MalformedCode);
    s.assert_nothing_paid(&[now]).await;
}

/// A whole booklet claimed by serial numbers alone (no code): held, never paid unless an admin
/// accepts it.
async fn serials_without_codes_are_held(backend: Backend) {
    let Some(mut s) = scene(backend).await else {
        return;
    };
    let now = Timestamp::now();
    let entries: Vec<LedgerEntry> = (2..=10)
        .map(|serial| {
            let code = s.platform.minter.code(serial);
            s.attacker.redemption_of(&code, now, |r| r.code = None)
        })
        .collect();
    let results = s.attack(&entries).await;
    assert_refused(&results, EntryState::Held, CauseCode::NoProof);
    s.assert_nothing_paid(&[now]).await;
}

/// Times the kiosk chose: in 2099, before the booklet was issued (the honest coupon backdated
/// to 2020 to take it), before the device's own previous entry.
async fn impossible_times_are_held_and_cannot_steal(backend: Backend) {
    let Some(mut s) = scene(backend).await else {
        return;
    };
    let now = Timestamp::now();
    let future: Timestamp = "2099-06-01T10:00:00Z".parse().unwrap();
    let past: Timestamp = "2020-03-01T10:00:00Z".parse().unwrap();
    let results = s
        .attack_one(&s.platform.minter.code(2), future, |_| {})
        .await;
    assert_refused(&results, EntryState::Held, CauseCode::InTheFuture);
    let results = s
        .attack_one(&s.platform.minter.code(HONEST_SERIAL), past, |_| {})
        .await;
    assert_refused(&results, EntryState::Held, CauseCode::BeforeIssue);
    // An honest-looking entry, then one dated an hour before it.
    let ok = s
        .attacker
        .redemption_of(&s.platform.minter.code(3), now, |_| {});
    let earlier = s.attacker.redemption_of(
        &s.platform.minter.code(4),
        now - SignedDuration::from_hours(1),
        |_| {},
    );
    let results = s.attack(&[ok, earlier]).await;
    assert_eq!(results[0].state, EntryState::Accepted, "{results:?}");
    assert_refused(&results[1..], EntryState::Held, CauseCode::BeforePrevious);
    // The attacker's one honest coupon is paid; nothing else is.
    let store = s.platform.store.clone();
    let report = blocking(move || store.month_report(paris_day(Timestamp::now())).unwrap()).await;
    let c2 = total(&report, "C2");
    assert_eq!(c2, VALUE, "only the attacker's one honest coupon");
    assert_eq!(
        report.held.len(),
        1,
        "the month's held entry is listed: {report:?}"
    );
}

/// The same code pushed by a second device, and dated earlier: a conflict, the first kept.
async fn the_same_code_from_another_device_is_a_conflict(backend: Backend) {
    let Some(mut s) = scene(backend).await else {
        return;
    };
    let earlier = Timestamp::now() - SignedDuration::from_hours(2);
    let results = s
        .attack_one(&s.platform.minter.code(HONEST_SERIAL), earlier, |_| {})
        .await;
    assert_eq!(results[0].state, EntryState::Conflict);
    assert_eq!(
        results[0].conflict.as_ref().map(|c| c.other_id),
        Some(s.honest.id)
    );
    s.assert_nothing_paid(&[earlier]).await;
}

/// Workshops the coupon does not pay for: a service outside the workshop's area, an area
/// outside the coupon's scope, a coupon of another zone.
async fn scope_zone_and_referential_are_the_platforms(backend: Backend) {
    let Some(mut s) = scene(backend).await else {
        return;
    };
    let now = Timestamp::now();
    let results = s
        .attack_one(&s.platform.minter.code(2), now, |r| {
            r.service = "1.1.01".into()
        })
        .await;
    assert_refused(&results, EntryState::Rejected, CauseCode::UnknownService);
    let results = s
        .attack_one(&s.platform.minter.code(3), now, |r| {
            r.area = Area::A1_1;
            r.service = "1.1.01".into();
        })
        .await;
    assert_refused(&results, EntryState::Rejected, CauseCode::OutOfScope);
    // A booklet for zone 34; the attacker's center is in zone 33.
    let zone34 = mint(&s, |request| request.zone = 34).await;
    let results = s
        .attack_one(&zone34.code(zone34.coupon.serial), now, |_| {})
        .await;
    assert_refused(&results, EntryState::Rejected, CauseCode::OutOfZone);
    s.assert_nothing_paid(&[now]).await;
}

/// Mints one more booklet of 5 (changed by `change`); answers how to sign its coupons.
async fn mint(s: &Scene, change: impl FnOnce(&mut MintRequest)) -> Minter {
    let store = s.platform.store.clone();
    let (issued_on, valid_until) = common::booklet_days();
    let mut request = MintRequest {
        booklets: 1,
        coupons_per_booklet: 5,
        value_cents: 1000,
        issued_on,
        valid_until,
        provider: 7,
        scope: Scope::of(&[Area::A2_2]),
        zone: 0,
    };
    change(&mut request);
    let issuer = s.platform.minter.issuer.clone();
    blocking(move || {
        store.add_zone(34, "Landes").unwrap();
        // The provider's active issuer key signs: the one the scene's minter holds.
        let booklets = store.record_mint(&request, Timestamp::now()).unwrap();
        let day = |date| guichet_core::day::to_day(date).unwrap();
        Minter {
            issuer,
            coupon: guichet_core::Coupon {
                kid: booklets[0].kid,
                serial: booklets[0].first_serial,
                value_cents: request.value_cents,
                issued_on: day(request.issued_on),
                valid_until: day(request.valid_until),
                provider: request.provider,
                scope: request.scope,
                zone: request.zone,
            },
        }
    })
    .await
}

/// An expired coupon: its last day plus the grace days is past.
async fn an_expired_coupon_is_rejected(backend: Backend) {
    let Some(mut s) = scene(backend).await else {
        return;
    };
    let old = mint(&s, |request| {
        request.issued_on = jiff::civil::date(2024, 1, 2);
        request.valid_until = jiff::civil::date(2024, 12, 31);
    })
    .await;
    let now = Timestamp::now();
    let results = s
        .attack_one(&old.code(old.coupon.serial), now, |_| {})
        .await;
    assert_refused(&results, EntryState::Rejected, CauseCode::Expired);
    s.assert_nothing_paid(&[now]).await;
}

/// A revoked serial and a compromised key: refused once the kiosk had the bundle saying so;
/// a kiosk that could not know yet (redeemed before it got that bundle) is not held to it.
async fn revocations_count_from_when_the_kiosk_knew(backend: Backend) {
    let Some(mut s) = scene(backend).await else {
        return;
    };
    let before = Timestamp::now();
    let (store, kid) = (s.platform.store.clone(), s.platform.kid);
    blocking(move || store.revoke(kid, 8, 9, "perdu", Timestamp::now()).unwrap()).await;
    s.publish().await;
    // Redeemed offline before the kiosk got the revocation: paid.
    let offline = s
        .attacker
        .redemption_of(&s.platform.minter.code(8), before, |_| {});
    s.attacker_pulls_bundle().await;
    // Redeemed after it had the bundle: refused.
    let known = s
        .attacker
        .redemption_of(&s.platform.minter.code(9), Timestamp::now(), |_| {});
    let results = s.attack(&[offline, known]).await;
    assert_eq!(results[0].state, EntryState::Accepted, "{results:?}");
    assert_refused(&results[1..], EntryState::Rejected, CauseCode::Revoked);

    let (store, kid) = (s.platform.store.clone(), s.platform.kid);
    blocking(move || {
        store
            .set_issuer_status(kid, KeyStatus::Compromised, Timestamp::now())
            .unwrap()
    })
    .await;
    s.publish().await;
    s.attacker_pulls_bundle().await;
    let results = s
        .attack_one(&s.platform.minter.code(10), Timestamp::now(), |_| {})
        .await;
    assert_refused(&results, EntryState::Rejected, CauseCode::IssuerRevoked);
}

/// An admin reviews: a held redemption accepted is paid, with the admin's name recorded; a
/// conflicting one rejected stays unpaid and its kiosk gets the reason.
async fn an_admin_decides_held_and_conflicting_redemptions(backend: Backend) {
    let Some(mut s) = scene(backend).await else {
        return;
    };
    let now = Timestamp::now();
    let held = s
        .attacker
        .redemption_of(&s.platform.minter.code(2), now, |r| r.code = None);
    let conflict = s
        .attacker
        .redemption_of(&s.platform.minter.code(HONEST_SERIAL), now, |_| {});
    let results = s.attack(&[held.clone(), conflict.clone()]).await;
    assert_eq!(results[0].state, EntryState::Held);
    assert_eq!(results[1].state, EntryState::Conflict);
    let store = s.platform.store.clone();
    let (listed, accepted, rejected, refused) = blocking(move || {
        use guichet_platform::store::Decision;
        let listed = store
            .review_list(&[EntryState::Held, EntryState::Conflict])
            .unwrap();
        let accepted = store
            .review_decide(
                &held.id.to_string(),
                Decision::Accept,
                "Inès (admin)",
                "carnet vu",
                now,
            )
            .unwrap();
        let rejected = store
            .review_decide(
                &conflict.id.to_string(),
                Decision::Reject,
                "Inès (admin)",
                "photocopie",
                now,
            )
            .unwrap();
        let refused = store
            .review_decide(&conflict.id.to_string(), Decision::Accept, "Inès", "", now)
            .is_err();
        (listed, accepted, rejected, refused)
    })
    .await;
    assert_eq!(listed.len(), 2);
    assert!(!listed[0].has_code);
    assert_eq!(accepted.state, EntryState::Accepted);
    assert_eq!(rejected.state, EntryState::Rejected);
    let cause = rejected.cause.unwrap();
    assert_eq!(cause.code, CauseCode::AdminRejected);
    assert_eq!(cause.detail.as_deref(), Some("photocopie"));
    assert!(refused, "a decision needs a reason");
    let store = s.platform.store.clone();
    let report = blocking(move || store.month_report(paris_day(Timestamp::now())).unwrap()).await;
    let c2 = total(&report, "C2");
    assert_eq!(c2, VALUE, "the accepted held redemption only");
    assert_eq!(report.rejected.len(), 1);
}

/// Issue 18, item 3: each entry carries the device's signature of its content, made when the
/// kiosk recorded it. An entry changed afterwards (by a proxy, a tool, an edited copy of the
/// ledger) or signed by another kiosk's key is refused whole; an unsigned entry (a kiosk from
/// before ledger schema 5) is still taken, and settled on its proof like any other.
async fn entries_changed_after_the_kiosk_signed_them_are_refused(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let now = Timestamp::now();
    let mut changed = s.platform.kiosk("C2").await;
    let mut entry = changed.redemption_of(&s.platform.minter.code(2), now, |_| {});
    entry.actor = "Quelqu'un d'autre".into();
    let mut foreign = s.platform.kiosk("C2").await;
    let mut stolen = foreign.redemption_of(&s.platform.minter.code(3), now, |_| {});
    stolen.signature = Some(guichet_protocol::entry_signature::sign(
        &stolen,
        &generate_key().unwrap(),
    ));
    for (kiosk, entry) in [(&changed, entry), (&foreign, stolen)] {
        let response = kiosk.push(std::slice::from_ref(&entry)).await;
        assert_eq!(response.status(), 422);
        let body: guichet_protocol::ErrorBody = response.json().await.unwrap();
        assert_eq!(body.error, guichet_protocol::ErrorCode::BadEntrySignature);
    }
    let mut legacy = s.platform.kiosk("C2").await;
    let mut unsigned = legacy.redemption_of(&s.platform.minter.code(4), now, |_| {});
    unsigned.signature = None;
    let response = legacy.push(std::slice::from_ref(&unsigned)).await;
    assert_eq!(response.status(), 200);
    let results = response.json::<PushResponse>().await.unwrap().results;
    assert_eq!(results[0].state, EntryState::Accepted);
}

on_both_backends!(
    entries_changed_after_the_kiosk_signed_them_are_refused,
    declared_value_and_provider_are_not_believed,
    forged_codes_prove_nothing,
    serials_without_codes_are_held,
    impossible_times_are_held_and_cannot_steal,
    the_same_code_from_another_device_is_a_conflict,
    scope_zone_and_referential_are_the_platforms,
    an_expired_coupon_is_rejected,
    revocations_count_from_when_the_kiosk_knew,
    an_admin_decides_held_and_conflicting_redemptions,
);
