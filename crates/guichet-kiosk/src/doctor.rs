//! `guichet doctor`: what a remote helper asks first, checked in one go and said in one line
//! per check (French and English), with a summary. The administration screen shows the same
//! report. Nothing is changed: the ledger is opened read-only, the platform is asked for the
//! bundle the kiosk holds (a read on its side too), the bundle file is only verified.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use guichet_core::TrustBundle;
use guichet_ledger::{ClockStatus, Ledger, LedgerSettings};
use guichet_scan::source::camera::list_cameras;
use guichet_sync::{Identity, IdentityError};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::kiosk::{Kiosk, LEDGER_FILE};
use crate::ledger_check::{check_ledger, LedgerCheck};
use crate::pin::Role;
use crate::prefs::{CameraKind, CameraSetting};
use crate::status::{freshness, BundleState};
use crate::text::{Problem, Text};
use guichet_core::message::Lang;

/// Below this much free space on the data directory's disk: a problem.
const DISK_PROBLEM_BYTES: u64 = 100 * 1024 * 1024;
/// Below this much: a warning.
const DISK_WARNING_BYTES: u64 = 1024 * 1024 * 1024;
/// A clock further than this from the platform's: a warning.
const SKEW_WARNING: SignedDuration = SignedDuration::from_mins(5);

/// How a check went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Not checked, because an earlier check failed (the kiosk is not enrolled).
    Skipped,
    /// Fine.
    Ok,
    /// Works, but a person should look.
    Warning,
    /// Does not work, or is not safe.
    Problem,
}

/// One check's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable id: `data_dir`, `disk`, `enrollment`, `bundle`, `ledger`, `pending`,
    /// `platform`, `sync`, `clock`, `camera`, `scanners`.
    pub id: &'static str,
    /// What is checked, in words (`Registre`, `Ledger`).
    pub label: Text,
    /// How it went.
    pub level: Level,
    /// What was found, in words.
    pub message: Text,
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// One per check, in a fixed order.
    pub checks: Vec<Check>,
    /// How many problems.
    pub problems: usize,
    /// How many warnings.
    pub warnings: usize,
    /// The summary line.
    pub summary: Text,
}

/// Where devices are looked for (the real `/dev` in the app; a folder in tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceDirs {
    /// Keyboard devices: `*-event-kbd` links (a USB scanner in keyboard mode is one).
    pub input_by_id: PathBuf,
    /// Serial ports: `ttyACM*`, `ttyUSB*`.
    pub dev: PathBuf,
}

impl Default for DeviceDirs {
    fn default() -> Self {
        DeviceDirs {
            input_by_id: PathBuf::from("/dev/input/by-id"),
            dev: PathBuf::from("/dev"),
        }
    }
}

/// What the doctor looks at.
#[derive(Clone, Debug)]
pub struct Setup {
    /// The kiosk's data directory.
    pub data_dir: PathBuf,
    /// The camera the settings name.
    pub camera: CameraSetting,
    /// Where scanners are looked for.
    pub devices: DeviceDirs,
    /// The clock's reading.
    pub now: Timestamp,
}

impl Kiosk {
    /// What the doctor looks at for this kiosk, for the administration screen: admin only
    /// (the report names the files, the device and the platform).
    pub fn doctor_setup(
        &mut self,
        camera: CameraSetting,
        now: Timestamp,
    ) -> Result<Setup, Problem> {
        self.require(Role::Admin)?;
        Ok(Setup {
            data_dir: self.data_dir.clone(),
            camera,
            devices: DeviceDirs::default(),
            now,
        })
    }
}

fn check(id: &'static str, level: Level, fr: impl Into<String>, en: impl Into<String>) -> Check {
    Check {
        id,
        label: label_of(id),
        level,
        message: Text::new(fr, en),
    }
}

