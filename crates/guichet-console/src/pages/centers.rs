//! Centers, zones and providers (admin, auditor): the lists; adding a center, a zone or a
//! provider (admin, privilege mode, audited); a center's kiosks with their last request, and a
//! one-time enrollment code for it, on screen or as its printable sheet (admin, privilege
//! mode, audited without the code).

use std::sync::Arc;

use axum::extract::{Form, Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use jiff::Timestamp;
use maud::{html, Markup};
use serde_json::json;

use crate::backend::ConsoleBackend;
use crate::i18n::Lang;
use crate::model::{NewPlace, Permission, PlacesView};
use crate::pages::center_profile::{profile_facts, qualification_status};
use crate::pages::center_workshops::workshop_table;
use crate::pages::TokenForm;
use crate::pages::{kiosk_rows, layout, privilege_status};
use crate::qualification::one_line;
use crate::session::{current, posting, Current};
use crate::web::{see_other, Fail};
use crate::ClientAddress;

/// The longest name kept.
const MAX_NAME_CHARS: usize = 100;
/// The longest an enrollment code may stay valid, in hours (a week).
const MAX_VALID_HOURS: u32 = 168;

/// The path of a center's page (its id percent-encoded: any printable ASCII may be one).
fn center_path(id: &str) -> String {
    let segment = percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC);
    format!("/console/centers/{segment}")
}

/// `GET /console/centers`.
pub async fn show<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    headers: HeaderMap,
) -> Result<Response, Fail> {
    let current = current(backend.as_ref(), &headers).await?;
    current.require(Permission::ReadPlaces)?;
    let lang = current.lang;
    let places = backend.places().await.map_err(Fail::backend(lang))?;
    let manage = current.account.role.may(Permission::ManagePlaces);
    let now = Timestamp::now().as_second();
    let body = html! {
        @if manage { (privilege_status(&current, now, "/console/centers")) }
        (centers(&places, lang))
        @if manage { (center_form(&current, &places)) }
        (named("zones", lang.t("Zones", "Zones"), &places.zones, lang))
        @if manage { (named_form(&current, "zone", lang.t("Ajouter ou renommer une zone", "Add or rename a zone"))) }
        (named("providers", lang.t("Financeurs", "Providers"), &places.providers, lang))
        @if manage { (named_form(&current, "provider", lang.t("Ajouter ou renommer un financeur", "Add or rename a provider"))) }
    };
    Ok(layout(
        lang,
        lang.t("Centres, zones, financeurs", "Centers, zones, providers"),
        Some(&current),
        "/console/centers",
        body,
    )
    .into_response())
}

/// The centers' table.
fn centers(places: &PlacesView, lang: Lang) -> Markup {
    html! {
        table #centers {
            caption { (places.centers.len()) (lang.t(" centres", " centers")) }
            thead { tr {
                th scope="col" { (lang.t("Centre", "Center")) }
                th scope="col" { (lang.t("Nom", "Name")) }
                th scope="col" { (lang.t("Zone", "Zone")) }
                th.number scope="col" { (lang.t("Bornes", "Kiosks")) }
            } }
            tbody {
                @for center in &places.centers {
                    tr id=(format!("center-{}", center.id)) {
                        th scope="row" { a href=(center_path(&center.id)) { code { (center.id) } } }
                        td { (center.name) }
                        td {
                            @match (center.zone.0, &center.zone.1) {
                                (0, _) => { (lang.t("inconnue", "unknown")) }
                                (id, Some(name)) => { (name) " " code { (id) } }
                                (id, None) => { code { (id) } }
                            }
                        }
                        td.number { (center.kiosks) }
                    }
                }
            }
        }
    }
}

/// A table of zones or providers.
fn named(id: &str, title: &str, rows: &[(u32, String)], lang: Lang) -> Markup {
    html! {
        h2 id=(format!("{id}-title")) { (title) " (" (rows.len()) ")" }
        @if rows.is_empty() {
            p { (lang.t("Aucun.", "None.")) }
        } @else {
            table id=(id) aria-labelledby=(format!("{id}-title")) {
                thead { tr {
                    th scope="col" { (lang.t("Numéro", "Id")) }
                    th scope="col" { (lang.t("Nom", "Name")) }
                } }
                tbody {
                    @for (number, name) in rows {
                        tr { th scope="row" { (number) } td { (name) } }
                    }
                }
            }
        }
    }
}

