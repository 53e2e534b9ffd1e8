//! Administration: enrollment, signed update files from a USB stick, issuer keys, settings.
//! (Who may open it: `access.rs`.)

use std::path::{Path, PathBuf};

use guichet_core::bundle::document::KeyStatus;
use guichet_core::{BundleError, TrustBundle};
use guichet_scan::wedge::{WedgeConfig, WedgeDecoder};
use guichet_sync::TrustError;
use serde::Serialize;

use crate::kiosk::Kiosk;
use crate::pin::Role;
use crate::prefs::{Settings, MAX_LOCK_AFTER_MINUTES};
use crate::text::{Problem, Text};

/// The largest update file read (a bundle with long revocation lists stays far below).
const MAX_UPDATE_BYTES: u64 = 16 * 1024 * 1024;

/// Where removable media are mounted on Debian desktops.
const MEDIA_ROOTS: [&str; 3] = ["/media", "/run/media", "/mnt"];

/// The facts of a bundle an admin compares before and after an import.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BundleFacts {
    /// Sequence.
    pub sequence: u64,
    /// Issued at (RFC 3339).
    pub issued_at: String,
    /// Expires at (RFC 3339).
    pub expires_at: String,
    /// The referential's version.
    pub referential_version: String,
    /// Issuer keys listed.
    pub keys: usize,
    /// Of which compromised.
    pub revoked_keys: usize,
    /// Serials revoked one by one or in ranges (ranges counted by their size).
    pub revoked_serials: u64,
}

impl BundleFacts {
    fn of(bundle: &TrustBundle) -> BundleFacts {
        let d = bundle.document();
        BundleFacts {
            sequence: d.sequence,
            issued_at: d.issued_at.to_string(),
            expires_at: d.expires_at.to_string(),
            referential_version: d.referential.version.clone(),
            keys: d.issuer_keys.len(),
            revoked_keys: d
                .issuer_keys
                .iter()
                .filter(|k| k.status == KeyStatus::Compromised)
                .count(),
            revoked_serials: d
                .revocations
                .iter()
                .map(|r| {
                    r.serials.len() as u64
                        + r.ranges
                            .iter()
                            .map(|range| range.last.saturating_sub(range.first) + 1)
                            .sum::<u64>()
                })
                .sum(),
        }
    }
}

/// What an import did, with a before/after summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UpdateSummary {
    /// Whether the file is now in force.
    pub accepted: bool,
    /// `ACCEPTED` or the refusal (`NOT_NEWER`, `BAD_SIGNATURE`, `WRONG_SIGNER`, `MALFORMED`,
    /// `UNREADABLE`).
    pub code: String,
    /// In words.
    pub message: Text,
    /// The bundle in force before.
    pub before: Option<BundleFacts>,
    /// The bundle in force after (accepted only).
    pub after: Option<BundleFacts>,
    /// Keys listed now and not before.
    pub keys_added: Vec<String>,
    /// Keys compromised now and not before.
    pub keys_revoked: Vec<String>,
    /// Keys retired now and not before.
    pub keys_retired: Vec<String>,
    /// Revoked serials now minus before.
    pub revocations_added: i64,
}

/// An issuer key as the admin screen lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IssuerKeyView {
    /// Kid, hex.
    pub kid: String,
    /// Provider name.
    pub provider: String,
    /// `active`, `retired` or `revoked`.
    pub status: &'static str,
}

fn status_word(status: KeyStatus) -> &'static str {
    match status {
        KeyStatus::Active => "active",
        KeyStatus::Retired => "retired",
        KeyStatus::Compromised => "revoked",
    }
}

fn keys_with(bundle: Option<&TrustBundle>, status: Option<KeyStatus>) -> Vec<String> {
    bundle
        .map(|b| {
            b.document()
                .issuer_keys
                .iter()
                .filter(|k| status.is_none_or(|s| k.status == s))
                .map(|k| k.kid.to_hex())
                .collect()
        })
        .unwrap_or_default()
}

fn newly(before: &[String], after: Vec<String>) -> Vec<String> {
    after.into_iter().filter(|k| !before.contains(k)).collect()
}

