//! `guichet-platform doctor`: what an operator checks on a server before and after starting
//! the service, one line each, with what to do when something is wrong. It changes nothing
//! (it opens the database without migrating).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use guichet_core::TrustBundle;
use jiff::Timestamp;

use crate::admin::{self, Paths};
use crate::db::Schema;
use crate::error::Error;

/// How a check ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Nothing to do.
    Ok,
    /// Works, but should change.
    Warning,
    /// The platform cannot serve as it is.
    Problem,
}

impl Level {
    /// The word printed for it.
    pub fn word(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warning => "warning",
            Level::Problem => "problem",
        }
    }
}

/// One check's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// What was checked (`database`, `root public key`, …).
    pub name: &'static str,
    /// How it ended.
    pub level: Level,
    /// What was found, and what to do if it is not ok.
    pub message: String,
}

fn check(name: &'static str, level: Level, message: impl Into<String>) -> Check {
    Check {
        name,
        level,
        message: message.into(),
    }
}

/// A bundle that expires sooner than this needs a trip to the signer (kiosks stay fresh
/// through the freshness statements until then, not after).
const BUNDLE_WARN_BEFORE_EXPIRY: jiff::SignedDuration = jiff::SignedDuration::from_hours(7 * 24);

/// Runs every check for the platform at `paths`; `tls` is serve's certificate and key, if
/// configured.
pub async fn run(paths: &Paths, tls: Option<(&Path, &Path)>, now: Timestamp) -> Vec<Check> {
    let mut checks = vec![data_dir(&paths.data_dir), root_public_key(paths)];
    checks.push(signer_dir(paths));
    checks.push(sync_key(&paths.sync_key()));
    checks.extend(database(paths, now).await);
    if let Some((cert, key)) = tls {
        checks.push(match crate::server::tls::server_config(cert, key) {
            Ok(_) => check(
                "tls",
                Level::Ok,
                format!("{} and its key load", cert.display()),
            ),
            Err(e) => check("tls", Level::Problem, e.to_string()),
        });
    }
    checks
}

fn mode(path: &Path) -> Option<u32> {
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o777)
}

fn data_dir(dir: &Path) -> Check {
    match mode(dir) {
        None => check(
            "data directory",
            Level::Problem,
            format!("{} is missing: run `guichet-platform init`", dir.display()),
        ),
        Some(mode) if mode & 0o022 != 0 => check(
            "data directory",
            Level::Problem,
            format!(
                "{} may be written by other accounts (mode {mode:o}): chmod 700",
                dir.display()
            ),
        ),
        Some(mode) => check(
            "data directory",
            Level::Ok,
            format!("{} (mode {mode:o})", dir.display()),
        ),
    }
}

fn root_public_key(paths: &Paths) -> Check {
    let path = paths.root_public_key();
    match admin::root_public_key(paths) {
        Err(e) => check("root public key", Level::Problem, e.to_string()),
        Ok(root) => {
            let fingerprint = guichet_protocol::fingerprint::root_fingerprint(&[root]);
            if admin::writable_by_this_account(&path) {
                check(
                    "root public key",
                    Level::Warning,
                    format!(
                        "{} (fingerprint {fingerprint}) can be written by this account, and it \
                         decides which bundles the platform pays from: keep it owned by root \
                         (/etc/guichet-platform/root-public-key.txt) and run the service as its \
                         own user",
                        path.display()
                    ),
                )
            } else {
                check(
                    "root public key",
                    Level::Ok,
                    format!("{} (fingerprint {fingerprint})", path.display()),
                )
            }
        }
    }
}

fn signer_dir(paths: &Paths) -> Check {
    if paths.root_key().exists() {
        check(
            "signer directory",
            Level::Warning,
            format!(
                "{} holds the root key on this machine: keep it on the offline signer \
                 (guichet-signer), off the server and its backups",
                paths.signer_dir.display()
            ),
        )
    } else {
        check("signer directory", Level::Ok, "no private root key here")
    }
}