/// Runs every check.
pub async fn examine(setup: &Setup) -> Report {
    let dir = &setup.data_dir;
    let mut checks = vec![data_dir_check(dir), disk_check(dir)];
    let identity = Identity::load(dir);
    checks.push(match &identity {
        Ok(identity) => {
            let e = &identity.enrollment;
            check(
                "enrollment",
                Level::Ok,
                format!(
                    "appareil {} du centre {} ({}), plateforme {}",
                    e.device_id, e.center.id, e.center.name, e.platform_url
                ),
                format!(
                    "device {} of center {} ({}), platform {}",
                    e.device_id, e.center.id, e.center.name, e.platform_url
                ),
            )
        }
        Err(IdentityError::NotEnrolled(_)) => check(
            "enrollment",
            Level::Problem,
            "kiosque non inscrit : guichet enroll --platform URL --code CODE --fingerprint EMPREINTE",
            "kiosk not enrolled: guichet enroll --platform URL --code CODE --fingerprint FINGERPRINT",
        ),
        Err(e) => check(
            "enrollment",
            Level::Problem,
            format!("identité illisible : {e}"),
            format!("identity unreadable: {e}"),
        ),
    });
    let identity = identity.ok();
    let (bundle, bundle_check) = bundle_check(dir, identity.as_ref(), setup.now);
    checks.push(bundle_check);
    let ledger_path = dir.join(LEDGER_FILE);
    checks.push(ledger_check(&ledger_path));
    let ledger = Ledger::open_read_only(&ledger_path, LedgerSettings::default()).ok();
    checks.push(pending_check(ledger.as_ref()));
    let (platform, server_time) = platform_check(identity.as_ref(), bundle.as_ref()).await;
    checks.push(platform);
    checks.push(sync_check(dir, identity.as_ref(), setup.now));
    checks.push(clock_check(ledger.as_ref(), server_time, setup.now));
    checks.push(camera_check(&setup.camera));
    checks.push(scanners_check(&setup.devices));
    Report::of(checks)
}

impl Report {
    /// A report of these checks, with its counts and summary.
    pub fn of(checks: Vec<Check>) -> Report {
        let count = |level| checks.iter().filter(|c| c.level == level).count();
        let (problems, warnings) = (count(Level::Problem), count(Level::Warning));
        let summary = if problems + warnings == 0 {
            Text::new("Bilan : tout va bien.", "Summary: all is well.")
        } else {
            let s = |n: usize| if n > 1 { "s" } else { "" };
            Text::new(
                format!(
                    "Bilan : {problems} problème{}, {warnings} avertissement{}.",
                    s(problems),
                    s(warnings)
                ),
                format!(
                    "Summary: {problems} problem{}, {warnings} warning{}.",
                    s(problems),
                    s(warnings)
                ),
            )
        };
        Report {
            checks,
            problems,
            warnings,
            summary,
        }
    }

    /// The exit status of `guichet doctor`: 0 without a problem (warnings allowed), 1 with.
    pub fn exit_status(&self) -> u8 {
        u8::from(self.problems > 0)
    }

    /// One line per check, then the summary, in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        let mut out = String::new();
        let pick = |text: &Text| match lang {
            Lang::Fr => text.fr.clone(),
            Lang::En => text.en.clone(),
        };
        for c in &self.checks {
            let (mark, name, message) = (mark(c.level, lang), pick(&c.label), pick(&c.message));
            out.push_str(&format!("{mark:<12} {name:<22} {message}\n"));
        }
        out.push_str(&pick(&self.summary));
        out.push('\n');
        out
    }
}

fn mark(level: Level, lang: Lang) -> &'static str {
    match (level, lang) {
        (Level::Ok, _) => "[OK]",
        (Level::Warning, Lang::Fr) => "[ATTENTION]",
        (Level::Warning, Lang::En) => "[WARNING]",
        (Level::Problem, Lang::Fr) => "[PROBLÈME]",
        (Level::Problem, Lang::En) => "[PROBLEM]",
        (Level::Skipped, _) => "[--]",
    }
}

fn label_of(id: &str) -> Text {
    let (fr, en) = match id {
        "data_dir" => ("Dossier de données", "Data directory"),
        "disk" => ("Disque", "Disk"),
        "enrollment" => ("Inscription", "Enrollment"),
        "bundle" => ("Paquet de confiance", "Trust bundle"),
        "ledger" => ("Registre", "Ledger"),
        "pending" => ("À envoyer", "Pending"),
        "platform" => ("Plateforme", "Platform"),
        "sync" => ("Synchronisation", "Sync"),
        "clock" => ("Horloge", "Clock"),
        "camera" => ("Caméra", "Camera"),
        "scanners" => ("Scanners", "Scanners"),
        other => (other, other),
    };
    Text::new(fr, en)
}

