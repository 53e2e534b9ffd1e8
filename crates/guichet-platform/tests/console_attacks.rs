//! Attacks on the operator's console (issue 24), each refused, on a real server on loopback
//! over a real database (SQLite file, and PostgreSQL where installed): a login without the
//! second factor, a stolen session cookie after logout, a cross-site form post, a reviewer
//! trying an admin action, a decision without privilege mode, a brute-forced password, a
//! replayed TOTP code; and what every answer carries (security headers, cookie flags), an idle
//! session's end, and each state change's audit entry.

mod common;
mod console_client;

use std::net::IpAddr;

use common::{Backend, TestPlatform};
use console_client::{create_account, Browser, TestAccount, PASSWORD};
use guichet_console::model::Role;
use guichet_console::secrets::token_hash;
use guichet_protocol::{EntryState, PushResponse};
use jiff::Timestamp;

/// A platform with one kiosk of C1, an admin and a reviewer.
struct Scene {
    platform: TestPlatform,
    device: String,
    admin: TestAccount,
    reviewer: TestAccount,
}

async fn scene(backend: Backend) -> Option<Scene> {
    let platform = TestPlatform::start(backend).await?;
    let kiosk = platform.kiosk("C1").await;
    let store = platform.store.clone();
    let (admin, reviewer) = {
        (
            create_account(&store, "camille", Role::Admin).await,
            create_account(&store, "dominique", Role::Reviewer).await,
        )
    };
    Some(Scene {
        device: kiosk.device_id.clone(),
        platform,
        admin,
        reviewer,
    })
}

impl Scene {
    fn browser(&self) -> Browser {
        Browser::new(&self.platform.server.url())
    }

    async fn device_disabled(&self) -> bool {
        let (store, id) = (self.platform.store.clone(), self.device.clone());
        store.device(&id).await.unwrap().unwrap().disabled
    }

    async fn audit_actions(&self) -> Vec<(Option<String>, String, String)> {
        let store = self.platform.store.clone();
        store
            .audit_log(1000)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.account, e.action, e.object))
            .collect()
    }

    /// Posts the disable form of the kiosk with the browser's own token.
    async fn disable(&self, browser: &mut Browser) -> console_client::Answer {
        let csrf = browser.csrf().await;
        browser
            .post(
                &format!("/console/devices/{}/disable", self.device),
                &[("csrf", &csrf), ("reason", "volée au centre")],
            )
            .await
    }
}

/// The password alone opens nothing but the second-factor form: no page, no action; a wrong
/// code is refused.
async fn a_login_without_the_second_factor_opens_nothing(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let mut browser = s.browser();
    let answer = browser.password(&s.admin.name, PASSWORD).await;
    assert_eq!(answer.status, 303);
    for page in [
        "/console",
        "/console/devices",
        "/console/audit",
        "/console/privilege",
    ] {
        let answer = browser.get(page).await;
        assert_eq!(answer.status, 303, "{page}");
        assert_eq!(
            answer.location.as_deref(),
            Some("/console/login/code"),
            "{page}"
        );
    }
    // The half-open session's token (from the code form) opens no action either.
    let code_page = browser.get("/console/login/code").await;
    let csrf = console_client::csrf_of(&code_page.body);
    let answer = browser
        .post(
            &format!("/console/devices/{}/disable", s.device),
            &[("csrf", &csrf), ("reason", "x")],
        )
        .await;
    assert_eq!(answer.status, 303);
    assert_eq!(answer.location.as_deref(), Some("/console/login/code"));
    assert!(!s.device_disabled().await);
    let wrong = if s.admin.code(0) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let answer = browser.second_factor(wrong).await;
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert_eq!(browser.get("/console").await.status, 303);
    // The right code opens the dashboard.
    let answer = browser.second_factor(&s.admin.code(0)).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(browser.get("/console").await.status, 200);
}

/// After logout, a copy of the session cookie (stolen before) opens nothing: the session was
/// deleted on the server.
async fn a_stolen_session_cookie_is_dead_after_logout(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let mut browser = s.browser();
    browser.login(&s.admin).await;
    let mut thief = s.browser();
    thief.cookies = browser.cookies.clone();
    assert_eq!(thief.get("/console/devices").await.status, 200);
    let token = browser.cookies[guichet_console::COOKIE].clone();
    let csrf = browser.csrf().await;
    let answer = browser.post("/console/logout", &[("csrf", &csrf)]).await;
    assert_eq!(answer.status, 303);
    assert!(!browser.cookies.contains_key(guichet_console::COOKIE));
    let answer = thief.get("/console/devices").await;
    assert_eq!(answer.status, 303);
    assert_eq!(answer.location.as_deref(), Some("/console/login"));
    let store = s.platform.store.clone();
    let session = store.console_session(&token_hash(&token)).await.unwrap();
    assert_eq!(session, None, "the session is deleted on the server");
    let actions = s.audit_actions().await;
    assert!(actions
        .iter()
        .any(|(who, action, _)| action == "logout" && who.as_deref() == Some("camille")));
}

