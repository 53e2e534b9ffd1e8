//! Privilege mode (as Kanidm's): reading needs a session; an action that moves money or
//! trust needs the password and a new second-factor code typed less than
//! [`crate::PRIVILEGE_SECS`] ago.

use std::sync::Arc;

use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use axum::Extension;
use jiff::Timestamp;
use maud::{html, Markup};

use crate::backend::ConsoleBackend;
use crate::i18n::Lang;
use crate::pages::{layout, Back};
use crate::session::{
    check_lockout, current, password_matches, posting, record_attempt, second_factor_matches,
};
use crate::web::{local_path, see_other, Fail};
use crate::ClientAddress;

fn elevate_form(lang: Lang, csrf: &str, back: &str) -> Markup {
    html! {
        form.stack method="post" action="/console/privilege" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="back" value=(back);
            label for="password" { (lang.t("Mot de passe", "Password")) }
            input #password type="password" name="password" autocomplete="current-password" required autofocus;
            label for="code" { (lang.t("Nouveau code à 6 chiffres", "New 6-digit code")) }
            input #code type="text" name="code" autocomplete="one-time-code" required;
            button type="submit" { (lang.t("Ouvrir le mode privilégié", "Open privilege mode")) }
        }
    }
}

/// The page answered (403) to an action without privilege mode. It cannot hold the form (no
/// session token known here): it links to it.
pub fn needed(lang: Lang, back: &str) -> Html<String> {
    layout(
        lang,
        lang.t("Mode privilégié nécessaire", "Privilege mode needed"),
        None,
        back,
        html! {
            p.message role="alert" { (lang.t(
                "Cette action demande de confirmer votre identité (mot de passe et nouveau code) depuis moins de 10 minutes. Rien n'a été changé.",
                "This action needs your identity confirmed (password and a new code) less than 10 minutes ago. Nothing was changed."
            )) }
            p { a href=(format!("/console/privilege?back={}", local_path(Some(back)))) {
                (lang.t("Confirmer mon identité", "Confirm my identity"))
            } }
        },
    )
}

/// `GET /console/privilege?back=PATH`.
pub async fn form<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    headers: HeaderMap,
    Query(back): Query<Back>,
) -> Result<Response, Fail> {
    let current = current(backend.as_ref(), &headers).await?;
    let lang = current.lang;
    let back = local_path(back.back.as_deref());
    Ok(layout(
        lang,
        lang.t("Confirmer mon identité", "Confirm my identity"),
        Some(&current),
        "/console/privilege",
        html! {
            p { (lang.t(
                "Le mode privilégié dure 10 minutes. Le code doit être nouveau : attendez le suivant si vous venez d'en utiliser un.",
                "Privilege mode lasts 10 minutes. The code must be new: wait for the next one if you just used one."
            )) }
            (elevate_form(lang, &current.session.csrf, &back))
        },
    )
    .into_response())
}

/// The re-authentication form.
#[derive(serde::Deserialize)]
pub struct ElevateForm {
    csrf: String,
    back: Option<String>,
    password: String,
    code: String,
}

/// `POST /console/privilege`: password and a new code open privilege mode (failures count
/// toward the lockout as at login).
pub async fn elevate<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    Form(form): Form<ElevateForm>,
) -> Result<Response, Fail> {
    let current = posting(backend.as_ref(), &headers, &form.csrf).await?;
    let (lang, name) = (current.lang, current.account.name.clone());
    let now = Timestamp::now();
    let seconds = now.as_second();
    check_lockout(backend.as_ref(), &name, address, seconds, lang).await?;
    let ok = password_matches(Some(&current.account), &form.password).await?
        && second_factor_matches(backend.as_ref(), &current.account, &form.code, now, lang).await?;
    record_attempt(backend.as_ref(), &name, address, seconds, ok, lang).await?;
    if !ok {
        return Err(Fail::page(
            axum::http::StatusCode::UNAUTHORIZED,
            lang,
            lang.t(
                "Mot de passe ou code incorrect (un code déjà utilisé est refusé).",
                "Wrong password or code (a code already used is refused).",
            ),
        ));
    }
    let audit = current.audit(
        address,
        "privilege.open",
        &format!("account:{name}"),
        None,
        None,
    );
    backend
        .elevate_session(&current.session.token_hash, seconds, &audit)
        .await
        .map_err(Fail::backend(lang))?;
    Ok(see_other(&local_path(form.back.as_deref()), Vec::new()))
}