fn refusal_text(error: &BundleError) -> Text {
    match error {
        BundleError::NotNewer { current, offered } => Text::new(
            format!("Fichier refusé : sa version (n° {offered}) n'est pas plus récente que celle en place (n° {current})."),
            format!("File refused: its version (no. {offered}) is not newer than the one in force (no. {current})."),
        ),
        BundleError::BadSignature | BundleError::WrongSigner { .. } => Text::new(
            "Fichier refusé : sa signature n'est pas celle de la plateforme. Il a pu être modifié ; ne l'utilisez pas.",
            "File refused: it is not signed by the platform. It may have been altered; do not use it.",
        ),
        // A freshness statement is never imported from a stick (only bundles are); the
        // refusal still says why.
        BundleError::Malformed(_)
        | BundleError::OtherBundle { .. }
        | BundleError::OldStatement { .. } => Text::new(
            format!("Fichier refusé : ce n'est pas une mise à jour Guichet valable ({error})."),
            format!("File refused: not a valid Guichet update ({error})."),
        ),
    }
}

/// Where update files are looked for by default: removable media (`/media`, `/run/media`,
/// `/mnt`); the configuration's `update_dirs` come after them (`Kiosk::impose`).
pub fn default_update_roots() -> Vec<PathBuf> {
    MEDIA_ROOTS.iter().map(PathBuf::from).collect()
}

/// Where an export is copied: the first directory named in `update_dirs` (a root that
/// is not one of the usual media folders), else the first mounted file system (another device
/// than its parent folder's) one or two levels under `/media`, `/run/media` or `/mnt`.
pub(crate) fn first_stick(roots: &[PathBuf]) -> Option<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let dev = |path: &std::path::Path| std::fs::metadata(path).ok().map(|m| m.dev());
    let subdirs = |dir: &std::path::Path| -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        found.sort();
        found
    };
    for root in roots {
        if !MEDIA_ROOTS.iter().any(|m| root == std::path::Path::new(m)) {
            if root.is_dir() {
                return Some(root.clone());
            }
            continue;
        }
        for level1 in subdirs(root) {
            if dev(&level1) != dev(root) {
                return Some(level1);
            }
            if let Some(level2) = subdirs(&level1)
                .into_iter()
                .find(|level2| dev(level2) != dev(&level1))
            {
                return Some(level2);
            }
        }
    }
    None
}

/// The roots that exist, canonical (symbolic links resolved).
fn canonical_roots(roots: &[PathBuf]) -> Vec<PathBuf> {
    roots
        .iter()
        .filter_map(|root| std::fs::canonicalize(root).ok())
        .collect()
}

/// Signed update files under `roots`: regular JSON files (not links, devices or pipes) whose
/// first bytes name the trust-bundle format, three levels deep at most; canonical paths
/// under a canonical root.
fn find_updates(roots: &[PathBuf]) -> Vec<PathBuf> {
    let roots = canonical_roots(roots);
    let mut found = Vec::new();
    for root in &roots {
        collect_updates(root, 3, &mut found);
    }
    let mut found: Vec<PathBuf> = found
        .into_iter()
        .filter_map(|path| std::fs::canonicalize(path).ok())
        .filter(|path| roots.iter().any(|root| path.starts_with(root)))
        .collect();
    found.sort();
    found.dedup();
    found
}

fn collect_updates(dir: &Path, depth: u32, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // `file_type` does not follow links: a link, a device or a pipe is never listed.
        match entry.file_type() {
            Ok(kind) if kind.is_dir() && depth > 0 => collect_updates(&path, depth - 1, found),
            Ok(kind)
                if kind.is_file()
                    && path.extension().is_some_and(|e| e == "json")
                    && looks_like_update(&path) =>
            {
                found.push(path);
            }
            _ => {}
        }
    }
}

fn looks_like_update(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 256];
    let read = open_regular(path).and_then(|mut f| f.read(&mut head));
    read.is_ok_and(|n| String::from_utf8_lossy(&head[..n]).contains("guichet-trust-bundle-v1"))
}