/// A form posted from another site (its Origin, its Sec-Fetch-Site, neither header) or
/// without the session's token is refused, even for a privileged admin; the same form from the
/// console passes and is audited.
async fn a_cross_site_form_post_is_refused(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let mut browser = s.browser();
    browser.login(&s.admin).await;
    browser.elevate(&s.admin).await;
    let csrf = browser.csrf().await;
    let path = format!("/console/devices/{}/disable", s.device);
    let fields = [("csrf", csrf.as_str()), ("reason", "attaque")];
    let origin = s.platform.server.url();
    let attacks: [&[(&str, &str)]; 4] = [
        &[("origin", "https://evil.example")],
        &[
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ],
        &[("sec-fetch-site", "same-site")],
        &[],
    ];
    for headers in attacks {
        let answer = browser.post_with(&path, &fields, headers).await;
        assert_eq!(answer.status, 403, "{headers:?}: {}", answer.body);
    }
    for token in ["", "0000", &"f".repeat(64)] {
        let answer = browser
            .post_with(
                &path,
                &[("csrf", token), ("reason", "attaque")],
                &[("origin", &origin), ("sec-fetch-site", "same-origin")],
            )
            .await;
        assert_eq!(answer.status, 403, "token {token:?}: {}", answer.body);
    }
    assert!(
        !s.device_disabled().await,
        "no refused post changed anything"
    );
    assert!(!s
        .audit_actions()
        .await
        .iter()
        .any(|(_, action, _)| action == "device.disable"));
    // The console's own form passes.
    let answer = s.disable(&mut browser).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert!(s.device_disabled().await);
    let store = s.platform.store.clone();
    let entry = store.audit_log(1).await.unwrap().remove(0);
    assert_eq!(entry.action, "device.disable");
    assert_eq!(entry.object, format!("device:{}", s.device));
    assert_eq!(entry.account.as_deref(), Some("camille"));
    assert_eq!(entry.role, Some(Role::Admin));
    assert_eq!(entry.address, "127.0.0.1");
    assert_eq!(entry.before.as_deref(), Some(r#"{"disabled":false}"#));
    assert!(entry.after.unwrap().contains("volée au centre"));
    // The audit log's export holds it.
    let export = browser.get("/console/audit.csv").await;
    assert_eq!(export.status, 200);
    let content_type = export
        .headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let mut lines = export.body.lines();
    assert_eq!(
        lines.next(),
        Some("at,account,role,address,action,object,before,after")
    );
    let disable = lines.next().unwrap();
    assert!(
        disable.contains(",camille,admin,127.0.0.1,device.disable,device:"),
        "{disable}"
    );
    assert!(disable.contains("volée au centre"), "{disable}");
}

/// A reviewer, even in privilege mode, cannot disable a kiosk nor read the kiosks' page.
async fn a_reviewer_cannot_do_an_admin_action(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let mut browser = s.browser();
    browser.login(&s.reviewer).await;
    browser.elevate(&s.reviewer).await;
    assert_eq!(browser.get("/console/devices").await.status, 403);
    assert_eq!(browser.get("/console/audit").await.status, 403);
    assert_eq!(browser.get("/console/audit.csv").await.status, 403);
    let answer = s.disable(&mut browser).await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(!s.device_disabled().await);
}

/// A held redemption of the kiosk (dated in 2099).
async fn held_redemption(s: &Scene) -> String {
    let mut kiosk = s.platform.kiosk("C2").await;
    let future: Timestamp = "2099-06-01T10:00:00Z".parse().unwrap();
    let entry = kiosk.redemption_of(&s.platform.minter.code(3), future, |_| {});
    let pushed: PushResponse = kiosk
        .push(std::slice::from_ref(&entry))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pushed.results[0].state, EntryState::Held);
    pushed.results[0].id.to_string()
}

/// A reviewer's decision without a fresh re-authentication is refused and changes nothing;
/// after it, the decision is recorded under the reviewer's account, with its audit entry.
async fn a_decision_without_privilege_mode_is_refused(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let id = held_redemption(&s).await;
    let mut browser = s.browser();
    browser.login(&s.reviewer).await;
    let page = browser.get("/console/review").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&id), "the held redemption is listed");
    let csrf = browser.csrf().await;
    let decide = [
        ("csrf", csrf.as_str()),
        ("decision", "reject"),
        ("reason", "date impossible"),
    ];
    let answer = browser
        .post(&format!("/console/review/{id}"), &decide)
        .await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(answer.body.contains("/console/privilege"));
    let store = s.platform.store.clone();
    let held = store.review_list(&[EntryState::Held]).await.unwrap();
    assert_eq!(held.len(), 1, "still held");
    browser.elevate(&s.reviewer).await;
    let answer = browser
        .post(&format!("/console/review/{id}"), &decide)
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let store = s.platform.store.clone();
    let rejected = store.review_list(&[EntryState::Rejected]).await.unwrap();
    assert_eq!(rejected.len(), 1);
    let store = s.platform.store.clone();
    let entry = store.audit_log(1).await.unwrap().remove(0);
    assert_eq!(entry.action, "review.reject");
    assert_eq!(entry.object, format!("redemption:{id}"));
    assert_eq!(entry.account.as_deref(), Some("dominique"));
    assert_eq!(entry.role, Some(Role::Reviewer));
    assert!(entry.after.unwrap().contains(r#""state":"rejected""#));
}

/// Five wrong passwords lock the account for 15 minutes, from any address, even with the
/// right password; ten failures from one address lock that address out for every account.
async fn a_brute_forced_password_locks_the_account(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let base = s.platform.server.url();
    let mut attacker = Browser::from_address(&base, Some(IpAddr::from([127, 0, 0, 2])));
    for attempt in 0..guichet_console::MAX_FAILURES_PER_NAME {
        let answer = attacker
            .password(&s.admin.name, &format!("guess number {attempt}"))
            .await;
        assert_eq!(answer.status, 401, "{}", answer.body);
    }
    let answer = attacker.password(&s.admin.name, PASSWORD).await;
    assert_eq!(answer.status, 429, "locked even with the right password");
    let mut elsewhere = Browser::from_address(&base, Some(IpAddr::from([127, 0, 0, 3])));
    let answer = elsewhere.password(&s.admin.name, PASSWORD).await;
    assert_eq!(
        answer.status, 429,
        "the account is locked from every address"
    );
    assert!(!elsewhere.cookies.contains_key(guichet_console::COOKIE));
    // Another account from a third address still logs in.
    let mut reviewer = Browser::from_address(&base, Some(IpAddr::from([127, 0, 0, 3])));
    reviewer.login(&s.reviewer).await;
    // An address that fails with many names is locked out for every name.
    let mut sprayer = Browser::from_address(&base, Some(IpAddr::from([127, 0, 0, 4])));
    for attempt in 0..guichet_console::MAX_FAILURES_PER_ADDRESS {
        let answer = sprayer.password(&format!("user{attempt}"), PASSWORD).await;
        assert_eq!(answer.status, 401);
    }
    let store = s.platform.store.clone();
    let auditor = create_account(&store, "alix", Role::Auditor).await;
    let answer = sprayer.password(&auditor.name, PASSWORD).await;
    assert_eq!(answer.status, 429);
    let mut fine = Browser::from_address(&base, Some(IpAddr::from([127, 0, 0, 5])));
    fine.login(&auditor).await;
    // 200 kB of name or password is one more wrong attempt, nothing else (a bigger body is
    // refused by the server before any check: 413).
    let mut huge = Browser::from_address(&base, Some(IpAddr::from([127, 0, 0, 6])));
    let long = "é".repeat(100_000);
    assert_eq!(huge.password(&long, PASSWORD).await.status, 401);
    assert_eq!(huge.password(&s.reviewer.name, &long).await.status, 401);
    let store = s.platform.store.clone();
    let failures = {
        store
            .login_failures(&"é".repeat(64), "127.0.0.6", 0)
            .await
            .unwrap()
    };
    assert_eq!((failures.by_name, failures.by_address), (1, 2));
}

/// A TOTP code accepted once is refused the second time, at login and for privilege mode;
/// a recovery code works once.
async fn a_replayed_totp_code_is_refused(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let code = s.admin.code(0);
    let mut first = s.browser();
    assert_eq!(first.password(&s.admin.name, PASSWORD).await.status, 303);
    assert_eq!(first.second_factor(&code).await.status, 303);
    let mut replay = s.browser();
    assert_eq!(replay.password(&s.admin.name, PASSWORD).await.status, 303);
    let answer = replay.second_factor(&code).await;
    assert_eq!(answer.status, 401, "{}", answer.body);
    // Nor for privilege mode.
    let csrf = first.csrf().await;
    let answer = first
        .post(
            "/console/privilege",
            &[("csrf", &csrf), ("password", PASSWORD), ("code", &code)],
        )
        .await;
    assert_eq!(answer.status, 401);
    // A recovery code, once.
    let recovery = s.admin.recovery[0].clone();
    assert_eq!(replay.second_factor(&recovery).await.status, 303);
    assert_eq!(replay.get("/console").await.status, 200);
    let mut again = s.browser();
    assert_eq!(again.password(&s.admin.name, PASSWORD).await.status, 303);
    assert_eq!(again.second_factor(&recovery).await.status, 401);
}

/// Every console answer carries the security headers; the session cookie is HttpOnly, Secure,
/// SameSite=Strict, Path=/; an idle session ends; pages need a session.
async fn answers_carry_the_security_headers_and_idle_sessions_end(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let mut browser = s.browser();
    for path in [
        "/console/login",
        "/console",
        "/console/console.css",
        "/console/nowhere",
    ] {
        let answer = browser.get(path).await;
        let header = |name: &str| {
            answer
                .headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let csp = header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(
            header("cache-control").as_deref(),
            Some("no-store"),
            "{path}"
        );
        assert_eq!(header("referrer-policy").as_deref(), Some("no-referrer"));
        assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
    }
    let page = browser.get("/console/login").await;
    assert!(!page.body.contains("<script") && !page.body.contains("style="));
    let slash = browser.get("/console/").await;
    assert_eq!(
        (slash.status, slash.location.as_deref()),
        (308, Some("/console"))
    );
    let answer = browser.password(&s.admin.name, PASSWORD).await;
    let cookie = answer
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with("__Host-guichet="))
        .unwrap()
        .to_owned();
    for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie}");
    }
    assert_eq!(browser.second_factor(&s.admin.code(0)).await.status, 303);
    assert_eq!(browser.get("/console").await.status, 200);
    // Unused for longer than the idle timeout: over.
    let token = browser.cookies[guichet_console::COOKIE].clone();
    let store = s.platform.store.clone();
    let idle = Timestamp::now().as_second() - guichet_console::IDLE_TIMEOUT_SECS - 1;
    store
        .touch_session(&token_hash(&token), idle)
        .await
        .unwrap();
    let answer = browser.get("/console").await;
    assert_eq!(answer.location.as_deref(), Some("/console/login"));
    // A session older than the absolute lifetime, whose cookie never came back, is forgotten
    // when the next session is created.
    let store = s.platform.store.clone();
    let old = Timestamp::now().as_second() - guichet_console::ABSOLUTE_LIFETIME_SECS - 1;
    let account = {
        let account = store
            .console_account_named("camille")
            .await
            .unwrap()
            .unwrap();
        store
            .create_session(&guichet_console::model::Session {
                token_hash: token_hash("forgotten"),
                account: account.id.clone(),
                stage: guichet_console::model::Stage::Full,
                csrf: "x".into(),
                created_at: old,
                last_seen: old,
                privileged_at: None,
                address: "127.0.0.1".into(),
            })
            .await
            .unwrap();
        account
    };
    assert_eq!(account.name, "camille");
    assert_eq!(browser.password(&s.admin.name, PASSWORD).await.status, 303);
    let store = s.platform.store.clone();
    let forgotten = store
        .console_session(&token_hash("forgotten"))
        .await
        .unwrap();
    assert_eq!(forgotten, None);
}

