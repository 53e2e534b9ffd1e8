//! The console's keys and bundles page (issue 24, operator's screens), on a real server on
//! loopback over a real database (SQLite file, and PostgreSQL where installed): the published
//! history, what the next draft changes (the signer's own diff; counted on the dashboard), the draft file, and the import
//! of what the root signed: an admin's, in privilege mode, audited; a file the roots did not
//! sign, or not the next one, publishes nothing.

mod common;
mod console_client;

use common::{Backend, TestPlatform};
use console_client::{create_account, Browser, TestAccount};
use guichet_console::model::Role;
use guichet_core::bundle::document::BundleDocument;
use jiff::Timestamp;

/// A platform whose first bundle is published, with a serial revoked since; an admin, a
/// reviewer and an auditor.
struct Scene {
    platform: TestPlatform,
    admin: TestAccount,
    reviewer: TestAccount,
    auditor: TestAccount,
}

async fn scene(backend: Backend) -> Option<Scene> {
    let platform = TestPlatform::start(backend).await?;
    let serial = platform.minter.coupon.serial + 3;
    platform
        .store
        .revoke(platform.kid, serial, serial, "perdu", Timestamp::now())
        .await
        .unwrap();
    let store = platform.store.clone();
    Some(Scene {
        admin: create_account(&store, "camille", Role::Admin).await,
        reviewer: create_account(&store, "dominique", Role::Reviewer).await,
        auditor: create_account(&store, "alix", Role::Auditor).await,
        platform,
    })
}

/// The history and the changes as the page shows them; the draft file is the next sequence.
async fn the_page_shows_what_the_next_bundle_changes(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let latest = s.platform.store.latest_bundle().await.unwrap().unwrap().0;
    let mut auditor = Browser::new(&s.platform.server.url());
    auditor.login(&s.auditor).await;
    let page = auditor.get("/console/bundles").await;
    assert_eq!(page.status, 200, "{}", page.body);
    // French words on the French page (the typed change, worded by the console)…
    let revoked = format!(
        "révoque {}, coupon n° {}",
        s.platform.kid,
        s.platform.minter.coupon.serial + 3
    );
    assert!(page.body.contains(&revoked), "{revoked} in {}", page.body);
    assert!(!page.body.contains("revokes "), "{}", page.body);
    // …and the signer's own line on the English one.
    assert_eq!(
        auditor.get("/console/lang/en?back=/console").await.status,
        303
    );
    let english = auditor.get("/console/bundles").await;
    let revoked = format!(
        "revokes {} serial {}",
        s.platform.kid,
        s.platform.minter.coupon.serial + 3
    );
    assert!(
        english.body.contains(&revoked),
        "{revoked} in {}",
        english.body
    );
    assert_eq!(
        auditor.get("/console/lang/fr?back=/console").await.status,
        303
    );
    assert!(page.body.contains(&format!("(n° {})", latest + 1)));
    assert!(page
        .body
        .contains(&format!("<th scope=\"row\">{latest}</th>")));
    assert!(
        !page.body.contains("/console/bundles/import"),
        "no form for an auditor"
    );
    // The dashboard counts them, and leads to them.
    let dashboard = auditor.get("/console").await;
    assert!(
        dashboard
            .body
            .contains("1 changement(s), dont 0 élargissant la confiance"),
        "{}",
        dashboard.body
    );
    assert_eq!(auditor.get("/console/bundles/draft").await.status, 403);

    let mut reviewer = Browser::new(&s.platform.server.url());
    reviewer.login(&s.reviewer).await;
    assert_eq!(reviewer.get("/console/bundles").await.status, 403);

    let mut admin = Browser::new(&s.platform.server.url());
    admin.login(&s.admin).await;
    let draft = admin.get("/console/bundles/draft").await;
    assert_eq!(draft.status, 200);
    let document: BundleDocument = serde_json::from_str(&draft.body).unwrap();
    assert_eq!(document.sequence, latest + 1);
    assert!(document.revocations.iter().any(|r| r.kid == s.platform.kid));
}

/// Importing: privilege mode first; garbage, another root's signature and a stale sequence
/// publish nothing; the root's signature of the draft publishes it, audited.
async fn importing_a_signed_bundle_is_an_admins_privileged_audited_act(backend: Backend) {
    let Some(s) = scene(backend).await else {
        return;
    };
    let latest = s.platform.store.latest_bundle().await.unwrap().unwrap().0;
    let mut admin = Browser::new(&s.platform.server.url());
    admin.login(&s.admin).await;
    let draft = admin.get("/console/bundles/draft").await;
    let document: BundleDocument = serde_json::from_str(&draft.body).unwrap();
    let signed = String::from_utf8(
        guichet_platform::bundle::seal_checked(&document, &s.platform.root).unwrap(),
    )
    .unwrap();
    let stranger = guichet_platform::keys::generate_key().unwrap();
    let forged =
        String::from_utf8(guichet_platform::bundle::seal_checked(&document, &stranger).unwrap())
            .unwrap();
    let csrf = admin.csrf().await;
    let import = async |admin: &mut Browser, file: &str| {
        admin
            .post(
                "/console/bundles/import",
                &[("csrf", &csrf), ("file", file)],
            )
            .await
    };
    assert_eq!(
        import(&mut admin, &signed).await.status,
        403,
        "without privilege mode"
    );
    admin.elevate(&s.admin).await;
    assert_eq!(import(&mut admin, " ").await.status, 400);
    assert_eq!(import(&mut admin, "{\"format\":1}").await.status, 409);
    assert_eq!(
        import(&mut admin, &forged).await.status,
        409,
        "another root"
    );
    assert_eq!(
        s.platform.store.latest_bundle().await.unwrap().unwrap().0,
        latest
    );

    let answer = import(&mut admin, &signed).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(
        s.platform.store.latest_bundle().await.unwrap().unwrap().0,
        latest + 1
    );
    assert_eq!(
        import(&mut admin, &signed).await.status,
        409,
        "not the next one"
    );
    let page = admin.get("/console/bundles").await;
    assert!(page.body.contains("Rien, sauf les dates."), "{}", page.body);

    let entries: Vec<_> = s
        .platform
        .store
        .audit_log(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "bundle.import")
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].object, format!("bundle:{}", latest + 1));
    assert_eq!(entries[0].account.as_deref(), Some("camille"));
    assert!(entries[0].after.as_deref().unwrap().contains("sha256"));
}

on_both_backends!(
    the_page_shows_what_the_next_bundle_changes,
    importing_a_signed_bundle_is_an_admins_privileged_audited_act,
);