/// The data directory: the owner's only (0700), its files too (0600).
fn data_dir_check(dir: &Path) -> Check {
    let meta = match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => meta,
        Ok(_) => {
            return check(
                "data_dir",
                Level::Problem,
                format!("{} n'est pas un dossier", dir.display()),
                format!("{} is not a directory", dir.display()),
            )
        }
        Err(e) => {
            return check(
                "data_dir",
                Level::Problem,
                format!("{} inaccessible : {e}", dir.display()),
                format!("{} unusable: {e}", dir.display()),
            )
        }
    };
    let mut exposed = Vec::new();
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        exposed.push(format!("{} ({mode:o})", dir.display()));
    }
    let mut files: Vec<PathBuf> = [
        LEDGER_FILE,
        "ledger.sqlite3-wal",
        "ledger.sqlite3-shm",
        "device-key",
        "kiosk.json",
    ]
    .iter()
    .map(|name| dir.join(name))
    .collect();
    if let Ok(exports) = std::fs::read_dir(dir.join("exports")) {
        files.extend(exports.flatten().map(|e| e.path()));
    }
    for file in files {
        if let Ok(meta) = std::fs::symlink_metadata(&file) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                let name = file
                    .strip_prefix(dir)
                    .unwrap_or(&file)
                    .display()
                    .to_string();
                exposed.push(format!("{name} ({mode:o})"));
            }
        }
    }
    let uid = rustix::process::geteuid().as_raw();
    if meta.uid() != uid {
        return check(
            "data_dir",
            Level::Problem,
            format!(
                "{} appartient à l'utilisateur {} et non à celui du kiosque ({uid})",
                dir.display(),
                meta.uid()
            ),
            format!(
                "{} belongs to user {}, not to the kiosk's ({uid})",
                dir.display(),
                meta.uid()
            ),
        );
    }
    if exposed.is_empty() {
        check(
            "data_dir",
            Level::Ok,
            format!("{} : réservé au kiosque (700, fichiers 600)", dir.display()),
            format!("{}: the kiosk's only (700, files 600)", dir.display()),
        )
    } else {
        let list = exposed.join(", ");
        check(
            "data_dir",
            Level::Problem,
            format!(
                "lisible par d'autres utilisateurs : {list} (attendu : dossier 700, fichiers 600)"
            ),
            format!("readable by other users: {list} (expected: directory 700, files 600)"),
        )
    }
}

/// Free space on the data directory's disk (or on its nearest existing parent's).
fn disk_check(dir: &Path) -> Check {
    let existing = dir
        .ancestors()
        .find(|d| d.exists())
        .unwrap_or(Path::new("/"));
    match rustix::fs::statvfs(existing) {
        Ok(stat) => {
            let free = stat.f_bavail.saturating_mul(stat.f_frsize);
            let mib = free / (1024 * 1024);
            let level = if free < DISK_PROBLEM_BYTES {
                Level::Problem
            } else if free < DISK_WARNING_BYTES {
                Level::Warning
            } else {
                Level::Ok
            };
            check(
                "disk",
                level,
                format!("{mib} Mio libres"),
                format!("{mib} MiB free"),
            )
        }
        Err(e) => check(
            "disk",
            Level::Problem,
            format!("espace libre inconnu : {e}"),
            format!("free space unknown: {e}"),
        ),
    }
}

/// `bundle.json`: present, signed by a pinned root, current.
fn bundle_check(
    dir: &Path,
    identity: Option<&Identity>,
    now: Timestamp,
) -> (Option<TrustBundle>, Check) {
    let skipped = |fr: &str, en: &str| (None, check("bundle", Level::Skipped, fr, en));
    let Some(identity) = identity else {
        return skipped(
            "non vérifié (kiosque non inscrit)",
            "not checked (kiosk not enrolled)",
        );
    };
    let Ok(roots) = identity.root_keys() else {
        return skipped(
            "non vérifié (clés racines illisibles)",
            "not checked (root keys unreadable)",
        );
    };
    let bytes = match std::fs::read(dir.join("bundle.json")) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return (
                None,
                check(
                    "bundle",
                    Level::Problem,
                    "aucun paquet de confiance (bundle.json absent) : tout coupon est refusé ; synchronisez ou importez une mise à jour",
                    "no trust bundle (bundle.json missing): every coupon is refused; sync or import an update",
                ),
            )
        }
        Err(e) => {
            return (
                None,
                check(
                    "bundle",
                    Level::Problem,
                    format!("bundle.json illisible : {e}"),
                    format!("bundle.json unreadable: {e}"),
                ),
            )
        }
    };
    let bundle = match TrustBundle::open(&bytes, &roots) {
        Ok(bundle) => bundle,
        Err(e) => {
            return (
                None,
                check(
                    "bundle",
                    Level::Problem,
                    format!("bundle.json refusé ({}) : {e}", e.code()),
                    format!("bundle.json refused ({}): {e}", e.code()),
                ),
            )
        }
    };
    // The statements `freshness.json` keeps count too: staleness is from the latest.
    let bundle = guichet_sync::trust::with_kept_statements(dir, bundle);
    let (state, days) = freshness(&bundle, now);
    let sequence = bundle.sequence();
    let result = match state {
        BundleState::Expired => check(
            "bundle",
            Level::Problem,
            format!("paquet n° {sequence} expiré (à jour il y a {days} jours) : synchronisez"),
            format!("bundle {sequence} expired (current {days} days ago): sync"),
        ),
        BundleState::Stale => check(
            "bundle",
            Level::Warning,
            format!("paquet n° {sequence} ancien (à jour il y a {days} jours) : synchronisez"),
            format!("bundle {sequence} stale (current {days} days ago): sync"),
        ),
        BundleState::Fresh | BundleState::None => check(
            "bundle",
            Level::Ok,
            format!("paquet n° {sequence}, à jour il y a {days} jours"),
            format!("bundle {sequence}, current {days} days ago"),
        ),
    };
    (Some(bundle), result)
}

