//! Request signing: every request after enrollment is signed by the device's Ed25519 key.
//!
//! The signed bytes are the canonical string (UTF-8, lines joined by `\n`, no final newline):
//! ```text
//! guichet-request-v1
//! POST
//! /v1/redemptions
//! <device id>
//! <timestamp: unix seconds, decimal>
//! <nonce: 32 lower-case hex digits>
//! <SHA-256 of the body: 64 lower-case hex digits>
//! ```
//! The path is the request target exactly as sent (path and query, no scheme or host). The
//! values travel in the [`HEADER_DEVICE`], [`HEADER_TIMESTAMP`], [`HEADER_NONCE`] and
//! [`HEADER_SIGNATURE`] headers; the signature is 128 hex digits and is checked with
//! `verify_strict`.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::error::ErrorCode;

/// The first line of the canonical string: a signature made for anything else never passes.
pub const SIGNING_CONTEXT: &str = "guichet-request-v1";
/// Header: the device id the platform gave at enrollment.
pub const HEADER_DEVICE: &str = "guichet-device";
/// Header: the time of signing, unix seconds.
pub const HEADER_TIMESTAMP: &str = "guichet-timestamp";
/// Header: 16 random bytes as 32 lower-case hex digits, never reused by a device.
pub const HEADER_NONCE: &str = "guichet-nonce";
/// Header: the Ed25519 signature of the canonical string, 128 hex digits.
pub const HEADER_SIGNATURE: &str = "guichet-signature";
/// The platform refuses a timestamp further than this from its clock (5 minutes), and
/// remembers nonces at least this long on both sides of it.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;
/// Random bytes in a nonce.
pub const NONCE_BYTES: usize = 16;
/// The longest device id accepted in a header.
pub const MAX_DEVICE_ID_LEN: usize = 64;

/// Why a request's signature was not accepted, or a key not read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SigningError {
    /// A signing header is absent.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// A signing header is not in its format.
    #[error("header {0} is not in its format")]
    BadHeader(&'static str),
    /// The timestamp is too far from the verifier's clock.
    #[error("request timestamp {timestamp} is more than {MAX_CLOCK_SKEW_SECS} s away from the platform clock ({now})")]
    StaleTimestamp {
        /// The request's timestamp.
        timestamp: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// The signature does not verify with the key.
    #[error("the request signature does not verify with the device key")]
    BadSignature,
    /// A public key that is not 64 hex digits of a canonical, non-small-order point.
    #[error("not a valid Ed25519 public key (64 hex digits of a canonical point of large order)")]
    BadPublicKey,
}

impl SigningError {
    /// The refusal code the platform answers with.
    pub fn code(&self) -> ErrorCode {
        match self {
            SigningError::MissingHeader(_) | SigningError::BadHeader(_) => ErrorCode::MissingAuth,
            SigningError::StaleTimestamp { .. } => ErrorCode::StaleTimestamp,
            SigningError::BadSignature => ErrorCode::BadSignature,
            SigningError::BadPublicKey => ErrorCode::MalformedBody,
        }
    }
}

/// One request, as signed.
#[derive(Clone, Copy, Debug)]
pub struct RequestToSign<'a> {
    /// The HTTP method, upper case (`GET`, `POST`).
    pub method: &'a str,
    /// The request target: path and query exactly as sent (`/v1/bundle?have=3`).
    pub path_and_query: &'a str,
    /// The device id.
    pub device_id: &'a str,
    /// Unix seconds at signing.
    pub timestamp: i64,
    /// 32 lower-case hex digits (see [`nonce_hex`]).
    pub nonce: &'a str,
    /// The body bytes exactly as sent (empty for a GET).
    pub body: &'a [u8],
}

impl RequestToSign<'_> {
    /// The canonical string's bytes.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let body_hash = hex::encode(Sha256::digest(self.body));
        format!(
            "{SIGNING_CONTEXT}\n{}\n{}\n{}\n{}\n{}\n{body_hash}",
            self.method, self.path_and_query, self.device_id, self.timestamp, self.nonce
        )
        .into_bytes()
    }

    /// Signs the request with the device key; the headers to send.
    pub fn sign(&self, device_key: &SigningKey) -> AuthHeaders {
        AuthHeaders {
            device_id: self.device_id.to_owned(),
            timestamp: self.timestamp,
            nonce: self.nonce.to_owned(),
            signature: hex::encode(device_key.sign(&self.canonical_bytes()).to_bytes()),
        }
    }
}

