//! Login in two steps (the password, then the TOTP or a recovery code) and logout.
//!
//! The login form has no session yet: its token is a random value set both in a `__Host-`
//! cookie and in the form (double submit), besides the same-origin check.

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use jiff::Timestamp;
use maud::html;

use crate::backend::ConsoleBackend;
use crate::i18n::Lang;
use crate::model::{AuditEntry, Session, Stage};
use crate::pages::layout;
use crate::secrets::{new_token, same_token, token_hash};
use crate::session::{
    check_lockout, check_origin, check_token, password_matches, posting, record_attempt,
    second_factor_matches, session_of, SECOND_FACTOR_SECS,
};
use crate::web::{cookie, secret_cookie, see_other, Fail};
use crate::{ClientAddress, COOKIE};

/// The longest account name (the platform refuses longer ones at creation).
pub const MAX_NAME_CHARS: usize = 64;
/// The longest password checked (longer ones are wrong without being hashed).
const MAX_PASSWORD_BYTES: usize = 1024;

/// The cookie holding the login form's token.
const LOGIN_COOKIE: &str = "__Host-guichet-login";

fn random() -> Result<String, Fail> {
    new_token().map_err(|e| Fail::Internal(e.to_string()))
}

/// `GET /console/login`: name and password.
pub async fn form(headers: HeaderMap) -> Result<Response, Fail> {
    let lang = Lang::of(&headers);
    let token = random()?;
    let page = layout(
        lang,
        lang.t("Connexion", "Log in"),
        None,
        "/console/login",
        html! {
            form.stack method="post" action="/console/login" {
                input type="hidden" name="csrf" value=(token);
                label for="name" { (lang.t("Nom du compte", "Account name")) }
                input #name type="text" name="name" autocomplete="username" required autofocus;
                label for="password" { (lang.t("Mot de passe", "Password")) }
                input #password type="password" name="password" autocomplete="current-password" required;
                button type="submit" { (lang.t("Continuer", "Continue")) }
            }
            p.hint { (lang.t(
                "Le premier compte administrateur se crée sur le serveur : guichet-platform account create --role admin --name NOM.",
                "The first admin account is created on the server: guichet-platform account create --role admin --name NAME."
            )) }
        },
    );
    let mut response = page.into_response();
    response.headers_mut().append(
        axum::http::header::SET_COOKIE,
        secret_cookie(LOGIN_COOKIE, &token, Some(SECOND_FACTOR_SECS * 3)),
    );
    Ok(response)
}

/// The password step's form.
#[derive(serde::Deserialize)]
pub struct PasswordForm {
    csrf: String,
    name: String,
    password: String,
}

fn wrong(lang: Lang) -> Fail {
    Fail::page(
        StatusCode::UNAUTHORIZED,
        lang,
        lang.t(
            "Nom, mot de passe ou code incorrect.",
            "Wrong name, password or code.",
        ),
    )
}

/// `POST /console/login`: checks the password (unless the name or the address is locked
/// out); on success, a session that owes its second factor.
pub async fn password<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Result<Response, Fail> {
    let lang = Lang::of(&headers);
    check_origin(&headers)?;
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_token(&expected, &form.csrf) {
        return Err(Fail::page(
            StatusCode::FORBIDDEN,
            lang,
            lang.t(
                "Formulaire refusé : rechargez la page de connexion.",
                "Form refused: reload the login page.",
            ),
        ));
    }
    let now = Timestamp::now().as_second();
    // What a stranger types is kept short: no account name is longer, no password is hashed
    // beyond this.
    let name: String = form.name.chars().take(MAX_NAME_CHARS).collect();
    check_lockout(backend.as_ref(), &name, address, now, lang).await?;
    let account = backend
        .account_named(&name)
        .await
        .map_err(Fail::backend(lang))?;
    let matches = form.password.len() <= MAX_PASSWORD_BYTES
        && password_matches(account.as_ref(), &form.password).await?;
    let Some(account) = account.filter(|_| matches) else {
        record_attempt(backend.as_ref(), &name, address, now, false, lang).await?;
        return Err(wrong(lang));
    };
    let token = random()?;
    backend
        .create_session(&Session {
            token_hash: token_hash(&token),
            account: account.id.clone(),
            stage: Stage::Password,
            csrf: random()?,
            created_at: now,
            last_seen: now,
            privileged_at: None,
            address: address.0.to_string(),
        })
        .await
        .map_err(Fail::backend(lang))?;
    Ok(see_other(
        "/console/login/code",
        vec![
            secret_cookie(COOKIE, &token, None),
            secret_cookie(LOGIN_COOKIE, "", Some(0)),
        ],
    ))
}

