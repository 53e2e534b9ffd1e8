//! The console's referential page (issue 24, operator's screens), on a real server on
//! loopback over a real database (SQLite file, and PostgreSQL where installed): the 3 levels,
//! 9 areas and services as the database holds them; importing or editing is an admin's, in
//! privilege mode, with the form's token, audited in the same transaction; the platform reads
//! the text as `referential import` reads a file and refuses a bad one whole.

mod common;
mod console_client;

use common::{Backend, TestPlatform};
use console_client::{create_account, csrf_of, Browser, TestAccount};
use guichet_console::model::Role;

/// A platform with the example referential, an admin, a reviewer and an auditor.
struct Scene {
    platform: TestPlatform,
    admin: TestAccount,
    reviewer: TestAccount,
    auditor: TestAccount,
}

async fn scene(backend: Backend) -> Option<Scene> {
    let platform = TestPlatform::start(backend).await?;
    let store = platform.store.clone();
    Some(Scene {
        admin: create_account(&store, "camille", Role::Admin).await,
        reviewer: create_account(&store, "dominique", Role::Reviewer).await,
        auditor: create_account(&store, "alix", Role::Auditor).await,
        platform,
    })
}

/// `text` as the page's HTML holds it.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page lists what the database holds; an auditor reads it without the form; a reviewer
/// may not see it.
async fn the_page_lists_the_referential(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let referential = s.platform.store.referential().await.unwrap().unwrap();
    assert_eq!((referential.levels.len(), referential.areas.len()), (3, 9));
    let mut auditor = Browser::new(&s.platform.server.url());
    auditor.login(&s.auditor).await;
    let page = auditor.get("/console/referential").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&referential.version));
    for area in &referential.areas {
        assert!(
            page.body.contains(&format!("id=\"area-{}\"", area.code)),
            "{}",
            area.code
        );
    }
    for service in &referential.services {
        assert!(page.body.contains(&service.code), "{}", service.code);
        assert!(
            page.body.contains(&escaped(&service.name.fr)),
            "{}",
            service.name.fr
        );
    }
    assert!(
        page.body.contains("données d'exemple"),
        "the example flag is shown"
    );
    assert!(!page.body.contains("ref-text"), "no form for an auditor");

    let mut reviewer = Browser::new(&s.platform.server.url());
    reviewer.login(&s.reviewer).await;
    assert_eq!(reviewer.get("/console/referential").await.status, 403);
}

