//! HTTP plumbing shared by the pages: cookies, redirects, and the answer of a refusal.

use axum::http::header::{COOKIE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::backend::BackendError;
use crate::i18n::Lang;
use crate::pages;

/// The value of cookie `name` in a request, if any.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// A `Set-Cookie` value for a secret cookie: HttpOnly, Secure, SameSite=Strict, Path=/ (the
/// `__Host-` prefix requires the last three); `max_age` None keeps it for the browser's session,
/// `Some(0)` deletes it.
pub fn secret_cookie(name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let age = max_age.map_or(String::new(), |secs| format!("; Max-Age={secs}"));
    HeaderValue::from_str(&format!(
        "{name}={value}; HttpOnly; Secure; SameSite=Strict; Path=/{age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// A 303 to `to` (a path of the console), with cookies to set.
pub fn see_other(to: &str, cookies: Vec<HeaderValue>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(to) {
        response.headers_mut().insert(LOCATION, location);
    }
    for cookie in cookies {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    response
}

/// A path inside the console to go back to after a form; anything else is the dashboard (no
/// open redirect).
pub fn local_path(back: Option<&str>) -> String {
    match back {
        Some(path)
            if (path == "/console" || path.starts_with("/console/"))
                && !path.contains("//")
                && !path.contains('\\')
                && path.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            path.to_owned()
        }
        _ => "/console".to_owned(),
    }
}

/// Why a request was not served.
#[derive(Debug)]
pub enum Fail {
    /// No valid session: to the login page (the stale cookie is deleted).
    Login,
    /// A session that still owes its second factor.
    SecondFactor,
    /// A refusal shown as a page with this status.
    Page(StatusCode, Lang, String),
    /// Privilege mode is needed (or has expired): a page offering the re-authentication.
    Privilege(Lang, String),
    /// Storage or another fault: logged, a plain page shown.
    Internal(String),
}

impl Fail {
    /// A refusal page.
    pub fn page(status: StatusCode, lang: Lang, message: impl Into<String>) -> Fail {
        Fail::Page(status, lang, message.into())
    }

    /// The failure of a backend call, shown in `lang`.
    pub fn backend(lang: Lang) -> impl FnOnce(BackendError) -> Fail {
        move |error| match error {
            BackendError::Refused(message) => Fail::Page(StatusCode::CONFLICT, lang, message),
            BackendError::Failed(message) => Fail::Internal(message),
        }
    }
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        match self {
            Fail::Login => see_other(
                "/console/login",
                vec![secret_cookie(crate::COOKIE, "", Some(0))],
            ),
            Fail::SecondFactor => see_other("/console/login/code", Vec::new()),
            Fail::Page(status, lang, message) => {
                (status, pages::message_page(lang, status, &message)).into_response()
            }
            Fail::Privilege(lang, back) => {
                (StatusCode::FORBIDDEN, pages::privilege::needed(lang, &back)).into_response()
            }
            Fail::Internal(message) => {
                tracing::error!("console: {message}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    pages::message_page(
                        Lang::Fr,
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Erreur interne / internal error",
                    ),
                )
                    .into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_console_paths_are_returned_to() {
        assert_eq!(local_path(Some("/console/devices")), "/console/devices");
        assert_eq!(local_path(Some("/console")), "/console");
        assert_eq!(local_path(Some("/consolex")), "/console");
        assert_eq!(local_path(Some("//evil.example/x")), "/console");
        assert_eq!(local_path(Some("/console//evil")), "/console");
        assert_eq!(local_path(Some("https://evil.example/")), "/console");
        assert_eq!(local_path(None), "/console");
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("a=1; __Host-guichet=xyz; b=2"),
        );
        assert_eq!(cookie(&headers, "__Host-guichet").as_deref(), Some("xyz"));
        assert_eq!(cookie(&headers, "c"), None);
    }
}
