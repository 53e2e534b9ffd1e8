//! What a center declares of itself and how the public finds it (issue 25, points 3 and 5),
//! on a real server on loopback over a real database (SQLite file, and PostgreSQL where
//! installed): a center's members declare workshops and their qualification data (SIRET and
//! IBAN checked, banking data saved in privilege mode only), the operator qualifies the center,
//! and the public finder lists it, without an account and without its legal or banking data. A
//! change of who is paid withdraws the qualification; another center's member reaches nothing
//! of it; every change is in the audit log, the IBAN masked.

mod common;
mod console_client;

use common::{Backend, TestPlatform};
use console_client::{create_account, create_account_of, csrf_of, Browser, TestAccount};
use guichet_console::model::{Area, Role};

/// Two valid French IBANs.
const IBAN: &str = "FR76 3000 6000 0112 3456 7890 189";
const OTHER_IBAN: &str = "FR14 2004 1010 0505 0001 3M02 606";
/// A valid SIRET (INSEE's own).
const SIRET: &str = "120 001 011 00010";

/// The profile form's fields, with `changes` replacing some.
fn profile_fields<'a>(csrf: &'a str, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("csrf", csrf),
        ("legal_name", "Association Médiathèque Nord"),
        ("siret", SIRET),
        ("iban", IBAN),
        ("address", "12 rue des Lilas"),
        ("postcode", "33800"),
        ("town", "Bordeaux"),
    ];
    for (name, value) in changes {
        fields.retain(|(field, _)| field != name);
        fields.push((name, value));
    }
    fields
}

/// The workshop form's fields.
fn workshop<'a>(
    name: &'a str,
    area: &'a str,
    service: &'a str,
    minutes: &'a str,
) -> [(&'static str, &'a str); 4] {
    [
        ("name", name),
        ("area", area),
        ("service", service),
        ("minutes", minutes),
    ]
}

/// A logged-in browser of `account`.
async fn logged_in(platform: &TestPlatform, account: &TestAccount) -> Browser {
    let mut browser = Browser::new(&platform.server.url());
    browser.login(account).await;
    browser
}

/// The form token of a page of the logged-in session.
async fn token(browser: &mut Browser, path: &str) -> String {
    let page = browser.get(path).await;
    assert_eq!(page.status, 200, "{path}: {}", page.body);
    csrf_of(&page.body)
}

