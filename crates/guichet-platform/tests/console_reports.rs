//! The console's monthly report (issue 24, operator's screens), on a real server on loopback
//! over a real database (SQLite file, and PostgreSQL where installed): the page and the CSV
//! for French spreadsheets say what the platform's report says, amounts only on payable lines;
//! closing a month is an admin's, in privilege mode, only for a month that has ended, and is
//! audited with the closure.

mod common;
mod console_client;

use common::{Backend, TestPlatform};
use console_client::{create_account, Browser, TestAccount};
use guichet_console::model::Role;
use guichet_platform::clock::paris_day;
use guichet_protocol::{EntryState, PushResponse};
use jiff::Timestamp;

/// A platform where C1 redeemed two coupons today and C2 one of them again (a conflict); an
/// admin and a reviewer.
struct Scene {
    platform: TestPlatform,
    admin: TestAccount,
    reviewer: TestAccount,
    conflict: String,
}

async fn scene(backend: Backend) -> Option<Scene> {
    let platform = TestPlatform::start(backend).await?;
    let now = Timestamp::now();
    let mut c1 = platform.kiosk("C1").await;
    let entries = [
        c1.redemption_of(&platform.minter.code(1), now, |_| {}),
        c1.redemption_of(&platform.minter.code(2), now, |_| {}),
    ];
    let pushed: PushResponse = c1.push(&entries).await.json().await.unwrap();
    assert!(pushed
        .results
        .iter()
        .all(|r| r.state == EntryState::Accepted));
    let mut c2 = platform.kiosk("C2").await;
    let again = c2.redemption_of(&platform.minter.code(2), now, |_| {});
    let pushed: PushResponse = c2.push(&[again]).await.json().await.unwrap();
    assert_eq!(pushed.results[0].state, EntryState::Conflict);
    let store = platform.store.clone();
    Some(Scene {
        admin: create_account(&store, "camille", Role::Admin).await,
        reviewer: create_account(&store, "dominique", Role::Reviewer).await,
        conflict: pushed.results[0].id.to_string(),
        platform,
    })
}

