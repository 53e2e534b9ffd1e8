//! The operator's console in a real browser (issue 24): headless Debian Chromium, driven by
//! `console_browser.mjs` (puppeteer-core and axe-core from `tests/a11y`), against a real
//! platform on loopback over a real SQLite file. By keyboard only, it logs in with the
//! password and a TOTP code it computes, opens privilege mode, disables a kiosk from its row
//! with a reason, closes last month from the report page, revokes a booklet with a reason,
//! makes an enrollment code for a center, edits the referential (a refused edit first),
//! visits every page in French and English with axe-core finding no violation, and logs out;
//! a reviewer rejects a held redemption; a member of center C1 lands on its center's page,
//! sees its kiosk and pass and no operator page;
//! this test then checks the kiosk, the closed month, the revocation and the referential in
//! the database, and the audit entries.
//! Screenshots go to `$GUICHET_SCREENSHOTS_DIR` (`make screenshots`: docs/screenshots/), else
//! the target's temporary directory.
//!
//! Missing tools (node, the npm packages of `tests/a11y`, chromium) fail the test unless
//! `GUICHET_ALLOW_SKIP=1`; `make setup` installs them.

mod common;
mod console_client;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Backend, TestPlatform};
use console_client::{create_account, create_account_of, PASSWORD};
use guichet_console::model::{Area, AuditEntry, NewProfile, NewWorkshop, Role, WorkshopMinutes};
use guichet_protocol::{EntryState, PushResponse};
use jiff::Timestamp;

