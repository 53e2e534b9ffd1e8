//! The kiosk's identity: its Ed25519 device key and what enrollment returned.
//!
//! Files in the data directory: `device-key` (the 32-byte secret as hex, mode 0600; it never
//! leaves the kiosk) and `device.json` (platform URL, device id, center, pinned root keys).

use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey};
use guichet_core::TrustBundle;
use guichet_protocol::fingerprint::{fingerprint_matches, root_fingerprint};
use guichet_protocol::limits::{self, LimitError};
use guichet_protocol::seal::{seal, EnrollPayload};
use guichet_protocol::signing::{nonce_hex, parse_public_key, public_key_hex};
use guichet_protocol::CenterInfo;
use serde::{Deserialize, Serialize};

use crate::client::{ClientError, PlatformClient};
use crate::files::write_atomically;
use crate::trust::{TrustError, TrustStore};

const KEY_FILE: &str = "device-key";
const DEVICE_FILE: &str = "device.json";

/// What a kiosk knows about itself once enrolled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrollment {
    /// The platform's base URL, such as `http://127.0.0.1:8080`.
    pub platform_url: String,
    /// This kiosk's device id.
    pub device_id: String,
    /// Its center.
    pub center: CenterInfo,
    /// The platform root keys that sign trust bundles, 64 hex digits each.
    pub pinned_root_keys: Vec<String>,
    /// The CA certificate (PEM) the platform's TLS certificate must chain to, for a
    /// self-hosted platform; `None`: the system's roots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_ca_pem: Option<String>,
}

/// An enrolled kiosk: its key and its enrollment.
pub struct Identity {
    /// What enrollment returned.
    pub enrollment: Enrollment,
    key: SigningKey,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("enrollment", &self.enrollment)
            .finish_non_exhaustive()
    }
}

