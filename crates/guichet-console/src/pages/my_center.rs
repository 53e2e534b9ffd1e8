//! A center's own page (its members, role `center`): the center's kiosks, its redemptions of
//! a month with their state on the platform (a conflict says who holds the coupon), what the
//! month pays so far, and its signed statements to download. The center comes from the
//! logged-in account, never from the request: no address shows another center.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use maud::html;

use guichet_protocol::statement::document::StatementDocument;

use crate::backend::ConsoleBackend;
use crate::model::{EntryState, Month, Permission};
use crate::pages::reports::{month_of, MonthQuery};
use crate::pages::{euros, kiosk_rows, layout, month_form, utc_instant};
use crate::session::{current, Current};
use crate::web::Fail;

/// Where a center's members land.
pub const PATH: &str = "/console/center";

/// The logged-in account's center, if its role may read one.
pub fn own_center(current: &Current) -> Result<&str, Fail> {
    current.require(Permission::ReadOwnCenter)?;
    current.account.center.as_deref().ok_or_else(|| {
        Fail::page(
            StatusCode::FORBIDDEN,
            current.lang,
            current.lang.t(
                "Ce compte n'appartient à aucun centre.",
                "This account belongs to no center.",
            ),
        )
    })
}

/// `GET /console/center?month=YYYY-MM` (this month by default).
pub async fn show<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    headers: HeaderMap,
    Query(query): Query<MonthQuery>,
) -> Result<Response, Fail> {
    let current = current(backend.as_ref(), &headers).await?;
    let center = own_center(&current)?;
    let lang = current.lang;
    let now = Timestamp::now();
    let month = match query.month() {
        None => Month::of(backend.report_day(now)),
        Some(text) => month_of(text, lang)?,
    };
    let home = backend
        .center_home(center, month)
        .await
        .map_err(Fail::backend(lang))?;
    let accepted: Vec<_> = home
        .lines
        .iter()
        .filter(|line| line.state == EntryState::Accepted)
        .collect();
    let paid: i64 = accepted.iter().filter_map(|line| line.value_cents).sum();
    let seconds = now.as_second();
    let body = html! {
        h2 #kiosks-title { (lang.t("Vos bornes", "Your kiosks")) }
        table #kiosks aria-labelledby="kiosks-title" { (kiosk_rows(lang, &home.kiosks, seconds)) }
        h2 #month-title { (lang.t("Passages du mois ", "Redemptions of ")) (month) }
        (month_form(lang, PATH, month))
        p { a href=(format!("{PATH}?month={}", month.previous())) { (lang.t("Mois précédent", "Previous month")) } }
        p #month-total {
            (accepted.len())
            (if accepted.len() == 1 { lang.t(" passage accepté, ", " accepted redemption, ") }
             else { lang.t(" passages acceptés, ", " accepted redemptions, ") })
            (euros(lang, paid))
            (lang.t(" à payer (le relevé signé fait foi, à la clôture du mois)",
                    " payable (the signed statement, issued when the month closes, is what counts)"))
        }
        table #redemptions aria-labelledby="month-title" {
            thead { tr {
                th scope="col" { (lang.t("Date (UTC)", "Date (UTC)")) }
                th scope="col" { (lang.t("Coupon", "Coupon")) }
                th scope="col" { (lang.t("Valeur", "Value")) }
                th scope="col" { (lang.t("Financeur", "Funder")) }
                th scope="col" { (lang.t("État", "State")) }
                th scope="col" { (lang.t("Détail", "Detail")) }
            } }
            tbody {
                @for line in &home.lines {
                    tr.(line.state.as_str()) {
                        td { (utc_instant(&line.redeemed_at)) }
                        th scope="row" { "n° " (line.coupon.1) }
                        td { @match line.value_cents { Some(cents) => { (euros(lang, cents)) } None => { "—" } } }
                        td { (line.provider.1) }
                        td { (lang.entry_state(line.state)) }
                        td {
                            @if let Some((id, name)) = &line.held_by {
                                (lang.t("pass déjà tenu par ", "pass already held by ")) (name) " (" (id) ")"
                            } @else {
                                (line.detail.as_deref().unwrap_or(""))
                            }
                        }
                    }
                }
            }
        }
        h2 #statements-title { (lang.t("Relevés signés", "Signed statements")) }
        p { (lang.t(
            "Un relevé est émis à la clôture de chaque mois : chaque passage payé et les totaux par financeur, signés par la plateforme. Quiconque le vérifie hors ligne avec l'empreinte racine (guichet statement verify), et la borne le compare à son propre journal.",
            "A statement is issued when each month closes: every paid redemption and the totals per funder, signed by the platform. Anyone checks it offline with the root fingerprint (guichet statement verify), and the kiosk compares it with its own ledger.")) }
        @if home.statements.is_empty() {
            p #no-statement { (lang.t("Aucun relevé pour l'instant.", "No statement yet.")) }
        } @else {
            ul #statements aria-labelledby="statements-title" {
                @for month in &home.statements {
                    li {
                        a href=(format!("{PATH}/statements/{month}")) download=(statement_file(center, *month, "json")) {
                            (lang.t("Relevé ", "Statement ")) (month) (lang.t(" signé (JSON)", " signed (JSON)"))
                        }
                        " · "
                        a href=(format!("{PATH}/statements/{month}/csv")) download=(statement_file(center, *month, "csv")) {
                            (lang.t("pour tableur (CSV)", "for spreadsheets (CSV)"))
                        }
                        " · "
                        a href=(format!("{PATH}/statements/{month}/pdf")) download=(statement_file(center, *month, "pdf")) {
                            (lang.t("à imprimer (PDF)", "to print (PDF)"))
                        }
                    }
                }
            }
        }
    };
    Ok(layout(
        lang,
        &format!(
            "{} {} ({})",
            lang.t("Centre", "Center"),
            home.center.1,
            home.center.0
        ),
        Some(&current),
        PATH,
        body,
    )
    .into_response())
}

