//! Base45 (RFC 9285), strict.
//!
//! Hand-written on purpose: the `base45` crate (3.2) truncates a final two-character group
//! whose value is above 255 instead of rejecting it, and the PN1 spec requires that group to be
//! refused (`MALFORMED`/`BASE45`). The whole codec is twenty lines and tested against the RFC's
//! examples.

use thiserror::Error;

/// The 45 characters of RFC 9285, in value order. They are all in the QR alphanumeric set.
pub const ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// Why a text is not valid base45.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Base45Error {
    /// A byte that is not one of the 45 characters.
    #[error("byte {byte:#04x} at {position} is not a base45 character")]
    InvalidCharacter {
        /// The offending byte.
        byte: u8,
        /// Its offset in the input.
        position: usize,
    },
    /// The length leaves a single trailing character (length ≡ 1 mod 3).
    #[error("a base45 text cannot have a length of 1 modulo 3")]
    InvalidLength,
    /// A three-character group above 65535 or a final pair above 255.
    #[error("base45 group at {position} encodes a value above its range")]
    GroupOverflow {
        /// Offset of the group's first character.
        position: usize,
    },
}

/// The value of one base45 character, or `None` if it is not in the alphabet.
pub fn char_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'A'..=b'Z' => Some(byte - b'A' + 10),
        b' ' => Some(36),
        b'$' => Some(37),
        b'%' => Some(38),
        b'*' => Some(39),
        b'+' => Some(40),
        b'-' => Some(41),
        b'.' => Some(42),
        b'/' => Some(43),
        b':' => Some(44),
        _ => None,
    }
}

/// Encodes bytes as base45 text.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(2) * 3);
    let mut push = |v: usize| out.push(ALPHABET[v] as char);
    for pair in bytes.chunks(2) {
        match *pair {
            [a, b] => {
                let n = usize::from(a) * 256 + usize::from(b);
                push(n % 45);
                push(n / 45 % 45);
                push(n / 2025);
            }
            [a] => {
                let n = usize::from(a);
                push(n % 45);
                push(n / 45);
            }
            _ => unreachable!("chunks(2) yields one or two bytes"),
        }
    }
    out
}

/// Decodes base45 text, refusing anything RFC 9285 does not allow.
pub fn decode(text: &[u8]) -> Result<Vec<u8>, Base45Error> {
    if let Some(position) = text.iter().position(|&b| char_value(b).is_none()) {
        return Err(Base45Error::InvalidCharacter {
            byte: text[position],
            position,
        });
    }
    if text.len() % 3 == 1 {
        return Err(Base45Error::InvalidLength);
    }
    let value = |b: u8| u32::from(char_value(b).unwrap_or(0));
    let mut out = Vec::with_capacity(text.len() / 3 * 2 + 1);
    for (index, group) in text.chunks(3).enumerate() {
        let position = index * 3;
        match *group {
            [c, d, e] => {
                let n = value(c) + value(d) * 45 + value(e) * 2025;
                let n = u16::try_from(n).map_err(|_| Base45Error::GroupOverflow { position })?;
                out.extend_from_slice(&n.to_be_bytes());
            }
            [c, d] => {
                let n = value(c) + value(d) * 45;
                let n = u8::try_from(n).map_err(|_| Base45Error::GroupOverflow { position })?;
                out.push(n);
            }
            _ => unreachable!("the length was checked above"),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The examples of RFC 9285 section 4.
    const RFC_EXAMPLES: &[(&[u8], &str)] = &[
        (b"AB", "BB8"),
        (b"Hello!!", "%69 VD92EX0"),
        (b"base-45", "UJCLQE7W581"),
        (b"ietf!", "QED8WEX0"),
        (b"", ""),
    ];

    #[test]
    fn encodes_and_decodes_the_rfc_examples() {
        for (bytes, text) in RFC_EXAMPLES {
            assert_eq!(encode(bytes), *text);
            assert_eq!(decode(text.as_bytes()).unwrap(), *bytes);
        }
    }

    #[test]
    fn refuses_what_the_rfc_refuses() {
        assert_eq!(
            decode(b"GGW"),
            Err(Base45Error::GroupOverflow { position: 0 })
        );
        assert_eq!(decode(b"00ZZ"), Err(Base45Error::InvalidLength));
        // A final pair above 255: ":6" = 44 + 6 * 45 = 314. The base45 crate accepts this.
        assert_eq!(
            decode(b"000:6"),
            Err(Base45Error::GroupOverflow { position: 3 })
        );
        assert_eq!(
            decode(b"0a0"),
            Err(Base45Error::InvalidCharacter {
                byte: b'a',
                position: 1
            })
        );
        // The largest legal values still decode.
        assert_eq!(decode(b"FGW").unwrap(), vec![0xff, 0xff]);
        assert_eq!(decode(b"U5").unwrap(), vec![0xff]);
    }

    #[test]
    fn every_alphabet_character_has_its_index_as_value() {
        for (index, &byte) in ALPHABET.iter().enumerate() {
            assert_eq!(char_value(byte), Some(index as u8));
        }
        assert_eq!((0..=255u8).filter(|&b| char_value(b).is_some()).count(), 45);
    }
}
