//! The console's pages: server-rendered HTML (maud), one stylesheet, no script; every form
//! works without JavaScript and with the keyboard alone.

pub mod audit;
pub mod booklets;
pub mod bundles;
pub mod center_profile;
pub mod center_workshops;
pub mod centers;
pub mod dashboard;
pub mod devices;
pub mod finder;
pub mod login;
pub mod my_center;
pub mod privilege;
pub mod referential;
pub mod reports;
pub mod review;

use axum::extract::{Path, Query};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};

use crate::i18n::{Lang, LANG_COOKIE};
use crate::model::{DeviceRow, Month, Permission};
use crate::session::Current;
use crate::web::{local_path, see_other};

/// The stylesheet (the kiosk's colours: dark panels, yellow focus ring).
const STYLESHEET: &str = include_str!("../../assets/console.css");

/// `GET /console/console.css`.
pub async fn stylesheet() -> Response {
    (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("text/css; charset=utf-8"),
        )],
        STYLESHEET,
    )
        .into_response()
}

/// A form that only carries its token (a button that acts on what its path names).
#[derive(serde::Deserialize)]
pub struct TokenForm {
    /// The session's form token.
    pub csrf: String,
}

/// Where the language switch returns to.
#[derive(serde::Deserialize)]
pub struct Back {
    back: Option<String>,
}

/// `GET /console/lang/{fr|en}?back=PATH`: sets the language cookie and goes back.
pub async fn switch_language(Path(code): Path<String>, Query(back): Query<Back>) -> Response {
    let lang = Lang::parse(&code).unwrap_or(Lang::Fr);
    let cookie = HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={}; Path=/console; SameSite=Strict; Max-Age=31536000",
        lang.code()
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("guichet-lang=fr"));
    see_other(&local_path(back.back.as_deref()), vec![cookie])
}

/// Any other console path.
pub async fn not_found(headers: HeaderMap) -> Response {
    let lang = Lang::of(&headers);
    (
        StatusCode::NOT_FOUND,
        message_page(
            lang,
            StatusCode::NOT_FOUND,
            lang.t("Cette page n'existe pas.", "No such page."),
        ),
    )
        .into_response()
}

/// A page saying why a request was refused.
pub fn message_page(lang: Lang, status: StatusCode, message: &str) -> Html<String> {
    let title = match status {
        StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => lang.t("Refusé", "Refused"),
        StatusCode::TOO_MANY_REQUESTS => lang.t("Trop d'essais", "Too many attempts"),
        StatusCode::NOT_FOUND => lang.t("Introuvable", "Not found"),
        StatusCode::INTERNAL_SERVER_ERROR => lang.t("Erreur", "Error"),
        _ => lang.t("Impossible", "Not possible"),
    };
    layout(
        lang,
        title,
        None,
        "/console",
        html! {
            p.message role="alert" { (message) }
            p { a href="/console" { (lang.t("Retour au tableau de bord", "Back to the dashboard")) } }
        },
    )
}

/// The navigation entries: path, French, English, what is needed to see it.
const NAV: [(&str, &str, &str, Option<Permission>); 12] = [
    (
        "/console",
        "Tableau de bord",
        "Dashboard",
        Some(Permission::ReadDashboard),
    ),
    (
        my_center::PATH,
        "Mon centre",
        "My center",
        Some(Permission::ReadOwnCenter),
    ),
    (
        center_workshops::PATH,
        "Ateliers",
        "Workshops",
        Some(Permission::ReadOwnCenter),
    ),
    (
        center_profile::PATH,
        "Qualification",
        "Qualification",
        Some(Permission::ReadOwnCenter),
    ),
    (
        "/console/devices",
        "Bornes",
        "Kiosks",
        Some(Permission::ReadDevices),
    ),
    (
        "/console/centers",
        "Centres",
        "Centers",
        Some(Permission::ReadPlaces),
    ),
    (
        "/console/referential",
        "Référentiel",
        "Referential",
        Some(Permission::ReadPlaces),
    ),
    (
        "/console/review",
        "Revue",
        "Review",
        Some(Permission::ReadReview),
    ),
    (
        "/console/booklets",
        "Carnets",
        "Booklets",
        Some(Permission::ReadBooklets),
    ),
    (
        "/console/bundles",
        "Paquets",
        "Bundles",
        Some(Permission::ReadBundles),
    ),
    (
        "/console/reports",
        "Rapports",
        "Reports",
        Some(Permission::ReadReports),
    ),
    (
        "/console/audit",
        "Journal d'audit",
        "Audit log",
        Some(Permission::ReadAudit),
    ),
];

