//! The operator's web console (issue 24): accounts with a password and a TOTP second factor,
//! sessions kept by the platform's database, CSRF checks, Kanidm-style privilege mode, the
//! audit log, security headers, and server-rendered pages (French first, English available,
//! no script).
//!
//! The console holds no SQL and no database driver: what it needs from the platform is the
//! [`ConsoleBackend`] trait, which the platform implements over its store. [`router`] builds
//! the pages over any backend; the platform mounts it under `/console`.

pub mod backend;
mod guard;
mod i18n;
pub mod model;
mod pages;
pub mod qualification;
mod report_csv;
pub mod secrets;
mod session;
mod statement_csv;
mod statement_pdf;
mod web;

use std::net::IpAddr;
use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

pub use backend::{Answer, BackendError, ConsoleBackend};
pub use session::{
    ABSOLUTE_LIFETIME_SECS, COOKIE, IDLE_TIMEOUT_SECS, LOCKOUT_WINDOW_SECS,
    MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_NAME, PRIVILEGE_SECS,
};

pub use pages::bundles::DRAFT_DAYS as BUNDLE_DRAFT_DAYS;

/// Where the platform mounts the console.
pub const MOUNT: &str = "/console";

/// The client's address, put in each request's extensions by the server that mounts the
/// console (the console records it in login attempts, sessions and the audit log). Behind a
/// reverse proxy, the platform gives the client the proxy forwarded, if it trusts that proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// Where the platform mounts the public finder (no account needed).
pub const FINDER: &str = pages::finder::PATH;

/// The public pages over `backend`, to be merged at the platform's root: the finder of
/// qualified centers ([`FINDER`]), with the console's security headers.
pub fn public_router<B: ConsoleBackend>(backend: Arc<B>) -> Router {
    Router::new()
        .route(FINDER, get(pages::finder::show::<B>))
        .with_state(backend)
        .layer(axum::middleware::from_fn(guard::security_headers))
}

/// The console's pages and forms over `backend`, to be nested under [`MOUNT`]; every answer
/// carries the security headers ([`guard::security_headers`]).
pub fn router<B: ConsoleBackend>(backend: Arc<B>) -> Router {
    Router::new()
        .route("/", get(pages::dashboard::show::<B>))
        .route("/console.css", get(pages::stylesheet))
        .route("/lang/{lang}", get(pages::switch_language))
        .route(
            "/login",
            get(pages::login::form).post(pages::login::password::<B>),
        )
        .route(
            "/login/code",
            get(pages::login::code_form::<B>).post(pages::login::code::<B>),
        )
        .route("/logout", post(pages::login::logout::<B>))
        .route(
            "/privilege",
            get(pages::privilege::form::<B>).post(pages::privilege::elevate::<B>),
        )
        .route("/center", get(pages::my_center::show::<B>))
        .route(
            "/center/statements/{month}",
            get(pages::my_center::statement::<B>),
        )
        .route(
            "/center/statements/{month}/csv",
            get(pages::my_center::statement_csv::<B>),
        )
        .route(
            "/center/statements/{month}/pdf",
            get(pages::my_center::statement_pdf::<B>),
        )
        .route(
            "/center/workshops",
            get(pages::center_workshops::show::<B>).post(pages::center_workshops::add::<B>),
        )
        .route(
            "/center/workshops/{id}/retire",
            post(pages::center_workshops::retire::<B>),
        )
        .route(
            "/center/profile",
            get(pages::center_profile::show::<B>).post(pages::center_profile::save::<B>),
        )
        .route("/devices", get(pages::devices::show::<B>))
        .route("/devices/{id}/{action}", post(pages::devices::act::<B>))
        .route("/review", get(pages::review::show::<B>))
        .route("/review/{id}", post(pages::review::decide::<B>))
        .route("/centers", get(pages::centers::show::<B>))
        .route("/centers/{id}", get(pages::centers::center::<B>))
        .route("/centers/{id}/enroll", post(pages::centers::enroll::<B>))
        .route("/centers/{id}/qualify", post(pages::centers::qualify::<B>))
        .route("/places/{kind}", post(pages::centers::add::<B>))
        .route(
            "/referential",
            get(pages::referential::show::<B>).post(pages::referential::import::<B>),
        )
        .route("/booklets", get(pages::booklets::show::<B>))
        .route("/booklets/revoke", post(pages::booklets::revoke::<B>))
        .route("/bundles", get(pages::bundles::show::<B>))
        .route("/bundles/draft", get(pages::bundles::draft::<B>))
        .route("/bundles/import", post(pages::bundles::import::<B>))
        .route("/reports", get(pages::reports::show::<B>))
        .route("/reports/{month}/csv", get(pages::reports::download::<B>))
        .route("/reports/{month}/close", post(pages::reports::close::<B>))
        .route("/audit", get(pages::audit::show::<B>))
        .route("/audit.csv", get(pages::audit::export::<B>))
        .fallback(pages::not_found)
        .with_state(backend)
        .layer(axum::middleware::from_fn(guard::security_headers))
}
