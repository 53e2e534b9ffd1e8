//! Checking a signed request: headers, timestamp, device, signature, nonce (in that order).

use axum::http::request::Parts;
use guichet_protocol::signing::{check_timestamp, AuthHeaders};
use guichet_protocol::ErrorCode;
use jiff::Timestamp;

use super::{blocking, Platform};
use crate::error::Error;
use crate::store::DeviceRecord;

/// The device that signed the request, once every check passed.
pub async fn authenticate(
    platform: &Platform,
    parts: &Parts,
    body: &[u8],
) -> Result<DeviceRecord, Error> {
    let headers =
        AuthHeaders::from_headers(|name| parts.headers.get(name).and_then(|v| v.to_str().ok()))
            .map_err(|e| Error::refused(e.code(), e.to_string()))?;
    let now = Timestamp::now();
    check_timestamp(headers.timestamp, now.as_second())
        .map_err(|e| Error::refused(e.code(), e.to_string()))?;
    let store = platform.store.clone();
    let method = parts.method.as_str().to_owned();
    let target = parts
        .uri
        .path_and_query()
        .map_or(parts.uri.path(), |pq| pq.as_str())
        .to_owned();
    let body = body.to_vec();
    // One trip to the blocking pool: device, signature, then the nonce (recorded only for a
    // request whose signature verified).
    blocking(move || {
        let device = store.device(&headers.device_id)?.ok_or_else(|| {
            Error::refused(ErrorCode::UnknownDevice, "no enrolled device has this id")
        })?;
        if device.disabled {
            return Err(Error::refused(
                ErrorCode::DeviceDisabled,
                "this device was disabled by an admin",
            ));
        }
        headers
            .verify(&method, &target, &body, &device.public_key)
            .map_err(|e| Error::refused(e.code(), e.to_string()))?;
        if !store.record_nonce(&device.id, &headers.nonce, now)? {
            return Err(Error::refused(
                ErrorCode::ReplayedNonce,
                "this nonce was already used",
            ));
        }
        Ok(device)
    })
    .await
}