/// `guichet ledger verify`'s check.
fn ledger_check(path: &Path) -> Check {
    if !path.exists() {
        return check(
            "ledger",
            Level::Warning,
            "pas encore de registre (aucun coupon accepté sur ce kiosque)",
            "no ledger yet (no coupon accepted on this kiosk)",
        );
    }
    let broken = |fr: String, en: String| check("ledger", Level::Problem, fr, en);
    match check_ledger(path) {
        Ok(LedgerCheck::Intact { entries, .. }) => check(
            "ledger",
            Level::Ok,
            format!("{entries} écritures, chaîne intacte"),
            format!("{entries} entries, hash chain intact"),
        ),
        Ok(LedgerCheck::ChainBroken {
            good_entries,
            problem,
        }) => broken(
            format!("ENDOMMAGÉ après {good_entries} écritures : {problem}"),
            format!("BROKEN after {good_entries} good entries: {problem}"),
        ),
        Ok(LedgerCheck::TablesDisagree { mismatches, .. }) => {
            let first = mismatches
                .first()
                .map(ToString::to_string)
                .unwrap_or_default();
            broken(
                format!(
                    "ENDOMMAGÉ : {} désaccords avec la chaîne ({first})",
                    mismatches.len()
                ),
                format!(
                    "BROKEN: {} disagreements with the chain ({first})",
                    mismatches.len()
                ),
            )
        }
        Ok(LedgerCheck::Damaged(e)) => broken(format!("ENDOMMAGÉ : {e}"), format!("BROKEN: {e}")),
        Err(e) => broken(format!("illisible : {e}"), format!("unreadable: {e}")),
    }
}

/// Entries still to send, and those a person must look at.
fn pending_check(ledger: Option<&Ledger>) -> Check {
    let Some(counts) = ledger.and_then(|l| l.sync_counts().ok()) else {
        return check(
            "pending",
            Level::Skipped,
            "inconnu (registre illisible ou absent)",
            "unknown (ledger unreadable or missing)",
        );
    };
    let (to_send, attention) = (counts.to_deliver(), counts.needing_attention());
    if attention > 0 {
        check(
            "pending",
            Level::Warning,
            format!("{to_send} à envoyer ; {attention} à examiner (conflit, refus ou décision attendue : revue du jour)"),
            format!("{to_send} to send; {attention} to look at (conflict, rejected or held: day review)"),
        )
    } else {
        check(
            "pending",
            Level::Ok,
            format!("{to_send} à envoyer"),
            format!("{to_send} to send"),
        )
    }
}

/// The platform: reachable over its TLS, answering with a signature the kiosk believes.
async fn platform_check(
    identity: Option<&Identity>,
    bundle: Option<&TrustBundle>,
) -> (Check, Option<Timestamp>) {
    let Some(identity) = identity else {
        return (
            check(
                "platform",
                Level::Skipped,
                "non vérifiée (kiosque non inscrit)",
                "not checked (kiosk not enrolled)",
            ),
            None,
        );
    };
    let url = &identity.enrollment.platform_url;
    match guichet_sync::probe(identity, bundle).await {
        Err(e) => (
            check(
                "platform",
                Level::Problem,
                format!("{url} injoignable : {e}"),
                format!("{url} unreachable: {e}"),
            ),
            None,
        ),
        Ok(probe) if probe.server_time.is_none() => (
            check(
                "platform",
                Level::Warning,
                format!("{url} répond, mais sa réponse n'est pas signée par une clé du paquet en vigueur : rien ne sera accepté d'elle"),
                format!("{url} answers, but not signed by a key of the bundle in force: nothing from it is believed"),
            ),
            None,
        ),
        Ok(probe) => {
            let (fr, en) = if probe.newer_bundle {
                (", un paquet plus récent attend la prochaine synchronisation", ", a newer bundle awaits the next sync")
            } else {
                ("", "")
            };
            (
                check(
                    "platform",
                    Level::Ok,
                    format!("{url} joignable, réponse signée{fr}"),
                    format!("{url} reachable, signed answer{en}"),
                ),
                probe.server_time,
            )
        }
    }
}

