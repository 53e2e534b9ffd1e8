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
/// enrollment and strangers' requests get unsigned answers.
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
    let (mut parts, body) = response.into_parts();
    let Ok(body) = to_bytes(body, MAX_ANSWER_BYTES).await else {
        return Error::refused(
            ErrorCode::Internal,
            "the answer could not be read to sign it",
        )
        .into_response();
    };
    let headers = AnswerToSign {
        method: &method,
        path_and_query: &target,
        device_id: &device,
        nonce: &nonce,
        status: parts.status.as_u16(),
        time_ms: Timestamp::now().as_millisecond(),
        body: &body,
    }
    .sign(&platform.answer_key);
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
