//! The console's secrets: password hashes (argon2id), TOTP codes (RFC 6238: SHA-1, 30 s, six
//! digits, one step either side), one-time recovery codes and session tokens (random, stored
//! only as SHA-256 hashes).

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Argon2, PasswordHash};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use totp_rs::{Builder, Secret, Totp};

/// Fewer characters than this in a password are refused.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// How many recovery codes an account gets.
pub const RECOVERY_CODES: usize = 10;
/// The TOTP time step, in seconds.
pub const TOTP_STEP_SECS: u64 = 30;

/// The alphabet of recovery codes: no 0/O, 1/I/L.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// Why a secret could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The operating system gave no randomness.
    #[error("no random source: {0}")]
    Random(String),
    /// A password too short.
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters")]
    WeakPassword,
    /// Hashing failed.
    #[error("password hashing: {0}")]
    Hash(String),
    /// A stored TOTP secret that does not read.
    #[error("TOTP secret: {0}")]
    Totp(String),
}

/// `N` random bytes from the operating system.
fn random<const N: usize>() -> Result<[u8; N], SecretError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| SecretError::Random(e.to_string()))?;
    Ok(bytes)
}

/// The argon2id hash (PHC string, the crate's default cost: 19 MiB, 2 passes) of a password.
pub fn hash_password(password: &str) -> Result<String, SecretError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(SecretError::WeakPassword);
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| SecretError::Hash(e.to_string()))
}

/// Whether `password` matches the stored `hash` (false for a hash that does not parse).
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to check a password against when the account does not exist, so that the answer
/// takes as long as for a real account (no account names learnt from the timing). Made once,
/// from a random password nobody knows.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let password = new_token().unwrap_or_else(|_| "decoy password never typed".into());
        hash_password(&password).unwrap_or_default()
    })
}

/// A new TOTP secret (160 bits, as RFC 4226 recommends), base32.
pub fn new_totp_secret() -> Result<String, SecretError> {
    Ok(Secret::from(random::<20>()?).to_base32())
}

fn totp(secret: &str) -> Result<Totp, SecretError> {
    let secret = Secret::try_from_base32(secret).map_err(|e| SecretError::Totp(e.to_string()))?;
    Builder::new()
        .with_secret(secret)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(TOTP_STEP_SECS)
        .build()
        .map_err(|e| SecretError::Totp(e.to_string()))
}

/// The time step whose code `code` is, at `now` (unix seconds), one step either side; None if
/// it is none of them. The caller makes sure a step is accepted once only.
pub fn totp_step(secret: &str, code: &str, now: u64) -> Result<Option<u64>, SecretError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    Ok(totp(secret)?.check(&code, now))
}

/// The code of `secret` at `at` (unix seconds): what an authenticator app shows.
pub fn totp_code(secret: &str, at: u64) -> Result<String, SecretError> {
    Ok(totp(secret)?.generate(at).to_string())
}

/// The `otpauth://` URI an authenticator app reads (as a QR code or typed).
pub fn totp_uri(secret: &str, account: &str) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/Guichet:{}?secret={secret}&issuer=Guichet&algorithm=SHA1&digits=6&period={TOTP_STEP_SECS}",
        encode(account)
    )
}

/// Ten new recovery codes, `XXXX-XXXX-XXXX-XXXX` (about 79 bits each).
pub fn new_recovery_codes() -> Result<Vec<String>, SecretError> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let bytes = random::<16>()?;
            let mut code = String::new();
            for (i, byte) in bytes.iter().enumerate() {
                if i > 0 && i % 4 == 0 {
                    code.push('-');
                }
                // 256 = 8 × 31 + 8: a negligible bias toward the first 8 characters.
                code.push(CODE_ALPHABET[usize::from(*byte) % CODE_ALPHABET.len()] as char);
            }
            Ok(code)
        })
        .collect()
}

/// The stored form of a recovery code as typed (upper case, without spaces and dashes).
pub fn recovery_hash(code: &str) -> String {
    let canonical: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// A new random token (256 bits, hex): a session's cookie or its form token.
pub fn new_token() -> Result<String, SecretError> {
    Ok(hex::encode(random::<32>()?))
}

/// The stored form of a session token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether two tokens are equal, in constant time.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_hash_only() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, "correct horse battery"));
        assert!(!verify_password(&hash, "correct horse batterz"));
        assert!(!verify_password(decoy_hash(), "correct horse battery"));
        assert!(!verify_password("not a hash", "x"));
        assert!(matches!(
            hash_password("short"),
            Err(SecretError::WeakPassword)
        ));
    }

    #[test]
    fn totp_matches_the_rfc_6238_sha1_vector() {
        // RFC 6238, appendix B: the ASCII secret "12345678901234567890", T = 59 s, 8 digits
        // 94287082; six digits are its last six.
        let secret = Secret::from(*b"12345678901234567890").to_base32();
        assert_eq!(totp_code(&secret, 59).unwrap(), "287082");
        assert_eq!(totp_step(&secret, "287082", 59).unwrap(), Some(1));
        // One step either side, no more.
        assert_eq!(totp_step(&secret, "287082", 59 + 30).unwrap(), Some(1));
        assert_eq!(totp_step(&secret, "287082", 59 + 60).unwrap(), None);
        assert_eq!(totp_step(&secret, "28708", 59).unwrap(), None);
        assert_eq!(totp_step(&secret, "+87082", 59).unwrap(), None);
    }

    #[test]
    fn recovery_codes_are_distinct_and_hash_as_typed() {
        let codes = new_recovery_codes().unwrap();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
        let typed = codes[0].to_lowercase().replace('-', " ");
        assert_eq!(recovery_hash(&typed), recovery_hash(&codes[0]));
    }

    #[test]
    fn the_uri_names_the_account_and_the_parameters() {
        let uri = totp_uri("ABC", "camille@centre");
        assert_eq!(
            uri,
            "otpauth://totp/Guichet:camille%40centre?secret=ABC&issuer=Guichet&algorithm=SHA1&digits=6&period=30"
        );
    }
}
