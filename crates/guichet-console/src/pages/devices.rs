//! The kiosks: label, center, last seen, state; disable or enable one by its id, from its own
//! row, with a reason (admin, privilege mode, audited).

use std::sync::Arc;

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use jiff::Timestamp;
use maud::html;
use serde_json::json;

use crate::backend::ConsoleBackend;
use crate::model::Permission;
use crate::pages::dashboard::is_stale;
use crate::pages::{layout, privilege_status, utc_instant, utc_time};
use crate::session::{current, posting};
use crate::web::{see_other, Fail};
use crate::ClientAddress;

/// The longest reason kept.
const MAX_REASON_CHARS: usize = 500;

/// `GET /console/devices`.
pub async fn show<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    headers: HeaderMap,
) -> Result<Response, Fail> {
    let current = current(backend.as_ref(), &headers).await?;
    current.require(Permission::ReadDevices)?;
    let lang = current.lang;
    let devices = backend.devices().await.map_err(Fail::backend(lang))?;
    let now = Timestamp::now().as_second();
    let manage = current.account.role.may(Permission::ManageDevices);
    Ok(layout(
        lang,
        lang.t("Bornes", "Kiosks"),
        Some(&current),
        "/console/devices",
        html! {
            @if manage { (privilege_status(&current, now, "/console/devices")) }
            table #devices {
                caption { (devices.len()) (lang.t(" bornes inscrites", " enrolled kiosks")) }
                thead { tr {
                    th scope="col" { (lang.t("Borne", "Kiosk")) }
                    th scope="col" { (lang.t("Centre", "Center")) }
                    th scope="col" { (lang.t("Dernière requête", "Last request")) }
                    th scope="col" { (lang.t("Entrées", "Entries")) }
                    th scope="col" { (lang.t("Inscrite le", "Enrolled")) }
                    th scope="col" { (lang.t("État", "State")) }
                    @if manage { th scope="col" { (lang.t("Action", "Action")) } }
                } }
                tbody {
                    @for device in &devices {
                        tr id=(format!("device-{}", device.id)) {
                            th scope="row" {
                                (device.label.as_deref().unwrap_or("—"))
                                br; code.id { (device.id) }
                            }
                            td { (device.center) }
                            td {
                                @match device.last_seen {
                                    Some(at) => { (utc_time(at)) }
                                    None => { (lang.t("jamais", "never")) }
                                }
                                @if is_stale(device, now) { " " strong.stale { (lang.t("en retard", "stale")) } }
                            }
                            td { (device.entries) }
                            td { (utc_instant(&device.enrolled_at)) }
                            td.state {
                                @if device.disabled { strong.off { (lang.t("désactivée", "disabled")) } }
                                @else { (lang.t("active", "enabled")) }
                            }
                            @if manage {
                                td {
                                    @let action = if device.disabled { "enable" } else { "disable" };
                                    @let field = format!("reason-{}", device.id);
                                    form.inline method="post" action=(format!("/console/devices/{}/{action}", device.id)) {
                                        input type="hidden" name="csrf" value=(current.session.csrf);
                                        label for=(field) { (lang.t("Motif", "Reason")) }
                                        input id=(field) type="text" name="reason" required maxlength="500";
                                        button type="submit" {
                                            @if device.disabled { (lang.t("Réactiver", "Enable")) }
                                            @else { (lang.t("Désactiver", "Disable")) }
                                            span.visually-hidden { " " (device.label.as_deref().unwrap_or(&device.id)) }
                                        }
                                    }
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

/// A disable or enable form.
#[derive(serde::Deserialize)]
pub struct DeviceForm {
    csrf: String,
    reason: String,
}

/// `POST /console/devices/{id}/{disable|enable}`: by the device's id, with a reason; the
/// audit entry is written with the change.
pub async fn act<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    Extension(address): Extension<ClientAddress>,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<DeviceForm>,
) -> Result<Response, Fail> {
    let current = posting(backend.as_ref(), &headers, &form.csrf).await?;
    current.require(Permission::ManageDevices)?;
    let lang = current.lang;
    current.require_privilege(Timestamp::now().as_second(), "/console/devices")?;
    let disabled = match action.as_str() {
        "disable" => true,
        "enable" => false,
        _ => return Err(Fail::page(StatusCode::NOT_FOUND, lang, "disable | enable")),
    };
    let reason = form.reason.trim();
    if reason.is_empty()
        || reason.chars().count() > MAX_REASON_CHARS
        || reason.chars().any(char::is_control)
    {
        return Err(Fail::page(
            StatusCode::BAD_REQUEST,
            lang,
            lang.t(
                "Un motif (une ligne, 500 caractères au plus) est demandé.",
                "A reason (one line, at most 500 characters) is needed.",
            ),
        ));
    }
    let audit = current.audit(
        address,
        if disabled {
            "device.disable"
        } else {
            "device.enable"
        },
        &format!("device:{id}"),
        Some(json!({ "disabled": !disabled })),
        Some(json!({ "disabled": disabled, "reason": reason })),
    );
    backend
        .set_device_disabled(&id, disabled, &audit)
        .await
        .map_err(Fail::backend(lang))?;
    Ok(see_other("/console/devices", Vec::new()))
}
