//! Closing a month issues each center's signed statement (`schema/statement.md`): from the
//! platform's own records, verifiable offline from the root fingerprint, never changed
//! afterwards. Real HTTP on loopback, both backends.

mod common;

use common::{Backend, TestPlatform};
use guichet_platform::clock::paris_day;
use guichet_platform::keys::generate_key;
use guichet_platform::store::StatementSigner;
use guichet_protocol::fingerprint::root_fingerprint;
use guichet_protocol::statement;
use guichet_protocol::{EntryState, PushResponse};
use jiff::{SignedDuration, Timestamp};

/// The minted booklet's face value.
const VALUE: u64 = 1000;

/// A month where C1's kiosk had two coupons accepted (one declared at a false value) and one
/// refused, closed a month later: C1 gets one statement of what the platform recorded.
async fn closing_a_month_issues_each_center_s_statement(backend: Backend) {
    let Some(platform) = TestPlatform::start(backend).await else {
        return;
    };
    let now = Timestamp::now();
    let mut kiosk = platform.kiosk("C1").await;
    let honest = kiosk.redemption_of(&platform.minter.code(1), now, |_| {});
    // The kiosk declares 50 € for a 10 € coupon: the platform pays its own record, or nothing.
    let inflated = kiosk.redemption_of(&platform.minter.code(2), now, |r| r.value_cents = 5000);
    let forged = kiosk.redemption(platform.kid, 999, now);
    let pushed: PushResponse = kiosk
        .push(&[honest.clone(), inflated.clone(), forged.clone()])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pushed.results[0].state, EntryState::Accepted);
    assert_ne!(pushed.results[2].state, EntryState::Accepted);
    let accepted: Vec<String> = pushed
        .results
        .iter()
        .filter(|r| r.state == EntryState::Accepted)
        .map(|r| r.id.to_string())
        .collect();

    let store = platform.store.clone();
    let month = paris_day(now);
    let later = now + SignedDuration::from_hours(24 * 31);
    let issued = store
        .close_month(month, "Inès", later, &platform.signer())
        .await
        .unwrap();
    assert_eq!(issued, 1, "one center had accepted redemptions");
    assert_eq!(store.statement("C2", month).await.unwrap(), None);

    let file = store
        .statement("C1", month)
        .await
        .unwrap()
        .expect("C1's statement");
    let fingerprint = root_fingerprint(&[platform.root.verifying_key()]);
    let verified = statement::verify(file.as_bytes(), &fingerprint).expect("it verifies offline");
    let document = verified.document;
    assert_eq!(document.center.id, "C1");
    assert_eq!(document.month, month.strftime("%Y-%m").to_string());
    assert_eq!((document.sequence, document.replaces), (1, None));
    assert_eq!(
        verified.signer,
        hex::encode(platform.answer_key.verifying_key().as_bytes())
    );
    let mut entries: Vec<String> = document.lines.iter().map(|l| l.entry.clone()).collect();
    entries.sort();
    let mut expected = accepted.clone();
    expected.sort();
    assert_eq!(entries, expected, "every accepted redemption, nothing else");
    for line in &document.lines {
        assert_eq!(
            line.value_cents, VALUE,
            "the minted value, not the declared one"
        );
        assert_eq!(line.device, kiosk.device_id);
    }
    let count = u64::try_from(accepted.len()).unwrap();
    assert_eq!(document.totals.coupons, count);
    assert_eq!(document.totals.cents, count * VALUE);
    // What a month's report pays C1 is what its statement says.
    let report = store.month_report(month).await.unwrap();
    let paid: i64 = report
        .reimbursements
        .iter()
        .filter(|l| l.center == "C1")
        .map(|l| l.amount_cents)
        .sum();
    assert_eq!(u64::try_from(paid).unwrap(), document.totals.cents);
    // Against another platform's fingerprint it does not verify.
    let stranger = generate_key().unwrap().verifying_key();
    assert_eq!(
        statement::verify(file.as_bytes(), &root_fingerprint(&[stranger]))
            .unwrap_err()
            .code(),
        "WRONG_ROOT"
    );
    // A month closes once: no second statement, the first unchanged.
    assert!(store
        .close_month(month, "Inès", later, &platform.signer())
        .await
        .is_err());
    assert_eq!(store.statement("C1", month).await.unwrap(), Some(file));
}

