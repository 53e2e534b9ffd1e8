//! A center's workshops (its members, role `center`; issue 25, point 3): the list, a form that
//! declares one (name, area of the referential, optionally one of that area's services,
//! length of at most two hours) and a button that retires one; each change audited. The
//! public finder lists the workshops of qualified centers. The center comes from the account.

use std::sync::Arc;

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use maud::{html, Markup};
use serde_json::json;

use crate::backend::ConsoleBackend;
use crate::i18n::Lang;
use crate::model::{Area, NewWorkshop, Permission, Referential, Workshop, WorkshopMinutes};
use crate::pages::layout;
use crate::pages::my_center::own_center;
use crate::pages::TokenForm;
use crate::qualification::one_line;
use crate::session::{current, posting, Current};
use crate::web::{see_other, Fail};
use crate::ClientAddress;

/// The page's path.
pub const PATH: &str = "/console/center/workshops";
/// The longest workshop name kept.
const MAX_NAME_CHARS: usize = 100;

/// `GET /console/center/workshops`.
pub async fn show<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    headers: HeaderMap,
) -> Result<Response, Fail> {
    let current = current(backend.as_ref(), &headers).await?;
    let center = own_center(&current)?;
    let lang = current.lang;
    let workshops = backend
        .center_workshops(center)
        .await
        .map_err(Fail::backend(lang))?;
    let referential = backend
        .referential()
        .await
        .map_err(Fail::backend(lang))?
        .map(|view| view.referential);
    let manage = current.account.role.may(Permission::ManageOwnCenter);
    let body = html! {
        p { (lang.t(
            "Les ateliers que vous déclarez sont montrés, une fois votre centre qualifié, dans l'annuaire public où les bénéficiaires cherchent un centre. Un coupon paie un atelier de deux heures au plus.",
            "The workshops you declare are shown, once your center is qualified, in the public finder where beneficiaries look for a center. One coupon pays for a workshop of at most two hours.")) }
        (workshop_table(lang, &workshops, referential.as_ref(), manage.then_some(&current)))
        @if manage {
            @match &referential {
                Some(referential) => { (workshop_form(&current, referential)) }
                None => { p role="status" { (lang.t(
                    "L'opérateur n'a pas encore importé le référentiel des services : aucun atelier ne peut être déclaré pour l'instant.",
                    "The operator has not imported the services referential yet: no workshop can be declared for now.")) } }
            }
        }
    };
    Ok(layout(
        lang,
        lang.t("Ateliers du centre", "The center's workshops"),
        Some(&current),
        PATH,
        body,
    )
    .into_response())
}

/// An area's name in the referential (its code if the referential does not name it).
pub fn area_name(lang: Lang, referential: Option<&Referential>, area: Area) -> String {
    referential
        .and_then(|r| r.areas.iter().find(|a| a.code == area))
        .map_or_else(
            || area.to_string(),
            |a| format!("{} {}", a.code, lang.pick(&a.name)),
        )
}

/// A service's name in the referential (its code if it is not there any more).
fn service_name(lang: Lang, referential: Option<&Referential>, code: &str) -> String {
    referential
        .and_then(|r| r.services.iter().find(|s| s.code == code))
        .map_or_else(|| code.to_owned(), |s| lang.pick(&s.name).to_owned())
}

