//! What an operator watches: `/healthz` (the process answers), `/readyz` (the database answers
//! and its migrations are current), `/metrics` (Prometheus text: requests and latency per
//! route, redemptions by state and cause, bundle age, what waits for review), and one log line
//! per request (`tower-http`'s trace layer, at `info`).

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use super::Platform;

/// The process's Prometheus recorder, installed once (metrics are per process: every server of
/// a process reports into it).
fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder was installed first; this handle then renders what
        // this one records, which is nothing, and /metrics says so by its emptiness.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Counts every request by route and status and records its latency by route.
pub async fn track(request: Request, next: Next) -> Response {
    recorder();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("guichet_http_requests_total", "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("guichet_http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// `GET /healthz`: the process serves.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: 200 with the database's state when it answers and has every migration this
/// program knows; 503 otherwise (a load balancer then sends kiosks elsewhere).
pub async fn readyz(State(platform): State<Arc<Platform>>) -> Response {
    match platform.store.health(jiff::Timestamp::now()).await {
        Ok(health) if health.migrations.0 == health.migrations.1 => {
            (StatusCode::OK, Json(health)).into_response()
        }
        Ok(health) => (StatusCode::SERVICE_UNAVAILABLE, Json(health)).into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the database does not answer: {e}\n"),
        )
            .into_response(),
    }
}

/// `GET /metrics`: the Prometheus text format, with the gauges read from the database now.
pub async fn metrics(State(platform): State<Arc<Platform>>) -> Response {
    match platform.store.health(jiff::Timestamp::now()).await {
        Ok(health) => {
            metrics::gauge!("guichet_database_up").set(1.0);
            if let Some((sequence, age)) = health.bundle {
                metrics::gauge!("guichet_bundle_sequence").set(sequence as f64);
                metrics::gauge!("guichet_bundle_age_seconds").set(age as f64);
            }
            metrics::gauge!("guichet_review_waiting").set(health.waiting.0 as f64);
            metrics::gauge!("guichet_review_oldest_waiting_seconds")
                .set(health.waiting.1.unwrap_or(0) as f64);
        }
        Err(e) => {
            tracing::warn!("metrics: the database does not answer: {e}");
            metrics::gauge!("guichet_database_up").set(0.0);
        }
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        recorder().render(),
    )
        .into_response()
}
