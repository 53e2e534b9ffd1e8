//! Key files (the root, the issuer keys, the platform's sync key: JSON, mode 0600) and fresh
//! Ed25519 keys.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use ed25519_dalek::SigningKey;
use guichet_core::Kid;
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// `bytes` filled from the operating system's random source.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut bytes = [0; N];
    getrandom::fill(&mut bytes).map_err(|e| Error::Io(format!("no random source: {e}")))?;
    Ok(bytes)
}

/// A new Ed25519 key from the operating system's random source.
pub fn generate_key() -> Result<SigningKey, Error> {
    Ok(SigningKey::from_bytes(&random_bytes::<32>()?))
}

/// The root key file (JSON, mode 0600).
#[derive(Serialize, Deserialize)]
struct RootKeyFile {
    kid: String,
    public_key_hex: String,
    seed_hex: String,
}

/// Writes a new root key file, mode 0600; refuses to overwrite one.
pub fn write_root_key(path: &Path, key: &SigningKey) -> Result<(), Error> {
    let public = key.verifying_key();
    let file = RootKeyFile {
        kid: Kid::of_public_key(public.as_bytes()).to_hex(),
        public_key_hex: hex::encode(public.as_bytes()),
        seed_hex: hex::encode(key.to_bytes()),
    };
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::Io(format!("cannot create {}: {e}", path.display())))?;
    let mut text = serde_json::to_string_pretty(&file).map_err(|e| Error::Io(e.to_string()))?;
    text.push('\n');
    out.write_all(text.as_bytes())
        .and_then(|()| out.sync_all())
        .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))
}

/// Reads the root key file; refuses one that others may read.
pub fn read_root_key(path: &Path) -> Result<SigningKey, Error> {
    let metadata = std::fs::metadata(path).map_err(|e| {
        Error::Io(format!(
            "cannot read the key {} ({e}): give the signer directory (`guichet-signer --dir`, \
             `guichet-platform --signer-dir`); a new root is made once, by `guichet-signer \
             init` (or `guichet-platform init` on one machine), never again on a platform \
             that kiosks trust",
            path.display()
        ))
    })?;
    if metadata.permissions().mode() & 0o077 != 0 {
        return Err(Error::Io(format!(
            "{} may be read by other users; chmod 600 it",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Io(format!("cannot read {}: {e}", path.display())))?;
    let file: RootKeyFile = serde_json::from_str(&text)
        .map_err(|e| Error::Io(format!("{} is not a root key file: {e}", path.display())))?;
    let mut seed = [0; 32];
    hex::decode_to_slice(&file.seed_hex, &mut seed)
        .map_err(|_| Error::Io(format!("{}: seed_hex is not 64 hex digits", path.display())))?;
    Ok(SigningKey::from_bytes(&seed))
}
