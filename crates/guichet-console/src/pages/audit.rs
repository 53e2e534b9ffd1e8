//! The audit log (admin, auditor): the latest entries on screen, all of them as CSV.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use maud::html;

use crate::backend::ConsoleBackend;
use crate::model::{AuditEntry, Permission};
use crate::pages::{layout, utc_instant};
use crate::session::current;
use crate::web::Fail;

/// Entries shown on the page.
const ON_SCREEN: u32 = 200;
/// Entries exported at most.
const EXPORTED: u32 = 1_000_000;

/// `GET /console/audit`.
pub async fn show<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    headers: HeaderMap,
) -> Result<Response, Fail> {
    let current = current(backend.as_ref(), &headers).await?;
    current.require(Permission::ReadAudit)?;
    let lang = current.lang;
    let entries = backend
        .audit_log(ON_SCREEN)
        .await
        .map_err(Fail::backend(lang))?;
    Ok(layout(
        lang,
        lang.t("Journal d'audit", "Audit log"),
        Some(&current),
        "/console/audit",
        html! {
            p { a href="/console/audit.csv" download="guichet-audit.csv" {
                (lang.t("Exporter tout le journal (CSV)", "Export the whole log (CSV)"))
            } }
            table #audit {
                caption { (lang.t("Les dernières entrées, la plus récente d'abord", "The latest entries, newest first")) }
                thead { tr {
                    th scope="col" { (lang.t("Quand", "When")) }
                    th scope="col" { (lang.t("Compte", "Account")) }
                    th scope="col" { (lang.t("Rôle", "Role")) }
                    th scope="col" { (lang.t("Adresse", "Address")) }
                    th scope="col" { (lang.t("Action", "Action")) }
                    th scope="col" { (lang.t("Objet", "Object")) }
                    th scope="col" { (lang.t("Avant", "Before")) }
                    th scope="col" { (lang.t("Après", "After")) }
                } }
                tbody {
                    @for entry in &entries {
                        tr {
                            td { (utc_instant(&entry.at)) }
                            td { (entry.account.as_deref().unwrap_or("—")) }
                            td { (entry.role.map_or("—", |r| r.as_str())) }
                            td { (entry.address) }
                            td { code { (entry.action) } }
                            td { code { (entry.object) } }
                            td { code { (entry.before.as_deref().unwrap_or("")) } }
                            td { code { (entry.after.as_deref().unwrap_or("")) } }
                        }
                    }
                }
            }
        },
    )
    .into_response())
}

/// The CSV of `entries` (UTF-8, a header line, comma separated).
pub fn csv_of(entries: &[AuditEntry]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        "at", "account", "role", "address", "action", "object", "before", "after",
    ])?;
    for e in entries {
        writer.write_record([
            e.at.as_str(),
            e.account.as_deref().unwrap_or(""),
            e.role.map_or("", |r| r.as_str()),
            e.address.as_str(),
            e.action.as_str(),
            e.object.as_str(),
            e.before.as_deref().unwrap_or(""),
            e.after.as_deref().unwrap_or(""),
        ])?;
    }
    writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}

/// `GET /console/audit.csv`: every entry, newest first.
pub async fn export<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    headers: HeaderMap,
) -> Result<Response, Fail> {
    let current = current(backend.as_ref(), &headers).await?;
    current.require(Permission::ReadAudit)?;
    let entries = backend
        .audit_log(EXPORTED)
        .await
        .map_err(Fail::backend(current.lang))?;
    let body = csv_of(&entries).map_err(|e| Fail::Internal(e.to_string()))?;
    Ok((
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"guichet-audit.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}