/// A sync key no published bundle lists cannot sign a statement nobody could verify: the
/// closing is refused and the month stays open.
async fn a_statement_that_would_not_verify_stops_the_closing(backend: Backend) {
    let Some(platform) = TestPlatform::start(backend).await else {
        return;
    };
    let now = Timestamp::now();
    let mut kiosk = platform.kiosk("C1").await;
    let entry = kiosk.redemption_of(&platform.minter.code(1), now, |_| {});
    let pushed: PushResponse = kiosk.push(&[entry]).await.json().await.unwrap();
    assert_eq!(pushed.results[0].state, EntryState::Accepted);
    let unlisted = StatementSigner {
        key: generate_key().unwrap(),
        roots: vec![platform.root.verifying_key()],
    };
    let later = now + SignedDuration::from_hours(24 * 31);
    let refused = platform
        .store
        .close_month(paris_day(now), "Inès", later, &unlisted)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("UNLISTED_SIGNER") || refused.contains("does not list"),
        "{refused}"
    );
    assert!(refused.contains("publish a trust bundle"), "{refused}");
    assert_eq!(
        platform.store.month_closure(paris_day(now)).await.unwrap(),
        None
    );
    assert_eq!(
        platform
            .store
            .statement("C1", paris_day(now))
            .await
            .unwrap(),
        None
    );
}

/// A statement never changes in the database itself: whoever holds a connection cannot
/// change or delete one (the triggers of migration 8).
async fn a_stored_statement_refuses_updates_and_deletes(backend: Backend) {
    let Some(platform) = TestPlatform::start(backend).await else {
        return;
    };
    let now = Timestamp::now();
    let mut kiosk = platform.kiosk("C1").await;
    let entry = kiosk.redemption_of(&platform.minter.code(1), now, |_| {});
    let _: PushResponse = kiosk.push(&[entry]).await.json().await.unwrap();
    let later = now + SignedDuration::from_hours(24 * 31);
    platform
        .store
        .close_month(paris_day(now), "Inès", later, &platform.signer())
        .await
        .unwrap();
    let before = platform
        .store
        .statement("C1", paris_day(now))
        .await
        .unwrap();
    assert!(before.is_some());
    let location = platform.location.clone();
    // On a thread of its own: the blocking `postgres` client starts a runtime.
    let refusals = std::thread::spawn(move || {
        let statements = [
            "UPDATE statements SET file = '{}'",
            "DELETE FROM statements",
        ];
        match backend {
            Backend::Sqlite => {
                let db = rusqlite::Connection::open(&location).unwrap();
                statements
                    .map(|sql| db.execute(sql, []).unwrap_err().to_string())
                    .to_vec()
            }
            Backend::Postgres => {
                let mut db = ::postgres::Client::connect(&location, ::postgres::NoTls).unwrap();
                statements
                    .map(|sql| format!("{:?}", db.execute(sql, &[]).unwrap_err()))
                    .to_vec()
            }
        }
    })
    .join()
    .unwrap();
    for refusal in refusals {
        assert!(refusal.contains("a statement never changes"), "{refusal}");
    }
    assert_eq!(
        platform
            .store
            .statement("C1", paris_day(now))
            .await
            .unwrap(),
        before
    );
}

on_both_backends!(
    closing_a_month_issues_each_center_s_statement,
    a_statement_that_would_not_verify_stops_the_closing,
    a_stored_statement_refuses_updates_and_deletes,
);
