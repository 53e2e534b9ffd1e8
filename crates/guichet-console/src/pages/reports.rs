//! The monthly report (admin, reviewer, auditor): what is payable per center and provider,
//! the redemptions listed apart, the CSV for French spreadsheets; closing a past month (admin,
//! privilege mode, audited).

use std::sync::Arc;

use axum::extract::{Form, Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use jiff::Timestamp;
use maud::{html, Markup};
use serde_json::json;

use crate::backend::ConsoleBackend;
use crate::i18n::Lang;
use crate::model::{Apart, Month, MonthReport, Permission};
use crate::pages::{euros, layout, month_form, privilege_status, utc_instant};
use crate::report_csv;
use crate::session::{current, posting, Current};
use crate::web::{see_other, Fail};
use crate::ClientAddress;

/// The month a query or a path names, or a 400 page.
pub(crate) fn month_of(text: &str, lang: Lang) -> Result<Month, Fail> {
    text.parse().map_err(|_| {
        Fail::page(
            StatusCode::BAD_REQUEST,
            lang,
            lang.t(
                "Mois attendu sous la forme AAAA-MM (2000-01 à 9999-12).",
                "A month is written YYYY-MM (2000-01 to 9999-12).",
            ),
        )
    })
}

/// The month asked for.
#[derive(serde::Deserialize)]
pub struct MonthQuery {
    month: Option<String>,
}

impl MonthQuery {
    /// The month typed, if any (an empty field is none).
    pub fn month(&self) -> Option<&str> {
        self.month.as_deref().filter(|text| !text.is_empty())
    }
}

/// The title of a section of lines listed apart.
fn apart_title(kind: Apart, lang: Lang) -> &'static str {
    match kind {
        Apart::Conflict => lang.t("En conflit", "In conflict"),
        Apart::Held => lang.t("En attente de revue", "Waiting for review"),
        Apart::Rejected => lang.t("Rejetés", "Rejected"),
        Apart::Unknown => lang.t("Coupons inconnus", "Unknown coupons"),
    }
}

/// `GET /console/reports?month=YYYY-MM` (this month by default).
pub async fn show<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    headers: HeaderMap,
    Query(query): Query<MonthQuery>,
) -> Result<Response, Fail> {
    let current = current(backend.as_ref(), &headers).await?;
    current.require(Permission::ReadReports)?;
    let lang = current.lang;
    let now = Timestamp::now();
    let this_month = Month::of(backend.report_day(now));
    let month = match query.month() {
        None => this_month,
        Some(text) => month_of(text, lang)?,
    };
    let report = backend
        .month_report(month)
        .await
        .map_err(Fail::backend(lang))?;
    let path = format!("/console/reports?month={month}");
    let body = html! {
        (month_form(lang, "/console/reports", month))
        p {
            a href=(format!("/console/reports?month={}", month.previous())) {
                (lang.t("Mois précédent", "Previous month"))
            }
            " · "
            a href=(format!("/console/reports/{month}/csv")) download=(format!("guichet-rapport-{month}.csv")) {
                (lang.t("Télécharger le rapport (CSV pour tableur)", "Download the report (CSV for spreadsheets)"))
            }
        }
        (closure(&current, &report, month < this_month, now.as_second(), &path))
        (payable(&report, lang))
        @for kind in Apart::ALL {
            (apart(&report, kind, lang))
        }
    };
    Ok(layout(
        lang,
        &format!("{} {month}", lang.t("Rapport du mois", "Report of")),
        Some(&current),
        "/console/reports",
        body,
    )
    .into_response())
}

/// Whether the month is closed, and the form that closes it (admin, for a past month).
fn closure(current: &Current, report: &MonthReport, past: bool, now: i64, back: &str) -> Markup {
    let lang = current.lang;
    let month = report.month;
    html! {
        @if let Some(closed) = &report.closed {
            p #closed {
                (lang.t("Mois clos le ", "Month closed on ")) (utc_instant(&closed.at))
                (lang.t(" par ", " by ")) (closed.by)
                (lang.t(" : les montants à payer sont figés.", ": the payable amounts are frozen."))
            }
        } @else {
            p #closed { (lang.t("Mois ouvert : les montants peuvent encore changer.",
                                "Month open: the amounts may still change.")) }
            @if past && current.account.role.may(Permission::CloseMonth) {
                (privilege_status(current, now, back))
                form.inline method="post" action=(format!("/console/reports/{month}/close")) {
                    input type="hidden" name="csrf" value=(current.session.csrf);
                    button type="submit" {
                        (lang.t("Clore le mois ", "Close the month ")) (month)
                        (lang.t(" (et les précédents)", " (and the ones before)"))
                    }
                }
            }
        }
    }
}