/// The table of `workshops`; with a retire button each when `managing` is the member's.
pub fn workshop_table(
    lang: Lang,
    workshops: &[Workshop],
    referential: Option<&Referential>,
    managing: Option<&Current>,
) -> Markup {
    html! {
        h2 #workshops-title { (lang.t("Ateliers déclarés", "Declared workshops")) " (" (workshops.len()) ")" }
        @if workshops.is_empty() {
            p #no-workshop { (lang.t("Aucun atelier déclaré.", "No workshop declared.")) }
        } @else {
            table #workshops aria-labelledby="workshops-title" {
                thead { tr {
                    th scope="col" { (lang.t("Atelier", "Workshop")) }
                    th scope="col" { (lang.t("Domaine", "Area")) }
                    th scope="col" { (lang.t("Service", "Service")) }
                    th.number scope="col" { (lang.t("Durée (min)", "Length (min)")) }
                    @if managing.is_some() { th scope="col" { (lang.t("Action", "Action")) } }
                } }
                tbody {
                    @for workshop in workshops {
                        tr id=(format!("workshop-{}", workshop.id)) {
                            th scope="row" { (workshop.declared.name) }
                            td { (area_name(lang, referential, workshop.declared.area)) }
                            td { @match &workshop.declared.service {
                                Some(code) => { (service_name(lang, referential, code)) " " code { (code) } }
                                None => { "—" }
                            } }
                            td.number { (workshop.declared.minutes.get()) }
                            @if let Some(current) = managing {
                                td {
                                    form method="post" action=(format!("{PATH}/{}/retire", workshop.id)) {
                                        input type="hidden" name="csrf" value=(current.session.csrf);
                                        button type="submit" aria-label=(format!("{} {}", lang.t("Retirer l'atelier", "Retire the workshop"), workshop.declared.name)) {
                                            (lang.t("Retirer", "Retire"))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The form that declares a workshop.
fn workshop_form(current: &Current, referential: &Referential) -> Markup {
    let lang = current.lang;
    html! {
        form.stack method="post" action=(PATH) aria-labelledby="add-workshop" {
            h2 #add-workshop { (lang.t("Déclarer un atelier", "Declare a workshop")) }
            input type="hidden" name="csrf" value=(current.session.csrf);
            label for="workshop-name" { (lang.t("Nom de l'atelier", "Workshop name")) }
            input #workshop-name type="text" name="name" required maxlength=(MAX_NAME_CHARS);
            label for="workshop-area" { (lang.t("Domaine", "Area")) }
            select #workshop-area name="area" required {
                @for area in &referential.areas {
                    option value=(area.code) { (area.code) " " (lang.pick(&area.name)) }
                }
            }
            label for="workshop-service" { (lang.t("Service (facultatif, du même domaine)", "Service (optional, of the same area)")) }
            select #workshop-service name="service" {
                option value="" { (lang.t("aucun en particulier", "none in particular")) }
                @for area in &referential.areas {
                    optgroup label=(format!("{} {}", area.code, lang.pick(&area.name))) {
                        @for service in referential.services.iter().filter(|s| s.area == area.code) {
                            option value=(service.code) { (service.code) " " (lang.pick(&service.name)) }
                        }
                    }
                }
            }
            label for="workshop-minutes" { (lang.t("Durée en minutes (120 au plus)", "Length in minutes (at most 120)")) }
            input #workshop-minutes type="text" name="minutes" value="120" required inputmode="numeric" pattern="[0-9]{1,3}";
            button type="submit" { (lang.t("Déclarer l'atelier", "Declare the workshop")) }
        }
    }
}

/// The workshop form.
#[derive(serde::Deserialize)]
pub struct WorkshopForm {
    csrf: String,
    name: String,
    area: String,
    service: Option<String>,
    minutes: String,
}

/// `POST /console/center/workshops`: declares a workshop of the member's center.
pub async fn add<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    Form(form): Form<WorkshopForm>,
) -> Result<Response, Fail> {
    let current = posting(backend.as_ref(), &headers, &form.csrf).await?;
    current.require(Permission::ManageOwnCenter)?;
    let center = own_center(&current)?;
    let lang = current.lang;
    let bad = |fr: &'static str, en: &'static str| {
        Fail::page(StatusCode::BAD_REQUEST, lang, lang.t(fr, en))
    };
    let name = one_line(&form.name, MAX_NAME_CHARS).ok_or_else(|| {
        bad(
            "Un nom d'atelier (une ligne, 100 caractères au plus) est demandé.",
            "A workshop name (one line, at most 100 characters) is needed.",
        )
    })?;
    let area: Area = form
        .area
        .trim()
        .parse()
        .map_err(|_| bad("Domaine inconnu.", "Unknown area."))?;
    let minutes: WorkshopMinutes = form.minutes.parse().map_err(|_| {
        bad(
            "Une durée de 1 à 120 minutes est demandée : un coupon paie deux heures au plus.",
            "A length of 1 to 120 minutes is needed: one coupon pays for two hours at most.",
        )
    })?;
    let service = form
        .service
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let workshop = NewWorkshop {
        name,
        area,
        service,
        minutes,
    };
    let audit = current.audit(
        address,
        "workshop.add",
        &format!("center:{center}"),
        None,
        Some(json!(workshop)),
    );
    backend
        .add_workshop(
            center,
            &workshop,
            jiff::Timestamp::now().as_second(),
            &audit,
        )
        .await
        .map_err(Fail::backend(lang))?;
    Ok(see_other(PATH, Vec::new()))
}

/// `POST /console/center/workshops/{id}/retire`: retires one of the member's center's
/// workshops (another center's number is refused as unknown).
pub async fn retire<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    Extension(address): Extension<ClientAddress>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Result<Response, Fail> {
    let current = posting(backend.as_ref(), &headers, &form.csrf).await?;
    current.require(Permission::ManageOwnCenter)?;
    let center = own_center(&current)?;
    let lang = current.lang;
    let id: i64 = id.parse().map_err(|_| {
        Fail::page(
            StatusCode::NOT_FOUND,
            lang,
            lang.t("Atelier inconnu.", "Unknown workshop."),
        )
    })?;
    let audit = current.audit(
        address,
        "workshop.retire",
        &format!("center:{center}"),
        Some(json!({ "workshop": id })),
        None,
    );
    backend
        .retire_workshop(center, id, jiff::Timestamp::now().as_second(), &audit)
        .await
        .map_err(Fail::backend(lang))?;
    Ok(see_other(PATH, Vec::new()))
}