/// The four signing headers of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthHeaders {
    /// [`HEADER_DEVICE`].
    pub device_id: String,
    /// [`HEADER_TIMESTAMP`].
    pub timestamp: i64,
    /// [`HEADER_NONCE`].
    pub nonce: String,
    /// [`HEADER_SIGNATURE`], 128 hex digits.
    pub signature: String,
}

impl AuthHeaders {
    /// The headers as (name, value) pairs, ready to add to a request.
    pub fn to_pairs(&self) -> [(&'static str, String); 4] {
        [
            (HEADER_DEVICE, self.device_id.clone()),
            (HEADER_TIMESTAMP, self.timestamp.to_string()),
            (HEADER_NONCE, self.nonce.clone()),
            (HEADER_SIGNATURE, self.signature.clone()),
        ]
    }

    /// Reads and checks the format of the four headers; `header` looks one up by its
    /// lower-case name.
    pub fn from_headers<'h>(
        header: impl Fn(&str) -> Option<&'h str>,
    ) -> Result<AuthHeaders, SigningError> {
        let get = |name: &'static str| header(name).ok_or(SigningError::MissingHeader(name));
        let device_id = get(HEADER_DEVICE)?;
        if device_id.is_empty()
            || device_id.len() > MAX_DEVICE_ID_LEN
            || !device_id.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(SigningError::BadHeader(HEADER_DEVICE));
        }
        let timestamp = get(HEADER_TIMESTAMP)?;
        let timestamp = (!timestamp.is_empty() && timestamp.bytes().all(|b| b.is_ascii_digit()))
            .then(|| timestamp.parse::<i64>().ok())
            .flatten()
            .ok_or(SigningError::BadHeader(HEADER_TIMESTAMP))?;
        let nonce = get(HEADER_NONCE)?;
        if !is_lower_hex(nonce, 2 * NONCE_BYTES) {
            return Err(SigningError::BadHeader(HEADER_NONCE));
        }
        let signature = get(HEADER_SIGNATURE)?;
        if !is_hex(signature, 128) {
            return Err(SigningError::BadHeader(HEADER_SIGNATURE));
        }
        Ok(AuthHeaders {
            device_id: device_id.to_owned(),
            timestamp,
            nonce: nonce.to_owned(),
            signature: signature.to_owned(),
        })
    }

    /// The request these headers claim to sign.
    pub fn request<'a>(
        &'a self,
        method: &'a str,
        path_and_query: &'a str,
        body: &'a [u8],
    ) -> RequestToSign<'a> {
        RequestToSign {
            method,
            path_and_query,
            device_id: &self.device_id,
            timestamp: self.timestamp,
            nonce: &self.nonce,
            body,
        }
    }

    /// Checks the signature over the request with the device's key (strict Ed25519).
    pub fn verify(
        &self,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        device_key: &VerifyingKey,
    ) -> Result<(), SigningError> {
        let mut signature = [0; 64];
        hex::decode_to_slice(&self.signature, &mut signature)
            .map_err(|_| SigningError::BadHeader(HEADER_SIGNATURE))?;
        let message = self.request(method, path_and_query, body).canonical_bytes();
        device_key
            .verify_strict(&message, &Signature::from_bytes(&signature))
            .map_err(|_| SigningError::BadSignature)
    }
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_lower_hex(text: &str, len: usize) -> bool {
    is_hex(text, len) && !text.bytes().any(|b| b.is_ascii_uppercase())
}

/// Refuses a timestamp further than [`MAX_CLOCK_SKEW_SECS`] from `now` (both unix seconds).
pub fn check_timestamp(timestamp: i64, now: i64) -> Result<(), SigningError> {
    if timestamp.abs_diff(now) > MAX_CLOCK_SKEW_SECS.unsigned_abs() {
        return Err(SigningError::StaleTimestamp { timestamp, now });
    }
    Ok(())
}