/// The whole walk: declare, qualify, find, change who is paid, retire.
async fn a_center_declares_itself_is_qualified_and_found(backend: Backend) {
    let Some(platform) = TestPlatform::start(backend).await else {
        return;
    };
    let store = platform.store.clone();
    let member = create_account_of(&store, "claude", Role::Center, Some("C1")).await;
    let other = create_account_of(&store, "sacha", Role::Center, Some("C2")).await;
    let admin = create_account(&store, "camille", Role::Admin).await;
    let auditor = create_account(&store, "alix", Role::Auditor).await;
    let reviewer = create_account(&store, "dominique", Role::Reviewer).await;
    let referential = common::referential();
    let service = referential
        .services
        .iter()
        .find(|s| s.area == Area::A2_2)
        .expect("a service of area 2.2");
    let elsewhere = referential
        .services
        .iter()
        .find(|s| s.area != Area::A2_2)
        .expect("a service of another area");

    // Workshops: declared by a member, checked (length, area, service of that area).
    let mut claude = logged_in(&platform, &member).await;
    let csrf = token(&mut claude, "/console/center/workshops").await;
    let added = claude
        .post(
            "/console/center/workshops",
            &[
                &[("csrf", csrf.as_str())][..],
                &workshop("Démarches en ligne", "2.2", &service.code, "90"),
            ]
            .concat(),
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let page = claude.get("/console/center/workshops").await;
    assert!(page.body.contains("Démarches en ligne"), "{}", page.body);
    let id = store.center_workshops("C1").await.unwrap()[0].id;
    for (fields, status) in [
        (workshop("Trop long", "2.2", "", "150"), 400),
        (workshop("Domaine faux", "4.1", "", "60"), 400),
        (workshop("", "2.2", "", "60"), 400),
        (
            workshop("Service d'ailleurs", "2.2", &elsewhere.code, "60"),
            409,
        ),
    ] {
        let refused = claude
            .post(
                "/console/center/workshops",
                &[&[("csrf", csrf.as_str())][..], &fields].concat(),
            )
            .await;
        assert_eq!(refused.status, status, "{fields:?}: {}", refused.body);
    }
    let forged = claude
        .post(
            "/console/center/workshops",
            &[
                &[("csrf", "forged")][..],
                &workshop("Sans jeton", "2.2", "", "60"),
            ]
            .concat(),
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(store.center_workshops("C1").await.unwrap().len(), 1);

    // Qualification data: privilege mode first; SIRET and IBAN checked by their sums.
    let csrf = token(&mut claude, "/console/center/profile").await;
    let unprivileged = claude
        .post("/console/center/profile", &profile_fields(&csrf, &[]))
        .await;
    assert_eq!(unprivileged.status, 403, "{}", unprivileged.body);
    assert!(store.center_profile("C1").await.unwrap().is_none());
    claude.elevate(&member).await;
    for (change, says) in [
        (("siret", "120 001 011 00011"), "clé de contrôle"),
        (("siret", "1234"), "14 chiffres"),
        (
            ("iban", "FR76 3000 6000 0112 3456 7890 188"),
            "IBAN n'est pas valide",
        ),
        (("postcode", "3380"), "5 chiffres"),
    ] {
        let refused = claude
            .post("/console/center/profile", &profile_fields(&csrf, &[change]))
            .await;
        assert_eq!(refused.status, 400, "{change:?}");
        assert!(refused.body.contains(says), "{change:?}: {}", refused.body);
    }
    let saved = claude
        .post("/console/center/profile", &profile_fields(&csrf, &[]))
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let page = claude.get("/console/center/profile").await;
    assert!(
        page.body.contains("en attente de vérification"),
        "{}",
        page.body
    );
    assert!(page.body.contains("FR76 3000 6000 0112 3456 7890 189"));

    // Not qualified yet: the public does not see it.
    let mut public = Browser::new(&platform.server.url());
    let found = public.get("/trouver").await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert!(found.body.contains("id=\"no-result\""), "{}", found.body);

    // The operator: a reviewer may not look; an auditor reads but may not qualify; an admin
    // qualifies in privilege mode.
    let mut dominique = logged_in(&platform, &reviewer).await;
    assert_eq!(dominique.get("/console/centers/C1").await.status, 403);
    let mut alix = logged_in(&platform, &auditor).await;
    let page = alix.get("/console/centers/C1").await;
    assert!(page.body.contains("120 001 011 00010"), "{}", page.body);
    assert!(page.body.contains("Démarches en ligne"), "{}", page.body);
    assert!(!page.body.contains("/qualify"), "{}", page.body);
    let csrf_alix = token(&mut alix, "/console/centers/C1").await;
    assert_eq!(
        alix.post("/console/centers/C1/qualify", &[("csrf", &csrf_alix)])
            .await
            .status,
        403
    );
    let mut camille = logged_in(&platform, &admin).await;
    let csrf_admin = token(&mut camille, "/console/centers/C1").await;
    let unprivileged = camille
        .post("/console/centers/C1/qualify", &[("csrf", &csrf_admin)])
        .await;
    assert_eq!(unprivileged.status, 403);
    camille.elevate(&admin).await;
    let qualified = camille
        .post("/console/centers/C1/qualify", &[("csrf", &csrf_admin)])
        .await;
    assert_eq!(qualified.status, 303, "{}", qualified.body);
    let again = camille
        .post("/console/centers/C1/qualify", &[("csrf", &csrf_admin)])
        .await;
    assert_eq!(again.status, 409, "qualified already: {}", again.body);
    let page = claude.get("/console/center/profile").await;
    assert!(
        page.body.contains("Centre qualifié") && page.body.contains("camille"),
        "{}",
        page.body
    );

    // The public finder: no account, the center's address and workshop, none of its legal or
    // banking data; searched by postcode, zone and area.
    let found = public.get("/trouver").await;
    assert_eq!(found.status, 200);
    assert!(found.body.contains("id=\"place-C1\""), "{}", found.body);
    assert!(
        found.body.contains("12 rue des Lilas") && found.body.contains("Démarches en ligne"),
        "{}",
        found.body
    );
    for secret in ["120 001 011", "12000101100010", "FR76", "Association"] {
        assert!(!found.body.contains(secret), "{secret} shown to the public");
    }
    for (query, listed) in [
        ("?code_postal=33", true),
        ("?code_postal=33800", true),
        ("?code_postal=75", false),
        ("?zone=33", true),
        ("?zone=34", false),
        ("?domaine=2.2", true),
        ("?domaine=1.1", false),
        ("?code_postal=33&domaine=2.2&zone=33", true),
    ] {
        let page = public.get(&format!("/trouver{query}")).await;
        assert_eq!(page.status, 200, "{query}");
        assert_eq!(page.body.contains("id=\"place-C1\""), listed, "{query}");
    }
    let bad = public.get("/trouver?code_postal=3").await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("id=\"search-error\""), "{}", bad.body);
    let english = public.get("/trouver?lang=en&domaine=2.2").await;
    assert!(
        english.body.contains("lang=\"en\"") && english.body.contains("Find a place"),
        "{}",
        english.body
    );

    // Another center's member reaches nothing of C1: not its profile, not its workshop.
    let mut sacha = logged_in(&platform, &other).await;
    let page = sacha.get("/console/center/profile").await;
    assert!(
        page.body.contains("Aucune information déclarée") && !page.body.contains("FR76"),
        "{}",
        page.body
    );
    let csrf_sacha = token(&mut sacha, "/console/center/workshops").await;
    let theirs = sacha
        .post(
            &format!("/console/center/workshops/{id}/retire"),
            &[("csrf", &csrf_sacha)],
        )
        .await;
    assert_eq!(theirs.status, 409, "{}", theirs.body);
    assert_eq!(store.center_workshops("C1").await.unwrap().len(), 1);

    // A new address keeps the qualification; a new IBAN withdraws it until checked again.
    let moved = claude
        .post(
            "/console/center/profile",
            &profile_fields(&csrf, &[("address", "3 place du Marché")]),
        )
        .await;
    assert_eq!(moved.status, 303);
    let profile = store.center_profile("C1").await.unwrap().unwrap();
    assert!(profile.qualified.is_some());
    let repaid = claude
        .post(
            "/console/center/profile",
            &profile_fields(
                &csrf,
                &[("address", "3 place du Marché"), ("iban", OTHER_IBAN)],
            ),
        )
        .await;
    assert_eq!(repaid.status, 303);
    let profile = store.center_profile("C1").await.unwrap().unwrap();
    assert_eq!(profile.qualified, None);
    assert!(!public
        .get("/trouver")
        .await
        .body
        .contains("id=\"place-C1\""));

    // The member retires the workshop.
    let csrf = token(&mut claude, "/console/center/workshops").await;
    let retired = claude
        .post(
            &format!("/console/center/workshops/{id}/retire"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(retired.status, 303, "{}", retired.body);
    assert!(store.center_workshops("C1").await.unwrap().is_empty());

    // Every change is in the audit log, the IBAN masked.
    let log = store.audit_log(100).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    for action in [
        "workshop.add",
        "center.profile",
        "center.qualify",
        "workshop.retire",
    ] {
        assert!(actions.contains(&action), "{action}: {actions:?}");
    }
    let profile_entries: Vec<_> = log
        .iter()
        .filter(|e| e.action == "center.profile")
        .collect();
    assert_eq!(profile_entries.len(), 3);
    for entry in &log {
        let text = format!("{:?} {:?}", entry.before, entry.after);
        assert!(
            !text.contains("30006000011234567890189") && !text.contains("2004101005050001"),
            "an IBAN in the audit log: {text}"
        );
    }
    assert!(profile_entries.iter().any(|e| e
        .after
        .as_deref()
        .is_some_and(|a| a.contains("FR76 … 0189"))));
}

on_both_backends!(a_center_declares_itself_is_qualified_and_found);