/// Why the identity cannot be read or made.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The kiosk has not been enrolled.
    #[error(
        "this kiosk is not enrolled yet (no {0}); run `guichet enroll --platform URL --code CODE --fingerprint FINGERPRINT`"
    )]
    NotEnrolled(PathBuf),
    /// It already is.
    #[error("this kiosk is already enrolled as device {0}")]
    AlreadyEnrolled(String),
    /// A file is unreadable or damaged.
    #[error("{path}: {detail}")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The platform refused or could not be reached.
    #[error(transparent)]
    Platform(#[from] ClientError),
    /// The label is blank or longer than the platform takes
    /// (`guichet_protocol::limits::MAX_LABEL_CHARS`): nothing was sent.
    #[error("the kiosk's label cannot be sent: {0}")]
    Label(#[source] LimitError),
    /// The platform's roots could not be fetched to be checked: nothing was sent, nothing kept.
    #[error(
        "the platform's identity could not be checked before enrolling: {0}; nothing was sent \
         (the code stays unused) and nothing was kept"
    )]
    NotChecked(#[source] ClientError),
    /// The root keys the platform offers are not the ones the admin's fingerprint names: not
    /// the platform the admin meant (a fake one, a man in the middle, a wrong URL). Nothing
    /// was sent to it and nothing was kept.
    #[error(
        "the platform's root keys have the fingerprint {received}, not {expected} as given with \
         the code: refused (wrong platform, or someone in between); nothing was sent to it (the \
         code stays unused) and nothing was kept"
    )]
    RootMismatch {
        /// The fingerprint the admin gave.
        expected: String,
        /// The fingerprint of the keys the answer carried.
        received: String,
    },
    /// The bundle the platform offers does not verify with its roots.
    #[error(
        "the platform's trust bundle does not verify with its root keys ({0}); nothing was sent \
         and nothing was kept"
    )]
    OfferedBundle(#[source] guichet_core::BundleError),
    /// The platform answers with a sync key its bundle does not name (a rotation not yet
    /// published): the code cannot be sealed to it.
    #[error(
        "the platform's current sync key is not in its published trust bundle (sync key rotated, \
         no bundle published since): publish a bundle, then try again; nothing was sent and \
         nothing was kept"
    )]
    SyncKeyNotInBundle,
    /// The platform refused the enrollment in an answer signed by its sync key.
    #[error(
        "the platform refused the enrollment ({:?}: {}): it made no device, and this kiosk kept \
         nothing (no device key, no identity, no bundle)",
        .0.error, .0.message
    )]
    Refused(guichet_protocol::ErrorBody),
    /// The sealed enrollment was sent, but no believed answer came back: the platform may have
    /// enrolled the device. The device key is kept, so that trying again with the same code
    /// gets the same device.
    #[error(
        "the enrollment was sent but no answer signed by the platform came back ({0}): the \
         platform may have enrolled this kiosk, so its device key is kept and trying again with \
         the same code finishes the enrollment; nothing else was kept"
    )]
    Unfinished(#[source] ClientError),
    /// The bundle that came with enrollment cannot be kept.
    #[error("the platform's trust bundle was refused: {0}")]
    Bundle(#[from] TrustError),
}

impl Identity {
    /// Reads the identity from the data directory.
    pub fn load(data_dir: &Path) -> Result<Identity, IdentityError> {
        let device_path = data_dir.join(DEVICE_FILE);
        let key_path = data_dir.join(KEY_FILE);
        if !device_path.exists() {
            return Err(IdentityError::NotEnrolled(device_path));
        }
        let bad = |path: &Path, detail: String| IdentityError::BadFile {
            path: path.to_path_buf(),
            detail,
        };
        let text = std::fs::read(&device_path).map_err(|e| bad(&device_path, e.to_string()))?;
        let enrollment: Enrollment =
            serde_json::from_slice(&text).map_err(|e| bad(&device_path, e.to_string()))?;
        owner_only(&key_path).map_err(|e| bad(&key_path, e))?;
        let secret =
            std::fs::read_to_string(&key_path).map_err(|e| bad(&key_path, e.to_string()))?;
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(secret.trim(), &mut bytes)
            .map_err(|e| bad(&key_path, format!("not 64 hex digits: {e}")))?;
        Ok(Identity {
            enrollment,
            key: SigningKey::from_bytes(&bytes),
        })
    }

    /// The device key, to sign requests.
    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// The device key lent to the ledger, which signs each entry it records with it.
    pub fn entry_signer(&self) -> guichet_ledger::EntrySigner {
        use ed25519_dalek::Signer as _;
        let key = self.key.clone();
        std::sync::Arc::new(move |bytes: &[u8]| key.sign(bytes).to_bytes())
    }

    /// The device's public key.
    pub fn public_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The pinned root keys, parsed.
    pub fn root_keys(&self) -> Result<Vec<VerifyingKey>, IdentityError> {
        self.enrollment
            .pinned_root_keys
            .iter()
            .map(|hex| {
                parse_public_key(hex).map_err(|e| IdentityError::BadFile {
                    path: PathBuf::from(DEVICE_FILE),
                    detail: format!("pinned root key {hex}: {e}"),
                })
            })
            .collect()
    }

    /// The fingerprint of the pinned root keys, for a person to compare with the one the
    /// admin gave.
    pub fn root_fingerprint(&self) -> Result<String, IdentityError> {
        Ok(root_fingerprint(&self.root_keys()?))
    }

    /// A client for the platform, signing as this device.
    pub fn client(&self) -> Result<PlatformClient, ClientError> {
        PlatformClient::new(
            &self.enrollment.platform_url,
            self.enrollment.platform_ca_pem.as_deref(),
        )
    }
}

/// Checks that the device key is readable by its owner only, and makes it so if not.
///
/// Decision: a key found with a wider mode (copied from a backup with `cp`, unpacked from an
/// archive) is narrowed to 0600 with a warning in the log, not refused: refusing would stop
/// the counter for a slip of the installer, and would not undo a copy someone may have made
/// (the platform's admin disables a device whose key may have leaked). `guichet doctor` names
/// a wide mode it finds. A key whose mode cannot be narrowed (owned by another user) is
/// refused.
fn owner_only(key_path: &Path) -> Result<(), String> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let meta = std::fs::metadata(key_path).map_err(|e| e.to_string())?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        return Ok(());
    }
    let narrowed = mode & 0o700;
    std::fs::set_permissions(key_path, std::fs::Permissions::from_mode(narrowed)).map_err(|e| {
        format!(
            "mode {mode:o}: readable by others, and it cannot be narrowed (owner uid {}): {e}",
            meta.uid()
        )
    })?;
    tracing::warn!(
        path = %key_path.display(),
        "the device key had mode {mode:o} (others could read it): narrowed to {narrowed:o}"
    );
    Ok(())
}

/// The code and the fingerprint of an enrollment ticket `CODE/FINGERPRINT` (as the admin's
/// sheet prints it and its QR code holds), or `None` if `text` is not one.
pub fn split_ticket(text: &str) -> Option<(&str, &str)> {
    let (code, fingerprint) = text.trim().split_once('/')?;
    (!code.trim().is_empty() && !fingerprint.trim().is_empty())
        .then(|| (code.trim(), fingerprint.trim()))
}