/// The nonce text for 16 random bytes (the caller draws them).
pub fn nonce_hex(random: [u8; NONCE_BYTES]) -> String {
    hex::encode(random)
}

/// Reads a device (or root) public key from 64 hex digits, refusing non-canonical
/// encodings and points of small order.
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, SigningError> {
    let mut bytes = [0; 32];
    hex::decode_to_slice(text, &mut bytes).map_err(|_| SigningError::BadPublicKey)?;
    let key = VerifyingKey::from_bytes(&bytes).map_err(|_| SigningError::BadPublicKey)?;
    if key.is_weak() || key.to_edwards().compress().to_bytes() != bytes {
        return Err(SigningError::BadPublicKey);
    }
    Ok(key)
}

/// A public key as 64 lower-case hex digits.
pub fn public_key_hex(key: &VerifyingKey) -> String {
    hex::encode(key.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[9; 32])
    }

    fn request(body: &[u8]) -> RequestToSign<'_> {
        RequestToSign {
            method: "POST",
            path_and_query: "/v1/redemptions",
            device_id: "dev-1",
            timestamp: 1_800_000_000,
            nonce: "00112233445566778899aabbccddeeff",
            body,
        }
    }

    #[test]
    fn the_canonical_string_has_every_part_on_its_line() {
        let text = String::from_utf8(request(b"").canonical_bytes()).unwrap();
        assert_eq!(
            text,
            "guichet-request-v1\nPOST\n/v1/redemptions\ndev-1\n1800000000\n\
             00112233445566778899aabbccddeeff\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn a_signature_verifies_only_for_the_same_request() {
        let headers = request(b"{}").sign(&key());
        let public = key().verifying_key();
        assert_eq!(
            headers.verify("POST", "/v1/redemptions", b"{}", &public),
            Ok(())
        );
        for (method, path, body) in [
            ("GET", "/v1/redemptions", &b"{}"[..]),
            ("POST", "/v1/redemptions?x=1", b"{}"),
            ("POST", "/v1/redemptions", b"{ }"),
        ] {
            assert_eq!(
                headers.verify(method, path, body, &public),
                Err(SigningError::BadSignature)
            );
        }
        let mut other_nonce = headers.clone();
        other_nonce.nonce = "ffffffffffffffffffffffffffffffff".into();
        assert_eq!(
            other_nonce.verify("POST", "/v1/redemptions", b"{}", &public),
            Err(SigningError::BadSignature)
        );
    }

    #[test]
    fn headers_round_trip_and_bad_formats_are_named() {
        let headers = request(b"").sign(&key());
        let pairs = headers.to_pairs();
        let lookup = |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(AuthHeaders::from_headers(lookup), Ok(headers.clone()));
        let without_nonce = |name: &str| (name != HEADER_NONCE).then(|| lookup(name)).flatten();
        assert_eq!(
            AuthHeaders::from_headers(without_nonce),
            Err(SigningError::MissingHeader(HEADER_NONCE))
        );
        let bad_time = |name: &str| {
            if name == HEADER_TIMESTAMP {
                Some("-5")
            } else {
                lookup(name)
            }
        };
        assert_eq!(
            AuthHeaders::from_headers(bad_time),
            Err(SigningError::BadHeader(HEADER_TIMESTAMP))
        );
    }

    #[test]
    fn timestamps_within_five_minutes_pass() {
        assert!(check_timestamp(1000, 1300).is_ok());
        assert!(check_timestamp(1300, 1000).is_ok());
        assert!(matches!(
            check_timestamp(1000, 1301),
            Err(SigningError::StaleTimestamp { .. })
        ));
        assert!(check_timestamp(i64::MIN, i64::MAX).is_err());
    }

    #[test]
    fn public_keys_must_be_canonical_and_of_large_order() {
        let public = key().verifying_key();
        assert_eq!(parse_public_key(&public_key_hex(&public)).unwrap(), public);
        // The identity point (small order).
        let identity = format!("01{}", "00".repeat(31));
        assert_eq!(parse_public_key(&identity), Err(SigningError::BadPublicKey));
        assert_eq!(parse_public_key("zz"), Err(SigningError::BadPublicKey));
    }
}
