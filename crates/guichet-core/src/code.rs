//! The PN1 voucher code: `PN1:` followed by base45(payload ‖ signature).
//!
//! [`decode`] is total: any bytes give a [`SignedCode`] or the first [`Malformed`] cause in the
//! spec's order. It checks the form only; the signature and everything that needs the trust
//! bundle are [`crate::verify`]'s job.

use ed25519_dalek::{Signer, SigningKey};
use serde::Serialize;

use crate::area::Scope;
use crate::base45::{self, Base45Error};
use crate::kid::Kid;

/// The literal prefix of every code.
pub const PREFIX: &[u8] = b"PN1:";
/// What the issuer signs before the payload (the prefix without its colon).
pub const SIGNING_CONTEXT: &[u8] = b"PN1";
/// The payload's length in bytes.
pub const PAYLOAD_LEN: usize = 36;
/// The signature's length in bytes.
pub const SIGNATURE_LEN: usize = 64;
/// The only payload version defined.
pub const VERSION: u8 = 1;

/// The decoded fields of a coupon (the payload, without version and flags).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
pub struct Coupon {
    /// The issuer key's id.
    pub kid: Kid,
    /// Unique per issuer key.
    pub serial: u64,
    /// Face value in euro cents.
    pub value_cents: u32,
    /// Issue day (days since 2020-01-01).
    pub issued_on: u16,
    /// Last valid day, inclusive (days since 2020-01-01, Europe/Paris calendar).
    pub valid_until: u16,
    /// The provider (funder) id.
    pub provider: u32,
    /// The areas the coupon may pay for.
    pub scope: Scope,
    /// The zone the coupon may be used in; 0 = anywhere.
    pub zone: u32,
}

/// Why bytes are not a well-formed PN1 code, in the order the checks are made.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash, thiserror::Error)]
pub enum Malformed {
    /// No `PN1:` prefix.
    #[error("the text does not start with PN1:")]
    Prefix,
    /// A byte outside the base45 alphabet (including any non-ASCII byte).
    #[error("the code contains a character outside base45")]
    Alphabet,
    /// A base45 body of length ≡ 1 mod 3, or a group above its range.
    #[error("the code is not valid base45")]
    Base45,
    /// The body does not decode to exactly 100 bytes.
    #[error("the code does not hold 100 bytes")]
    Length,
    /// The payload version is not 1.
    #[error("unknown code version")]
    Version,
    /// The flags byte is not 0.
    #[error("flags must be 0")]
    Flags,
    /// Scope bits 9–15 are set.
    #[error("scope bits 9 to 15 must be 0")]
    ScopeBits,
    /// The last valid day is before the issue day.
    #[error("valid_until is before issued_on")]
    Dates,
}

impl Malformed {
    /// Every cause, in check order.
    pub const ALL: [Malformed; 8] = [
        Malformed::Prefix,
        Malformed::Alphabet,
        Malformed::Base45,
        Malformed::Length,
        Malformed::Version,
        Malformed::Flags,
        Malformed::ScopeBits,
        Malformed::Dates,
    ];

    /// The cause's name in the spec, such as `"BASE45"`.
    pub fn code(self) -> &'static str {
        match self {
            Malformed::Prefix => "PREFIX",
            Malformed::Alphabet => "ALPHABET",
            Malformed::Base45 => "BASE45",
            Malformed::Length => "LENGTH",
            Malformed::Version => "VERSION",
            Malformed::Flags => "FLAGS",
            Malformed::ScopeBits => "SCOPE_BITS",
            Malformed::Dates => "DATES",
        }
    }
}

/// A well-formed code: the coupon, and what its signature covers. Not yet authenticated.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SignedCode {
    /// The decoded fields.
    pub coupon: Coupon,
    /// The 36 payload bytes as read.
    pub payload: [u8; PAYLOAD_LEN],
    /// The 64 signature bytes as read.
    pub signature: [u8; SIGNATURE_LEN],
}