/// Enrolls this kiosk (over `https://`, checked against `platform_ca_pem` if given, else the
/// system's roots; `http://` only on loopback), checking the platform before it sends anything
/// secret:
/// 1. gets the platform's root keys, bundle and current sync key (`GET /v1/enroll/bundle`),
///    and refuses unless the roots have the `fingerprint` the admin gave with the code (out of
///    band), the bundle verifies with them, and the sync key is one of the bundle's;
/// 2. makes its device key and writes it (or takes the one an interrupted attempt wrote);
/// 3. sends the code, the device's public key, the label and a nonce sealed to that sync key
///    (`guichet_protocol::seal`), and believes the answer (device id, center) only if that key
///    signed it for this device key and nonce;
/// 4. keeps the identity and the bundle.
///
/// A refusal keeps nothing; only an attempt whose answer did not come back keeps the device
/// key ([`IdentityError::Unfinished`]).
pub async fn enroll(
    data_dir: &Path,
    platform_url: &str,
    code: &str,
    fingerprint: &str,
    platform_ca_pem: Option<String>,
    label: Option<String>,
) -> Result<Identity, IdentityError> {
    if let Some(label) = &label {
        limits::check_text("label", label, limits::MAX_LABEL_CHARS)
            .map_err(IdentityError::Label)?;
    }
    if let Ok(identity) = Identity::load(data_dir) {
        return Err(IdentityError::AlreadyEnrolled(
            identity.enrollment.device_id,
        ));
    }
    let client = PlatformClient::new(platform_url, platform_ca_pem.as_deref())?;
    let checked = check_platform(&client, fingerprint).await?;
    // The key is on disk before the platform hears of it: if the kiosk dies once the
    // platform has recorded the device, the next attempt sends the same key with the same
    // code and the platform answers with the same device (`Store::enroll`).
    let key = enrollment_key(data_dir)?;
    let device_key = public_key_hex(&key.verifying_key());
    let nonce = nonce_hex(random().map_err(|e| key_error(data_dir, e))?);
    let payload = EnrollPayload {
        code: code.to_string(),
        device_public_key: device_key.clone(),
        label,
        nonce: nonce.clone(),
    };
    let ephemeral = random().map_err(|e| key_error(data_dir, e))?;
    let sealed = seal(&payload, &checked.sync_key, ephemeral);
    let answer = match client
        .enroll(&sealed, &device_key, &nonce, &checked.sync_key)
        .await
    {
        Ok(answer) => answer.value,
        Err(ClientError::Refused(body)) => {
            // Signed by the sync key: the platform made no device with this key.
            let _ = std::fs::remove_file(data_dir.join(KEY_FILE));
            return Err(IdentityError::Refused(body));
        }
        Err(error) => return Err(IdentityError::Unfinished(error)),
    };
    let identity = Identity {
        enrollment: Enrollment {
            platform_url: platform_url.trim_end_matches('/').to_string(),
            device_id: answer.device_id,
            center: answer.center,
            pinned_root_keys: checked.roots.iter().map(public_key_hex).collect(),
            platform_ca_pem,
        },
        key,
    };
    TrustStore::install_first(data_dir, checked.bundle.as_bytes(), &checked.roots)?;
    let write_error = |path: PathBuf| {
        move |e: std::io::Error| IdentityError::BadFile {
            path,
            detail: e.to_string(),
        }
    };
    crate::files::create_private_dir(data_dir).map_err(write_error(data_dir.to_path_buf()))?;
    let device_path = data_dir.join(DEVICE_FILE);
    let json = serde_json::to_vec_pretty(&identity.enrollment).unwrap_or_default();
    write_atomically(&device_path, &json, false).map_err(write_error(device_path.clone()))?;
    Ok(identity)
}

/// Pins `roots` in place of the kiosk's pinned root keys (`device.json`): what a bundle the
/// kiosk accepted from a root it pinned says (`schema/trust-bundle.md`, "Rotating the root").
/// Returns whether the pinned keys changed.
pub fn pin_roots(data_dir: &Path, roots: &[VerifyingKey]) -> Result<bool, IdentityError> {
    let path = data_dir.join(DEVICE_FILE);
    let bad = |detail: String| IdentityError::BadFile {
        path: path.clone(),
        detail,
    };
    let text = std::fs::read(&path).map_err(|e| bad(e.to_string()))?;
    let mut enrollment: Enrollment =
        serde_json::from_slice(&text).map_err(|e| bad(e.to_string()))?;
    let pinned: Vec<String> = roots.iter().map(public_key_hex).collect();
    if enrollment.pinned_root_keys == pinned {
        return Ok(false);
    }
    enrollment.pinned_root_keys = pinned;
    let json = serde_json::to_vec_pretty(&enrollment).unwrap_or_default();
    write_atomically(&path, &json, false).map_err(|e| bad(e.to_string()))?;
    tracing::info!(
        "root keys pinned from the trust bundle: {}",
        root_fingerprint(roots)
    );
    Ok(true)
}

