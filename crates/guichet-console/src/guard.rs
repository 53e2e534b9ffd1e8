//! What every console answer and every form post goes through: the security headers, and the
//! same-origin check of a post (Fetch Metadata and Origin) before its token is looked at.

use axum::extract::Request;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, HOST, ORIGIN, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The console's content security policy: its own stylesheet, no script at all, no inline
/// style, no framing, forms only to itself.
pub const CSP: &str = "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers to every answer: the [`CSP`], no caching (authenticated pages
/// must not stay in a browser's or a proxy's cache), no referrer, no MIME sniffing, no framing.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// Whether a post comes from a page of this console. `Sec-Fetch-Site`, which a browser sets
/// and no page can, must say `same-origin` when sent; `Origin`, when it names a site, must name
/// the host the request was sent to. Browsers that send no `Sec-Fetch-Site` must send a real
/// `Origin`; `Origin: null` (what Chromium sends under `Referrer-Policy: no-referrer`) is
/// believed only beside `Sec-Fetch-Site: same-origin`. Err says why not.
pub fn same_origin(headers: &HeaderMap) -> Result<(), &'static str> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let site = text("sec-fetch-site");
    let origin = text(ORIGIN.as_str()).filter(|o| *o != "null");
    match site {
        Some("same-origin") => {}
        Some(_) => return Err("Sec-Fetch-Site is not same-origin"),
        None if origin.is_none() => return Err("neither Sec-Fetch-Site nor a real Origin"),
        None => {}
    }
    if let Some(origin) = origin {
        let host = text(HOST.as_str()).ok_or("no Host header")?;
        let authority = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"))
            .ok_or("Origin is not an http(s) origin")?;
        if !authority.eq_ignore_ascii_case(host) {
            return Err("Origin is another site");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn only_posts_from_the_console_itself_pass() {
        let host = ("host", "console.example:8440");
        assert!(same_origin(&headers(&[
            host,
            ("origin", "https://console.example:8440")
        ]))
        .is_ok());
        assert!(same_origin(&headers(&[host, ("sec-fetch-site", "same-origin")])).is_ok());
        assert!(same_origin(&headers(&[host])).is_err());
        assert!(same_origin(&headers(&[host, ("origin", "https://evil.example")])).is_err());
        assert!(same_origin(&headers(&[host, ("origin", "null")])).is_err());
        // Chromium's form post under Referrer-Policy: no-referrer.
        assert!(same_origin(&headers(&[
            host,
            ("origin", "null"),
            ("sec-fetch-site", "same-origin")
        ]))
        .is_ok());
        assert!(same_origin(&headers(&[host, ("sec-fetch-site", "cross-site")])).is_err());
        assert!(same_origin(&headers(&[host, ("sec-fetch-site", "same-site")])).is_err());
        assert!(same_origin(&headers(&[
            host,
            ("sec-fetch-site", "same-origin"),
            ("origin", "https://evil.example")
        ]))
        .is_err());
    }
}
