//! Key identifiers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// A key id: the first 8 bytes of SHA-256 of a 32-byte Ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kid(pub [u8; 8]);

impl Kid {
    /// The kid of a public key.
    pub fn of_public_key(public_key: &[u8; 32]) -> Kid {
        let digest = Sha256::digest(public_key);
        let mut kid = [0; 8];
        kid.copy_from_slice(&digest[..8]);
        Kid(kid)
    }

    /// Lower-case hex, 16 characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Kid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Kid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kid({self})")
    }
}

/// Why a text is not a kid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a kid is 16 hex digits, got {0:?}")]
pub struct KidParseError(String);

impl FromStr for Kid {
    type Err = KidParseError;

    fn from_str(text: &str) -> Result<Kid, KidParseError> {
        let mut kid = [0; 8];
        hex::decode_to_slice(text, &mut kid).map_err(|_| KidParseError(text.to_owned()))?;
        Ok(Kid(kid))
    }
}

impl Serialize for Kid {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Kid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Kid, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kid_is_the_sha256_prefix_and_round_trips_as_hex() {
        // SHA-256 of 32 zero bytes starts with 66687aadf862bd77.
        let kid = Kid::of_public_key(&[0; 32]);
        assert_eq!(kid.to_hex(), "66687aadf862bd77");
        assert_eq!("66687aadf862bd77".parse::<Kid>().unwrap(), kid);
        assert!("66687aadf862bd7".parse::<Kid>().is_err());
        assert!("66687aadf862bd77ff".parse::<Kid>().is_err());
    }
}
