//! One handler per endpoint.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{request::Parts, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use guichet_protocol::paths::{self, HEADER_BUNDLE_SEQUENCE, MAX_STATES_PER_PAGE};
use guichet_protocol::seal::{self, EnrollPayload, SealedEnroll};
use guichet_protocol::signing::{public_key_hex, NONCE_BYTES};
use guichet_protocol::{EnrollBundle, EnrollResponse, ErrorCode, PushRequest, StatesAnswer};
use jiff::Timestamp;

use super::answers::{sign_response, Binding};
use super::auth::{authenticate, check_headers};
use super::body::{json, read_limited};
use super::client::ClientIp;
use super::limits::EnrollBudget;
use super::{blocking, Platform};
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

/// The root public keys the platform was installed with (its root public key file), from
/// which every root rotation is followed.
fn anchors(platform: &Platform) -> Result<Vec<ed25519_dalek::VerifyingKey>, Error> {
    platform
        .root_keys
        .iter()
        .map(|key| {
            guichet_protocol::signing::parse_public_key(key)
                .map_err(|e| Error::Storage(format!("root key {key:?}: {e}")))
        })
        .collect()
}

/// `GET /v1/enroll/bundle` (unsigned): the root keys and the current bundle, which a kiosk
/// checks against the admin's fingerprint before it sends anything secret, and the sync key
/// the platform answers with now.
pub async fn enroll_bundle(State(platform): Shared) -> Result<Response, Error> {
    let Some((_, bundle)) = platform.store.latest_bundle().await? else {
        return Err(Error::refused(
            ErrorCode::NoBundle,
            "no trust bundle is published yet: kiosks cannot enroll before the first publish",
        ));
    };
    // The roots in force after any rotation: the ones the latest bundle is signed by.
    let roots = platform.store.roots_in_force(&anchors(&platform)?).await?;
    Ok(Json(EnrollBundle {
        root_keys: roots.iter().map(public_key_hex).collect(),
        bundle,
        sync_key: public_key_hex(&platform.answer_key.verifying_key()),
    })
    .into_response())
}

/// `POST /v1/enroll`: the code sealed to the sync key. Once the seal opened, the answer
/// (success or refusal) is signed by the sync key, bound to the device key and the nonce the
/// kiosk sealed; before that, refusals are unsigned and a kiosk believes nothing of them.
pub async fn enroll(
    State(platform): Shared,
    Extension(budget): Extension<Arc<EnrollBudget>>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    request: Request,
) -> Result<Response, Error> {
    budget.spend(client, std::time::Instant::now())?;
    let (_, bytes) = split(request).await?;
    let sealed: SealedEnroll = json(&bytes)?;
    let payload = seal::open(&sealed, &platform.answer_key)
        .map_err(|e| Error::refused(ErrorCode::MalformedBody, e.to_string()))?;
    let nonce_ok = payload.nonce.len() == 2 * NONCE_BYTES
        && payload
            .nonce
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !nonce_ok {
        return Err(Error::refused(
            ErrorCode::MalformedBody,
            "nonce: 32 lower-case hex digits expected",
        ));
    }
    let (device_key, nonce) = (payload.device_public_key.clone(), payload.nonce.clone());
    let answer = enroll_opened(&platform, payload)
        .await
        .unwrap_or_else(IntoResponse::into_response);
    let binding = Binding {
        method: "POST",
        target: paths::ENROLL,
        device: &device_key,
        nonce: &nonce,
    };
    Ok(sign_response(&platform.answer_key, binding, answer).await)
}

/// Enrolls the device of an opened seal.
async fn enroll_opened(platform: &Platform, payload: EnrollPayload) -> Result<Response, Error> {
    let store = &platform.store;
    let now = Timestamp::now();
    let (device_id, center) = store
        .enroll(
            &payload.code,
            &payload.device_public_key,
            payload.label.as_deref(),
            now,
        )
        .await?;
    // The kiosk got the current bundle just before (`enroll_bundle`).
    if let Some((sequence, _)) = store.latest_bundle().await? {
        store.record_bundle_held(&device_id, sequence, now).await?;
    }
    let response = EnrollResponse {
        device_id,
        center,
        server_time: now,
    };
    Ok((StatusCode::CREATED, Json(response)).into_response())
}

/// `GET /v1/bundle?have=SEQ`.
pub async fn bundle(State(platform): Shared, request: Request) -> Result<Response, Error> {
    let (parts, _, device) = signed(&platform, request).await?;
    let have = query_number(&parts, "have")?.unwrap_or(0);
    let now = Timestamp::now();
    // What the kiosk holds from now on (what it says it has, or what it is sent) decides what
    // it could know of revocations (`crate::proof`).
    // The newest bundle, or the next link of a root rotation the kiosk has not followed.
    let latest = platform
        .store
        .bundle_for(have, &anchors(&platform)?)
        .await?;
    if let Some((sequence, _)) = &latest {
        // Served now (200), or already held (304: `have` ≥ the latest).
        platform
            .store
            .record_bundle_held(&device.id, *sequence, now)
            .await?;
    }
    let Some((sequence, file)) = latest else {
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

/// `GET /v1/freshness`: the current freshness statement (`store::freshness`), signed with the
/// sync key; 404 `NO_BUNDLE` before a bundle is published.
pub async fn freshness(State(platform): Shared, request: Request) -> Result<Response, Error> {
    let (_, _, device) = signed(&platform, request).await?;
    let key = &platform.answer_key;
    let now = Timestamp::now();
    let statement = platform
        .store
        .freshness_statement(now, |document| document.seal(key))
        .await?;
    let Some((sequence, file)) = statement else {
        return Err(Error::refused(
            ErrorCode::NoBundle,
            "no trust bundle is published yet",
        ));
    };
    // From now on the device's center could know what the statement says (`crate::proof`).
    platform
        .store
        .record_statement_held(&device.id, sequence, now)
        .await?;
    Ok((
        StatusCode::OK,
        [(CONTENT_TYPE, "application/json".to_owned())],
        file,
    )
        .into_response())
}

/// `POST /v1/redemptions`.
pub async fn push(State(platform): Shared, request: Request) -> Result<Response, Error> {
    let (_, bytes, device) = signed(&platform, request).await?;
    // Parsing and one signature check per entry (15-17 ms for 500 entries) run on the
    // blocking pool, not on the threads that serve every other request.
    let key = device.public_key;
    let push = blocking(move || {
        let push: PushRequest = json(&bytes)?;
        crate::store::check_entry_signatures(&key, &push.entries)?;
        Ok(push)
    })
    .await?;
    let response = platform
        .store
        .ingest(&device.id, &push.entries, Timestamp::now())
        .await?;
    Ok(Json(response).into_response())
}

/// `GET /v1/redemptions/states?since=CURSOR`.
pub async fn states(State(platform): Shared, request: Request) -> Result<Response, Error> {
    let (parts, _, device) = signed(&platform, request).await?;
    let since = query_number(&parts, "since")?.unwrap_or(0);
    let store = &platform.store;
    let page = store
        .states_since(&device.id, since, MAX_STATES_PER_PAGE)
        .await?;
    // Read after the page: versions only grow, so no cursor of the page is above it.
    let latest = store.latest_state_version(&device.id).await?;
    let answer = StatesAnswer {
        page,
        latest: Some(latest),
    };
    Ok(Json(answer).into_response())
}

/// `GET /v1/device`.
pub async fn device(State(platform): Shared, request: Request) -> Result<Response, Error> {
    let (_, _, device) = signed(&platform, request).await?;
    let status = platform
        .store
        .device_status(&device.id, Timestamp::now())
        .await?;
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
