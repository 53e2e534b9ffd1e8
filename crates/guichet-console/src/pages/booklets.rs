//! Booklets (every role): find one by its number or by a coupon (kid and serial), see what
//! became of each coupon (unused, redeemed where and when, conflict, held, revoked); revoke a
//! lost or stolen booklet or a range of serials with a reason (admin, privilege mode,
//! audited). A revocation reaches the kiosks at their next sync, in the platform's freshness
//! statement (signed online; no trip to the signer).

use std::sync::Arc;

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use jiff::Timestamp;
use maud::{html, Markup};
use serde_json::json;

use crate::backend::ConsoleBackend;
use crate::i18n::Lang;
use crate::model::{BookletQuery, BookletView, CouponState, CouponView, Permission};
use crate::pages::{euros, layout, privilege_status, utc_instant};
use crate::session::{current, posting, Current};
use crate::web::{see_other, Fail};
use crate::ClientAddress;

/// The longest reason kept.
const MAX_REASON_CHARS: usize = 500;

/// The search.
#[derive(serde::Deserialize)]
pub struct Search {
    q: Option<String>,
}

/// `GET /console/booklets?q=NUMBER|KID SERIAL`.
pub async fn show<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    headers: HeaderMap,
    Query(search): Query<Search>,
) -> Result<Response, Fail> {
    let current = current(backend.as_ref(), &headers).await?;
    current.require(Permission::ReadBooklets)?;
    let lang = current.lang;
    let asked = search.q.unwrap_or_default();
    let query = match asked.trim() {
        "" => None,
        text => Some(text.parse::<BookletQuery>().map_err(|_| {
            Fail::page(
                StatusCode::BAD_REQUEST,
                lang,
                lang.t(
                    "Tapez un numéro de carnet, ou la clé (16 caractères hexadécimaux) et le numéro d'un coupon.",
                    "Type a booklet number, or a coupon's key (16 hex digits) and serial.",
                ),
            )
        })?),
    };
    let found = match &query {
        Some(query) => backend.booklet(query).await.map_err(Fail::backend(lang))?,
        None => None,
    };
    let path = format!(
        "/console/booklets?q={}",
        found.as_ref().map_or(0, |b| b.number)
    );
    let now = Timestamp::now().as_second();
    let body = html! {
        form.inline method="get" action="/console/booklets" role="search" {
            label for="q" { (lang.t("Carnet (numéro) ou coupon (clé et numéro)", "Booklet (number) or coupon (key and serial)")) }
            input #q type="search" name="q" value=(asked.trim()) maxlength="64" autofocus;
            button type="submit" { (lang.t("Chercher", "Search")) }
        }
        @match (&query, &found) {
            (None, _) => {}
            (Some(_), None) => {
                p #none role="status" { (lang.t("Aucun carnet émis ne correspond.", "No minted booklet matches.")) }
            }
            (Some(_), Some(booklet)) => {
                (summary(booklet, lang))
                (coupons(booklet, lang))
                @if current.account.role.may(Permission::Revoke) {
                    (revoke_form(&current, booklet, now, &path))
                }
            }
        }
    };
    Ok(layout(
        lang,
        lang.t("Carnets", "Booklets"),
        Some(&current),
        "/console/booklets",
        body,
    )
    .into_response())
}

/// The booklet's record.
fn summary(booklet: &BookletView, lang: Lang) -> Markup {
    html! {
        h2 #booklet { (lang.t("Carnet n° ", "Booklet no. ")) (booklet.number) }
        dl.facts {
            div { dt { (lang.t("Clé de l'émetteur", "Issuer key")) } dd { code { (booklet.kid) } } }
            div { dt { (lang.t("Financeur", "Provider")) } dd { (booklet.provider) } }
            div { dt { (lang.t("Valeur d'un coupon", "Value of a coupon")) } dd { (euros(lang, booklet.value_cents)) } }
            div { dt { (lang.t("Valide", "Valid")) } dd { (booklet.valid.0) " → " (booklet.valid.1) } }
        }
    }
}

/// A coupon's state in words.
fn state_words(coupon: &CouponView, lang: Lang) -> &'static str {
    match coupon.state {
        CouponState::Unused => lang.t("non utilisé", "unused"),
        CouponState::Redeemed => lang.t("encaissé", "redeemed"),
        CouponState::Conflict => lang.t("en conflit", "in conflict"),
        CouponState::Held => lang.t("en attente de revue", "waiting for review"),
    }
}