impl SignedCode {
    /// The bytes the issuer signed: `"PN1"` followed by the payload.
    pub fn signed_message(&self) -> [u8; SIGNING_CONTEXT.len() + PAYLOAD_LEN] {
        signed_message(&self.payload)
    }
}

fn signed_message(payload: &[u8; PAYLOAD_LEN]) -> [u8; SIGNING_CONTEXT.len() + PAYLOAD_LEN] {
    let mut message = [0; SIGNING_CONTEXT.len() + PAYLOAD_LEN];
    message[..SIGNING_CONTEXT.len()].copy_from_slice(SIGNING_CONTEXT);
    message[SIGNING_CONTEXT.len()..].copy_from_slice(payload);
    message
}

/// Space, Tab, LF, VT, FF and CR: what a reader ignores around a code.
fn is_ignored_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `input` without leading and trailing ASCII whitespace.
pub fn trim(input: &[u8]) -> &[u8] {
    let start = input
        .iter()
        .position(|&b| !is_ignored_whitespace(b))
        .unwrap_or(input.len());
    let end = input
        .iter()
        .rposition(|&b| !is_ignored_whitespace(b))
        .map_or(start, |last| last + 1);
    &input[start..end]
}

/// Decodes any bytes into a well-formed code or the first malformation found.
pub fn decode(input: &[u8]) -> Result<SignedCode, Malformed> {
    let body = trim(input).strip_prefix(PREFIX).ok_or(Malformed::Prefix)?;
    let bytes = base45::decode(body).map_err(|error| match error {
        Base45Error::InvalidCharacter { .. } => Malformed::Alphabet,
        Base45Error::InvalidLength | Base45Error::GroupOverflow { .. } => Malformed::Base45,
    })?;
    let (payload, signature) = bytes
        .split_first_chunk::<PAYLOAD_LEN>()
        .ok_or(Malformed::Length)?;
    let signature: [u8; SIGNATURE_LEN] = signature.try_into().map_err(|_| Malformed::Length)?;
    Ok(SignedCode {
        coupon: Coupon::from_payload(payload)?,
        payload: *payload,
        signature,
    })
}

impl Coupon {
    /// Reads the payload fields, checking version, flags, scope bits and dates in that order.
    pub fn from_payload(payload: &[u8; PAYLOAD_LEN]) -> Result<Coupon, Malformed> {
        let field = |at: usize, len: usize| &payload[at..at + len];
        let u16_at = |at| u16::from_be_bytes([payload[at], payload[at + 1]]);
        let u32_at = |at| u32::from_be_bytes(field(at, 4).try_into().expect("4 bytes"));
        if payload[0] != VERSION {
            return Err(Malformed::Version);
        }
        if payload[35] != 0 {
            return Err(Malformed::Flags);
        }
        let scope = Scope(u16_at(29));
        if scope.has_unknown_bits() {
            return Err(Malformed::ScopeBits);
        }
        let coupon = Coupon {
            kid: Kid(field(1, 8).try_into().expect("8 bytes")),
            serial: u64::from_be_bytes(field(9, 8).try_into().expect("8 bytes")),
            value_cents: u32_at(17),
            issued_on: u16_at(21),
            valid_until: u16_at(23),
            provider: u32_at(25),
            scope,
            zone: u32_at(31),
        };
        if coupon.valid_until < coupon.issued_on {
            return Err(Malformed::Dates);
        }
        Ok(coupon)
    }

    /// The 36 payload bytes (version 1, flags 0).
    pub fn to_payload(&self) -> [u8; PAYLOAD_LEN] {
        let mut payload = [0; PAYLOAD_LEN];
        payload[0] = VERSION;
        payload[1..9].copy_from_slice(&self.kid.0);
        payload[9..17].copy_from_slice(&self.serial.to_be_bytes());
        payload[17..21].copy_from_slice(&self.value_cents.to_be_bytes());
        payload[21..23].copy_from_slice(&self.issued_on.to_be_bytes());
        payload[23..25].copy_from_slice(&self.valid_until.to_be_bytes());
        payload[25..29].copy_from_slice(&self.provider.to_be_bytes());
        payload[29..31].copy_from_slice(&self.scope.0.to_be_bytes());
        payload[31..35].copy_from_slice(&self.zone.to_be_bytes());
        payload
    }
}