/// A whole page: skip link, header (navigation, account, logout, language), main content.
pub fn layout(
    lang: Lang,
    title: &str,
    current: Option<&Current>,
    path: &str,
    body: Markup,
) -> Html<String> {
    let other = lang.other();
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (lang.t("Console Guichet", "Guichet console")) }
                link rel="stylesheet" href="/console/console.css";
            }
            body {
                a.skip href="#main" { (lang.t("Aller au contenu", "Skip to content")) }
                header.top {
                    p.brand { "Guichet — " (
                        if current.is_some_and(|c| c.account.role.may(Permission::ReadOwnCenter)) {
                            lang.t("espace du centre", "center's space")
                        } else {
                            lang.t("console de l'opérateur", "operator's console")
                        }
                    ) }
                    @if let Some(current) = current {
                        nav aria-label=(lang.t("Navigation principale", "Main navigation")) {
                            ul {
                                @for (href, fr, en, needs) in NAV {
                                    @if needs.is_none_or(|p| current.account.role.may(p)) {
                                        li {
                                            @if href == path {
                                                a href=(href) aria-current="page" { (lang.t(fr, en)) }
                                            } @else {
                                                a href=(href) { (lang.t(fr, en)) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        div.who {
                            span { (current.account.name) " (" (current.account.role.as_str()) ")" }
                            form method="post" action="/console/logout" {
                                input type="hidden" name="csrf" value=(current.session.csrf);
                                button type="submit" { (lang.t("Se déconnecter", "Log out")) }
                            }
                        }
                    }
                    a.lang href=(format!("/console/lang/{}?back={path}", other.code()))
                        lang=(other.code()) hreflang=(other.code()) {
                        (other.t("Français", "English"))
                    }
                }
                main #main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    };
    Html(markup.into_string())
}

/// The privilege-mode line of a page with privileged actions.
pub fn privilege_status(current: &Current, now: i64, back: &str) -> Markup {
    let lang = current.lang;
    html! {
        @if let Some(until) = current.session.privileged_at.filter(|_| current.privileged(now)) {
            p.privilege.open {
                (lang.t("Mode privilégié ouvert jusqu'à ", "Privilege mode open until "))
                (utc_time(until + crate::PRIVILEGE_SECS))
            }
        } @else {
            p.privilege {
                (lang.t("Les actions de cette page demandent le mode privilégié : ",
                        "The actions of this page need privilege mode: "))
                a href=(format!("/console/privilege?back={back}")) {
                    (lang.t("confirmer mon identité", "confirm my identity"))
                }
            }
        }
    }
}

/// The head and rows of a table of kiosks: label and id, last request (stale ones marked at
/// `now`), state.
pub fn kiosk_rows(lang: Lang, kiosks: &[DeviceRow], now: i64) -> Markup {
    html! {
        thead { tr {
            th scope="col" { (lang.t("Borne", "Kiosk")) }
            th scope="col" { (lang.t("Dernière requête", "Last request")) }
            th scope="col" { (lang.t("État", "State")) }
        } }
        tbody {
            @for device in kiosks {
                tr {
                    th scope="row" { (device.label.as_deref().unwrap_or("—")) br; code.id { (device.id) } }
                    td {
                        @match device.last_seen {
                            Some(at) => { (utc_time(at)) }
                            None => { (lang.t("jamais", "never")) }
                        }
                        @if dashboard::is_stale(device, now) { " " strong.stale { (lang.t("en retard", "stale")) } }
                    }
                    td {
                        @if device.disabled { strong.off { (lang.t("désactivée", "disabled")) } }
                        @else { (lang.t("active", "enabled")) }
                    }
                }
            }
        }
    }
}

/// The form that asks for a month (`YYYY-MM`) of the page at `action`.
pub fn month_form(lang: Lang, action: &str, month: Month) -> Markup {
    html! {
        form.inline method="get" action=(action) {
            label for="month" { (lang.t("Mois (AAAA-MM)", "Month (YYYY-MM)")) }
            input #month type="text" name="month" value=(month) required
                pattern="[0-9]{4}-[0-9]{2}" inputmode="numeric" size="8";
            button type="submit" { (lang.t("Afficher", "Show")) }
        }
    }
}

/// A unix time as `YYYY-MM-DD HH:MM UTC`.
pub fn utc_time(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|at| at.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| secs.to_string())
}

/// An RFC 3339 instant as `YYYY-MM-DD HH:MM:SS UTC` (as given if it does not parse).
pub fn utc_instant(text: &str) -> String {
    text.parse::<jiff::Timestamp>()
        .map(|at| at.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|_| text.to_owned())
}

/// Cents as euros, `12,50 €` (French) or `€12.50`.
pub fn euros(lang: Lang, cents: i64) -> String {
    let (units, rest) = (cents / 100, (cents % 100).abs());
    match lang {
        Lang::Fr => format!("{units},{rest:02} €"),
        Lang::En => format!("€{units}.{rest:02}"),
    }
}