/// Failed cycles in a row from which a sync that may recover by itself (network, answers not
/// believed) counts as a problem rather than a warning.
const FAILURES_FOR_A_PROBLEM: u32 = 3;
/// Or failing for this long.
const FAILING_FOR_A_PROBLEM: SignedDuration = SignedDuration::from_mins(30);

/// The sync's recent outcomes, as the runner (or `guichet sync`) recorded them: a sync that
/// keeps failing is a problem, with what to do.
fn sync_check(dir: &Path, identity: Option<&Identity>, now: Timestamp) -> Check {
    use guichet_sync::outcome::{self, OutcomeKind};
    if identity.is_none() {
        return check(
            "sync",
            Level::Skipped,
            "non vérifiée (kiosque non inscrit)",
            "not checked (kiosk not enrolled)",
        );
    }
    let Some(last) = outcome::load(dir) else {
        return check(
            "sync",
            Level::Ok,
            "aucune synchronisation enregistrée encore",
            "no sync recorded yet",
        );
    };
    if last.kind.is_ok() {
        return check(
            "sync",
            Level::Ok,
            format!("dernière synchronisation réussie le {}", last.at),
            format!("last sync succeeded at {}", last.at),
        );
    }
    let (fr_do, en_do) = match last.kind {
        OutcomeKind::Disabled => (
            "un administrateur a désactivé cet appareil sur la plateforme : demandez-lui de le réactiver, ou inscrivez le kiosque à nouveau",
            "an admin disabled this device on the platform: ask them to enable it again, or enroll the kiosk again",
        ),
        OutcomeKind::Refused => (
            "la plateforme refuse : transmettez ce message à son administrateur (guichet doctor --bundle-logs)",
            "the platform refuses: send this message to its admin (guichet doctor --bundle-logs)",
        ),
        OutcomeKind::NotBelieved => (
            "ses réponses ne sont pas signées par une clé du paquet en vigueur (quelqu'un entre les deux, ou clé de synchronisation changée sans paquet publié) : demandez à l'administrateur de publier un paquet",
            "its answers are not signed by a key of the bundle in force (someone in between, or a sync key rotated without a bundle published): ask the admin to publish a bundle",
        ),
        OutcomeKind::NoSyncKey => (
            "le paquet en vigueur ne nomme aucune clé de synchronisation : rien n'est envoyé ; demandez à l'administrateur de publier un paquet",
            "the bundle in force names no sync key: nothing is sent; ask the admin to publish a bundle",
        ),
        OutcomeKind::Unreachable => (
            "vérifiez le réseau et l'adresse de la plateforme",
            "check the network and the platform's address",
        ),
        OutcomeKind::Local | OutcomeKind::Ok => (
            "les données du kiosque arrêtent la synchronisation : lancez guichet ledger verify et transmettez le résultat",
            "the kiosk's own data stops the sync: run guichet ledger verify and send the result",
        ),
    };
    let failing_for = last
        .failing_since
        .map_or(SignedDuration::ZERO, |since| now.duration_since(since));
    let level = if !last.kind.may_recover()
        || last.failures_in_a_row >= FAILURES_FOR_A_PROBLEM
        || failing_for >= FAILING_FOR_A_PROBLEM
    {
        Level::Problem
    } else {
        Level::Warning
    };
    let error = last.error.as_deref().unwrap_or_default();
    let success_fr = last
        .last_success
        .map_or("jamais".to_owned(), |t| t.to_string());
    let success_en = last
        .last_success
        .map_or("never".to_owned(), |t| t.to_string());
    check(
        "sync",
        level,
        format!(
            "{} échec(s) de suite, dernier le {} ({error}), dernière réussite : {success_fr} ; {fr_do}",
            last.failures_in_a_row, last.at
        ),
        format!(
            "{} failure(s) in a row, last at {} ({error}), last success: {success_en}; {en_do}",
            last.failures_in_a_row, last.at
        ),
    )
}