/// The audit log is append-only in the database itself: whoever holds a connection cannot
/// change or delete an entry (the triggers of migration 7); appending still works.
async fn the_audit_log_refuses_updates_and_deletes(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let location = s.platform.location.clone();
    // On a thread of its own: the blocking `postgres` client starts a runtime.
    let refusals = std::thread::spawn(move || {
        let statements = [
            "UPDATE console_audit SET account = 'nobody'",
            "DELETE FROM console_audit",
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
        assert!(refusal.contains("append-only"), "{refusal}");
    }
    let store = s.platform.store.clone();
    let entries = store.audit_log(10).await.unwrap();
    assert_eq!(
        entries.len(),
        2,
        "the two account.create entries are intact"
    );
    assert!(entries
        .iter()
        .all(|e| e.action == "account.create" && e.account.is_none()));
}

/// A coupon redeemed at C1 (accepted) then at C2 (conflict): the review page offers to give
/// it to the conflicting redemption by naming the holder; the transfer moves it, under the
/// reviewer's name.
async fn a_transfer_names_the_holder_the_page_shows(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let code = s.platform.minter.code(4);
    let mut first = s.platform.kiosk("C1").await;
    let mut second = s.platform.kiosk("C2").await;
    let now = Timestamp::now();
    let holder = first.redemption_of(&code, now - jiff::SignedDuration::from_secs(60), |_| {});
    let late = second.redemption_of(&code, now - jiff::SignedDuration::from_secs(30), |_| {});
    let pushed: PushResponse = first.push(&[holder]).await.json().await.unwrap();
    assert_eq!(pushed.results[0].state, EntryState::Accepted);
    let holder = pushed.results[0].id.to_string();
    let pushed: PushResponse = second.push(&[late]).await.json().await.unwrap();
    assert_eq!(pushed.results[0].state, EntryState::Conflict);
    let late = pushed.results[0].id.to_string();
    let mut browser = s.browser();
    browser.login(&s.reviewer).await;
    browser.elevate(&s.reviewer).await;
    let page = browser.get("/console/review").await;
    let offered = format!("value=\"transfer:{holder}\"");
    assert!(page.body.contains(&offered), "{}", page.body);
    assert!(
        !page.body.contains("value=\"accept\""),
        "no plain accept while a holder exists"
    );
    let csrf = console_client::csrf_of(&page.body);
    // Naming another redemption as the holder moves nothing.
    let answer = browser
        .post(
            &format!("/console/review/{late}"),
            &[
                ("csrf", &csrf),
                ("decision", &format!("transfer:{late}")),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    let answer = browser
        .post(
            &format!("/console/review/{late}"),
            &[
                ("csrf", &csrf),
                ("decision", &format!("transfer:{holder}")),
                ("reason", "le centre C1 a rendu le pass"),
            ],
        )
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let store = s.platform.store.clone();
    let conflicts = store.review_list(&[EntryState::Conflict]).await.unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(
        conflicts[0].redemption.result.id.to_string(),
        holder,
        "the old holder lost it"
    );
    let store = s.platform.store.clone();
    let entry = store.audit_log(1).await.unwrap().remove(0);
    assert_eq!(entry.action, "review.transfer");
    assert_eq!(entry.account.as_deref(), Some("dominique"));
    let after = entry.after.unwrap();
    assert!(
        after.contains(&holder) && after.contains(r#""state":"accepted""#),
        "{after}"
    );
}

/// Disabling an account (`account disable`) ends its sessions at once and refuses its login.
async fn a_disabled_account_loses_its_sessions(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let mut browser = s.browser();
    browser.login(&s.admin).await;
    assert_eq!(browser.get("/console/devices").await.status, 200);
    let store = s.platform.store.clone();
    {
        let entry = guichet_console::model::AuditEntry {
            at: Timestamp::now().to_string(),
            account: None,
            role: None,
            address: "cli".into(),
            action: "account.disable".into(),
            object: "account:camille".into(),
            before: None,
            after: None,
        };
        store
            .set_account_disabled("camille", true, &entry)
            .await
            .unwrap();
        assert!(store
            .set_account_disabled("camille", true, &entry)
            .await
            .is_err());
    };
    let answer = browser.get("/console/devices").await;
    assert_eq!(answer.location.as_deref(), Some("/console/login"));
    assert_eq!(browser.password(&s.admin.name, PASSWORD).await.status, 401);
}

on_both_backends!(
    a_transfer_names_the_holder_the_page_shows,
    a_disabled_account_loses_its_sessions,
    the_audit_log_refuses_updates_and_deletes,
    a_login_without_the_second_factor_opens_nothing,
    a_stolen_session_cookie_is_dead_after_logout,
    a_cross_site_form_post_is_refused,
    a_reviewer_cannot_do_an_admin_action,
    a_decision_without_privilege_mode_is_refused,
    a_brute_forced_password_locks_the_account,
    a_replayed_totp_code_is_refused,
    answers_carry_the_security_headers_and_idle_sessions_end,
);