/// The payable lines and their total.
fn payable(report: &MonthReport, lang: Lang) -> Markup {
    let coupons: u64 = report.payable.iter().map(|l| l.coupons).sum();
    let cents: i64 = report.payable.iter().map(|l| l.amount_cents).sum();
    html! {
        table #payable {
            caption { (lang.t("À payer, par centre et prestataire", "Payable, per center and provider")) }
            thead { tr {
                th scope="col" { (lang.t("Centre", "Center")) }
                th scope="col" { (lang.t("Prestataire", "Provider")) }
                th.number scope="col" { (lang.t("Coupons", "Coupons")) }
                th.number scope="col" { (lang.t("Montant", "Amount")) }
            } }
            tbody {
                @for line in &report.payable {
                    tr {
                        th scope="row" { (line.center.1) " " code { (line.center.0) } }
                        td { (line.provider.1) " " code { (line.provider.0) } }
                        td.number { (line.coupons) }
                        td.number { (euros(lang, line.amount_cents)) }
                    }
                }
            }
            tfoot { tr {
                th scope="row" colspan="2" { (lang.t("Total", "Total")) }
                td.number #total-coupons { (coupons) }
                td.number #total-amount { (euros(lang, cents)) }
            } }
        }
    }
}

/// The redemptions of one kind listed apart (none: a sentence).
fn apart(report: &MonthReport, kind: Apart, lang: Lang) -> Markup {
    let lines: Vec<_> = report.apart.iter().filter(|l| l.kind == kind).collect();
    html! {
        section aria-labelledby=(format!("apart-{}", kind.as_str())) {
            h2 id=(format!("apart-{}", kind.as_str())) { (apart_title(kind, lang)) " (" (lines.len()) ")" }
            @if lines.is_empty() {
                p { (lang.t("Aucun.", "None.")) }
            } @else {
                table id=(format!("lines-{}", kind.as_str())) {
                    caption.visually-hidden { (apart_title(kind, lang)) }
                    thead { tr {
                        th scope="col" { (lang.t("Passage", "Redemption")) }
                        th scope="col" { (lang.t("Centre", "Center")) }
                        th scope="col" { (lang.t("Coupon", "Coupon")) }
                        th scope="col" { (lang.t("Prestataire", "Provider")) }
                        th scope="col" { (lang.t("Passé le", "Redeemed")) }
                        th scope="col" { (lang.t("Motif", "Why")) }
                    } }
                    tbody {
                        @for line in lines {
                            tr {
                                th scope="row" { code { (line.id) } }
                                td { (line.center.1) " " code { (line.center.0) } }
                                td { code { (line.coupon.0) " #" (line.coupon.1) } }
                                td { (line.provider.1) }
                                td { (utc_instant(&line.redeemed_at)) }
                                td { (line.detail.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /console/reports/{month}/csv`: the report for French spreadsheets.
pub async fn download<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    headers: HeaderMap,
    Path(month): Path<String>,
) -> Result<Response, Fail> {
    let current = current(backend.as_ref(), &headers).await?;
    current.require(Permission::ReadReports)?;
    let lang = current.lang;
    let month = month_of(&month, lang)?;
    let report = backend
        .month_report(month)
        .await
        .map_err(Fail::backend(lang))?;
    let body = report_csv::write(&report).map_err(|e| Fail::Internal(e.to_string()))?;
    let disposition = HeaderValue::from_str(&format!(
        "attachment; filename=\"guichet-rapport-{month}.csv\""
    ))
    .map_err(|e| Fail::Internal(e.to_string()))?;
    Ok((
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

/// A form that carries only its CSRF token.
#[derive(serde::Deserialize)]
pub struct TokenForm {
    csrf: String,
}

/// `POST /console/reports/{month}/close`: closes a past month (admin, privilege mode); the
/// audit entry is written with the closure.
pub async fn close<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    Extension(address): Extension<ClientAddress>,
    Path(month): Path<String>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Result<Response, Fail> {
    let current = posting(backend.as_ref(), &headers, &form.csrf).await?;
    current.require(Permission::CloseMonth)?;
    let lang = current.lang;
    let month = month_of(&month, lang)?;
    let back = format!("/console/reports?month={month}");
    current.require_privilege(Timestamp::now().as_second(), &back)?;
    let audit = current.audit(
        address,
        "month.close",
        &format!("month:{month}"),
        Some(json!({ "closed": false })),
        Some(json!({ "closed": true })),
    );
    let by = current.account.name.clone();
    backend
        .close_month(month, &by, &audit)
        .await
        .map_err(Fail::backend(lang))?;
    Ok(see_other(&back, Vec::new()))
}
