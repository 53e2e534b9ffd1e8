//! Signed answers: the platform signs every answer to a signed request with its sync key, so
//! a kiosk believes a push result, a state change, a refusal or the platform's clock only if
//! the platform said it, to this request.
//!
//! The signed bytes are the canonical string (UTF-8, lines joined by `\n`, no final newline):
//! ```text
//! guichet-answer-v1
//! <request method>
//! <request target: path and query as sent>
//! <device id of the request>
//! <nonce of the request>
//! <HTTP status, decimal>
//! <answer time: unix milliseconds, decimal>
//! <SHA-256 of the answer body: 64 lower-case hex digits>
//! ```
//! The request's nonce (never reused) binds the answer to that one request, so an old answer
//! cannot be replayed to a later one. The values travel in [`HEADER_ANSWER_TIME`],
//! [`HEADER_ANSWER_KEY`] (the sync key's public half, 64 hex digits) and
//! [`HEADER_ANSWER_SIGNATURE`] (128 hex digits, checked with `verify_strict`); the key must be
//! one of the sync keys of the kiosk's trust bundle.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use jiff::Timestamp;
use sha2::{Digest, Sha256};

/// The first line of the canonical string.
pub const ANSWER_CONTEXT: &str = "guichet-answer-v1";
/// Header: when the platform answered, unix milliseconds.
pub const HEADER_ANSWER_TIME: &str = "guichet-answer-time";
/// Header: the public half of the sync key that signed, 64 hex digits.
pub const HEADER_ANSWER_KEY: &str = "guichet-answer-key";
/// Header: the Ed25519 signature of the canonical string, 128 hex digits.
pub const HEADER_ANSWER_SIGNATURE: &str = "guichet-answer-signature";

/// Why an answer is not believed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    /// The answer carries no signature (or an unreadable one).
    #[error("the answer is not signed ({0})")]
    Unsigned(&'static str),
    /// The signing key is not one of the trust bundle's sync keys.
    #[error("the answer is signed by a key the trust bundle does not name")]
    UnknownKey,
    /// The signature does not verify.
    #[error("the answer's signature does not verify")]
    BadSignature,
}

/// An answer to sign or to check, with the request it answers.
#[derive(Clone, Copy, Debug)]
pub struct AnswerToSign<'a> {
    /// The request's method (upper case).
    pub method: &'a str,
    /// The request's target, path and query as sent.
    pub path_and_query: &'a str,
    /// The device id the request was signed as.
    pub device_id: &'a str,
    /// The request's nonce.
    pub nonce: &'a str,
    /// The answer's HTTP status.
    pub status: u16,
    /// When the platform answered, unix milliseconds.
    pub time_ms: i64,
    /// The answer's body.
    pub body: &'a [u8],
}

/// The signature headers of an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnswerHeaders {
    /// Unix milliseconds.
    pub time_ms: i64,
    /// The sync key's public half, 64 hex digits.
    pub key: String,
    /// 128 hex digits.
    pub signature: String,
}

impl AnswerHeaders {
    /// The headers as (name, value) pairs.
    pub fn to_pairs(&self) -> [(&'static str, String); 3] {
        [
            (HEADER_ANSWER_TIME, self.time_ms.to_string()),
            (HEADER_ANSWER_KEY, self.key.clone()),
            (HEADER_ANSWER_SIGNATURE, self.signature.clone()),
        ]
    }

    /// Reads the headers with `get` (a header's value by name).
    pub fn from_headers<'h>(
        get: impl Fn(&str) -> Option<&'h str>,
    ) -> Result<AnswerHeaders, AnswerError> {
        let time_ms = get(HEADER_ANSWER_TIME)
            .ok_or(AnswerError::Unsigned(HEADER_ANSWER_TIME))?
            .parse()
            .map_err(|_| AnswerError::Unsigned(HEADER_ANSWER_TIME))?;
        let key = get(HEADER_ANSWER_KEY).ok_or(AnswerError::Unsigned(HEADER_ANSWER_KEY))?;
        let signature =
            get(HEADER_ANSWER_SIGNATURE).ok_or(AnswerError::Unsigned(HEADER_ANSWER_SIGNATURE))?;
        Ok(AnswerHeaders {
            time_ms,
            key: key.to_owned(),
            signature: signature.to_owned(),
        })
    }

