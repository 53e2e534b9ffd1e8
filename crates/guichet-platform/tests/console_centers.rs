//! The console's centers, zones and providers (issue 24, operator's screens), on a real server
//! on loopback over a real database (SQLite file, and PostgreSQL where installed): the lists
//! as the database holds them; adding is an admin's, in privilege mode, audited; an enrollment
//! code made in the console enrolls a real kiosk, its sheet is a PDF, and the audit entry never
//! holds the code.

mod common;
mod console_client;

use common::{Backend, TestPlatform};
use console_client::{create_account, Browser, TestAccount};
use guichet_console::model::Role;
use guichet_protocol::fingerprint::root_fingerprint;

/// A form of `/console/places/{KIND}` and the status it must get.
type Refusal<'a> = (&'a str, [(&'a str, &'a str); 4], u16);

/// A platform with an admin, a reviewer and an auditor.
struct Scene {
    platform: TestPlatform,
    admin: TestAccount,
    reviewer: TestAccount,
    auditor: TestAccount,
}

async fn scene(backend: Backend) -> Option<Scene> {
    let platform = TestPlatform::start(backend).await?;
    platform.kiosk("C1").await;
    let store = platform.store.clone();
    Some(Scene {
        admin: create_account(&store, "camille", Role::Admin).await,
        reviewer: create_account(&store, "dominique", Role::Reviewer).await,
        auditor: create_account(&store, "alix", Role::Auditor).await,
        platform,
    })
}

/// The value between `<code id="ID">` and `</code>`.
fn code_text(page: &str, id: &str) -> String {
    let open = format!("<code id=\"{id}\">");
    let start = page
        .find(&open)
        .unwrap_or_else(|| panic!("no {id} in {page}"))
        + open.len();
    page[start..start + page[start..].find("</code>").unwrap()].to_owned()
}

/// The lists say what the database holds; an auditor reads them without forms; a reviewer
/// may not see them.
async fn the_lists_are_the_databases(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let places = s.platform.store.places().await.unwrap();
    assert!(places.centers.len() >= 2 && !places.zones.is_empty() && !places.providers.is_empty());
    let mut auditor = Browser::new(&s.platform.server.url());
    auditor.login(&s.auditor).await;
    let page = auditor.get("/console/centers").await;
    assert_eq!(page.status, 200, "{}", page.body);
    for center in &places.centers {
        assert!(page.body.contains(&format!("id=\"center-{}\"", center.id)));
        assert!(page.body.contains(&center.name));
    }
    let c1 = places.centers.iter().find(|c| c.id == "C1").unwrap();
    assert_eq!(c1.kiosks, 1);
    for (_, name) in places.zones.iter().chain(&places.providers) {
        assert!(page.body.contains(name.as_str()), "{name}");
    }
    assert!(
        !page.body.contains("/console/places/"),
        "an auditor gets no form"
    );
    let center = auditor.get("/console/centers/C1").await;
    assert_eq!(center.status, 200);
    assert!(center.body.contains("test kiosk"), "{}", center.body);
    assert!(!center.body.contains("/enroll\""));
    assert_eq!(auditor.get("/console/centers/nowhere").await.status, 404);

    let mut reviewer = Browser::new(&s.platform.server.url());
    reviewer.login(&s.reviewer).await;
    assert_eq!(reviewer.get("/console/centers").await.status, 403);
}