/// The CSV's rows, read as a French spreadsheet reads it (`;`, after the BOM).
fn rows(body: &str) -> Vec<Vec<String>> {
    let text = body
        .strip_prefix('\u{feff}')
        .expect("the CSV starts with a byte order mark");
    csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// The page and the CSV show the platform's report: payable per center and provider with a
/// decimal comma, the conflict listed apart without an amount, a total line.
async fn the_report_and_its_csv_say_what_the_platform_owes(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let month = paris_day(Timestamp::now()).strftime("%Y-%m").to_string();
    let report = s
        .platform
        .store
        .month_report(paris_day(Timestamp::now()))
        .await
        .unwrap();
    assert_eq!(report.reimbursements.len(), 1);
    let owed = &report.reimbursements[0];
    assert_eq!((owed.center.as_str(), owed.coupons), ("C1", 2));
    let mut browser = Browser::new(&s.platform.server.url());
    browser.login(&s.reviewer).await;
    let page = browser.get("/console/reports").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let euros = format!(
        "{},{:02} €",
        owed.amount_cents / 100,
        owed.amount_cents % 100
    );
    assert!(page.body.contains(&format!("Rapport du mois {month}")));
    assert!(page.body.contains(&euros), "{euros} in {}", page.body);
    assert!(page.body.contains(&s.conflict));
    // A reviewer reads the report but is not offered the closing of a month.
    assert!(!page.body.contains("/close"));

    let csv = browser.get(&format!("/console/reports/{month}/csv")).await;
    assert_eq!(csv.status, 200);
    assert_eq!(
        csv.headers["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    assert!(csv.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains(&format!("guichet-rapport-{month}.csv")));
    let rows = rows(&csv.body);
    assert_eq!(rows[0][0], "section");
    let amount = euros.trim_end_matches(" €");
    let payable: Vec<_> = rows.iter().filter(|r| r[0] == "à payer").collect();
    assert_eq!(payable.len(), 1);
    assert_eq!(
        (payable[0][2].as_str(), payable[0][6].as_str()),
        ("C1", "2")
    );
    assert_eq!(payable[0][7], amount);
    let conflict: Vec<_> = rows.iter().filter(|r| r[0] == "conflit").collect();
    assert_eq!(conflict.len(), 1);
    assert_eq!(conflict[0][8], s.conflict);
    assert_eq!(conflict[0][7], "", "a conflict carries no amount");
    let total = rows.last().unwrap();
    assert_eq!(
        (total[0].as_str(), total[6].as_str(), total[7].as_str()),
        ("total", "2", amount)
    );

    // Anything but a month is refused, never a panic.
    for bad in ["2026-13", "99999-01", "2026-1", "..%2F..", "2026-00"] {
        let answer = browser.get(&format!("/console/reports/{bad}/csv")).await;
        assert_eq!(answer.status, 400, "{bad}");
        let answer = browser.get(&format!("/console/reports?month={bad}")).await;
        assert_eq!(answer.status, 400, "{bad}");
    }
}

/// Closing a month: a reviewer is refused, an admin needs privilege mode, the current month
/// cannot be closed; the last month closes, once, with its audit entry, and the page says so.
async fn closing_a_month_is_an_admins_privileged_audited_act(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let today = paris_day(Timestamp::now());
    let this = today.strftime("%Y-%m").to_string();
    let last_day = today.first_of_month().yesterday().unwrap();
    let last = last_day.strftime("%Y-%m").to_string();
    let closing = |month: &str| format!("/console/reports/{month}/close");

    let mut reviewer = Browser::new(&s.platform.server.url());
    reviewer.login(&s.reviewer).await;
    reviewer.elevate(&s.reviewer).await;
    let csrf = reviewer.csrf().await;
    let answer = reviewer.post(&closing(&last), &[("csrf", &csrf)]).await;
    assert_eq!(answer.status, 403, "{}", answer.body);

    let mut admin = Browser::new(&s.platform.server.url());
    admin.login(&s.admin).await;
    let page = admin.get(&format!("/console/reports?month={last}")).await;
    assert!(page.body.contains(&closing(&last)), "{}", page.body);
    let csrf = admin.csrf().await;
    let answer = admin.post(&closing(&last), &[("csrf", &csrf)]).await;
    assert_eq!(answer.status, 403, "without privilege mode");
    assert!(answer.body.contains("/console/privilege?back="));
    let store = s.platform.store.clone();
    assert_eq!(store.month_closure(last_day).await.unwrap(), None);

    admin.elevate(&s.admin).await;
    let answer = admin.post(&closing(&this), &[("csrf", &csrf)]).await;
    assert_eq!(answer.status, 409, "the current month has not ended");
    let answer = admin.post(&closing(&last), &[("csrf", &csrf)]).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let closed = store.month_closure(last_day).await.unwrap().unwrap();
    assert_eq!(closed.1, "camille");
    let answer = admin.post(&closing(&last), &[("csrf", &csrf)]).await;
    assert_eq!(answer.status, 409, "closed already");

    let page = admin.get(&format!("/console/reports?month={last}")).await;
    assert!(page.body.contains("Mois clos le"), "{}", page.body);
    assert!(!page.body.contains(&closing(&last)));
    // The month before is closed with it, and says so.
    let before = last_day.first_of_month().yesterday().unwrap();
    let before = before.strftime("%Y-%m").to_string();
    let page = admin.get(&format!("/console/reports?month={before}")).await;
    assert!(page.body.contains("Mois clos le"), "{}", page.body);
    assert!(!page.body.contains(&closing(&before)));
    let closes: Vec<_> = store
        .audit_log(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "month.close")
        .collect();
    assert_eq!(closes.len(), 1, "one closure, one entry: {closes:?}");
    assert_eq!(closes[0].object, format!("month:{last}"));
    assert_eq!(closes[0].account.as_deref(), Some("camille"));
    assert_eq!(closes[0].role, Some(Role::Admin));
}

on_both_backends!(
    the_report_and_its_csv_say_what_the_platform_owes,
    closing_a_month_is_an_admins_privileged_audited_act,
);