    /// The answer's time.
    pub fn time(&self) -> Option<Timestamp> {
        Timestamp::from_millisecond(self.time_ms).ok()
    }
}

impl AnswerToSign<'_> {
    /// The canonical string of this answer.
    pub fn canonical(&self) -> String {
        let body_hash = hex::encode(Sha256::digest(self.body));
        [
            ANSWER_CONTEXT,
            self.method,
            self.path_and_query,
            self.device_id,
            self.nonce,
            &self.status.to_string(),
            &self.time_ms.to_string(),
            &body_hash,
        ]
        .join("\n")
    }

    /// Signs the answer with the platform's sync key.
    pub fn sign(&self, key: &SigningKey) -> AnswerHeaders {
        AnswerHeaders {
            time_ms: self.time_ms,
            key: hex::encode(key.verifying_key().as_bytes()),
            signature: hex::encode(key.sign(self.canonical().as_bytes()).to_bytes()),
        }
    }

    /// Checks `headers` (whose time must be this answer's `time_ms`) against the sync keys
    /// the kiosk trusts.
    pub fn verify(
        &self,
        headers: &AnswerHeaders,
        trusted: &[VerifyingKey],
    ) -> Result<(), AnswerError> {
        let key = trusted
            .iter()
            .find(|key| hex::encode(key.as_bytes()) == headers.key)
            .ok_or(AnswerError::UnknownKey)?;
        let mut bytes = [0u8; 64];
        hex::decode_to_slice(&headers.signature, &mut bytes)
            .map_err(|_| AnswerError::Unsigned(HEADER_ANSWER_SIGNATURE))?;
        let signed = AnswerToSign {
            time_ms: headers.time_ms,
            ..*self
        };
        key.verify_strict(
            signed.canonical().as_bytes(),
            &Signature::from_bytes(&bytes),
        )
        .map_err(|_| AnswerError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &[u8]) -> AnswerToSign<'_> {
        AnswerToSign {
            method: "POST",
            path_and_query: "/v1/redemptions",
            device_id: "d-1",
            nonce: "00112233445566778899aabbccddeeff",
            status: 200,
            time_ms: 1_764_800_000_000,
            body,
        }
    }

    #[test]
    fn an_answer_verifies_only_unchanged_for_its_request_and_by_a_trusted_key() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let other = SigningKey::from_bytes(&[4; 32]);
        let trusted = [key.verifying_key()];
        let headers = answer(b"{}").sign(&key);
        assert_eq!(answer(b"{}").verify(&headers, &trusted), Ok(()));
        let changed = [
            AnswerToSign {
                body: b"{ }",
                ..answer(b"{}")
            },
            AnswerToSign {
                status: 409,
                ..answer(b"{}")
            },
            AnswerToSign {
                nonce: "ffeeddccbbaa99887766554433221100",
                ..answer(b"{}")
            },
            AnswerToSign {
                device_id: "d-2",
                ..answer(b"{}")
            },
            AnswerToSign {
                path_and_query: "/v1/device",
                ..answer(b"{}")
            },
        ];
        for answer in changed {
            assert_eq!(
                answer.verify(&headers, &trusted),
                Err(AnswerError::BadSignature)
            );
        }
        let later = AnswerHeaders {
            time_ms: headers.time_ms + 1,
            ..headers.clone()
        };
        assert_eq!(
            answer(b"{}").verify(&later, &trusted),
            Err(AnswerError::BadSignature)
        );
        assert_eq!(
            answer(b"{}").verify(&answer(b"{}").sign(&other), &trusted),
            Err(AnswerError::UnknownKey)
        );
        assert_eq!(
            answer(b"{}").verify(&headers, &[]),
            Err(AnswerError::UnknownKey)
        );
        let pairs = headers.to_pairs();
        let read = AnswerHeaders::from_headers(|name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        })
        .unwrap();
        assert_eq!(read, headers);
        assert!(matches!(
            AnswerHeaders::from_headers(|_| None),
            Err(AnswerError::Unsigned(_))
        ));
    }
}
