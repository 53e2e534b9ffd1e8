//! The PINs that open the day review (manager) and the administration (admin).
//!
//! A PIN is kept as SHA-256 over a random salt and the digits. Decision: no slow password
//! hash. A 4–8 digit PIN falls to brute force whatever the hash; it keeps a mediator at the
//! counter out of the manager's screens, not an attacker holding the disk (who could edit the
//! settings file anyway). The ledger's own protections (append-only, hash chain) do not rely
//! on it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::text::Problem;

/// A salted PIN digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinHash {
    /// 16 random bytes, hex.
    salt: String,
    /// SHA-256(salt || pin), hex.
    digest: String,
}

/// Who a PIN is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The center manager: day review, cancellations at any time.
    Manager,
    /// The admin: enrollment, updates, settings (and everything a manager may do).
    Admin,
}

impl Role {
    /// Whether this role may do what `needed` may.
    pub fn covers(self, needed: Role) -> bool {
        self == Role::Admin || self == needed
    }
}

/// Checks that `pin` is 4 to 8 ASCII digits.
pub fn check_pin_shape(pin: &str) -> Result<(), Problem> {
    if (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Problem::new(
            "BAD_PIN_SHAPE",
            "Le code doit comporter de 4 à 8 chiffres.",
            "The PIN must have 4 to 8 digits.",
        ))
    }
}

impl PinHash {
    /// Hashes a PIN with a fresh random salt.
    pub fn new(pin: &str) -> Result<PinHash, Problem> {
        check_pin_shape(pin)?;
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| {
            Problem::local("NO_RANDOMNESS", "Aléa indisponible", "No randomness", e)
        })?;
        Ok(PinHash::with_salt(pin, &salt))
    }

    fn with_salt(pin: &str, salt: &[u8]) -> PinHash {
        PinHash {
            salt: hex::encode(salt),
            digest: hex::encode(digest(salt, pin)),
        }
    }

    /// Whether `pin` is the one hashed (constant time on the digest).
    pub fn matches(&self, pin: &str) -> bool {
        let (Ok(salt), Ok(expected)) = (hex::decode(&self.salt), hex::decode(&self.digest)) else {
            return false;
        };
        let actual = digest(&salt, pin);
        expected.len() == actual.len()
            && expected
                .iter()
                .zip(actual.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

fn digest(salt: &[u8], pin: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(pin.as_bytes());
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_matches_only_itself_and_salts_differ() {
        let a = PinHash::new("1234").unwrap();
        let b = PinHash::new("1234").unwrap();
        assert!(a.matches("1234") && b.matches("1234"));
        assert!(!a.matches("1235") && !a.matches("") && !a.matches("12345"));
        assert_ne!(a, b, "a fresh salt each time");
    }

    #[test]
    fn pins_must_be_four_to_eight_digits() {
        for bad in ["", "123", "123456789", "12a4", "１２３４", "12 34"] {
            assert_eq!(
                PinHash::new(bad).unwrap_err().code,
                "BAD_PIN_SHAPE",
                "{bad:?}"
            );
        }
        for good in ["0000", "12345678"] {
            assert!(PinHash::new(good).is_ok());
        }
    }

    #[test]
    fn a_damaged_hash_matches_nothing() {
        let damaged = PinHash {
            salt: "zz".into(),
            digest: "00".into(),
        };
        assert!(!damaged.matches("1234"));
    }

    #[test]
    fn roles() {
        assert!(Role::Admin.covers(Role::Manager));
        assert!(Role::Manager.covers(Role::Manager));
        assert!(!Role::Manager.covers(Role::Admin));
    }
}