/// Linux's `O_NONBLOCK` and `O_NOFOLLOW` (x86-64 and AArch64): a pipe swapped in after the
/// listing does not block the open, and a link in the last component is not followed.
#[cfg(target_os = "linux")]
const OPEN_FLAGS: i32 = 0o4000 | 0o400000;
#[cfg(not(target_os = "linux"))]
const OPEN_FLAGS: i32 = 0;

/// Opens `path` for reading only if it is a regular file (checked on the open file).
fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(OPEN_FLAGS)
        .open(path)?;
    if file.metadata()?.is_file() {
        Ok(file)
    } else {
        Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ))
    }
}

impl Kiosk {
    /// Reads the identity and bundle written by a successful enrollment.
    pub fn enrolled_now(&mut self) -> Result<(), Problem> {
        self.load_enrollment()
    }

    /// Takes back what a failed enrollment attempt left in the kiosk: the admin PIN it set
    /// (a PIN the kiosk had before stays) and the admin's session. Returns what was done, in
    /// words, for the message that says what was and was not kept.
    pub fn enrollment_failed(&mut self) -> Text {
        if self.enrolled.is_some() {
            return Text::new("", "");
        }
        self.session = None;
        if !std::mem::take(&mut self.pin_set_by_enrollment) {
            return Text::new(
                "le code PIN administrateur d'avant est gardé",
                "the admin PIN set before is kept",
            );
        }
        match self.ledger.remove_pin(Role::Admin) {
            Ok(()) => Text::new(
                "le code PIN administrateur choisi n'est pas gardé",
                "the admin PIN chosen was not kept",
            ),
            Err(e) => Text::new(
                format!("le code PIN administrateur choisi n'a pas pu être effacé : {e}"),
                format!("the admin PIN chosen could not be removed: {e}"),
            ),
        }
    }

    /// Lists the signed update files on removable media (the update roots) and remembers the
    /// listing: [`import_update`](Self::import_update) takes only one of its entries.
    pub fn update_files(&mut self) -> Vec<PathBuf> {
        self.update_listing = find_updates(&self.update_roots);
        self.update_listing.clone()
    }

    /// Where update files are looked for (default: [`default_update_roots`]). The listing is
    /// forgotten.
    pub fn set_update_roots(&mut self, roots: Vec<PathBuf>) {
        self.update_roots = roots;
        self.update_listing.clear();
    }

    /// Imports a signed update file (from a USB stick): accepted only if signed by a pinned
    /// root and newer than the bundle in force.
    ///
    /// `path` must be an entry of the last [`update_files`](Self::update_files) listing; it is
    /// canonicalised and must still be under an update root, a regular file, and at most
    /// 16 MiB, read with that bound: a path typed by hand, a link, `/dev/zero` or a pipe is
    /// refused without being read.
    pub fn import_update(&mut self, path: &Path) -> Result<UpdateSummary, Problem> {
        self.require(Role::Admin)?;
        let path = self.listed_update(path)?;
        let path = path.as_path();
        self.refresh_bundle();
        let Some(enrolled) = self.enrolled.as_mut() else {
            return Err(Problem::new(
                "NOT_ENROLLED",
                "Inscrivez d'abord le kiosque : ses clés racines viennent de l'inscription.",
                "Enroll the kiosk first: its root keys come from enrollment.",
            ));
        };
        let before = enrolled.trust.bundle().cloned();
        let bytes = read_update(path)?;
        let before_facts = before.as_ref().map(BundleFacts::of);
        match enrolled.trust.accept(&bytes, &enrolled.roots) {
            Ok(_) => {
                // A link of a root rotation: its roots are pinned for the next update.
                if let Ok(Some(roots)) = enrolled.trust.follow_roots() {
                    enrolled.roots = roots;
                }
                let after = enrolled.trust.bundle();
                let revoked = |b: Option<&TrustBundle>| {
                    b.map_or(0, |b| BundleFacts::of(b).revoked_serials as i64)
                };
                let summary = UpdateSummary {
                    accepted: true,
                    code: "ACCEPTED".into(),
                    message: Text::new("Mise à jour installée.", "Update installed."),
                    before: before_facts,
                    after: after.map(BundleFacts::of),
                    keys_added: newly(&keys_with(before.as_ref(), None), keys_with(after, None)),
                    keys_revoked: newly(
                        &keys_with(before.as_ref(), Some(KeyStatus::Compromised)),
                        keys_with(after, Some(KeyStatus::Compromised)),
                    ),
                    keys_retired: newly(
                        &keys_with(before.as_ref(), Some(KeyStatus::Retired)),
                        keys_with(after, Some(KeyStatus::Retired)),
                    ),
                    revocations_added: revoked(after) - revoked(before.as_ref()),
                };
                Ok(summary)
            }
            Err(TrustError::Refused(error)) => Ok(UpdateSummary {
                accepted: false,
                code: error.code().to_string(),
                message: refusal_text(&error),
                before: before_facts,
                after: None,
                keys_added: Vec::new(),
                keys_revoked: Vec::new(),
                keys_retired: Vec::new(),
                revocations_added: 0,
            }),
            Err(error) => Err(Problem::local(
                "BUNDLE_FILE",
                "La liste en place n'a pas pu être remplacée",
                "The list in force could not be replaced",
                error,
            )),
        }
    }