/// The clock against the ledger's trusted time and the platform's.
fn clock_check(ledger: Option<&Ledger>, server_time: Option<Timestamp>, now: Timestamp) -> Check {
    if let Some(Ok(ClockStatus::Behind { latest_trusted })) = ledger.map(|l| l.clock_status(now)) {
        let minutes = latest_trusted.duration_since(now).as_mins();
        return check(
            "clock",
            Level::Problem,
            format!("l'horloge retarde d'au moins {minutes} min sur l'heure de confiance ({latest_trusted}) : réglez-la"),
            format!("the clock is at least {minutes} min behind the trusted time ({latest_trusted}): set it"),
        );
    }
    match server_time {
        Some(server) => {
            let skew = now.duration_since(server);
            let seconds = skew.as_secs();
            if skew.abs() > SKEW_WARNING {
                check(
                    "clock",
                    Level::Warning,
                    format!("l'horloge diffère de {seconds} s de celle de la plateforme"),
                    format!("the clock is {seconds} s off the platform's"),
                )
            } else {
                check(
                    "clock",
                    Level::Ok,
                    format!("à l'heure ({seconds} s d'écart avec la plateforme)"),
                    format!("on time ({seconds} s off the platform's)"),
                )
            }
        }
        None => check(
            "clock",
            Level::Ok,
            "pas en retard sur l'heure de confiance du registre (plateforme non consultée)",
            "not behind the ledger's trusted time (platform not asked)",
        ),
    }
}

/// The camera the settings name.
fn camera_check(setting: &CameraSetting) -> Check {
    match setting.kind {
        CameraKind::None => check(
            "camera",
            Level::Ok,
            "désactivée dans les réglages (scanner seul)",
            "turned off in the settings (scanner only)",
        ),
        CameraKind::Replay => {
            let folder = Path::new(&setting.folder);
            if folder.is_dir() {
                check(
                    "camera",
                    Level::Ok,
                    format!("images rejouées depuis {}", folder.display()),
                    format!("images replayed from {}", folder.display()),
                )
            } else {
                check(
                    "camera",
                    Level::Problem,
                    format!("dossier d'images introuvable : {}", folder.display()),
                    format!("image folder not found: {}", folder.display()),
                )
            }
        }
        CameraKind::Device => {
            let cameras = list_cameras().unwrap_or_default();
            let names = cameras
                .iter()
                .map(|c| format!("{}: {}", c.index, c.name))
                .collect::<Vec<_>>()
                .join(", ");
            if cameras.is_empty() {
                check(
                    "camera",
                    Level::Warning,
                    "aucune caméra détectée : seul le scanner lit les coupons",
                    "no camera found: only the scanner reads coupons",
                )
            } else if cameras.iter().any(|c| c.index == setting.index) {
                check(
                    "camera",
                    Level::Ok,
                    format!("caméra {} utilisée ; détectées : {names}", setting.index),
                    format!("camera {} in use; found: {names}", setting.index),
                )
            } else {
                check(
                    "camera",
                    Level::Problem,
                    format!(
                        "la caméra {} des réglages est absente ; détectées : {names}",
                        setting.index
                    ),
                    format!(
                        "camera {} of the settings is missing; found: {names}",
                        setting.index
                    ),
                )
            }
        }
    }
}

/// Keyboard devices (a USB scanner in keyboard mode is one) and serial ports.
fn scanners_check(dirs: &DeviceDirs) -> Check {
    let names_in = |dir: &Path, keep: &dyn Fn(&str) -> bool| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| keep(n))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    let keyboards = names_in(&dirs.input_by_id, &|n| n.ends_with("-event-kbd"));
    let serial = names_in(&dirs.dev, &|n| {
        n.starts_with("ttyACM") || n.starts_with("ttyUSB")
    });
    if keyboards.is_empty() && serial.is_empty() {
        return check(
            "scanners",
            Level::Warning,
            "aucun clavier USB ni port série détecté : branchez le scanner",
            "no USB keyboard device or serial port found: plug the scanner in",
        );
    }
    let list = keyboards
        .iter()
        .chain(serial.iter())
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    check(
        "scanners",
        Level::Ok,
        format!(
            "claviers {}, ports série {} : {list}",
            keyboards.len(),
            serial.len()
        ),
        format!(
            "keyboards {}, serial ports {}: {list}",
            keyboards.len(),
            serial.len()
        ),
    )
}
