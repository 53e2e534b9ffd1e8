//! The console's booklet page (issue 24, operator's screens), on a real server on loopback
//! over a real database (SQLite file, and PostgreSQL where installed): a booklet found by its
//! number or by one of its coupons shows what became of each coupon as the platform recorded
//! it; revoking a range is an admin's, in privilege mode, with a reason, audited, and lands in
//! the next bundle draft.

mod common;
mod console_client;

use common::{Backend, TestPlatform};
use console_client::{create_account, Browser, TestAccount};
use guichet_console::model::Role;
use guichet_protocol::{EntryState, PushResponse};
use jiff::{SignedDuration, Timestamp};

/// A platform where C1 redeemed the seeded booklet's first coupon and C2 tried it again (a
/// conflict), and C1's redemption of its second coupon, dated 2099, is held.
struct Scene {
    platform: TestPlatform,
    admin: TestAccount,
    reviewer: TestAccount,
    number: u64,
    first: u64,
    accepted: String,
}

async fn scene(backend: Backend) -> Option<Scene> {
    let platform = TestPlatform::start(backend).await?;
    let now = Timestamp::now();
    let first = platform.minter.coupon.serial;
    let mut c1 = platform.kiosk("C1").await;
    let future: Timestamp = "2099-06-01T10:00:00Z".parse().unwrap();
    let entries = [
        c1.redemption_of(&platform.minter.code(first), now, |_| {}),
        c1.redemption_of(&platform.minter.code(first + 1), future, |_| {}),
    ];
    let pushed: PushResponse = c1.push(&entries).await.json().await.unwrap();
    let states: Vec<EntryState> = pushed.results.iter().map(|r| r.state).collect();
    assert_eq!(states, [EntryState::Accepted, EntryState::Held]);
    let accepted = pushed.results[0].id.to_string();
    let mut c2 = platform.kiosk("C2").await;
    let again = c2.redemption_of(&platform.minter.code(first), now, |_| {});
    let pushed: PushResponse = c2.push(&[again]).await.json().await.unwrap();
    assert_eq!(pushed.results[0].state, EntryState::Conflict);
    let store = platform.store.clone();
    let number = store
        .booklet_holding(platform.minter.coupon.kid, first)
        .await
        .unwrap()
        .expect("the seeded booklet holds its first serial");
    Some(Scene {
        admin: create_account(&store, "camille", Role::Admin).await,
        reviewer: create_account(&store, "dominique", Role::Reviewer).await,
        platform,
        number,
        first,
        accepted,
    })
}

/// The text of the row of coupon `serial` on a booklet page.
fn row(page: &str, serial: u64) -> &str {
    let start = page
        .find(&format!("id=\"coupon-{serial}\""))
        .unwrap_or_else(|| panic!("no row for coupon {serial} in {page}"));
    &page[start..start + page[start..].find("</tr>").unwrap()]
}

/// By number or by coupon, the page shows each coupon's state as the platform recorded it.
async fn a_booklet_shows_what_became_of_each_coupon(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let mut browser = Browser::new(&s.platform.server.url());
    browser.login(&s.reviewer).await;
    let page = browser
        .get(&format!("/console/booklets?q={}", s.number))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let by_coupon = browser
        .get(&format!(
            "/console/booklets?q={}+{}",
            s.platform.minter.coupon.kid.to_hex().to_uppercase(),
            s.first + 2
        ))
        .await;
    assert_eq!(by_coupon.status, 200);
    assert!(by_coupon.body.contains(&format!("Carnet n° {}", s.number)));
    let first = row(&page.body, s.first);
    assert!(first.contains("encaissé"), "{first}");
    // Each redemption's state in French words, never the wire's English names.
    assert!(
        first.contains(&format!("accepté <code>{}</code>", s.accepted))
            && first.contains("en conflit <code>"),
        "{first}"
    );
    assert!(
        !first.contains("accepted") && !first.contains(", conflict"),
        "{first}"
    );
    assert!(row(&page.body, s.first + 1).contains("en attente de revue"));
    assert!(row(&page.body, s.first + 2).contains("non utilisé"));
    // A reviewer reads but is not offered the revocation.
    assert!(!page.body.contains("/console/booklets/revoke"));
    // In English, English words.
    assert_eq!(
        browser.get("/console/lang/en?back=/console").await.status,
        303
    );
    let english = browser
        .get(&format!("/console/booklets?q={}", s.number))
        .await;
    let first = row(&english.body, s.first);
    assert!(
        first.contains(&format!("accepted <code>{}</code>", s.accepted))
            && first.contains("in conflict <code>"),
        "{first}"
    );
    assert!(row(&english.body, s.first + 1).contains("waiting for review"));
    assert_eq!(
        browser.get("/console/lang/fr?back=/console").await.status,
        303
    );

    // Nothing minted: said so; not a search: 400, never a panic.
    let none = browser.get("/console/booklets?q=999999").await;
    assert_eq!(none.status, 200);
    assert!(none.body.contains("Aucun carnet émis ne correspond."));
    for bad in ["abc", "0123456789abcdeg+1", "%00", "1+2+3"] {
        let answer = browser.get(&format!("/console/booklets?q={bad}")).await;
        assert_eq!(answer.status, 400, "{bad}");
    }
}

