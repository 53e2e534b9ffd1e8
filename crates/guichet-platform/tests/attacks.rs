//! The settlement attack suite: a dishonest kiosk holder with a real enrolled device key and
//! `schema/sync-api.md` alone tries to be paid for coupons it did not hold, or to take a coupon
//! from an honest kiosk. Real HTTP on loopback, both backends. Every attack must end with
//! 0 € more in the monthly report, and the honest kiosk's redemption still accepted.

mod common;

use common::{Backend, Kiosk, TestPlatform};
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
        common::publish(&store, &root).await;
    }

    /// The honest redemption still holds its coupon.
    async fn assert_honest_untouched(&self) {
        let store = self.platform.store.clone();
        let honest = self.honest.id.to_string();
        let state = store.entry_state(&honest).await.unwrap().unwrap();
        assert_eq!(state.state, EntryState::Accepted);
    }

    /// The monthly report is what it was before the attack (the honest coupon only), in the
    /// month of now and of every `days` the attack used; the honest redemption is untouched.
    async fn assert_nothing_paid(&self, days: &[Timestamp]) {
        let store = self.platform.store.clone();
        let honest = self.honest.id.to_string();
        let months: Vec<_> = days.iter().map(|&at| paris_day(at)).collect();
        let (now_report, others, honest_state) = {
            let now_report = store
                .month_report(paris_day(Timestamp::now()))
                .await
                .unwrap();
            let mut others = Vec::new();
            for day in months {
                others.push(store.month_report(day).await.unwrap());
            }
            (
                now_report,
                others,
                store.entry_state(&honest).await.unwrap().unwrap(),
            )
        };
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
    // An honest-looking entry, then one dated a minute before it (both after the device's
    // enrollment).
    let ok = s.attacker.redemption_of(
        &s.platform.minter.code(3),
        now + SignedDuration::from_mins(2),
        |_| {},
    );
    let earlier = s.attacker.redemption_of(
        &s.platform.minter.code(4),
        now + SignedDuration::from_mins(1),
        |_| {},
    );
    let results = s.attack(&[ok, earlier]).await;
    assert_eq!(results[0].state, EntryState::Accepted, "{results:?}");
    assert_refused(&results[1..], EntryState::Held, CauseCode::BeforePrevious);
    // The attacker's one honest coupon is paid; nothing else is.
    let store = s.platform.store.clone();
    let report = store
        .month_report(paris_day(Timestamp::now()))
        .await
        .unwrap();
    let c2 = total(&report, "C2");
    assert_eq!(c2, VALUE, "only the attacker's one honest coupon");
    assert_eq!(
        report.held.len(),
        1,
        "the month's held entry is listed: {report:?}"
    );
}

/// The same code pushed by a second device: a conflict, the first kept. Dated before the
/// honest redemption (so before the second device was enrolled): held, and still nothing.
async fn the_same_code_from_another_device_is_a_conflict(backend: Backend) {
    let Some(mut s) = scene(backend).await else {
        return;
    };
    let now = Timestamp::now();
    let results = s
        .attack_one(&s.platform.minter.code(HONEST_SERIAL), now, |_| {})
        .await;
    assert_eq!(results[0].state, EntryState::Conflict);
    assert_eq!(
        results[0].conflict.as_ref().map(|c| c.other_id),
        Some(s.honest.id)
    );
    let mut earlier_device = s.platform.kiosk("C2").await;
    let earlier = s.honest.occurred_at - SignedDuration::from_hours(2);
    let backdated =
        earlier_device.redemption_of(&s.platform.minter.code(HONEST_SERIAL), earlier, |_| {});
    let response = earlier_device.push(&[backdated]).await;
    let results = response.json::<PushResponse>().await.unwrap().results;
    assert_refused(&results, EntryState::Held, CauseCode::BeforeEnrollment);
    s.assert_nothing_paid(&[now, earlier]).await;
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
    let zone34 = common::mint(&s.platform, |request| request.zone = 34).await;
    let results = s
        .attack_one(&zone34.code(zone34.coupon.serial), now, |_| {})
        .await;
    assert_refused(&results, EntryState::Rejected, CauseCode::OutOfZone);
    s.assert_nothing_paid(&[now]).await;
}