/// The file name a statement downloads as, with extension `extension`.
fn statement_file(center: &str, month: Month, extension: &str) -> String {
    let center: String = center
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("releve-{center}-{month}.{extension}")
}

/// The logged-in member's center, month and statement file, for a download.
async fn own_statement<B: ConsoleBackend>(
    backend: &B,
    headers: &HeaderMap,
    month: &str,
) -> Result<(String, Month, String), Fail> {
    let current = current(backend, headers).await?;
    let center = own_center(&current)?.to_owned();
    let lang = current.lang;
    let month = month_of(month, lang)?;
    let file = backend
        .center_statement(&center, month)
        .await
        .map_err(Fail::backend(lang))?
        .ok_or_else(|| {
            Fail::page(
                StatusCode::NOT_FOUND,
                lang,
                lang.t(
                    "Pas de relevé pour ce mois.",
                    "No statement for this month.",
                ),
            )
        })?;
    Ok((center, month, file))
}

/// A download of `body` as `name`, of type `content_type`.
fn download(content_type: &'static str, name: &str, body: Vec<u8>) -> Result<Response, Fail> {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .map_err(|e| Fail::Internal(e.to_string()))?;
    Ok((
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

/// `GET /console/center/statements/{month}`: the center's signed statement, as issued.
pub async fn statement<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    headers: HeaderMap,
    Path(month): Path<String>,
) -> Result<Response, Fail> {
    let (center, month, file) = own_statement(backend.as_ref(), &headers, &month).await?;
    download(
        "application/json",
        &statement_file(&center, month, "json"),
        file.into_bytes(),
    )
}

/// The logged-in member's center, month and statement document as the platform signed it.
async fn own_document<B: ConsoleBackend>(
    backend: &B,
    headers: &HeaderMap,
    month: &str,
) -> Result<(String, Month, StatementDocument), Fail> {
    let (center, month, file) = own_statement(backend, headers, month).await?;
    let document = guichet_protocol::statement::file::issued_document(file.as_bytes())
        .map_err(|e| Fail::Internal(format!("a stored statement: {e}")))?;
    Ok((center, month, document))
}

/// `GET /console/center/statements/{month}/csv`: the same statement for public accounting
/// (`statement_csv`), made from the document the platform signed.
pub async fn statement_csv<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    headers: HeaderMap,
    Path(month): Path<String>,
) -> Result<Response, Fail> {
    let (center, month, document) = own_document(backend.as_ref(), &headers, &month).await?;
    let bytes = crate::statement_csv::write(&document)
        .map_err(|e| Fail::Internal(format!("the statement's CSV: {e}")))?;
    download(
        "text/csv; charset=utf-8",
        &statement_file(&center, month, "csv"),
        bytes,
    )
}

/// `GET /console/center/statements/{month}/pdf`: the same statement, printable
/// (`statement_pdf`), made from the document the platform signed.
pub async fn statement_pdf<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    headers: HeaderMap,
    Path(month): Path<String>,
) -> Result<Response, Fail> {
    let (center, month, document) = own_document(backend.as_ref(), &headers, &month).await?;
    download(
        "application/pdf",
        &statement_file(&center, month, "pdf"),
        crate::statement_pdf::render(&document),
    )
}