/// Revoking: a reviewer is refused, an admin needs privilege mode and a reason; the range is
/// then revoked, shown, audited, and in the next bundle draft.
async fn revoking_coupons_is_an_admins_privileged_audited_act(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let kid = s.platform.minter.coupon.kid.to_hex();
    let (first, last) = ((s.first + 2).to_string(), (s.first + 4).to_string());
    let number = s.number.to_string();
    let form = |csrf: &str, reason: &str| {
        [
            ("csrf", csrf.to_owned()),
            ("kid", kid.clone()),
            ("booklet", number.clone()),
            ("first", first.clone()),
            ("last", last.clone()),
            ("reason", reason.to_owned()),
        ]
    };
    let post = async |browser: &mut Browser, fields: &[(&str, String)]| {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        browser.post("/console/booklets/revoke", &fields).await
    };
    let revoked = async || {
        let booklet = s
            .platform
            .store
            .booklet_detail(s.number)
            .await
            .unwrap()
            .unwrap();
        booklet
            .coupons
            .iter()
            .filter(|c| !c.revoked.is_empty())
            .map(|c| c.serial)
            .collect::<Vec<_>>()
    };

    let mut reviewer = Browser::new(&s.platform.server.url());
    reviewer.login(&s.reviewer).await;
    reviewer.elevate(&s.reviewer).await;
    let csrf = reviewer.csrf().await;
    let answer = post(&mut reviewer, &form(&csrf, "carnet perdu")).await;
    assert_eq!(answer.status, 403);

    let mut admin = Browser::new(&s.platform.server.url());
    admin.login(&s.admin).await;
    let csrf = admin.csrf().await;
    let answer = post(&mut admin, &form(&csrf, "carnet perdu")).await;
    assert_eq!(answer.status, 403, "without privilege mode");
    assert!(answer.body.contains("/console/privilege?back="));
    admin.elevate(&s.admin).await;
    let answer = post(&mut admin, &form(&csrf, "  ")).await;
    assert_eq!(answer.status, 400, "without a reason");
    let mut backwards = form(&csrf, "carnet perdu");
    backwards[3].1 = last.clone();
    backwards[4].1 = first.clone();
    assert_eq!(post(&mut admin, &backwards).await.status, 400);
    let mut unknown = form(&csrf, "carnet perdu");
    unknown[1].1 = "00000000000000ff".into();
    assert_eq!(post(&mut admin, &unknown).await.status, 409, "no such key");
    assert_eq!(revoked().await, Vec::<u64>::new());

    let answer = post(&mut admin, &form(&csrf, "Carnet volé, plainte n° 12")).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(revoked().await, [s.first + 2, s.first + 3, s.first + 4]);
    let page = admin
        .get(&format!("/console/booklets?q={}", s.number))
        .await;
    assert!(row(&page.body, s.first + 3).contains("révoqué"));
    assert!(row(&page.body, s.first + 3).contains("Carnet volé, plainte n° 12"));
    assert!(!row(&page.body, s.first + 1).contains("révoqué"));
    assert!(page.body.contains("prochain paquet de confiance publié"));

    let entries: Vec<_> = s
        .platform
        .store
        .audit_log(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "coupons.revoke")
        .collect();
    assert_eq!(entries.len(), 1, "one revocation, one entry: {entries:?}");
    assert_eq!(entries[0].object, format!("coupons:{kid}:{first}-{last}"));
    assert_eq!(entries[0].account.as_deref(), Some("camille"));
    assert!(entries[0].after.as_deref().unwrap().contains("plainte"));

    let now = Timestamp::now();
    let draft = s
        .platform
        .store
        .draft_bundle(now, now + SignedDuration::from_hours(24 * 30))
        .await
        .unwrap();
    let ranges: Vec<(u64, u64)> = draft
        .revocations
        .iter()
        .filter(|r| r.kid == s.platform.minter.coupon.kid)
        .flat_map(|r| r.ranges.iter().map(|range| (range.first, range.last)))
        .collect();
    assert_eq!(ranges, [(s.first + 2, s.first + 4)]);
}

on_both_backends!(
    a_booklet_shows_what_became_of_each_coupon,
    revoking_coupons_is_an_admins_privileged_audited_act,
);