    /// The issuer keys of the bundle in force.
    pub fn issuer_keys(&self) -> Vec<IssuerKeyView> {
        let Some(bundle) = self.bundle() else {
            return Vec::new();
        };
        bundle
            .document()
            .issuer_keys
            .iter()
            .map(|k| IssuerKeyView {
                kid: k.kid.to_hex(),
                provider: bundle
                    .provider_name(k.provider)
                    .map_or_else(|| format!("#{}", k.provider), str::to_string),
                status: status_word(k.status),
            })
            .collect()
    }

    /// Saves new settings (admin).
    pub fn save_settings(&mut self, settings: Settings) -> Result<(), Problem> {
        self.require(Role::Admin)?;
        if !(1..=MAX_LOCK_AFTER_MINUTES).contains(&settings.lock_after_minutes) {
            return Err(Problem::new(
                "BAD_SETTING",
                format!("Verrouillage après inactivité : de 1 à {MAX_LOCK_AFTER_MINUTES} minutes."),
                format!("Lock after inactivity: 1 to {MAX_LOCK_AFTER_MINUTES} minutes."),
            ));
        }
        self.wedge = WedgeDecoder::new(WedgeConfig {
            layouts: settings.scanner_layout.layouts(),
            ..WedgeConfig::default()
        });
        self.prefs.settings = settings;
        self.prefs.save(&self.data_dir)
    }
}

impl Kiosk {
    /// `path`, canonical, if it is an entry of the last listing and still under an update
    /// root.
    fn listed_update(&self, path: &Path) -> Result<PathBuf, Problem> {
        let not_listed = || {
            Problem::new(
                "NOT_LISTED",
                format!("Ce fichier n'est pas dans la liste des mises à jour trouvées sur la clé ({}) : branchez la clé, actualisez la liste et choisissez-y le fichier.", path.display()),
                format!("This file is not in the list of updates found on the stick ({}): plug the stick in, refresh the list and choose the file from it.", path.display()),
            )
        };
        let canonical = std::fs::canonicalize(path).map_err(|_| not_listed())?;
        let on_media = canonical_roots(&self.update_roots)
            .iter()
            .any(|root| canonical.starts_with(root));
        if !on_media || !self.update_listing.contains(&canonical) {
            return Err(not_listed());
        }
        Ok(canonical)
    }
}

/// Reads an update file: a regular file, at most [`MAX_UPDATE_BYTES`], never more read.
fn read_update(path: &Path) -> Result<Vec<u8>, Problem> {
    use std::io::Read;
    let unreadable = |detail: String| {
        Problem::new(
            "UNREADABLE",
            format!("Fichier illisible ({}) : {detail}", path.display()),
            format!("Unreadable file ({}): {detail}", path.display()),
        )
    };
    let file = open_regular(path).map_err(|e| unreadable(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(MAX_UPDATE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(e.to_string()))?;
    if bytes.len() as u64 > MAX_UPDATE_BYTES {
        return Err(unreadable(format!("more than {MAX_UPDATE_BYTES} bytes")));
    }
    Ok(bytes)
}