/// `GET /console/login/code`: the second factor.
pub async fn code_form<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    headers: HeaderMap,
) -> Result<Response, Fail> {
    let lang = Lang::of(&headers);
    let now = Timestamp::now().as_second();
    let session = match session_of(backend.as_ref(), &headers, now).await? {
        None => return Err(Fail::Login),
        Some((session, _)) if session.stage == Stage::Full => {
            return Ok(see_other("/console", Vec::new()))
        }
        Some((session, _)) => session,
    };
    Ok(layout(
        lang,
        lang.t("Second facteur", "Second factor"),
        None,
        "/console/login/code",
        html! {
            form.stack method="post" action="/console/login/code" {
                input type="hidden" name="csrf" value=(session.csrf);
                label for="code" { (lang.t(
                    "Code à 6 chiffres de l'application d'authentification, ou un code de secours",
                    "6-digit code from the authenticator app, or a recovery code"
                )) }
                input #code type="text" name="code" autocomplete="one-time-code" inputmode="text" required autofocus;
                button type="submit" { (lang.t("Se connecter", "Log in")) }
            }
        },
    )
    .into_response())
}

/// The second step's form.
#[derive(serde::Deserialize)]
pub struct CodeForm {
    csrf: String,
    code: String,
}

/// `POST /console/login/code`: a TOTP code never used before, or an unused recovery code,
/// makes the session a full one.
pub async fn code<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, Fail> {
    let lang = Lang::of(&headers);
    check_origin(&headers)?;
    let now = Timestamp::now();
    let (session, account) = match session_of(backend.as_ref(), &headers, now.as_second()).await? {
        None => return Err(Fail::Login),
        Some((session, _)) if session.stage == Stage::Full => {
            return Ok(see_other("/console", Vec::new()))
        }
        Some(found) => found,
    };
    check_token(&session, &form.csrf, lang)?;
    let seconds = now.as_second();
    if let Err(locked) =
        check_lockout(backend.as_ref(), &account.name, address, seconds, lang).await
    {
        backend
            .end_session(&session.token_hash, None)
            .await
            .map_err(Fail::backend(lang))?;
        return Err(locked);
    }
    if !second_factor_matches(backend.as_ref(), &account, &form.code, now, lang).await? {
        record_attempt(
            backend.as_ref(),
            &account.name,
            address,
            seconds,
            false,
            lang,
        )
        .await?;
        return Err(wrong(lang));
    }
    record_attempt(
        backend.as_ref(),
        &account.name,
        address,
        seconds,
        true,
        lang,
    )
    .await?;
    let audit = AuditEntry {
        at: now.to_string(),
        account: Some(account.name.clone()),
        role: Some(account.role),
        address: address.0.to_string(),
        action: "login".into(),
        object: format!("account:{}", account.name),
        before: None,
        after: None,
    };
    backend
        .complete_login(&session.token_hash, seconds, &audit)
        .await
        .map_err(Fail::backend(lang))?;
    Ok(see_other("/console", Vec::new()))
}

/// A form carrying only its token.
#[derive(serde::Deserialize)]
pub struct TokenForm {
    csrf: String,
}

/// `POST /console/logout`: deletes the session on the server (its cookie opens nothing any
/// more, wherever a copy of it is).
pub async fn logout<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Result<Response, Fail> {
    let current = posting(backend.as_ref(), &headers, &form.csrf).await?;
    let audit = current.audit(
        address,
        "logout",
        &format!("account:{}", current.account.name),
        None,
        None,
    );
    backend
        .end_session(&current.session.token_hash, Some(&audit))
        .await
        .map_err(Fail::backend(current.lang))?;
    Ok(Fail::Login.into_response())
}