/// The coupons, each with its state, revocations and redemptions.
fn coupons(booklet: &BookletView, lang: Lang) -> Markup {
    html! {
        table #coupons {
            caption { (lang.t("Les coupons du carnet", "The booklet's coupons")) }
            thead { tr {
                th scope="col" { (lang.t("Numéro", "Serial")) }
                th scope="col" { (lang.t("État", "State")) }
                th scope="col" { (lang.t("Passages (où, quand, état)", "Redemptions (where, when, state)")) }
            } }
            tbody {
                @for coupon in &booklet.coupons {
                    tr id=(format!("coupon-{}", coupon.serial)) {
                        th scope="row" { (coupon.serial) }
                        td.state {
                            (state_words(coupon, lang))
                            @for (reason, at) in &coupon.revoked {
                                br; strong.off { (lang.t("révoqué", "revoked")) }
                                " (" (utc_instant(at)) " : " (reason) ")"
                            }
                        }
                        td {
                            @if coupon.redemptions.is_empty() { "—" }
                            ul.plain {
                                @for r in &coupon.redemptions {
                                    li {
                                        (r.center.1) " " code { (r.center.0) } ", "
                                        (utc_instant(&r.occurred_at)) ", "
                                        (lang.entry_state(r.state)) " " code { (r.id) }
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

/// The revocation form, the booklet's whole range by default.
fn revoke_form(current: &Current, booklet: &BookletView, now: i64, back: &str) -> Markup {
    let lang = current.lang;
    let first = booklet.coupons.first().map_or(0, |c| c.serial);
    let last = booklet.coupons.last().map_or(0, |c| c.serial);
    html! {
        section aria-labelledby="revoke-title" {
            h2 #revoke-title { (lang.t("Révoquer (carnet perdu ou volé)", "Revoke (lost or stolen booklet)")) }
            p { (lang.t(
                "La révocation part aux bornes avec le prochain paquet de confiance publié (bundle draft, signature sur le poste hors ligne, bundle import) : d'ici là, les bornes acceptent encore ces coupons.",
                "The revocation reaches the kiosks with the next published trust bundle: until then, kiosks still accept these coupons.")) }
            (privilege_status(current, now, back))
            form.stack method="post" action="/console/booklets/revoke" {
                input type="hidden" name="csrf" value=(current.session.csrf);
                input type="hidden" name="kid" value=(booklet.kid);
                input type="hidden" name="booklet" value=(booklet.number);
                label for="first" { (lang.t("Du numéro", "From serial")) }
                input #first type="text" name="first" value=(first) required inputmode="numeric" pattern="[0-9]+";
                label for="last" { (lang.t("Au numéro (inclus)", "To serial (included)")) }
                input #last type="text" name="last" value=(last) required inputmode="numeric" pattern="[0-9]+";
                label for="reason" { (lang.t("Motif", "Reason")) }
                input #reason type="text" name="reason" required maxlength="500";
                button type="submit" { (lang.t("Révoquer ces coupons", "Revoke these coupons")) }
            }
        }
    }
}

/// A revocation form.
#[derive(serde::Deserialize)]
pub struct RevokeForm {
    csrf: String,
    kid: String,
    booklet: String,
    first: String,
    last: String,
    reason: String,
}

/// `POST /console/booklets/revoke`: revokes a range of one key's serials, with a reason;
/// the audit entry is written with the revocation.
pub async fn revoke<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    Form(form): Form<RevokeForm>,
) -> Result<Response, Fail> {
    let current = posting(backend.as_ref(), &headers, &form.csrf).await?;
    current.require(Permission::Revoke)?;
    let lang = current.lang;
    let booklet: u64 = form.booklet.trim().parse().unwrap_or(0);
    let back = format!("/console/booklets?q={booklet}");
    current.require_privilege(Timestamp::now().as_second(), &back)?;
    let bad = |fr: &'static str, en: &'static str| {
        Fail::page(StatusCode::BAD_REQUEST, lang, lang.t(fr, en))
    };
    let serial = |text: &str| -> Option<u64> {
        let text = text.trim();
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten()
    };
    let (Some(first), Some(last)) = (serial(&form.first), serial(&form.last)) else {
        return Err(bad(
            "Numéros de coupon attendus.",
            "Coupon serials are needed.",
        ));
    };
    if first > last {
        return Err(bad(
            "Le premier numéro dépasse le dernier.",
            "The first serial is after the last.",
        ));
    }
    let kid = form.kid.trim().to_ascii_lowercase();
    if kid.len() != 16 || !kid.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad("Clé inconnue.", "Unknown key."));
    }
    let reason = form.reason.trim();
    if reason.is_empty()
        || reason.chars().count() > MAX_REASON_CHARS
        || reason.chars().any(char::is_control)
    {
        return Err(bad(
            "Un motif (une ligne, 500 caractères au plus) est demandé.",
            "A reason (one line, at most 500 characters) is needed.",
        ));
    }
    let audit = current.audit(
        address,
        "coupons.revoke",
        &format!("coupons:{kid}:{first}-{last}"),
        None,
        Some(json!({ "kid": kid, "first": first, "last": last, "reason": reason })),
    );
    backend
        .revoke(&kid, (first, last), reason, &audit)
        .await
        .map_err(Fail::backend(lang))?;
    Ok(see_other(&back, Vec::new()))
}
