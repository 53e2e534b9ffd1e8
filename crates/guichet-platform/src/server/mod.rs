//! The sync API over HTTP (`schema/sync-api.md`), on axum.

mod answers;
mod auth;
mod body;
pub mod client;
pub mod console;
mod handlers;
pub mod limits;
mod observe;
pub mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use guichet_protocol::{paths, ErrorCode};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::error::Error;
use crate::store::Store;

/// What the server needs.
pub struct Platform {
    /// The storage.
    pub store: Store,
    /// The root public keys kiosks pin (64 hex digits each).
    pub root_keys: Vec<String>,
    /// The sync key every answer to a signed request is signed with (`answers`); its public
    /// half is in the bundles.
    pub answer_key: ed25519_dalek::SigningKey,
}

/// Limits an admin may set when serving (see [`limits`]), and the reverse proxies it trusts.
#[derive(Clone, Debug)]
pub struct ServeLimits {
    /// Enrollment attempts per client address and minute.
    pub enroll_attempts_per_minute: u32,
    /// The reverse proxies whose `X-Forwarded-For` gives the client's address ([`client`]);
    /// none by default: the TCP peer is the client.
    pub trusted_proxies: client::TrustedProxies,
}

impl Default for ServeLimits {
    fn default() -> ServeLimits {
        ServeLimits {
            enroll_attempts_per_minute: limits::ENROLL_ATTEMPTS,
            trusted_proxies: client::TrustedProxies::default(),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let body = self.body();
        if body.error == ErrorCode::Internal {
            tracing::error!("{self}");
        }
        let status = StatusCode::from_u16(body.error.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(body)).into_response()
    }
}

/// The address of the client of a connection, plain or TLS (`ConnectInfo<Peer>`).
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub SocketAddr);

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, TcpListener>> for Peer {
    fn connect_info(stream: axum::serve::IncomingStream<'_, TcpListener>) -> Peer {
        Peer(*stream.remote_addr())
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tls::TlsListener>>
    for Peer
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, tls::TlsListener>) -> Peer {
        Peer(*stream.remote_addr())
    }
}

/// Runs CPU work (signature checks, parsing a large body) off the async threads.
async fn blocking<R: Send + 'static>(
    work: impl FnOnce() -> Result<R, Error> + Send + 'static,
) -> Result<R, Error> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Storage(format!("a storage task failed: {e}")))?
}

/// Where an operator's tools look: liveness, readiness, Prometheus metrics (unsigned, no
/// secret in them; keep them off the public address with the reverse proxy if wished).
pub const HEALTHZ: &str = "/healthz";
/// See [`HEALTHZ`].
pub const READYZ: &str = "/readyz";
/// See [`HEALTHZ`].
pub const METRICS: &str = "/metrics";

/// The router of the sync API and the operator's console (under `/console`), with its limits (`limits`): a deadline per request, a bound
/// on requests in progress, a budget of enrollment attempts per address (the client's, as
/// `client` resolves it); and what an operator watches (`observe`): health, metrics, one log
/// line per request.
pub fn router(platform: Arc<Platform>, settings: ServeLimits) -> Router {
    use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
    let console_store = console::ConsoleStore::new(
        platform.store.clone(),
        platform.root_keys.clone(),
        platform.answer_key.clone(),
    );
    Router::new()
        .route(paths::ENROLL_BUNDLE, get(handlers::enroll_bundle))
        .route(paths::ENROLL, post(handlers::enroll))
        .route(paths::BUNDLE, get(handlers::bundle))
        .route(paths::FRESHNESS, get(handlers::freshness))
        .route(paths::REDEMPTIONS, post(handlers::push))
        .route(paths::REDEMPTION_STATES, get(handlers::states))
        .route(paths::DEVICE, get(handlers::device))
        .route(HEALTHZ, get(observe::healthz))
        .route(READYZ, get(observe::readyz))
        .route(METRICS, get(observe::metrics))
        .route_layer(axum::middleware::from_fn(observe::track))
        .fallback(handlers::not_found)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            platform.clone(),
            answers::sign_answers,
        ))
        .with_state(platform.clone())
        // The operator's console (its own crate), with the client's address it records; its
        // dashboard is `/console`, and `/console/` leads there.
        .route(
            "/console/",
            get(|| async { axum::response::Redirect::permanent(guichet_console::MOUNT) }),
        )
        .nest(
            guichet_console::MOUNT,
            guichet_console::router(console_store.clone())
                .layer(axum::middleware::from_fn(console::client_address)),
        )
        // The public finder of qualified centers (no account).
        .merge(guichet_console::public_router(console_store))
        .layer(axum::Extension(Arc::new(limits::EnrollBudget::new(
            settings.enroll_attempts_per_minute,
        ))))
        .layer(axum::middleware::from_fn_with_state(
            settings.trusted_proxies,
            client::resolve,
        ))
        .layer(axum::middleware::from_fn(limits::deadline))
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            limits::MAX_IN_PROGRESS,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(tracing::Level::INFO))
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
}

