//! The dashboard: redemptions today and this month, what waits for review, stale kiosks,
//! the published bundle's age, and how many changes the next bundle makes (with a link to
//! them).

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use maud::html;

use crate::backend::ConsoleBackend;
use crate::model::{DeviceRow, Permission};
use crate::pages::{layout, utc_time};
use crate::session::current;
use crate::web::{see_other, Fail};

/// A kiosk not seen for this long is stale (3 days).
pub const STALE_AFTER_SECS: i64 = 3 * 24 * 60 * 60;

/// Whether a kiosk is enabled and has not been seen for [`STALE_AFTER_SECS`].
pub fn is_stale(device: &DeviceRow, now: i64) -> bool {
    !device.disabled
        && device
            .last_seen
            .is_none_or(|seen| now - seen > STALE_AFTER_SECS)
}

/// `GET /console/`.
pub async fn show<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    headers: HeaderMap,
) -> Result<Response, Fail> {
    let current = current(backend.as_ref(), &headers).await?;
    // A center's members land on their center's page; nobody else sees the platform's
    // figures without the operator's roles.
    if current.account.role.may(Permission::ReadOwnCenter) {
        return Ok(see_other(super::my_center::PATH, Vec::new()));
    }
    current.require(Permission::ReadDashboard)?;
    let lang = current.lang;
    let now = Timestamp::now();
    let figures = backend.dashboard(now).await.map_err(Fail::backend(lang))?;
    let stale: Vec<DeviceRow> = if current.account.role.may(Permission::ReadDevices) {
        backend
            .devices()
            .await
            .map_err(Fail::backend(lang))?
            .into_iter()
            .filter(|d| is_stale(d, now.as_second()))
            .collect()
    } else {
        Vec::new()
    };
    let next_bundle = if current.account.role.may(Permission::ReadBundles) {
        Some(backend.bundles(now).await.map_err(Fail::backend(lang))?)
    } else {
        None
    };
    let days = |secs: i64| secs / 86_400;
    Ok(layout(
        lang,
        lang.t("Tableau de bord", "Dashboard"),
        Some(&current),
        "/console",
        html! {
            dl.figures {
                div { dt { (lang.t("Passes acceptés aujourd'hui", "Passes accepted today")) }
                      dd #today { (figures.redemptions_today) } }
                div { dt { (lang.t("Passes acceptés ce mois-ci", "Passes accepted this month")) }
                      dd #month { (figures.redemptions_month) } }
                div { dt { (lang.t("En attente de revue", "Waiting for review")) }
                      dd #waiting { (figures.waiting_review)
                        @if let Some(age) = figures.oldest_waiting_secs {
                            span.sub { " (" (lang.t("le plus ancien : ", "oldest: ")) (days(age)) (lang.t(" j", " d")) ")" }
                        } } }
                div { dt { (lang.t("Paquet de confiance publié", "Published trust bundle")) }
                      dd #bundle { @match figures.bundle {
                          Some((sequence, age)) => { "n° " (sequence) span.sub { " (" (days(age)) (lang.t(" j", " d")) ")" } }
                          None => { (lang.t("aucun", "none")) }
                      } } }
            }
            @if let Some(view) = &next_bundle {
                h2 { (lang.t("Prochain paquet de confiance", "Next trust bundle")) " (n° " (view.next) ")" }
                p #next-bundle {
                    @let widening = view.changes.iter().filter(|c| c.widens).count();
                    (view.changes.len()) (lang.t(" changement(s), dont ", " change(s), "))
                    (widening) (lang.t(" élargissant la confiance — ", " widening trust — "))
                    a href="/console/bundles" { (lang.t("voir ce qu'il change", "see what it changes")) }
                }
            }
            @if current.account.role.may(Permission::ReadDevices) {
                h2 { (lang.t("Bornes sans nouvelles depuis plus de 3 jours", "Kiosks not heard from for over 3 days")) }
                @if stale.is_empty() {
                    p { (lang.t("Aucune.", "None.")) }
                } @else {
                    ul #stale {
                        @for device in &stale {
                            li {
                                (device.label.as_deref().unwrap_or("—")) " (" (device.center) ") — "
                                @match device.last_seen {
                                    Some(at) => { (lang.t("vue le ", "seen ")) (utc_time(at)) }
                                    None => { (lang.t("jamais vue", "never seen")) }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
    .into_response())
}
