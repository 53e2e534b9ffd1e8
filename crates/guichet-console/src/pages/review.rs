//! Review: each held or conflicting redemption with its evidence and every contender of its
//! coupon; accept, reject or transfer, bound to the logged-in account, with a reason
//! (reviewer, privilege mode, audited).

use std::sync::Arc;

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use jiff::Timestamp;
use maud::{html, Markup};
use serde_json::json;

use crate::backend::ConsoleBackend;
use crate::i18n::Lang;
use crate::model::{EntryState, Permission, RedemptionView, ReviewDecision};
use crate::pages::{euros, layout, privilege_status, utc_instant};
use crate::session::{current, posting};
use crate::web::{see_other, Fail};
use crate::ClientAddress;

const MAX_REASON_CHARS: usize = 500;

fn yes_no(lang: Lang, value: bool) -> &'static str {
    if value {
        lang.t("oui", "yes")
    } else {
        lang.t("non", "no")
    }
}

fn evidence_row(lang: Lang, r: &RedemptionView) -> Markup {
    html! {
        tr {
            th scope="row" { code { (r.id) } }
            td { (lang.entry_state(r.state)) @if let Some(detail) = &r.detail { br; span.sub { (detail) } } }
            td { (r.center.1) " (" (r.center.0) ")" }
            td { (r.device.1.as_deref().unwrap_or("—")) br; code.id { (r.device.0) } }
            td { code { (r.coupon.0) } " n° " (r.coupon.1) }
            td { @match r.value_cents { Some(c) => { (euros(lang, c)) } None => { (lang.t("aucun carnet", "no booklet")) } } }
            td { (r.provider) }
            td { (utc_instant(&r.occurred_at)) }
            td { (utc_instant(&r.received_at)) }
            td { (yes_no(lang, r.has_code)) }
            td { (yes_no(lang, r.signed)) }
        }
    }
}

fn evidence_head(lang: Lang) -> Markup {
    html! {
        thead { tr {
            th scope="col" { (lang.t("Passage", "Redemption")) }
            th scope="col" { (lang.t("État", "State")) }
            th scope="col" { (lang.t("Centre", "Center")) }
            th scope="col" { (lang.t("Borne", "Kiosk")) }
            th scope="col" { (lang.t("Coupon", "Coupon")) }
            th scope="col" { (lang.t("Valeur", "Value")) }
            th scope="col" { (lang.t("Prestataire", "Provider")) }
            th scope="col" { (lang.t("Daté par la borne", "Dated by the kiosk")) }
            th scope="col" { (lang.t("Reçu", "Received")) }
            th scope="col" { (lang.t("Code présent", "Code present")) }
            th scope="col" { (lang.t("Signé", "Signed")) }
        } }
    }
}

/// `GET /console/review`.
pub async fn show<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    headers: HeaderMap,
) -> Result<Response, Fail> {
    let current = current(backend.as_ref(), &headers).await?;
    current.require(Permission::ReadReview)?;
    let lang = current.lang;
    let queue = backend.review_queue().await.map_err(Fail::backend(lang))?;
    let now = Timestamp::now().as_second();
    let decide = current.account.role.may(Permission::Decide);
    Ok(layout(
        lang,
        lang.t("Revue des passages", "Redemption review"),
        Some(&current),
        "/console/review",
        html! {
            @if decide { (privilege_status(&current, now, "/console/review")) }
            @if queue.is_empty() {
                p { (lang.t("Rien n'attend de décision.", "Nothing waits for a decision.")) }
            }
            @for item in &queue {
                @let r = &item.redemption;
                section.review aria-labelledby=(format!("r-{}", r.id)) {
                    h2 id=(format!("r-{}", r.id)) { (lang.t("Passage ", "Redemption ")) code { (r.id) } " — " (lang.entry_state(r.state)) }
                    table {
                        caption { (lang.t("Le passage et les autres passages du même coupon", "The redemption and the other redemptions of its coupon")) }
                        (evidence_head(lang))
                        tbody {
                            (evidence_row(lang, r))
                            @for other in &item.contenders { (evidence_row(lang, other)) }
                        }
                    }
                    @if decide {
                        @let holder = item.contenders.iter().find(|c| c.state == EntryState::Accepted);
                        form.stack method="post" action=(format!("/console/review/{}", r.id)) {
                            input type="hidden" name="csrf" value=(current.session.csrf);
                            fieldset {
                                legend { (lang.t("Décision", "Decision")) }
                                @if let Some(holder) = holder {
                                    label { input type="radio" name="decision" value=(format!("transfer:{}", holder.id)) required;
                                        " " (lang.t("Lui donner le coupon, pris au passage ", "Give it the coupon, taken from redemption ")) code { (holder.id) } }
                                } @else {
                                    label { input type="radio" name="decision" value="accept" required; " " (lang.t("Accepter (payer)", "Accept (pay)")) }
                                }
                                label { input type="radio" name="decision" value="reject"; " " (lang.t("Rejeter (ne jamais payer)", "Reject (never pay)")) }
                            }
                            label for=(format!("reason-{}", r.id)) { (lang.t("Motif", "Reason")) }
                            input id=(format!("reason-{}", r.id)) type="text" name="reason" required maxlength="500";
                            button type="submit" { (lang.t("Enregistrer la décision", "Record the decision")) }
                        }
                    }
                }
            }
        },
    )
    .into_response())
}

/// A decision form.
#[derive(serde::Deserialize)]
pub struct DecisionForm {
    csrf: String,
    decision: String,
    reason: String,
}

/// `POST /console/review/{id}`: the decision is recorded under the logged-in account's name.
pub async fn decide<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    Extension(address): Extension<ClientAddress>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<DecisionForm>,
) -> Result<Response, Fail> {
    let current = posting(backend.as_ref(), &headers, &form.csrf).await?;
    current.require(Permission::Decide)?;
    let lang = current.lang;
    current.require_privilege(Timestamp::now().as_second(), "/console/review")?;
    let decision = match form.decision.split_once(':') {
        None if form.decision == "accept" => ReviewDecision::Accept,
        None if form.decision == "reject" => ReviewDecision::Reject,
        Some(("transfer", from)) if !from.is_empty() => ReviewDecision::Transfer {
            from: from.to_owned(),
        },
        _ => {
            return Err(Fail::page(
                StatusCode::BAD_REQUEST,
                lang,
                "accept | reject | transfer:ID",
            ))
        }
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
    let from = match &decision {
        ReviewDecision::Transfer { from } => Some(from.clone()),
        _ => None,
    };
    let audit = current.audit(
        address,
        decision.action(),
        &format!("redemption:{id}"),
        None,
        Some(json!({ "reason": reason, "from": from })),
    );
    let by = current.account.name.clone();
    backend
        .decide(&id, &decision, &by, reason, &audit)
        .await
        .map_err(Fail::backend(lang))?;
    Ok(see_other("/console/review", Vec::new()))
}