/// Serves the sync API on `listener` (a [`TcpListener`] for plain HTTP, a [`tls::TlsListener`]
/// for HTTPS) until `shutdown` completes; forgets old nonces every minute meanwhile.
pub async fn serve<L>(
    listener: L,
    platform: Platform,
    settings: ServeLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
    Peer: for<'a> axum::extract::connect_info::Connected<axum::serve::IncomingStream<'a, L>>,
{
    let platform = Arc::new(platform);
    let store = platform.store.clone();
    let pruner = tokio::spawn(prune_nonces(store.clone()));
    let service = router(platform, settings).into_make_service_with_connect_info::<Peer>();
    let result = axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await;
    pruner.abort();
    store.close().await;
    result
}

async fn prune_nonces(store: Store) {
    let mut every_minute = tokio::time::interval(Duration::from_secs(60));
    loop {
        every_minute.tick().await;
        // A nonce is kept twice the allowed skew after it was seen: long enough that no
        // request carrying it can still pass the timestamp check.
        let before = jiff::Timestamp::now().as_second()
            - 2 * guichet_protocol::signing::MAX_CLOCK_SKEW_SECS
            - 60;
        if let Err(e) = store.prune_nonces(before).await {
            tracing::warn!("pruning nonces: {e}");
        }
    }
}

/// A server running in the background of the current tokio runtime; stopped when dropped.
pub struct RunningServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// `http` or `https`.
    scheme: &'static str,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningServer {
    /// `http://ADDR` or `https://ADDR`.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Binds `listen` (such as `127.0.0.1:0` for a free port) and serves in the background.
pub async fn start(platform: Platform, listen: &str) -> std::io::Result<RunningServer> {
    start_with(platform, listen, ServeLimits::default()).await
}

/// [`start`] with these limits and trusted proxies.
pub async fn start_with(
    platform: Platform,
    listen: &str,
    settings: ServeLimits,
) -> std::io::Result<RunningServer> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let (shutdown, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, platform, settings, async {
        let _ = stopped.await;
    }));
    Ok(RunningServer {
        addr,
        scheme: "http",
        shutdown: Some(shutdown),
        task: Some(task),
    })
}

/// Binds `listen` and serves HTTPS with `config` in the background.
pub async fn start_tls(
    platform: Platform,
    listen: &str,
    config: Arc<rustls::ServerConfig>,
) -> std::io::Result<RunningServer> {
    let listener = tls::TlsListener::new(TcpListener::bind(listen).await?, config)?;
    let addr = axum::serve::Listener::local_addr(&listener)?;
    let (shutdown, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, platform, ServeLimits::default(), async {
        let _ = stopped.await;
    }));
    Ok(RunningServer {
        addr,
        scheme: "https",
        shutdown: Some(shutdown),
        task: Some(task),
    })
}