/// Importing: a reviewer, a post without the token or from another site, and an admin out of
/// privilege mode change nothing; a bad file is refused whole, the text kept; the admin's
/// upload of a CSV and the edit of the offered text replace it, each audited with what it
/// replaced.
async fn importing_is_an_admins_privileged_audited_act(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let store = s.platform.store.clone();
    let original = store.referential().await.unwrap().unwrap();
    let mut admin = Browser::new(&s.platform.server.url());
    admin.login(&s.admin).await;
    let page = admin.get("/console/referential").await;
    let csrf = csrf_of(&page.body);
    // The text offered is the referential as the CSV `referential import` reads.
    let start = page.body.find("name=\"text\"").unwrap();
    let offered = &page.body[start..];
    let offered = &offered[offered.find('>').unwrap() + 1..offered.find("</textarea>").unwrap()];
    assert!(
        offered.starts_with("type,code,fr,en\nlevel,1,"),
        "{offered}"
    );
    let csv = guichet_platform::admin::referential_to_csv(&original).unwrap();
    let edited = format!("{csv}service,3.1.99,Sécuriser ses comptes,Securing one's accounts\n");

    let post = async |browser: &mut Browser, parts: &[(&str, Option<&str>, &str)]| {
        browser.post_multipart("/console/referential", parts).await
    };
    let unchanged = async || {
        assert_eq!(store.referential().await.unwrap().unwrap(), original);
    };
    // Out of privilege mode: refused with the way to it.
    let answer = post(
        &mut admin,
        &[
            ("csrf", None, &csrf),
            ("version", None, "v2"),
            ("text", None, &edited),
        ],
    )
    .await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(answer.body.contains("/console/privilege"));
    unchanged().await;
    admin.elevate(&s.admin).await;
    // Without the form's token, or with another's.
    for token in ["", "00"] {
        let answer = post(
            &mut admin,
            &[
                ("csrf", None, token),
                ("version", None, "v2"),
                ("text", None, &edited),
            ],
        )
        .await;
        assert_eq!(answer.status, 403, "{}", answer.body);
    }
    // From another site, with the right token.
    let cross = admin
        .post_multipart_with(
            "/console/referential",
            &[
                ("csrf", None, &csrf),
                ("version", None, "v2"),
                ("text", None, &edited),
            ],
            &[
                ("origin", "https://evil.example"),
                ("sec-fetch-site", "cross-site"),
            ],
        )
        .await;
    assert_eq!(cross.status, 403);
    unchanged().await;
    // A reviewer, with its own session's token.
    let mut reviewer = Browser::new(&s.platform.server.url());
    reviewer.login(&s.reviewer).await;
    reviewer.elevate(&s.reviewer).await;
    let token = reviewer.csrf().await;
    let answer = post(
        &mut reviewer,
        &[
            ("csrf", None, &token),
            ("version", None, "v2"),
            ("text", None, &edited),
        ],
    )
    .await;
    assert_eq!(answer.status, 403);
    unchanged().await;

    // Refused whole: a service in no area, two services with one code, 8 areas, no version
    // for a CSV, not a referential at all. The page says why and keeps the text.
    let duplicate = format!("{csv}service,1.1.01,Double,Twice\nservice,1.1.01,Double,Twice\n");
    let eight_areas: String = csv
        .lines()
        .filter(|line| !line.starts_with("area,3.4,"))
        .map(|line| format!("{line}\n"))
        .collect();
    for (version, text) in [
        ("v2", format!("{csv}service,9.9.01,Hors domaine,Nowhere\n")),
        ("v2", duplicate),
        ("v2", eight_areas),
        ("", edited.clone()),
        ("v2", "{\"version\": 3}".to_owned()),
    ] {
        let answer = post(
            &mut admin,
            &[
                ("csrf", None, &csrf),
                ("version", None, version),
                ("text", None, &text),
            ],
        )
        .await;
        assert_eq!(answer.status, 422, "{text}: {}", answer.body);
        assert!(
            answer.body.contains("Référentiel refusé, rien n'a changé"),
            "{}",
            answer.body
        );
        unchanged().await;
    }
    assert!(!store
        .audit_log(100)
        .await
        .unwrap()
        .iter()
        .any(|e| e.action == "referential.import"));

    // The edit of the offered text: saved, audited with what it replaced.
    let answer = post(
        &mut admin,
        &[
            ("csrf", None, &csrf),
            ("version", None, "v2"),
            ("text", None, &edited),
            ("file", Some(""), ""),
        ],
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(answer.location.as_deref(), Some("/console/referential"));
    let now = store.referential().await.unwrap().unwrap();
    assert_eq!(now.version, "v2");
    assert_eq!(now.services.len(), original.services.len() + 1);
    assert!(now.services.iter().any(|s| s.code == "3.1.99"));
    let page = admin.get("/console/referential").await;
    assert!(page.body.contains("Sécuriser ses comptes"));

    // An uploaded JSON file wins over the text: the original back, under a new version.
    let json = serde_json::to_string(&original).unwrap();
    let answer = post(
        &mut admin,
        &[
            ("csrf", None, &csrf),
            ("version", None, "v3"),
            ("text", None, "ignored"),
            ("file", Some("referentiel.json"), &json),
        ],
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let back = store.referential().await.unwrap().unwrap();
    assert_eq!(back.version, "v3");
    assert_eq!(back.services, original.services);

    let entries: Vec<_> = store
        .audit_log(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "referential.import")
        .collect();
    assert_eq!(entries.len(), 2, "{entries:?}");
    let (upload, edit) = (&entries[0], &entries[1]);
    assert_eq!(edit.object, "referential:v2");
    assert_eq!(edit.account.as_deref(), Some("camille"));
    assert_eq!(edit.role, Some(Role::Admin));
    let before: serde_json::Value = serde_json::from_str(edit.before.as_deref().unwrap()).unwrap();
    assert_eq!(before["version"], original.version.as_str());
    assert_eq!(before["services"], original.services.len());
    let after: serde_json::Value = serde_json::from_str(edit.after.as_deref().unwrap()).unwrap();
    assert_eq!(after["services"], original.services.len() + 1);
    assert_eq!(after["source"], "text");
    assert_eq!(after["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(upload.object, "referential:v3");
    let after: serde_json::Value = serde_json::from_str(upload.after.as_deref().unwrap()).unwrap();
    assert_eq!(after["source"], "file:referentiel.json");
    // The next bundle carries it.
    let bundles = admin.get("/console/bundles").await;
    assert!(bundles.body.contains("référentiel "), "{}", bundles.body);
}

on_both_backends!(
    the_page_lists_the_referential,
    importing_is_an_admins_privileged_audited_act,
);