/// The form that adds a center.
fn center_form(current: &Current, places: &PlacesView) -> Markup {
    let lang = current.lang;
    html! {
        form.stack method="post" action="/console/places/center" aria-labelledby="add-center" {
            h2 #add-center { (lang.t("Ajouter un centre", "Add a center")) }
            input type="hidden" name="csrf" value=(current.session.csrf);
            label for="center-id" { (lang.t("Identifiant (sans espace)", "Id (no spaces)")) }
            input #center-id type="text" name="id" required maxlength="64" pattern="[!-~]+";
            label for="center-name" { (lang.t("Nom", "Name")) }
            input #center-name type="text" name="name" required maxlength="100";
            label for="center-zone" { (lang.t("Zone", "Zone")) }
            select #center-zone name="zone" {
                option value="0" { (lang.t("inconnue", "unknown")) }
                @for (id, name) in &places.zones {
                    option value=(id) { (name) " (" (id) ")" }
                }
            }
            button type="submit" { (lang.t("Ajouter le centre", "Add the center")) }
        }
    }
}

/// The form that adds or renames a zone or a provider.
fn named_form(current: &Current, kind: &str, title: &str) -> Markup {
    let lang = current.lang;
    html! {
        form.stack method="post" action=(format!("/console/places/{kind}")) aria-labelledby=(format!("add-{kind}")) {
            h3 id=(format!("add-{kind}")) { (title) }
            input type="hidden" name="csrf" value=(current.session.csrf);
            label for=(format!("{kind}-id")) { (lang.t("Numéro", "Id")) }
            input id=(format!("{kind}-id")) type="text" name="id" required inputmode="numeric" pattern="[0-9]{1,9}";
            label for=(format!("{kind}-name")) { (lang.t("Nom", "Name")) }
            input id=(format!("{kind}-name")) type="text" name="name" required maxlength="100";
            button type="submit" { (lang.t("Enregistrer", "Save")) }
        }
    }
}

/// An add form.
#[derive(serde::Deserialize)]
pub struct PlaceForm {
    csrf: String,
    id: String,
    name: String,
    zone: Option<String>,
}

/// A number given in a form (digits only).
fn number_of(text: &str) -> Option<u32> {
    let text = text.trim();
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// `POST /console/places/{center|zone|provider}`: adds it (a zone or provider with a known
/// id is renamed), with its audit entry.
pub async fn add<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    Extension(address): Extension<ClientAddress>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    Form(form): Form<PlaceForm>,
) -> Result<Response, Fail> {
    let current = posting(backend.as_ref(), &headers, &form.csrf).await?;
    current.require(Permission::ManagePlaces)?;
    let lang = current.lang;
    current.require_privilege(Timestamp::now().as_second(), "/console/centers")?;
    let bad = |fr: &'static str, en: &'static str| {
        Fail::page(StatusCode::BAD_REQUEST, lang, lang.t(fr, en))
    };
    let name = one_line(&form.name, MAX_NAME_CHARS).ok_or_else(|| {
        bad(
            "Un nom (une ligne, 100 caractères au plus) est demandé.",
            "A name (one line, at most 100 characters) is needed.",
        )
    })?;
    let place = match kind.as_str() {
        "center" => {
            let id = form.id.trim();
            if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(bad(
                    "L'identifiant d'un centre : 1 à 64 caractères ASCII imprimables, sans espace.",
                    "A center's id: 1 to 64 printable ASCII characters, no space.",
                ));
            }
            let zone = number_of(form.zone.as_deref().unwrap_or("0"))
                .ok_or_else(|| bad("Zone inconnue.", "Unknown zone."))?;
            NewPlace::Center {
                id: id.to_owned(),
                name,
                zone,
            }
        }
        "zone" | "provider" => {
            let id = number_of(&form.id)
                .filter(|id| kind == "provider" || *id > 0)
                .ok_or_else(|| {
                    bad(
                        "Un numéro (chiffres ; une zone commence à 1) est demandé.",
                        "A number (digits; zones start at 1) is needed.",
                    )
                })?;
            if kind == "zone" {
                NewPlace::Zone { id, name }
            } else {
                NewPlace::Provider { id, name }
            }
        }
        _ => {
            return Err(Fail::page(
                StatusCode::NOT_FOUND,
                lang,
                "center | zone | provider",
            ))
        }
    };
    let (action, object) = place.audit_names();
    let audit = current.audit(address, action, &object, None, Some(place.audit_after()));
    backend
        .add_place(&place, &audit)
        .await
        .map_err(Fail::backend(lang))?;
    Ok(see_other("/console/centers", Vec::new()))
}

