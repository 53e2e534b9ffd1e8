//! One handler per endpoint.

use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{request::Parts, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use guichet_protocol::paths::{HEADER_BUNDLE_SEQUENCE, MAX_STATES_PER_PAGE};
use guichet_protocol::{EnrollRequest, EnrollResponse, ErrorCode, PushRequest};
use jiff::Timestamp;

use super::auth::{authenticate, check_headers};
use super::body::{json, read_limited};
use super::limits::EnrollBudget;
use super::{blocking, Peer, Platform};
use crate::error::Error;
use crate::store::DeviceRecord;

type Shared = State<Arc<Platform>>;

async fn split(request: Request) -> Result<(Parts, axum::body::Bytes), Error> {
    let (parts, body) = request.into_parts();
    let bytes = read_limited(&parts.headers, body).await?;
    Ok((parts, bytes))
}

/// A signed request: its headers checked before its body is read, then its signature.
async fn signed(
    platform: &Platform,
    request: Request,
) -> Result<(Parts, axum::body::Bytes, DeviceRecord), Error> {
    let (parts, body) = request.into_parts();
    let unverified = check_headers(&parts)?;
    let bytes = read_limited(&parts.headers, body).await?;
    let device = authenticate(platform, unverified, &parts, &bytes).await?;
    Ok((parts, bytes, device))
}

/// An unsigned query parameter such as `have=3`; None if absent.
fn query_number(parts: &Parts, name: &str) -> Result<Option<u64>, Error> {
    let Some(query) = parts.uri.query() else {
        return Ok(None);
    };
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key == name {
            return value.parse::<u64>().map(Some).map_err(|_| {
                Error::refused(
                    ErrorCode::MalformedQuery,
                    format!("{name} must be a non-negative integer"),
                )
            });
        }
    }
    Ok(None)
}

/// `POST /v1/enroll`.
pub async fn enroll(
    State(platform): Shared,
    Extension(budget): Extension<Arc<EnrollBudget>>,
    ConnectInfo(Peer(peer)): ConnectInfo<Peer>,
    request: Request,
) -> Result<Response, Error> {
    budget.spend(peer.ip(), std::time::Instant::now())?;
    let (_, bytes) = split(request).await?;
    let enroll: EnrollRequest = json(&bytes)?;
    let store = platform.store.clone();
    let now = Timestamp::now();
    let (device_id, center, bundle) = blocking(move || {
        let (device_id, center) = store.enroll(
            &enroll.code,
            &enroll.device_public_key,
            enroll.label.as_deref(),
            now,
        )?;
        let bundle = store.latest_bundle()?;
        if let Some((sequence, _)) = &bundle {
            store.record_bundle_held(&device_id, *sequence, now)?;
        }
        Ok((device_id, center, bundle))
    })
    .await?;
    let response = EnrollResponse {
        device_id,
        center,
        pinned_root_keys: platform.root_keys.clone(),
        bundle: bundle.map(|(_, file)| file),
        server_time: now,
    };
    Ok((StatusCode::CREATED, Json(response)).into_response())
}

/// `GET /v1/bundle?have=SEQ`.
pub async fn bundle(State(platform): Shared, request: Request) -> Result<Response, Error> {
    let (parts, _, device) = signed(&platform, request).await?;
    let have = query_number(&parts, "have")?.unwrap_or(0);
    let store = platform.store.clone();
    let now = Timestamp::now();
    // What the kiosk holds from now on (what it says it has, or what it is sent) decides what
    // it could know of revocations (`crate::proof`).
    let Some((sequence, file)) = blocking(move || {
        let latest = store.latest_bundle()?;
        if let Some((sequence, _)) = &latest {
            // Served now (200), or already held (304: `have` ≥ the latest).
            store.record_bundle_held(&device.id, *sequence, now)?;
        }
        Ok(latest)
    })
    .await?
    else {
        return Err(Error::refused(
            ErrorCode::NoBundle,
            "no trust bundle is published yet",
        ));
    };
    if sequence <= have {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    Ok((
        StatusCode::OK,
        [
            (CONTENT_TYPE, "application/json".to_owned()),
            (
                HEADER_BUNDLE_SEQUENCE.parse().expect("a valid header name"),
                sequence.to_string(),
            ),
        ],
        file,
    )
        .into_response())
}

/// `POST /v1/redemptions`.
pub async fn push(State(platform): Shared, request: Request) -> Result<Response, Error> {
    let (_, bytes, device) = signed(&platform, request).await?;
    let push: PushRequest = json(&bytes)?;
    crate::store::check_entry_signatures(&device.public_key, &push.entries)?;
    let store = platform.store.clone();
    let response =
        blocking(move || store.ingest(&device.id, &push.entries, Timestamp::now())).await?;
    Ok(Json(response).into_response())
}

/// `GET /v1/redemptions/states?since=CURSOR`.
pub async fn states(State(platform): Shared, request: Request) -> Result<Response, Error> {
    let (parts, _, device) = signed(&platform, request).await?;
    let since = query_number(&parts, "since")?.unwrap_or(0);
    let store = platform.store.clone();
    let response =
        blocking(move || store.states_since(&device.id, since, MAX_STATES_PER_PAGE)).await?;
    Ok(Json(response).into_response())
}

/// `GET /v1/device`.
pub async fn device(State(platform): Shared, request: Request) -> Result<Response, Error> {
    let (_, _, device) = signed(&platform, request).await?;
    let store = platform.store.clone();
    let status = blocking(move || store.device_status(&device.id, Timestamp::now())).await?;
    Ok(Json(status).into_response())
}

/// Any other path.
pub async fn not_found() -> Error {
    Error::refused(ErrorCode::NotFound, "no such endpoint")
}

/// A known path with another method.
pub async fn method_not_allowed() -> Error {
    Error::refused(
        ErrorCode::MethodNotAllowed,
        "this method is not allowed here",
    )
}