/// Signs a payload (any 36 bytes, so test vectors can sign malformed ones) with an issuer key.
pub fn sign_payload(payload: &[u8; PAYLOAD_LEN], issuer: &SigningKey) -> [u8; SIGNATURE_LEN] {
    issuer.sign(&signed_message(payload)).to_bytes()
}

/// The code text for raw bytes: `PN1:` + base45(bytes). Used by [`encode`] and by test vectors.
pub fn text_of(bytes: &[u8]) -> String {
    format!("PN1:{}", base45::encode(bytes))
}

/// The issuer side: the code text of a coupon signed by `issuer`.
///
/// The coupon's kid is the caller's to set (normally `Kid::of_public_key` of the issuer key).
pub fn encode(coupon: &Coupon, issuer: &SigningKey) -> String {
    let payload = coupon.to_payload();
    let signature = sign_payload(&payload, issuer);
    let mut bytes = [0; PAYLOAD_LEN + SIGNATURE_LEN];
    bytes[..PAYLOAD_LEN].copy_from_slice(&payload);
    bytes[PAYLOAD_LEN..].copy_from_slice(&signature);
    text_of(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7; 32])
    }

    fn coupon() -> Coupon {
        Coupon {
            kid: Kid::of_public_key(key().verifying_key().as_bytes()),
            serial: 42,
            value_cents: 1000,
            issued_on: 2200,
            valid_until: 2556,
            provider: 3,
            scope: Scope(0b1000),
            zone: 33,
        }
    }

    #[test]
    fn a_code_is_154_characters_and_decodes_to_its_coupon() {
        let text = encode(&coupon(), &key());
        assert_eq!(text.len(), 154);
        assert!(text.starts_with("PN1:"));
        let decoded = decode(text.as_bytes()).unwrap();
        assert_eq!(decoded.coupon, coupon());
        assert_eq!(
            decoded.signature,
            sign_payload(&coupon().to_payload(), &key())
        );
    }

    #[test]
    fn surrounding_whitespace_is_ignored_but_case_is_not() {
        let text = encode(&coupon(), &key());
        let padded = format!(" \t\r\n\x0b\x0c{text}\r\n  ");
        assert_eq!(decode(padded.as_bytes()).unwrap().coupon, coupon());
        let lower = text.replacen("PN1:", "pn1:", 1);
        assert_eq!(decode(lower.as_bytes()), Err(Malformed::Prefix));
    }

    #[test]
    fn each_cause_is_reported_in_order() {
        assert_eq!(decode(b""), Err(Malformed::Prefix));
        assert_eq!(decode(b"PN1:abc"), Err(Malformed::Alphabet));
        assert_eq!(decode("PN1:É".as_bytes()), Err(Malformed::Alphabet));
        assert_eq!(decode(b"PN1:0000"), Err(Malformed::Base45));
        assert_eq!(decode(b"PN1:"), Err(Malformed::Length));
        let mut payload = coupon().to_payload();
        let text = |payload: &[u8; PAYLOAD_LEN]| {
            let mut bytes = payload.to_vec();
            bytes.extend_from_slice(&[0; SIGNATURE_LEN]);
            text_of(&bytes)
        };
        payload[0] = 2;
        payload[35] = 1;
        assert_eq!(decode(text(&payload).as_bytes()), Err(Malformed::Version));
        payload[0] = 1;
        payload[29] = 0x02;
        assert_eq!(decode(text(&payload).as_bytes()), Err(Malformed::Flags));
        payload[35] = 0;
        assert_eq!(decode(text(&payload).as_bytes()), Err(Malformed::ScopeBits));
        payload[29] = 0;
        payload[23..25].copy_from_slice(&2199u16.to_be_bytes());
        assert_eq!(decode(text(&payload).as_bytes()), Err(Malformed::Dates));
    }
}