/// `GET /console/centers/{id}`: the center's kiosks, and the enrollment code form.
pub async fn center<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Fail> {
    let current = current(backend.as_ref(), &headers).await?;
    current.require(Permission::ReadPlaces)?;
    let lang = current.lang;
    let places = backend.places().await.map_err(Fail::backend(lang))?;
    let Some(center) = places.centers.into_iter().find(|c| c.id == id) else {
        return Err(Fail::page(
            StatusCode::NOT_FOUND,
            lang,
            lang.t("Ce centre n'existe pas.", "No such center."),
        ));
    };
    let kiosks: Vec<_> = backend
        .devices()
        .await
        .map_err(Fail::backend(lang))?
        .into_iter()
        .filter(|d| d.center == center.id)
        .collect();
    let profile = backend
        .center_profile(&center.id)
        .await
        .map_err(Fail::backend(lang))?;
    let workshops = backend
        .center_workshops(&center.id)
        .await
        .map_err(Fail::backend(lang))?;
    let referential = backend
        .referential()
        .await
        .map_err(Fail::backend(lang))?
        .map(|view| view.referential);
    let now = Timestamp::now().as_second();
    let path = center_path(&center.id);
    let qualify = current.account.role.may(Permission::QualifyCenters)
        && profile.as_ref().is_some_and(|p| p.qualified.is_none());
    let body = html! {
        table #kiosks {
            caption { (kiosks.len()) (lang.t(" bornes inscrites", " enrolled kiosks")) }
            (kiosk_rows(lang, &kiosks, now))
        }
        h2 #qualification-title { (lang.t("Qualification", "Qualification")) }
        (qualification_status(lang, profile.as_ref()))
        @if let Some(profile) = &profile { (profile_facts(lang, profile)) }
        @if qualify {
            p { (lang.t(
                "Qualifiez le centre après avoir vérifié sa raison sociale, son SIRET et son IBAN (relevé d'identité bancaire) : il apparaît alors dans l'annuaire public.",
                "Qualify the center once you have checked its legal name, SIRET and IBAN (bank details): it then appears in the public finder.")) }
            (privilege_status(&current, now, &path))
            form method="post" action=(format!("{path}/qualify")) {
                input type="hidden" name="csrf" value=(current.session.csrf);
                button type="submit" { (lang.t("Qualifier ce centre", "Qualify this center")) }
            }
        }
        (workshop_table(lang, &workshops, referential.as_ref(), None))
        @if current.account.role.may(Permission::ManagePlaces) {
            h2 #enroll-title { (lang.t("Inscrire une borne", "Enroll a kiosk")) }
            p { (lang.t(
                "Un code d'inscription sert une fois. Donnez au centre le code et l'empreinte (la fiche imprimable porte les deux et leur QR code) ; la borne vérifie l'empreinte avant d'envoyer le code.",
                "An enrollment code works once. Give the center the code and the fingerprint (the printable sheet carries both and their QR code); the kiosk checks the fingerprint before it sends the code.")) }
            (privilege_status(&current, now, &path))
            form.stack method="post" action=(format!("{path}/enroll")) aria-labelledby="enroll-title" {
                input type="hidden" name="csrf" value=(current.session.csrf);
                label for="hours" { (lang.t("Valable (heures, 168 au plus)", "Valid for (hours, at most 168)")) }
                input #hours type="text" name="hours" value="24" required inputmode="numeric" pattern="[0-9]{1,3}";
                button type="submit" name="format" value="page" { (lang.t("Créer un code et l'afficher", "Make a code and show it")) }
                button type="submit" name="format" value="pdf" { (lang.t("Créer un code et sa fiche (PDF)", "Make a code and its sheet (PDF)")) }
            }
        }
    };
    Ok(layout(
        lang,
        &format!(
            "{} {} ({})",
            lang.t("Centre", "Center"),
            center.name,
            center.id
        ),
        Some(&current),
        "/console/centers",
        body,
    )
    .into_response())
}

