//! Checking a signed request, in two steps: what the headers alone tell (present, well
//! formed, timestamp within the skew) before the body is read, so a stranger cannot make the
//! platform read 4 MiB; then the device, the signature over the body, and the nonce.
//!
//! An unknown device is answered exactly as a bad signature (same code, same message, and a
//! signature check made all the same), so device ids cannot be probed.

use std::sync::LazyLock;

use axum::http::request::Parts;
use ed25519_dalek::{SigningKey, VerifyingKey};
use guichet_protocol::signing::{check_timestamp, AuthHeaders};
use guichet_protocol::ErrorCode;
use jiff::Timestamp;

use super::{blocking, Platform};
use crate::error::Error;
use crate::store::DeviceRecord;

/// The message of a request that does not verify, whatever the reason.
const BAD_SIGNATURE: &str = "the signature does not verify with the device's key";

/// A key no device holds, checked against when the device is unknown so the answer takes the
/// time a real check takes.
static NOBODY: LazyLock<VerifyingKey> =
    LazyLock::new(|| SigningKey::from_bytes(&[7; 32]).verifying_key());

/// The headers of a signed request, checked as far as they can be without the body.
pub struct Unverified {
    headers: AuthHeaders,
    now: Timestamp,
}

/// Checks the signing headers and the timestamp (`MISSING_AUTH`, `STALE_TIMESTAMP`).
pub fn check_headers(parts: &Parts) -> Result<Unverified, Error> {
    let headers =
        AuthHeaders::from_headers(|name| parts.headers.get(name).and_then(|v| v.to_str().ok()))
            .map_err(|e| Error::refused(e.code(), e.to_string()))?;
    let now = Timestamp::now();
    check_timestamp(headers.timestamp, now.as_second())
        .map_err(|e| Error::refused(e.code(), e.to_string()))?;
    Ok(Unverified { headers, now })
}

/// The device that signed the request, once the signature over `body` verified and the nonce
/// was new.
pub async fn authenticate(
    platform: &Platform,
    unverified: Unverified,
    parts: &Parts,
    body: &[u8],
) -> Result<DeviceRecord, Error> {
    let Unverified { headers, now } = unverified;
    let method = parts.method.as_str().to_owned();
    let target = parts
        .uri
        .path_and_query()
        .map_or(parts.uri.path(), |pq| pq.as_str())
        .to_owned();
    let body = body.to_vec();
    let bad_signature = || Error::refused(ErrorCode::BadSignature, BAD_SIGNATURE);
    let device = platform.store.device(&headers.device_id).await?;
    // The signature check on the blocking pool (an unknown device costs the same check, so
    // timing does not tell which devices exist); then the nonce, recorded only for a request
    // whose signature verified.
    let (device, headers) = blocking(move || {
        let key = device
            .as_ref()
            .map_or(&*NOBODY, |device| &device.public_key);
        let verified = headers.verify(&method, &target, &body, key).is_ok();
        match device {
            Some(device) if verified => Ok((device, headers)),
            _ => Err(bad_signature()),
        }
    })
    .await?;
    if device.disabled {
        return Err(Error::refused(
            ErrorCode::DeviceDisabled,
            "this device was disabled by an admin",
        ));
    }
    if !platform
        .store
        .record_nonce(&device.id, &headers.nonce, now)
        .await?
    {
        return Err(Error::refused(
            ErrorCode::ReplayedNonce,
            "this nonce was already used",
        ));
    }
    Ok(device)
}