/// What enrollment checked of the platform before sending anything secret.
struct CheckedPlatform {
    roots: Vec<VerifyingKey>,
    bundle: String,
    sync_key: VerifyingKey,
}

/// Gets the platform's roots, bundle and sync key and checks them: the roots against the
/// admin's fingerprint, the bundle against the roots, the sync key against the bundle.
async fn check_platform(
    client: &PlatformClient,
    fingerprint: &str,
) -> Result<CheckedPlatform, IdentityError> {
    let offered = client
        .enroll_bundle()
        .await
        .map_err(IdentityError::NotChecked)?;
    let bad = |what: &str, e: String| {
        IdentityError::NotChecked(ClientError::BadAnswer(format!("{what}: {e}")))
    };
    let roots = offered
        .root_keys
        .iter()
        .map(|hex| parse_public_key(hex).map_err(|e| bad("root key", e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    if roots.is_empty() || !fingerprint_matches(fingerprint, &roots) {
        return Err(IdentityError::RootMismatch {
            expected: fingerprint.trim().to_owned(),
            received: root_fingerprint(&roots),
        });
    }
    let bundle = TrustBundle::open(offered.bundle.as_bytes(), &roots)
        .map_err(IdentityError::OfferedBundle)?;
    let sync_key =
        parse_public_key(&offered.sync_key).map_err(|e| bad("sync key", e.to_string()))?;
    if !bundle.sync_keys().contains(&sync_key) {
        return Err(IdentityError::SyncKeyNotInBundle);
    }
    Ok(CheckedPlatform {
        roots,
        bundle: offered.bundle,
        sync_key,
    })
}

fn random<const N: usize>() -> Result<[u8; N], String> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| format!("no random source: {e}"))?;
    Ok(bytes)
}

fn key_error(data_dir: &Path, detail: String) -> IdentityError {
    IdentityError::BadFile {
        path: data_dir.join(KEY_FILE),
        detail,
    }
}

/// The device key of an enrollment in progress: the one an interrupted attempt left in
/// `device-key`, or a new one written there (mode 0600, fsynced) before it is used.
fn enrollment_key(data_dir: &Path) -> Result<SigningKey, IdentityError> {
    let key_path = data_dir.join(KEY_FILE);
    let bad = |detail: String| IdentityError::BadFile {
        path: key_path.clone(),
        detail,
    };
    match std::fs::read_to_string(&key_path) {
        Ok(text) => {
            let mut bytes = [0u8; 32];
            hex::decode_to_slice(text.trim(), &mut bytes)
                .map_err(|e| bad(format!("not 64 hex digits: {e}")))?;
            Ok(SigningKey::from_bytes(&bytes))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut secret = [0u8; 32];
            getrandom::fill(&mut secret).map_err(|e| bad(format!("no random source: {e}")))?;
            crate::files::create_private_dir(data_dir).map_err(|e| bad(e.to_string()))?;
            write_atomically(&key_path, hex::encode(secret).as_bytes(), true)
                .map_err(|e| bad(e.to_string()))?;
            Ok(SigningKey::from_bytes(&secret))
        }
        Err(e) => Err(bad(e.to_string())),
    }
}

#[cfg(test)]
mod ticket_tests {
    use super::split_ticket;

    #[test]
    fn a_ticket_is_code_slash_fingerprint() {
        assert_eq!(
            split_ticket(" K7QF-9XMP-2D/7D2K-QH0M-4XNB-91TR\n"),
            Some(("K7QF-9XMP-2D", "7D2K-QH0M-4XNB-91TR"))
        );
        assert_eq!(split_ticket("K7QF-9XMP-2D"), None);
        assert_eq!(split_ticket("/7D2K"), None);
        assert_eq!(split_ticket("K7QF/"), None);
    }
}

#[cfg(test)]
mod key_mode_tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_device_key_readable_by_others_is_narrowed_at_load() {
        let dir = tempfile::tempdir().unwrap();
        let enrollment = Enrollment {
            platform_url: "https://platform.example".into(),
            device_id: "dev-1".into(),
            center: CenterInfo {
                id: "C1".into(),
                name: "Médiathèque".into(),
                zone: 33,
            },
            pinned_root_keys: Vec::new(),
            platform_ca_pem: None,
        };
        std::fs::write(
            dir.path().join(DEVICE_FILE),
            serde_json::to_vec(&enrollment).unwrap(),
        )
        .unwrap();
        let key = dir.path().join(KEY_FILE);
        std::fs::write(&key, "11".repeat(32)).unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let identity = Identity::load(dir.path()).unwrap();
        assert_eq!(identity.enrollment.device_id, "dev-1");
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