/// An enrollment code form.
#[derive(serde::Deserialize)]
pub struct EnrollForm {
    csrf: String,
    hours: String,
    format: String,
}

/// `POST /console/centers/{id}/enroll`: a new one-time code, shown once on a page or as the
/// printable sheet; the audit entry says for which center and how long, never the code.
pub async fn enroll<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    Extension(address): Extension<ClientAddress>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<EnrollForm>,
) -> Result<Response, Fail> {
    let current = posting(backend.as_ref(), &headers, &form.csrf).await?;
    current.require(Permission::ManagePlaces)?;
    let lang = current.lang;
    let path = center_path(&id);
    current.require_privilege(Timestamp::now().as_second(), &path)?;
    let hours = number_of(&form.hours)
        .filter(|h| (1..=MAX_VALID_HOURS).contains(h))
        .ok_or_else(|| {
            Fail::page(
                StatusCode::BAD_REQUEST,
                lang,
                lang.t(
                    "Une durée de 1 à 168 heures est demandée.",
                    "A duration of 1 to 168 hours is needed.",
                ),
            )
        })?;
    let pdf = match form.format.as_str() {
        "pdf" => true,
        "page" => false,
        _ => return Err(Fail::page(StatusCode::BAD_REQUEST, lang, "page | pdf")),
    };
    let audit = current.audit(
        address,
        "enroll.code",
        &format!("center:{id}"),
        None,
        Some(json!({ "valid_hours": hours })),
    );
    let made = backend
        .enroll_code(&id, hours, &audit)
        .await
        .map_err(Fail::backend(lang))?;
    if pdf {
        let disposition = HeaderValue::from_str(&format!(
            "attachment; filename=\"guichet-inscription-{}.pdf\"",
            made.center
                .0
                .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        ))
        .map_err(|e| Fail::Internal(e.to_string()))?;
        return Ok((
            [
                (CONTENT_TYPE, HeaderValue::from_static("application/pdf")),
                (CONTENT_DISPOSITION, disposition),
            ],
            made.sheet_pdf,
        )
            .into_response());
    }
    let body = html! {
        p role="status" { (lang.t(
            "Code créé. Il n'est montré qu'une fois : notez-le ou imprimez la fiche maintenant.",
            "Code made. It is shown only once: write it down or print the sheet now.")) }
        dl.facts {
            div { dt { (lang.t("Code d'inscription", "Enrollment code")) } dd { code #code { (made.code) } } }
            div { dt { (lang.t("Empreinte des clés racines", "Root keys' fingerprint")) } dd { code #fingerprint { (made.fingerprint) } } }
            div { dt { (lang.t("Valable jusqu'au", "Valid until")) } dd { (made.valid_until) (lang.t(" (heure de Paris)", " (Paris time)")) } }
        }
        p { a href=(path) { (lang.t("Retour au centre", "Back to the center")) } }
    };
    Ok(layout(
        lang,
        &format!(
            "{} {} ({})",
            lang.t("Inscription — centre", "Enrollment — center"),
            made.center.1,
            made.center.0
        ),
        Some(&current),
        "/console/centers",
        body,
    )
    .into_response())
}

/// `POST /console/centers/{id}/qualify`: the operator checked the center's qualification data
/// (privilege mode, audited); the public finder lists it from now on.
pub async fn qualify<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    Extension(address): Extension<ClientAddress>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Result<Response, Fail> {
    let current = posting(backend.as_ref(), &headers, &form.csrf).await?;
    current.require(Permission::QualifyCenters)?;
    let lang = current.lang;
    let path = center_path(&id);
    let now = Timestamp::now().as_second();
    current.require_privilege(now, &path)?;
    let audit = current.audit(
        address,
        "center.qualify",
        &format!("center:{id}"),
        None,
        None,
    );
    backend
        .qualify_center(&id, &current.account.name, now, &audit)
        .await
        .map_err(Fail::backend(lang))?;
    Ok(see_other(&path, Vec::new()))
}