fn skip_or_fail(why: &str) {
    if std::env::var("GUICHET_ALLOW_SKIP").as_deref() == Ok("1") {
        eprintln!("SKIPPED (GUICHET_ALLOW_SKIP=1): {why}");
        return;
    }
    panic!("{why}: `make setup` installs it (or set GUICHET_ALLOW_SKIP=1 to skip)");
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_disables_a_kiosk_by_keyboard_and_every_page_passes_axe() {
    let Some(node) = on_path("node") else {
        return skip_or_fail("node is missing");
    };
    let a11y = repo("tests/a11y");
    if !a11y.join("node_modules/axe-core").is_dir()
        || !a11y.join("node_modules/puppeteer-core").is_dir()
    {
        return skip_or_fail(
            "the npm packages of tests/a11y are missing (npm ci --prefix tests/a11y)",
        );
    }
    let Some(chromium) = std::env::var_os("GUICHET_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| on_path("chromium"))
    else {
        return skip_or_fail("chromium is missing");
    };
    let platform = TestPlatform::start(Backend::Sqlite).await.unwrap();
    let mut kiosk = platform.kiosk("C1").await;
    // One pass accepted today: the dashboard counts it.
    let entry = kiosk.redemption_of(&platform.minter.code(1), Timestamp::now(), |_| {});
    let pushed: PushResponse = kiosk
        .push(std::slice::from_ref(&entry))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pushed.results[0].state, EntryState::Accepted);
    // Something to review: a redemption dated in 2099, held.
    let mut other = platform.kiosk("C2").await;
    let future: Timestamp = "2099-06-01T10:00:00Z".parse().unwrap();
    let entry = other.redemption_of(&platform.minter.code(3), future, |_| {});
    let pushed: PushResponse = other
        .push(std::slice::from_ref(&entry))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pushed.results[0].state, EntryState::Held);
    let held = pushed.results[0].id.to_string();
    let store = platform.store.clone();
    let (admin, reviewer, member) = {
        (
            create_account(&store, "camille", Role::Admin).await,
            create_account(&store, "dominique", Role::Reviewer).await,
            create_account_of(&store, "claude", Role::Center, Some("C1")).await,
        )
    };

    // C2 declared itself, a workshop, and the operator qualified it: the public finder lists it.
    let by_cli = |action: &str| AuditEntry {
        at: Timestamp::now().to_string(),
        account: None,
        role: None,
        address: "cli".into(),
        action: action.into(),
        object: "center:C2".into(),
        before: None,
        after: None,
    };
    let now = Timestamp::now().as_second();
    let profile = NewProfile {
        legal_name: "Centre social Sud".into(),
        siret: "35600000000048".parse().unwrap(),
        iban: "FR1420041010050500013M02606".parse().unwrap(),
        address: "4 allée des Pins".into(),
        postcode: "33400".parse().unwrap(),
        town: "Talence".into(),
    };
    store
        .set_center_profile("C2", &profile, now, &by_cli("center.profile"))
        .await
        .unwrap();
    let workshop = NewWorkshop {
        name: "Premiers pas sur ordinateur".into(),
        area: Area::A1_1,
        service: None,
        minutes: WorkshopMinutes::new(120).unwrap(),
    };
    store
        .add_workshop("C2", &workshop, now, &by_cli("workshop.add"))
        .await
        .unwrap();
    store
        .qualify_center("C2", "camille", now, &by_cli("center.qualify"))
        .await
        .unwrap();

    let booklet = store
        .booklet_holding(platform.minter.coupon.kid, 1)
        .await
        .unwrap()
        .expect("the booklet of the coupon redeemed");

    let work = tempfile::tempdir().unwrap();
    let shots = std::env::var_os("GUICHET_SCREENSHOTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots"));
    std::fs::create_dir_all(&shots).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/console_browser.mjs");
    let (node, url, device) = (node.clone(), platform.server.url(), kiosk.device_id.clone());
    let profile = work.path().join("profile");
    let output = {
        Command::new(node)
            .arg(script)
            .env("GUICHET_A11Y", a11y)
            .env("GUICHET_CHROMIUM", chromium)
            .env("GUICHET_PROFILE", profile)
            .env("GUICHET_CONSOLE_URL", url)
            .env("GUICHET_ACCOUNT", &admin.name)
            .env("GUICHET_PASSWORD", PASSWORD)
            .env("GUICHET_TOTP_SECRET", &admin.secret)
            .env("GUICHET_DEVICE", device)
            .env("GUICHET_REVIEWER", &reviewer.name)
            .env("GUICHET_REVIEWER_SECRET", &reviewer.secret)
            .env("GUICHET_CENTER_MEMBER", &member.name)
            .env("GUICHET_CENTER_MEMBER_SECRET", &member.secret)
            .env("GUICHET_SCREENSHOTS_DIR", &shots)
            .env("GUICHET_BOOKLET", booklet.to_string())
            .output()
            .unwrap()
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprintln!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "the walk through the console failed"
    );
    assert!(
        stdout.contains("pages checked: login; second factor; dashboard"),
        "{stdout}"
    );

    // What the browser did is in the database: the kiosk is disabled, by camille, audited.
    let store = platform.store.clone();
    let id = kiosk.device_id.clone();
    let (device, audit) = {
        (
            store.device(&id).await.unwrap().unwrap(),
            store.audit_log(100).await.unwrap(),
        )
    };
    assert!(device.disabled);
    let disable = audit
        .iter()
        .find(|e| e.action == "device.disable")
        .expect("an audit entry of the disable");
    assert_eq!(disable.object, format!("device:{}", kiosk.device_id));
    assert_eq!(disable.account.as_deref(), Some("camille"));
    assert_eq!(disable.role, Some(Role::Admin));
    assert!(disable
        .after
        .as_deref()
        .unwrap()
        .contains("Borne volée, plainte déposée"));
    let actions: Vec<(&str, Option<&str>)> = audit
        .iter()
        .rev()
        .map(|e| (e.action.as_str(), e.account.as_deref()))
        .collect();
    let (camille, dominique) = (Some("camille"), Some("dominique"));
    assert_eq!(
        actions,
        [
            ("account.create", None),
            ("account.create", None),
            ("account.create", None),
            ("center.profile", None),
            ("workshop.add", None),
            ("center.qualify", None),
            ("login", camille),
            ("privilege.open", camille),
            ("device.disable", camille),
            ("month.close", camille),
            ("coupons.revoke", camille),
            ("enroll.code", camille),
            ("referential.import", camille),
            ("logout", camille),
            ("login", dominique),
            ("privilege.open", dominique),
            ("review.reject", dominique),
            ("login", Some("claude")),
            ("workshop.add", Some("claude")),
            ("privilege.open", Some("claude")),
            ("center.profile", Some("claude")),
        ]
    );
    let decision = audit.iter().find(|e| e.action == "review.reject").unwrap();
    assert_eq!(decision.object, format!("redemption:{held}"));
    assert!(decision
        .after
        .as_deref()
        .unwrap()
        .contains("Date impossible : 2099"));
    // The member's workshop and qualification data, typed by keyboard, are C1's.
    let workshops = store.center_workshops("C1").await.unwrap();
    assert_eq!(workshops.len(), 1);
    assert_eq!(workshops[0].declared.name, "Découvrir sa messagerie");
    assert_eq!(
        (
            workshops[0].declared.area,
            workshops[0].declared.minutes.get()
        ),
        (Area::A2_1, 90)
    );
    let declared = store.center_profile("C1").await.unwrap().unwrap();
    assert_eq!(
        declared.declared.iban.as_str(),
        "FR7630006000011234567890189"
    );
    assert_eq!(declared.qualified, None);
    // Last month is closed, by camille.
    let last = guichet_platform::clock::paris_day(Timestamp::now())
        .first_of_month()
        .yesterday()
        .unwrap();
    let closed = store.month_closure(last).await.unwrap().unwrap();
    assert_eq!(closed.1, "camille");
    // Its booklet is revoked whole, with camille's reason.
    let revoked = store.booklet_detail(booklet).await.unwrap().unwrap();
    assert!(revoked.coupons.iter().all(|c| c
        .revoked
        .iter()
        .any(|(reason, _)| reason == "Carnet volé au centre")));
    // The referential is camille's edit: one service more, its version; the refused one
    // changed nothing and left no entry.
    let referential = store.referential().await.unwrap().unwrap();
    assert_eq!(referential.version, "console-essai-2");
    let added = referential
        .services
        .iter()
        .find(|s| s.code == "2.2.99")
        .expect("the service added in the browser");
    assert_eq!(added.name.fr, "Déclarer ses impôts en ligne");
    assert_eq!(added.area.code(), "2.2");
    assert_eq!(
        referential.services.len(),
        common::referential().services.len() + 1
    );
    let import = audit
        .iter()
        .find(|e| e.action == "referential.import")
        .unwrap();
    assert_eq!(import.object, "referential:console-essai-2");
    assert!(
        import.before.as_deref().unwrap().contains(&format!(
            "\"version\":\"{}\"",
            common::referential().version
        )),
        "{import:?}"
    );
    let after: serde_json::Value = serde_json::from_str(import.after.as_deref().unwrap()).unwrap();
    assert_eq!(after["services"], referential.services.len());
    assert_eq!(after["source"], "text");
    // The decision itself is recorded under the reviewer's account.
    let store = platform.store.clone();
    let rejected = store.review_list(&[EntryState::Rejected]).await.unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].redemption.result.id.to_string(), held);
    let cause = rejected[0].redemption.result.cause.clone().unwrap();
    assert_eq!(cause.detail.as_deref(), Some("Date impossible : 2099"));
}
