//! Every answer to a signed request is signed with the platform's sync key
//! (`guichet_protocol::answer`): over the request (method, target, device, nonce) and the whole
//! answer (status, time, body). A kiosk records a result, a state change or a refusal, and
//! believes the platform's clock, only from a signed answer.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use guichet_protocol::answer::AnswerToSign;
use guichet_protocol::signing::{HEADER_DEVICE, HEADER_NONCE};
use guichet_protocol::ErrorCode;
use jiff::Timestamp;

use super::Platform;
use crate::error::Error;

/// The largest answer signed (a bundle file is the largest answer).
const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;

/// Signs the answer when the request carries a device id and a nonce (every signed request);
/// strangers' requests get unsigned answers. Enrollment signs its own answers
/// (`handlers::enroll`: bound to the sealed payload).
pub async fn sign_answers(
    State(platform): State<Arc<Platform>>,
    request: Request,
    next: Next,
) -> Response {
    // Read before anything is awaited: a borrowed request would make this future not `Send`.
    let signed_request = {
        let headers = request.headers();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        header(HEADER_DEVICE)
            .zip(header(HEADER_NONCE))
            .map(|(device, nonce)| {
                let target = request
                    .uri()
                    .path_and_query()
                    .map_or(request.uri().path(), |pq| pq.as_str())
                    .to_owned();
                (device, nonce, request.method().as_str().to_owned(), target)
            })
    };
    let Some((device, nonce, method, target)) = signed_request else {
        return next.run(request).await;
    };
    let response = next.run(request).await;
    let binding = Binding {
        method: &method,
        target: &target,
        device: &device,
        nonce: &nonce,
    };
    sign_response(&platform.answer_key, binding, response).await
}

/// The request an answer is bound to.
#[derive(Clone, Copy, Debug)]
pub struct Binding<'a> {
    /// The request's method.
    pub method: &'a str,
    /// Its target, path and query as sent.
    pub target: &'a str,
    /// The device id it was signed as (at enrollment: the device public key, 64 hex).
    pub device: &'a str,
    /// Its nonce (at enrollment: the sealed payload's).
    pub nonce: &'a str,
}

/// Signs `response` with the sync key, bound to the request `binding` names.
pub async fn sign_response(
    key: &ed25519_dalek::SigningKey,
    binding: Binding<'_>,
    response: Response,
) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(body) = to_bytes(body, MAX_ANSWER_BYTES).await else {
        return Error::refused(
            ErrorCode::Internal,
            "the answer could not be read to sign it",
        )
        .into_response();
    };
    let headers = AnswerToSign {
        method: binding.method,
        path_and_query: binding.target,
        device_id: binding.device,
        nonce: binding.nonce,
        status: parts.status.as_u16(),
        time_ms: Timestamp::now().as_millisecond(),
        body: &body,
    }
    .sign(key);
    for (name, value) in headers.to_pairs() {
        match HeaderValue::from_str(&value) {
            Ok(value) => {
                parts.headers.insert(HeaderName::from_static(name), value);
            }
            Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    }
    Response::from_parts(parts, Body::from(body))
}