/// An expired coupon: its last day plus the grace days is past.
async fn an_expired_coupon_is_rejected(backend: Backend) {
    let Some(mut s) = scene(backend).await else {
        return;
    };
    let old = common::mint(&s.platform, |request| {
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
    store
        .revoke(kid, 8, 9, "perdu", Timestamp::now())
        .await
        .unwrap();
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
    store
        .set_issuer_status(kid, KeyStatus::Compromised, Timestamp::now())
        .await
        .unwrap();
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
    let (listed, accepted, rejected, refused) = {
        use guichet_platform::store::Decision;
        let listed = store
            .review_list(&[EntryState::Held, EntryState::Conflict])
            .await
            .unwrap();
        let accepted = store
            .review_decide(
                &held.id.to_string(),
                Decision::Accept,
                "Inès (admin)",
                "carnet vu",
                now,
            )
            .await
            .unwrap();
        let rejected = store
            .review_decide(
                &conflict.id.to_string(),
                Decision::Reject,
                "Inès (admin)",
                "photocopie",
                now,
            )
            .await
            .unwrap();
        let refused = store
            .review_decide(&conflict.id.to_string(), Decision::Accept, "Inès", "", now)
            .await
            .is_err();
        (listed, accepted, rejected, refused)
    };
    assert_eq!(listed.len(), 2);
    assert!(!listed[0].redemption.has_code);
    assert!(listed[0].redemption.signed);
    assert_eq!(listed[0].redemption.value_cents, Some(VALUE));
    // The conflicting one is shown beside the honest holder.
    assert_eq!(listed[1].contenders.len(), 1);
    assert_eq!(listed[1].contenders[0].result.id, s.honest.id);
    assert_eq!(listed[1].contenders[0].center.0, "C1");
    assert_eq!(accepted.state, EntryState::Accepted);
    assert_eq!(rejected.state, EntryState::Rejected);
    let cause = rejected.cause.unwrap();
    assert_eq!(cause.code, CauseCode::AdminRejected);
    assert_eq!(cause.detail.as_deref(), Some("photocopie"));
    assert!(refused, "a decision needs a reason");
    let store = s.platform.store.clone();
    let report = store
        .month_report(paris_day(Timestamp::now()))
        .await
        .unwrap();
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

/// What an admin's review can pay, and in which month (issue 22, "a decision never creates
/// value"): a held entry with a forged value or a serial no booklet holds is refused at its
/// push and can never be accepted; a coupon another redemption holds moves only by a transfer
/// naming that holder; an accepted held entry pays its booklet's face value, in the month of
/// the decision, whatever date the kiosk gave it.
async fn a_decision_never_creates_value(backend: Backend) {
    let Some(mut s) = scene(backend).await else {
        return;
    };
    let now = Timestamp::now();
    let forged = s
        .attacker
        .redemption_of(&s.platform.minter.code(2), now, |r| {
            r.code = None;
            r.value_cents = u32::MAX;
        });
    let never_minted = s
        .attacker
        .redemption_of(&s.platform.minter.code(5000), now, |r| r.code = None);
    let taken = s
        .attacker
        .redemption_of(&s.platform.minter.code(HONEST_SERIAL), now, |r| {
            r.code = None
        });
    let future: Timestamp = "2099-06-01T10:00:00Z".parse().unwrap();
    let dated_2099 = s
        .attacker
        .redemption_of(&s.platform.minter.code(3), future, |r| r.code = None);
    let results = s
        .attack(&[
            forged.clone(),
            never_minted.clone(),
            taken.clone(),
            dated_2099.clone(),
        ])
        .await;
    assert_refused(&results[..1], EntryState::Rejected, CauseCode::CodeMismatch);
    assert_eq!(results[1].state, EntryState::Unknown, "{results:?}");
    assert_refused(&results[2..3], EntryState::Held, CauseCode::NoProof);
    assert_refused(&results[3..], EntryState::Held, CauseCode::InTheFuture);

    let store = s.platform.store.clone();
    let honest = s.honest.id.to_string();
    let (refusals, listed, dated_2099_state) = {
        use guichet_platform::store::Decision;
        let decide = async |id: String, decision| {
            store
                .review_decide(&id, decision, "Inès", "carnet vu au centre", now)
                .await
        };
        let mut refusals: Vec<String> = Vec::new();
        for (id, decision) in [
            (forged.id.to_string(), Decision::Accept),
            (never_minted.id.to_string(), Decision::Accept),
            (taken.id.to_string(), Decision::Accept),
            (
                taken.id.to_string(),
                Decision::Transfer {
                    from: taken.id.to_string(),
                },
            ),
        ] {
            refusals.push(decide(id, decision).await.expect_err("refused").to_string());
        }
        let listed = store.review_list(&[EntryState::Held]).await.unwrap();
        let accepted = decide(dated_2099.id.to_string(), Decision::Accept)
            .await
            .unwrap();
        (refusals, listed, accepted.state)
    };
    assert!(refusals[0].contains("rejected"), "{refusals:?}");
    assert!(refusals[1].contains("unknown"), "{refusals:?}");
    assert!(
        refusals[2].contains(&honest) && refusals[2].contains("transfer"),
        "the holder is named, and a transfer is the way: {refusals:?}"
    );
    assert!(refusals[3].contains("does not hold"), "{refusals:?}");
    // The held entry of the taken coupon is listed with its value and the honest holder.
    let line = listed
        .iter()
        .find(|line| line.redemption.result.id == taken.id)
        .unwrap();
    assert_eq!(line.redemption.value_cents, Some(VALUE));
    assert_eq!(line.redemption.provider.1, "Département test");
    assert_eq!(line.contenders.len(), 1);
    assert_eq!(line.contenders[0].result.id, s.honest.id);
    assert_eq!(line.contenders[0].result.state, EntryState::Accepted);
    assert_eq!(dated_2099_state, EntryState::Accepted);

    // The 2099 entry is paid once, at the booklet's value, this month; nothing in 2099-06.
    let store = s.platform.store.clone();
    let (this_month, june_2099) = {
        (
            store.month_report(paris_day(now)).await.unwrap(),
            store.month_report(paris_day(future)).await.unwrap(),
        )
    };
    assert_eq!(total(&this_month, "C2"), VALUE, "{this_month:?}");
    assert_eq!(total(&this_month, "C1"), VALUE, "{this_month:?}");
    assert_eq!(total(&june_2099, "C2"), 0, "{june_2099:?}");
    s.assert_honest_untouched().await;
}

/// A transfer is the one way a decision takes a coupon from its holder: it names the holder,
/// and the holder's kiosk is told (conflict); the holder's money moves, none is added.
async fn a_transfer_names_the_holder_and_adds_nothing(backend: Backend) {
    let Some(mut s) = scene(backend).await else {
        return;
    };
    let now = Timestamp::now();
    let results = s
        .attack_one(&s.platform.minter.code(HONEST_SERIAL), now, |_| {})
        .await;
    assert_eq!(results[0].state, EntryState::Conflict);
    let contender = results[0].id.to_string();
    let store = s.platform.store.clone();
    let honest = s.honest.id.to_string();
    let (moved, honest_state, report) = {
        use guichet_platform::store::Decision;
        let moved = store
            .review_decide(
                &contender,
                Decision::Transfer {
                    from: honest.clone(),
                },
                "Inès",
                "le centre C1 a rendu le pass",
                now,
            )
            .await
            .unwrap();
        (
            moved,
            store.entry_state(&honest).await.unwrap().unwrap(),
            store.month_report(paris_day(now)).await.unwrap(),
        )
    };
    assert_eq!(moved.state, EntryState::Accepted);
    assert_eq!(honest_state.state, EntryState::Conflict);
    assert_eq!(total(&report, "C1") + total(&report, "C2"), VALUE);
}

/// A kiosk that never pulls: what one kiosk of its center pulled binds it, and a bundle past
/// its staleness limit binds everyone, pulled or not (revocations and compromised keys,
/// codes freshly signed with the leaked key included).
async fn a_kiosk_that_never_pulls_is_held_to_what_it_could_know(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    // A second kiosk of the attacker's center, enrolled now, never pulls again.
    let mut silent = s.platform.kiosk("C2").await;
    let (store, kid) = (s.platform.store.clone(), s.platform.kid);
    store
        .revoke(kid, 4, 4, "perdu", Timestamp::now())
        .await
        .unwrap();
    s.publish().await;
    // The attacker's other kiosk pulls the revocation: the whole center knows it.
    s.attacker_pulls_bundle().await;
    let now = Timestamp::now();
    let entry = silent.redemption_of(&s.platform.minter.code(4), now, |_| {});
    let pushed = silent.push(&[entry]).await;
    let results = pushed.json::<PushResponse>().await.unwrap().results;
    assert_refused(&results, EntryState::Rejected, CauseCode::Revoked);

    // A center none of whose kiosks pulled: bound once the bundle saying so is stale. The
    // bundle is published as of 40 days ago (the platform's clock 40 days on), so its 7 days
    // of freshness are long over; the revocation and the compromise are everyone's.
    let mut elsewhere = s.platform.kiosk("C1").await;
    let (store, root, kid) = (
        s.platform.store.clone(),
        s.platform.root.clone(),
        s.platform.kid,
    );
    {
        let now = Timestamp::now();
        store.revoke(kid, 6, 6, "volé", now).await.unwrap();
        store
            .set_issuer_status(kid, KeyStatus::Compromised, now)
            .await
            .unwrap();
        let issued = now - SignedDuration::from_hours(24 * 40);
        store
            .publish_bundle(issued, now + SignedDuration::from_hours(24 * 30), |doc| {
                guichet_platform::bundle::seal_checked(doc, &root)
            })
            .await
            .unwrap();
    };
    let fresh = s.platform.minter.code_with(&s.platform.minter.issuer, |c| {
        c.serial = 7;
    });
    let entries = [
        elsewhere.redemption_of(&s.platform.minter.code(6), now, |_| {}),
        elsewhere.redemption_of(&fresh, now, |_| {}),
    ];
    let results = elsewhere
        .push(&entries)
        .await
        .json::<PushResponse>()
        .await
        .unwrap()
        .results;
    assert_refused(&results, EntryState::Rejected, CauseCode::IssuerRevoked);
    s.assert_nothing_paid(&[now]).await;
}

/// A revocation said online, in a freshness statement signed by the sync key (no new bundle):
/// a kiosk that ignores statements is held to it once the first statement saying it is stale,
/// never later, and a statement issued a minute ago does not yet bind a kiosk nothing tells us
/// heard of it. The statements are the platform's own, checked against the bundle's sync keys.
async fn a_revocation_said_online_binds_every_kiosk_once_its_statement_is_stale(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let (store, kid, key, root) = (
        s.platform.store.clone(),
        s.platform.kid,
        s.platform.answer_key.clone(),
        s.platform.root.clone(),
    );
    let now = Timestamp::now();
    // The latest bundle, signed ten days ago, says nothing of serials 4 and 5.
    store
        .publish_bundle(
            now - SignedDuration::from_hours(24 * 10),
            now + SignedDuration::from_hours(24 * 30),
            |document| guichet_platform::bundle::seal_checked(document, &root),
        )
        .await
        .unwrap();
    let mut silent = s.platform.kiosk("C2").await;
    store.revoke(kid, 4, 4, "perdu", now).await.unwrap();
    // Said online eight days ago (the platform's clock then), stale for a day.
    let eight_days_ago = now - SignedDuration::from_hours(24 * 8);
    let said = store
        .freshness_statement(eight_days_ago, |document| document.seal(&key))
        .await
        .unwrap()
        .unwrap()
        .1;
    let latest = store.signed_history().await.unwrap();
    let bundle = &latest.bundles().last().unwrap().bundle;
    let (restricted, document) = bundle.with_freshness(said.as_bytes()).unwrap();
    assert!(restricted.is_revoked(kid, 4), "{document:?}");
    assert_eq!(
        document.issued_at.as_microsecond(),
        eight_days_ago.as_microsecond()
    );
    // Revoked online a minute ago: the new statement says both.
    store.revoke(kid, 5, 5, "volé", now).await.unwrap();
    let both = store
        .freshness_statement(now, |document| document.seal(&key))
        .await
        .unwrap()
        .unwrap()
        .1;
    let (restricted, _) = bundle.with_freshness(both.as_bytes()).unwrap();
    assert!(restricted.is_revoked(kid, 4) && restricted.is_revoked(kid, 5));
    // Asked again at once: the same statement, not a new one.
    let again = store
        .freshness_statement(Timestamp::now(), |document| document.seal(&key))
        .await
        .unwrap()
        .unwrap()
        .1;
    assert_eq!(again, both);

    let codes = [s.platform.minter.code(4), s.platform.minter.code(5)];
    let entries: Vec<_> = codes
        .iter()
        .map(|code| silent.redemption_of(code, now, |_| {}))
        .collect();
    let results = silent
        .push(&entries)
        .await
        .json::<PushResponse>()
        .await
        .unwrap()
        .results;
    assert_eq!(results[0].state, EntryState::Rejected, "{results:?}");
    assert_eq!(
        results[0].cause.as_ref().map(|c| c.code),
        Some(CauseCode::Revoked)
    );
    assert_eq!(results[1].state, EntryState::Accepted, "{results:?}");

    // Revoked online now, and another kiosk of the same center receives the statement: the
    // whole center knows it from then on, stale or not.
    store.revoke(kid, 6, 6, "volé", now).await.unwrap();
    let response = s
        .attacker
        .signed(Method::GET, "/v1/freshness", vec![])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let received = response.bytes().await.unwrap();
    let (restricted, _) = bundle.with_freshness(&received).unwrap();
    assert!(restricted.is_revoked(kid, 6));
    let later = Timestamp::now();
    let entry = silent.redemption_of(&s.platform.minter.code(6), later, |_| {});
    let results = silent
        .push(&[entry])
        .await
        .json::<PushResponse>()
        .await
        .unwrap()
        .results;
    assert_refused(&results, EntryState::Rejected, CauseCode::Revoked);
}

/// The same kiosk that never pulls, with the clocks really 40 days on: the platform process
/// runs under libfaketime, the kiosk dates its redemption and signs its request 40 days on.
/// The bundle carrying the revocation and the compromise was published today with the usual
/// 7 days of freshness; 40 days on it binds everyone, pulled or not, so nothing is paid.
async fn a_shifted_clock_does_not_outrun_staleness(backend: Backend) {
    const DAYS_ON: u32 = 40;
    let Some(s) = scene(backend).await else {
        return;
    };
    let mut silent = s.platform.kiosk("C2").await;
    let (store, kid) = (s.platform.store.clone(), s.platform.kid);
    {
        let now = Timestamp::now();
        store.revoke(kid, 6, 6, "volé", now).await.unwrap();
        store
            .set_issuer_status(kid, KeyStatus::Compromised, now)
            .await
            .unwrap();
    };
    s.publish().await;
    let Some(shifted) = s.platform.another_process_days_on(DAYS_ON) else {
        return;
    };
    silent.base = shifted.url.clone();
    let later = Timestamp::now() + SignedDuration::from_hours(24 * i64::from(DAYS_ON));
    let fresh = s.platform.minter.code_with(&s.platform.minter.issuer, |c| {
        c.serial = 7;
    });
    let entries = [
        silent.redemption_of(&s.platform.minter.code(6), later, |_| {}),
        silent.redemption_of(&fresh, later, |_| {}),
    ];
    let pushed = silent.push_at(&entries, later).await;
    assert_eq!(pushed.status(), 200, "the shifted platform takes the push");
    let results = pushed.json::<PushResponse>().await.unwrap().results;
    assert_refused(&results, EntryState::Rejected, CauseCode::IssuerRevoked);
    drop(shifted);
    s.assert_nothing_paid(&[later]).await;
}

/// A device cannot date a redemption before it existed: an expired booklet's coupon dated
/// 2025-01-15 by a kiosk enrolled today is not paid in 2025-01 (nor now: at the time the
/// platform believes, it is expired); a valid coupon dated before the enrollment is held.
async fn a_device_cannot_date_before_its_enrollment(backend: Backend) {
    let Some(mut s) = scene(backend).await else {
        return;
    };
    let old = common::mint(&s.platform, |request| {
        request.issued_on = jiff::civil::date(2024, 6, 1);
        request.valid_until = jiff::civil::date(2025, 6, 30);
    })
    .await;
    let january: Timestamp = "2025-01-15T10:00:00Z".parse().unwrap();
    let results = s
        .attack_one(&old.code(old.coupon.serial), january, |_| {})
        .await;
    assert_refused(&results, EntryState::Rejected, CauseCode::Expired);
    let mut fresh = s.platform.kiosk("C2").await;
    let ten_days_ago = Timestamp::now() - SignedDuration::from_hours(24 * 10);
    let entry = fresh.redemption_of(&s.platform.minter.code(2), ten_days_ago, |_| {});
    let results = fresh
        .push(&[entry])
        .await
        .json::<PushResponse>()
        .await
        .unwrap()
        .results;
    assert_refused(&results, EntryState::Held, CauseCode::BeforeEnrollment);
    s.assert_nothing_paid(&[january, ten_days_ago]).await;
}

/// A database writer without the signer: its own issuer key in `issuer_keys`, a mint order
/// for it, codes it signs itself, and even a bundle signed by its own root in `bundles`: no
/// root of the platform ever signed that key, so nothing is paid.
async fn a_database_writers_own_issuer_key_pays_nothing(backend: Backend) {
    let Some(mut s) = scene(backend).await else {
        return;
    };
    let own = generate_key().unwrap();
    let store = s.platform.store.clone();
    let public = own.verifying_key();
    let own_kid = {
        let now = Timestamp::now();
        store.add_provider(9, "Fournisseur fantôme").await.unwrap();
        let kid = store.add_issuer_key(9, &public, now).await.unwrap();
        let (issued_on, valid_until) = common::booklet_days();
        let booklets = store
            .record_mint(
                &MintRequest {
                    booklets: 1,
                    coupons_per_booklet: 5,
                    value_cents: 1000,
                    issued_on,
                    valid_until,
                    provider: 9,
                    scope: Scope::of(&[Area::A2_2]),
                    zone: 0,
                },
                now,
            )
            .await
            .unwrap();
        assert_eq!(booklets[0].kid, kid);
        // A bundle listing the key, signed by a root of the writer's own.
        let stranger = generate_key().unwrap();
        store
            .publish_bundle(now, now + SignedDuration::from_hours(24), |doc| {
                guichet_platform::bundle::seal_checked(doc, &stranger)
            })
            .await
            .unwrap();
        (kid, booklets[0].first_serial)
    };
    let now = Timestamp::now();
    let entries: Vec<LedgerEntry> = (0..5)
        .map(|i| {
            let code = s.platform.minter.code_with(&own, |c| {
                c.kid = own_kid.0;
                c.serial = own_kid.1 + i;
                c.provider = 9;
            });
            s.attacker.redemption_of(&code, now, |_| {})
        })
        .collect();
    let results = s.attack(&entries).await;
    assert_refused(&results, EntryState::Rejected, CauseCode::UnknownIssuer);
    // Without the code, on the booklet's record alone: not even held.
    let results = s
        .attack_one(
            &s.platform.minter.code_with(&own, |c| {
                c.kid = own_kid.0;
                c.serial = own_kid.1;
                c.provider = 9;
            }),
            now,
            |r| r.code = None,
        )
        .await;
    assert_refused(&results, EntryState::Rejected, CauseCode::UnknownIssuer);
    s.assert_nothing_paid(&[now]).await;
}

/// One holder, one answer: a redemption received earlier by one platform process but
/// committed after another already answered `accepted` does not take the coupon (the
/// database's order of commits decides, not the processes' clocks).
async fn an_accepted_answer_never_flips(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let mut first = s.platform.kiosk("C1").await;
    let mut second = s.platform.kiosk("C2").await;
    let code = s.platform.minter.code(2);
    let now = Timestamp::now();
    let a = first.redemption_of(&code, now, |_| {});
    let b = second.redemption_of(&code, now, |_| {});
    let store = s.platform.store.clone();
    let (first_device, second_device) = (first.device_id.clone(), second.device_id.clone());
    let (answered, late, final_a) = {
        let answered = store
            .ingest(&first_device, std::slice::from_ref(&a), now)
            .await
            .unwrap();
        // Received 1.1 ms before, by another process, committed after.
        let late = store
            .ingest(
                &second_device,
                std::slice::from_ref(&b),
                now - SignedDuration::from_micros(1100),
            )
            .await
            .unwrap();
        let final_a = store.entry_state(&a.id.to_string()).await.unwrap().unwrap();
        (answered, late, final_a)
    };
    assert_eq!(answered.results[0].state, EntryState::Accepted);
    assert_eq!(late.results[0].state, EntryState::Conflict);
    assert_eq!(final_a.state, EntryState::Accepted, "no flip");
}

/// The race: five kiosks of two centers push one code at the same instant, through two
/// platform processes (this test's server and a real `guichet-platform serve`) on one
/// database, 100 rounds: exactly one `accepted` answer per coupon, and that redemption still
/// holds it at the end.
async fn one_coupon_one_accepted_answer_in_a_race(backend: Backend) {
    const ROUNDS: u64 = 100;
    let Some(s) = scene(backend).await else {
        return;
    };
    let second = s.platform.another_process();
    // Ten booklets of ten: serials that follow each other.
    let booklet = common::mint(&s.platform, |request| {
        request.booklets = 10;
        request.coupons_per_booklet = 10;
    })
    .await;
    let mut kiosks = Vec::new();
    for i in 0..5 {
        let mut kiosk = s.platform.kiosk(if i % 2 == 0 { "C1" } else { "C2" }).await;
        if i % 2 == 1 {
            kiosk.base = second.url.clone();
        }
        kiosks.push(kiosk);
    }
    let mut winners = Vec::new();
    for round in 0..ROUNDS {
        let code = booklet.code(booklet.coupon.serial + round);
        let now = Timestamp::now();
        let entries: Vec<LedgerEntry> = kiosks
            .iter_mut()
            .map(|kiosk| kiosk.redemption_of(&code, now, |_| {}))
            .collect();
        let [k0, k1, k2, k3, k4] = &kiosks[..] else {
            unreachable!("five kiosks")
        };
        let answers = tokio::join!(
            k0.push(&entries[0..1]),
            k1.push(&entries[1..2]),
            k2.push(&entries[2..3]),
            k3.push(&entries[3..4]),
            k4.push(&entries[4..5]),
        );
        let mut accepted = Vec::new();
        for answer in [answers.0, answers.1, answers.2, answers.3, answers.4] {
            assert_eq!(answer.status(), 200);
            let result = answer
                .json::<PushResponse>()
                .await
                .unwrap()
                .results
                .remove(0);
            if result.state == EntryState::Accepted {
                accepted.push(result.id);
            } else {
                assert_eq!(result.state, EntryState::Conflict, "{result:?}");
            }
        }
        assert_eq!(accepted.len(), 1, "round {round}: {accepted:?}");
        winners.push(accepted[0]);
    }
    let store = s.platform.store.clone();
    let mut flips = 0;
    for id in &winners {
        if store
            .entry_state(&id.to_string())
            .await
            .unwrap()
            .unwrap()
            .state
            != EntryState::Accepted
        {
            flips += 1;
        }
    }
    assert_eq!(
        flips, 0,
        "an answered `accepted` never becomes anything else"
    );
    drop(second);
}

/// A closed month never changes: an admin's later acceptance is reported in the first open
/// month; the current month cannot be closed.
async fn a_closed_month_never_changes(backend: Backend) {
    let Some(mut s) = scene(backend).await else {
        return;
    };
    let now = Timestamp::now();
    let held = s
        .attacker
        .redemption_of(&s.platform.minter.code(2), now, |r| r.code = None);
    let results = s.attack(std::slice::from_ref(&held)).await;
    assert_eq!(results[0].state, EntryState::Held);
    let store = s.platform.store.clone();
    let (current_refused, report_now) = {
        let current_refused = store
            .close_month(paris_day(now), "Inès", now, &s.platform.signer())
            .await
            .is_err();
        // The admin decides a month later, after closing this month.
        let later = now + SignedDuration::from_hours(24 * 31);
        store
            .close_month(paris_day(now), "Inès", later, &s.platform.signer())
            .await
            .unwrap();
        let frozen = store.month_report(paris_day(now)).await.unwrap();
        store
            .review_decide(
                &held.id.to_string(),
                guichet_platform::store::Decision::Accept,
                "Inès",
                "carnet vu",
                later,
            )
            .await
            .unwrap();
        let after = store.month_report(paris_day(now)).await.unwrap();
        assert_eq!(
            frozen.reimbursements, after.reimbursements,
            "the closed month pays what it paid"
        );
        let next = store.month_report(paris_day(later)).await.unwrap();
        (current_refused, next)
    };
    assert!(
        current_refused,
        "a month that has not ended cannot be closed"
    );
    assert_eq!(total(&report_now, "C2"), VALUE, "{report_now:?}");
}

on_both_backends!(
    a_decision_never_creates_value,
    a_transfer_names_the_holder_and_adds_nothing,
    a_kiosk_that_never_pulls_is_held_to_what_it_could_know,
    a_revocation_said_online_binds_every_kiosk_once_its_statement_is_stale,
    a_shifted_clock_does_not_outrun_staleness,
    a_device_cannot_date_before_its_enrollment,
    a_database_writers_own_issuer_key_pays_nothing,
    an_accepted_answer_never_flips,
    one_coupon_one_accepted_answer_in_a_race,
    a_closed_month_never_changes,
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
