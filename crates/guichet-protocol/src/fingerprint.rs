//! The root fingerprint: what an admin hands to a center with an enrollment code, out of band,
//! so that a kiosk pins the platform's real root keys and not whatever an answer carries.
//!
//! It is 80 bits of SHA-256 over the root public keys (sorted, so their order does not
//! matter), written in Crockford's base32 as four groups of four (`7D2K-QH0M-…`): short enough
//! to type, and finding other keys with the same fingerprint takes about 2^80 tries. Reading
//! is forgiving: case, spaces and dashes do not matter, and O, I and L read as 0, 1 and 1.

use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha256};

/// Crockford's base32 alphabet (no I, L, O, U).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// 16 characters of 5 bits.
const CHARACTERS: usize = 16;

/// The fingerprint of a set of root public keys.
pub fn root_fingerprint(roots: &[VerifyingKey]) -> String {
    let mut keys: Vec<String> = roots.iter().map(|k| hex::encode(k.as_bytes())).collect();
    keys.sort();
    let mut hasher = Sha256::new();
    hasher.update(b"guichet-root-fingerprint-v1\n");
    hasher.update(keys.join("\n").as_bytes());
    let digest = hasher.finalize();
    let bits = u128::from_be_bytes(digest[..16].try_into().expect("16 bytes")) >> 48;
    let mut text = String::with_capacity(CHARACTERS + 3);
    for i in 0..CHARACTERS {
        if i > 0 && i % 4 == 0 {
            text.push('-');
        }
        let shift = 5 * (CHARACTERS - 1 - i);
        text.push(ALPHABET[((bits >> shift) & 31) as usize] as char);
    }
    text
}

/// The canonical form of a fingerprint as a person typed it.
pub fn normalise_fingerprint(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .map(|c| match c {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

/// Whether `typed` is the fingerprint of `roots`.
pub fn fingerprint_matches(typed: &str, roots: &[VerifyingKey]) -> bool {
    normalise_fingerprint(typed) == normalise_fingerprint(&root_fingerprint(roots))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    fn key(seed: u8) -> VerifyingKey {
        SigningKey::from_bytes(&[seed; 32]).verifying_key()
    }

    #[test]
    fn a_fingerprint_is_four_groups_and_reads_forgivingly() {
        let fingerprint = root_fingerprint(&[key(1)]);
        assert_eq!(fingerprint.len(), 19);
        assert_eq!(fingerprint.matches('-').count(), 3);
        assert!(fingerprint_matches(&fingerprint.to_lowercase(), &[key(1)]));
        assert!(fingerprint_matches(
            &fingerprint
                .replace('-', " ")
                .replace('0', "o")
                .replace('1', "l"),
            &[key(1)]
        ));
        assert!(!fingerprint_matches(&fingerprint, &[key(2)]));
        assert!(!fingerprint_matches("", &[key(1)]));
    }

    #[test]
    fn the_order_of_the_keys_does_not_matter_but_each_key_does() {
        let both = root_fingerprint(&[key(1), key(2)]);
        assert_eq!(both, root_fingerprint(&[key(2), key(1)]));
        assert_ne!(both, root_fingerprint(&[key(1)]));
        assert_ne!(both, root_fingerprint(&[key(1), key(3)]));
    }
}
