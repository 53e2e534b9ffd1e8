//! Reading request bodies: a size limit with a JSON refusal, and JSON parsing.

use axum::body::{Body, Bytes};
use axum::http::header::CONTENT_LENGTH;
use axum::http::HeaderMap;
use guichet_protocol::paths::MAX_BODY_BYTES;
use guichet_protocol::ErrorCode;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;

use crate::error::Error;

/// How much of an oversized body is read and thrown away before answering 413, so that a
/// client still sending gets the answer rather than a reset connection.
const MAX_DRAINED_BYTES: usize = 4 * MAX_BODY_BYTES;

fn too_large() -> Error {
    Error::refused(
        ErrorCode::BodyTooLarge,
        format!("the body is larger than {MAX_BODY_BYTES} bytes"),
    )
}

/// The whole body, or `BODY_TOO_LARGE` beyond [`MAX_BODY_BYTES`].
pub async fn read_limited(headers: &HeaderMap, body: Body) -> Result<Bytes, Error> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_DRAINED_BYTES as u64) {
        return Err(too_large());
    }
    let mut body = body;
    let mut bytes = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            Error::refused(
                ErrorCode::MalformedBody,
                format!("the body could not be read: {e}"),
            )
        })?;
        if let Ok(data) = frame.into_data() {
            seen += data.len();
            if seen > MAX_DRAINED_BYTES {
                return Err(too_large());
            }
            if seen <= MAX_BODY_BYTES {
                bytes.extend_from_slice(&data);
            }
        }
    }
    if seen > MAX_BODY_BYTES {
        return Err(too_large());
    }
    Ok(Bytes::from(bytes))
}

/// Parses a JSON body, or `MALFORMED_BODY`.
pub fn json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes)
        .map_err(|e| Error::refused(ErrorCode::MalformedBody, format!("invalid JSON body: {e}")))
}