/// Adding: privilege mode first; a zone, a provider and a center in it are then in the
/// database with their audit entries; bad input is refused and changes nothing.
async fn an_admin_adds_a_zone_a_provider_and_a_center(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let mut admin = Browser::new(&s.platform.server.url());
    admin.login(&s.admin).await;
    let csrf = admin.csrf().await;
    let zone = [
        ("csrf", csrf.as_str()),
        ("id", "64"),
        ("name", "Pyrénées-Atlantiques"),
    ];
    let answer = admin.post("/console/places/zone", &zone).await;
    assert_eq!(answer.status, 403, "without privilege mode");
    admin.elevate(&s.admin).await;
    assert_eq!(admin.post("/console/places/zone", &zone).await.status, 303);
    let provider = [
        ("csrf", csrf.as_str()),
        ("id", "12"),
        ("name", "Région test"),
    ];
    assert_eq!(
        admin
            .post("/console/places/provider", &provider)
            .await
            .status,
        303
    );
    let center = [
        ("csrf", csrf.as_str()),
        ("id", "PAU-1"),
        ("name", "Médiathèque de Pau"),
        ("zone", "64"),
    ];
    assert_eq!(
        admin.post("/console/places/center", &center).await.status,
        303
    );
    // Refused: the same center again, an unknown zone, a zone 0, a bad id, no name.
    assert_eq!(
        admin.post("/console/places/center", &center).await.status,
        409
    );
    let refusals: [Refusal; 5] = [
        (
            "center",
            [("csrf", &csrf), ("id", "X"), ("name", "x"), ("zone", "99")],
            409,
        ),
        (
            "zone",
            [("csrf", &csrf), ("id", "0"), ("name", "x"), ("zone", "")],
            400,
        ),
        (
            "center",
            [("csrf", &csrf), ("id", "a b"), ("name", "x"), ("zone", "0")],
            400,
        ),
        (
            "provider",
            [("csrf", &csrf), ("id", "13"), ("name", " "), ("zone", "")],
            400,
        ),
        (
            "shop",
            [("csrf", &csrf), ("id", "13"), ("name", "x"), ("zone", "")],
            404,
        ),
    ];
    for (kind, form, status) in refusals {
        let answer = admin.post(&format!("/console/places/{kind}"), &form).await;
        assert_eq!(answer.status, status, "{kind} {form:?}: {}", answer.body);
    }

    let places = s.platform.store.places().await.unwrap();
    assert!(places.zones.contains(&(64, "Pyrénées-Atlantiques".into())));
    assert!(places.providers.contains(&(12, "Région test".into())));
    assert!(!places.providers.iter().any(|(id, _)| *id == 13));
    let pau = places.centers.iter().find(|c| c.id == "PAU-1").unwrap();
    assert_eq!((pau.name.as_str(), pau.zone.0), ("Médiathèque de Pau", 64));
    assert!(!places.centers.iter().any(|c| c.id == "X" || c.id == "a b"));
    let actions: Vec<(String, String)> = s
        .platform
        .store
        .audit_log(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.account.as_deref() == Some("camille"))
        .filter(|e| !matches!(e.action.as_str(), "login" | "privilege.open"))
        .map(|e| (e.action, e.object))
        .collect();
    assert_eq!(
        actions,
        [
            ("center.add".to_owned(), "center:PAU-1".to_owned()),
            ("provider.set".to_owned(), "provider:12".to_owned()),
            ("zone.set".to_owned(), "zone:64".to_owned()),
        ]
    );
}

/// An enrollment code from the console enrolls a real kiosk; the fingerprint shown is the
/// roots'; the sheet is a PDF; the audit entries never hold a code.
async fn an_enrollment_code_from_the_console_enrolls_a_kiosk(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let mut admin = Browser::new(&s.platform.server.url());
    admin.login(&s.admin).await;
    let csrf = admin.csrf().await;
    let form = |format: &'static str, hours: &'static str| {
        [
            ("csrf", csrf.clone()),
            ("hours", hours.into()),
            ("format", format.into()),
        ]
    };
    let post = async |admin: &mut Browser, fields: [(&str, String); 3]| {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        admin.post("/console/centers/C2/enroll", &fields).await
    };
    assert_eq!(post(&mut admin, form("page", "24")).await.status, 403);
    admin.elevate(&s.admin).await;
    for hours in ["0", "169", "-1", "x"] {
        assert_eq!(
            post(&mut admin, form("page", hours)).await.status,
            400,
            "{hours}"
        );
    }
    let answer = admin
        .post(
            "/console/centers/nowhere/enroll",
            &[("csrf", &csrf), ("hours", "24"), ("format", "page")],
        )
        .await;
    assert_eq!(answer.status, 409, "no such center");

    let page = post(&mut admin, form("page", "24")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let code = code_text(&page.body, "code");
    assert_eq!(
        code_text(&page.body, "fingerprint"),
        root_fingerprint(&[s.platform.root.verifying_key()])
    );
    let key = guichet_platform::keys::generate_key().unwrap();
    let enrolled = s.platform.post_enroll(&code, &key).await;
    assert_eq!(enrolled.status(), 201, "the console's code enrolls a kiosk");

    let sheet = post(&mut admin, form("pdf", "2")).await;
    assert_eq!(sheet.status, 200);
    assert_eq!(sheet.headers["content-type"], "application/pdf");
    assert!(sheet.body.starts_with("%PDF-"));

    let entries: Vec<_> = s
        .platform
        .store
        .audit_log(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "enroll.code")
        .collect();
    assert_eq!(entries.len(), 2, "{entries:?}");
    for entry in &entries {
        assert_eq!(entry.object, "center:C2");
        assert!(
            !format!("{entry:?}").contains(&code),
            "the code is not logged"
        );
    }
    let places = s.platform.store.places().await.unwrap();
    assert_eq!(
        places.centers.iter().find(|c| c.id == "C2").unwrap().kiosks,
        1
    );
}

on_both_backends!(
    the_lists_are_the_databases,
    an_admin_adds_a_zone_a_provider_and_a_center,
    an_enrollment_code_from_the_console_enrolls_a_kiosk,
);