fn sync_key(path: &Path) -> Check {
    match mode(path) {
        None => check(
            "sync key",
            Level::Problem,
            format!(
                "{} is missing: every kiosk trusts the platform's answers by it; restore it \
                 from the backup, or `sync-key rotate` then publish a bundle",
                path.display()
            ),
        ),
        Some(mode) if mode & 0o077 != 0 => check(
            "sync key",
            Level::Problem,
            format!(
                "{} may be read by others (mode {mode:o}): chmod 600",
                path.display()
            ),
        ),
        Some(_) => check("sync key", Level::Ok, format!("{}", path.display())),
    }
}

async fn database(paths: &Paths, now: Timestamp) -> Vec<Check> {
    let store = match paths.open_database(Schema::Current).await {
        Ok((store, _)) => store,
        Err(e) => return vec![check("database", Level::Problem, e.to_string())],
    };
    let health = store.health(now).await;
    // When the latest bundle expires: read from the bundle the root signed (checked against
    // the root's public key file), not from the database's columns.
    let latest = store.latest_bundle().await;
    store.close().await;
    let health = match health {
        Ok(health) => health,
        Err(e) => return vec![check("database", Level::Problem, e.to_string())],
    };
    let (found, known) = health.migrations;
    let mut checks = vec![check(
        "database",
        Level::Ok,
        format!("{} answers, schema {found} of {known}", store.backend()),
    )];
    let expires = match (latest, crate::admin::root_public_key(paths)) {
        (Ok(Some((_, file))), Ok(root)) => TrustBundle::open(file.as_bytes(), &[root])
            .map(|bundle| bundle.document().expires_at)
            .map_err(|e| e.to_string()),
        (Ok(None), _) => Err("no bundle".into()),
        (Err(e), _) => Err(e.to_string()),
        (_, Err(e)) => Err(e.to_string()),
    };
    checks.push(match (health.bundle, expires) {
        (None, _) => check(
            "bundle",
            Level::Problem,
            "no bundle published: kiosks cannot enroll; `bundle draft`, sign it with \
             guichet-signer, `bundle import`",
        ),
        (Some((sequence, _)), Err(why)) => check(
            "bundle",
            Level::Problem,
            format!("bundle {sequence} cannot be checked against the root: {why}"),
        ),
        (Some((sequence, _)), Ok(expires)) if expires <= now => check(
            "bundle",
            Level::Problem,
            format!(
                "bundle {sequence} expired at {expires}: kiosks refuse nothing more but show it \
                 expired; draft a bundle, sign it with guichet-signer, import it"
            ),
        ),
        (Some((sequence, _)), Ok(expires))
            if expires.duration_since(now) < BUNDLE_WARN_BEFORE_EXPIRY =>
        {
            check(
                "bundle",
                Level::Warning,
                format!(
                    "bundle {sequence} expires at {expires}: freshness statements keep kiosks \
                     current only until then; sign and import a new bundle"
                ),
            )
        }
        (Some((sequence, age)), Ok(expires)) => check(
            "bundle",
            Level::Ok,
            format!(
                "bundle {sequence}, published {} h ago, expires at {expires}",
                age / 3600
            ),
        ),
    });
    checks
}

/// The report's text, one line a check, then the summary; and whether any check is a problem.
pub fn report(checks: &[Check]) -> (String, bool) {
    let mut text = String::new();
    for c in checks {
        text.push_str(&format!(
            "{:<8} {}: {}\n",
            c.level.word(),
            c.name,
            c.message
        ));
    }
    let count = |level| checks.iter().filter(|c| c.level == level).count();
    let problems = count(Level::Problem);
    text.push_str(&format!(
        "{problems} problem(s), {} warning(s)\n",
        count(Level::Warning)
    ));
    (text, problems > 0)
}

/// [`run`] as the CLI does it: prints the report; an error when a check is a problem.
pub async fn print(paths: &Paths, tls: Option<(&Path, &Path)>) -> Result<(), Error> {
    let (text, failed) = report(&run(paths, tls, Timestamp::now()).await);
    print!("{text}");
    if failed {
        Err(Error::Invalid(
            "the platform cannot serve as it is: see the problems above".into(),
        ))
    } else {
        Ok(())
    }
}
