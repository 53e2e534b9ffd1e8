//! What the `guichet-platform` subcommands do, apart from parsing their arguments.

use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey};
use guichet_console::model::AuditEntry;
use guichet_core::bundle::document::{AreaEntry, Level, LocalizedText, Referential, Service};
use guichet_core::Kid;
use guichet_protocol::signing::public_key_hex;
use jiff::{SignedDuration, Timestamp};

use guichet_signer::SignerDir;

use crate::acting::Acting;
use crate::db::pg_tls::Password;
use crate::db::{Migrated, Schema};
use crate::error::{io, Error};
use crate::keys;
use crate::server::Platform;
use crate::store::{StatementSigner, Store};

/// Where the platform keeps its files. Two places, apart: the **data directory** (the
/// database by default, the sync key, the root's public half), which the serving process reads
/// and a backup copies; and the **signer directory** (the root key and the issuer keys, mode
/// 0600), which only the admin commands that sign (`init`, `issuer-key add`, `mint`,
/// `publish`) read, and the server never opens. A copy of the data directory and the database
/// can sign neither a bundle nor a coupon (`tests/custody.rs`).
#[derive(Clone, Debug)]
pub struct Paths {
    /// The data directory (the SQLite database by default, the sync key, the root's public
    /// half).
    pub data_dir: PathBuf,
    /// The database: a SQLite path or a `postgres://` URL.
    pub database: String,
    /// The signer directory (private keys of the root and the issuer keys).
    pub signer_dir: PathBuf,
    /// Where the root's public half is read from, if not the data directory: a file the
    /// serving account cannot write (`/etc/guichet-platform/root-public-key.txt` in
    /// production), since whoever writes it decides which bundles the platform believes.
    pub root_public_key_file: Option<PathBuf>,
    /// The PostgreSQL password, read from a file (never on the command line).
    pub database_password: Option<Password>,
}

impl Paths {
    /// The paths for a data directory, with the database there unless `database` is given,
    /// and the signer directory beside it (`DATA-DIR-signer`).
    pub fn new(data_dir: &Path, database: Option<String>) -> Paths {
        let mut signer = data_dir.as_os_str().to_owned();
        signer.push("-signer");
        Paths {
            data_dir: data_dir.to_owned(),
            database: database
                .unwrap_or_else(|| data_dir.join("platform.db").display().to_string()),
            signer_dir: PathBuf::from(signer),
            root_public_key_file: None,
            database_password: None,
        }
    }

    /// The same paths with the database password.
    pub fn with_database_password(mut self, password: Password) -> Paths {
        self.database_password = Some(password);
        self
    }

    /// Opens the database, with its password, applying or refusing migrations as `schema`
    /// says.
    pub async fn open_database(&self, schema: Schema) -> Result<(Store, Migrated), Error> {
        Store::open_with(&self.database, self.database_password.as_ref(), schema).await
    }

    /// The same paths with the root's public half read from `file`.
    pub fn with_root_public_key_file(mut self, file: &Path) -> Paths {
        self.root_public_key_file = Some(file.to_owned());
        self
    }

    /// The same paths with the signer directory elsewhere.
    pub fn with_signer_dir(mut self, signer_dir: &Path) -> Paths {
        self.signer_dir = signer_dir.to_owned();
        self
    }

    /// The root key file (mode 0600), in the signer directory.
    pub fn root_key(&self) -> PathBuf {
        self.signer().root_key_file()
    }

    /// The signer directory, as the offline signer keeps it.
    pub fn signer(&self) -> SignerDir {
        SignerDir::new(&self.signer_dir)
    }

    /// Where the root key used to be (data directory), moved by [`open`].
    fn legacy_root_key(&self) -> PathBuf {
        self.data_dir.join("platform-root-key.json")
    }

    /// The root's public half (what the server gives kiosks to pin, and checks every bundle
    /// against before it believes an issuer key): the file given with
    /// `--root-public-key-file`, else `platform-root-public-key.txt` in the data directory.
    pub fn root_public_key(&self) -> PathBuf {
        self.root_public_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("platform-root-public-key.txt"))
    }

    /// An issuer key's file (mode 0600), in the signer directory.
    pub fn issuer_key(&self, kid: Kid) -> PathBuf {
        self.signer().issuer_key_file(kid)
    }

    /// The sync key file (mode 0600): the key the server signs its answers to kiosks with. It
    /// can sign nothing else a kiosk believes (no coupon, no bundle).
    pub fn sync_key(&self) -> PathBuf {
        self.data_dir.join("platform-sync-key.json")
    }
}

fn private_dir(dir: &Path) -> Result<(), Error> {
    use std::os::unix::fs::DirBuilderExt;
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io(format!("cannot create {}", dir.display())))?;
    }
    Ok(())
}

/// The server's sync key: read from its file, or made (file mode 0600) if the platform has
/// none yet; either way listed for the next bundles. Kiosks trust its answers once they hold a
/// bundle published after it was made.
pub async fn sync_key(paths: &Paths, store: &Store) -> Result<SigningKey, Error> {
    let key = sync_key_file(paths)?;
    store.add_sync_key(&key.verifying_key()).await?;
    Ok(key)
}

/// The sync key's file, made if missing.
fn sync_key_file(paths: &Paths) -> Result<SigningKey, Error> {
    if !paths.sync_key().exists() {
        keys::write_root_key(&paths.sync_key(), &keys::generate_key()?)?;
    }
    Ok(keys::read_root_key(&paths.sync_key())?)
}

/// Replaces the sync key with a new one (the old file is kept as `platform-sync-key.old.json`);
/// bundles list both until the next rotation. Publish a bundle next, then restart the server.
/// The audit entry (`sync_key.rotate`, with the new public half) is written with the key's
/// listing, when `by` is given.
pub async fn rotate_sync_key(
    paths: &Paths,
    store: &Store,
    by: Option<&Acting>,
    now: Timestamp,
) -> Result<SigningKey, Error> {
    let old = paths.data_dir.join("platform-sync-key.old.json");
    if paths.sync_key().exists() {
        std::fs::rename(paths.sync_key(), &old)
            .map_err(io(format!("cannot move {}", paths.sync_key().display())))?;
    }
    let key = sync_key_file(paths)?;
    let public = key.verifying_key();
    let audit = by.map(|by| {
        by.audit(
            "sync_key.rotate",
            "sync_key",
            Some(serde_json::json!({ "public_key": hex::encode(public.as_bytes()) })),
            now,
        )
    });
    store.add_sync_key_with(&public, audit.as_ref()).await?;
    Ok(key)
}

/// Creates the data and signer directories, the root key (if none: in the signer directory,
/// its public half in the data directory) and the database; returns the root key's kid and
/// whether it was created now.
pub async fn init(paths: &Paths) -> Result<(Kid, bool), Error> {
    private_dir(&paths.data_dir)?;
    move_legacy_root_key(paths)?;
    let created = !paths.root_key().exists();
    paths.signer().init()?;
    let root = paths.signer().root_key()?;
    write_root_public_key(paths, &root)?;
    let (store, _) = paths.open_database(Schema::Migrate).await?;
    sync_key(paths, &store).await?;
    store.close().await;
    Ok((Kid::of_public_key(root.verifying_key().as_bytes()), created))
}

fn write_root_public_key(paths: &Paths, root: &SigningKey) -> Result<(), Error> {
    write_public_key_file(paths, &root.verifying_key())
}

fn write_public_key_file(paths: &Paths, root: &ed25519_dalek::VerifyingKey) -> Result<(), Error> {
    let path = paths.root_public_key();
    std::fs::write(&path, format!("{}\n", public_key_hex(root)))
        .map_err(io(format!("cannot write {}", path.display())))
}

/// [`init`] for a root made by an offline signer: the data directory gets its public half
/// only; no signer directory is made.
pub async fn init_with_root_public_key(
    paths: &Paths,
    hex: &str,
) -> Result<ed25519_dalek::VerifyingKey, Error> {
    let root = guichet_protocol::signing::parse_public_key(hex.trim())
        .map_err(|e| Error::Invalid(format!("--root-public-key: {e}")))?;
    private_dir(&paths.data_dir)?;
    write_public_key_file(paths, &root)?;
    let (store, _) = paths.open_database(Schema::Migrate).await?;
    sync_key(paths, &store).await?;
    store.close().await;
    Ok(root)
}

/// A data directory of an older platform kept the root key itself: it moves to the signer
/// directory (and its public half stays).
fn move_legacy_root_key(paths: &Paths) -> Result<(), Error> {
    let legacy = paths.legacy_root_key();
    if legacy.exists() && !paths.root_key().exists() {
        paths.signer().create()?;
        let root = keys::read_root_key(&legacy)?;
        write_root_public_key(paths, &root)?;
        std::fs::rename(&legacy, paths.root_key())
            .map_err(io(format!("cannot move {}", legacy.display())))?;
        eprintln!(
            "guichet-platform: the root key moved from the data directory to {}",
            paths.root_key().display()
        );
    }
    Ok(())
}

/// The store and the root key of an initialised platform, for the admin commands that sign.
/// Moves the private keys an older platform kept in its data directory or database to the
/// signer directory.
pub async fn open(paths: &Paths) -> Result<(Store, SigningKey), Error> {
    move_legacy_root_key(paths)?;
    let root = keys::read_root_key(&paths.root_key())?;
    let (store, _) = paths.open_database(Schema::Current).await?;
    for (kid, secret) in store.take_legacy_issuer_secrets().await? {
        let path = paths.issuer_key(kid);
        if !path.exists() {
            keys::write_root_key(&path, &secret)?;
        }
        store.forget_issuer_secret(kid).await?;
        eprintln!(
            "guichet-platform: issuer key {kid} moved from the database to {}",
            path.display()
        );
    }
    Ok((store, root))
}

/// The store alone, for the admin commands that sign nothing.
pub async fn open_store(paths: &Paths) -> Result<Store, Error> {
    let (store, _) = paths.open_database(Schema::Current).await?;
    Ok(store)
}

/// The database password: from `file` if given, else from the systemd credential
/// `database-password` (`$CREDENTIALS_DIRECTORY`, `LoadCredential=` in the unit), else none.
/// A file every account may read or write is refused.
pub fn database_password(file: Option<&Path>) -> Result<Option<Password>, Error> {
    use std::os::unix::fs::PermissionsExt;
    let credential = std::env::var_os("CREDENTIALS_DIRECTORY")
        .map(|dir| PathBuf::from(dir).join("database-password"))
        .filter(|path| path.exists());
    let Some(path) = file.map(Path::to_owned).or(credential) else {
        return Ok(None);
    };
    let cannot = |e: std::io::Error| Error::Io(format!("cannot read {}: {e}", path.display()));
    let mode = std::fs::metadata(&path)
        .map_err(cannot)?
        .permissions()
        .mode();
    if mode & 0o006 != 0 {
        return Err(Error::Invalid(format!(
            "{} holds the database password and every account may read or write it (mode \
             {:o}): chmod 600 (or 640 for the service's group)",
            path.display(),
            mode & 0o777
        )));
    }
    let text = std::fs::read_to_string(&path).map_err(cannot)?;
    Ok(Some(Password::from_file_text(&text)))
}

/// The root's public key, from the data directory.
pub fn root_public_key(paths: &Paths) -> Result<ed25519_dalek::VerifyingKey, Error> {
    let path = paths.root_public_key();
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Error::Io(format!(
            "cannot read {} ({e}); run `guichet-platform init` first",
            path.display()
        ))
    })?;
    guichet_protocol::signing::parse_public_key(text.trim())
        .map_err(|e| Error::Io(format!("{}: {e}", path.display())))
}

/// Makes an issuer key for a provider: its private half in the signer directory, its public
/// half in the database.
pub async fn add_issuer_key(
    paths: &Paths,
    store: &Store,
    provider: u32,
    now: Timestamp,
    by: Option<&Acting>,
) -> Result<Kid, Error> {
    let (_, public) = paths.signer().new_issuer_key()?;
    let audit = by.map(|by| issuer_key_audit(by, "issuer_key.add", provider, &public, now));
    store
        .add_issuer_key_with(provider, &public, now, audit.as_ref())
        .await
}

/// The audit entry of an issuer key added (`issuer_key.add`: made here) or imported
/// (`issuer_key.import`: made by the offline signer) for `provider`.
pub fn issuer_key_audit(
    by: &Acting,
    action: &str,
    provider: u32,
    public: &VerifyingKey,
    now: Timestamp,
) -> AuditEntry {
    by.audit(
        action,
        &format!("issuer_key:{}", Kid::of_public_key(public.as_bytes())),
        Some(serde_json::json!({
            "provider": provider,
            "public_key": hex::encode(public.as_bytes()),
        })),
        now,
    )
}

/// What signs the statements made when a month is closed: the sync key (made if missing, as
/// `serve` does) and the root public key its bundles are signed with.
pub async fn statement_signer(paths: &Paths, store: &Store) -> Result<StatementSigner, Error> {
    Ok(StatementSigner {
        roots: vec![root_public_key(paths)?],
        key: sync_key(paths, store).await?,
    })
}

/// What the server needs, from an initialised platform: no key that signs a coupon or a
/// bundle (the root's public half only, and the sync key).
pub async fn platform(paths: &Paths) -> Result<Platform, Error> {
    move_legacy_root_key(paths)?;
    let root = root_public_key(paths)?;
    warn_if_writable(&paths.root_public_key());
    let store = paths
        .open_database(Schema::Current)
        .await?
        .0
        .trusting(vec![root]);
    let answer_key = sync_key(paths, &store).await?;
    Ok(Platform {
        store,
        root_keys: vec![public_key_hex(&root)],
        answer_key,
    })
}

/// Warns when this process could write the root's public key file: whoever writes it chooses
/// which bundles, and so which issuer keys, the platform pays for. In production it belongs to
/// root and the service runs as its own user (`docs/admin-guide.md`).
fn warn_if_writable(path: &Path) {
    if writable_by_this_account(path) {
        tracing::warn!(
            "the root public key file {} can be written by this account: keep it owned by \
             root (e.g. /etc/guichet-platform/root-public-key.txt) and run the server as its \
             own user",
            path.display()
        );
    }
}

/// Whether this process could write `path`: opening it for writing (without truncating)
/// changes nothing in the file.
pub fn writable_by_this_account(path: &Path) -> bool {
    std::fs::OpenOptions::new().write(true).open(path).is_ok()
}

/// Reads a referential file: JSON (as `fixtures/referential/example-referential.json`) or
/// CSV with the header `type,code,fr,en`, where `type` is `level`, `area` or `service`, and
/// a service's area is its code's first two parts (`2.2.03` is in `2.2`).
pub fn read_referential(path: &Path, version: Option<&str>) -> Result<Referential, Error> {
    let text =
        std::fs::read_to_string(path).map_err(io(format!("cannot read {}", path.display())))?;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    parse_referential(&text, is_json, version)
        .map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))
}

/// Reads a referential from the text of a file as [`read_referential`] takes it (JSON if
/// `is_json` or if it starts with `{`, else CSV), `version` replacing the file's; the console
/// imports with this too. Only read, not yet checked (`bundle::check_referential` is).
pub fn parse_referential(
    text: &str,
    is_json: bool,
    version: Option<&str>,
) -> Result<Referential, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut referential = if is_json || text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| Error::Invalid(format!("not a referential: {e}")))?
    } else {
        referential_from_csv(text, version.unwrap_or(""))?
    };
    if let Some(version) = version.map(str::trim).filter(|v| !v.is_empty()) {
        referential.version = version.to_owned();
    }
    if referential.version.trim().is_empty() {
        return Err(Error::Invalid(
            "the referential needs a version (--version)".into(),
        ));
    }
    Ok(referential)
}

/// A referential as the CSV [`read_referential`] reads (`type,code,fr,en`; its version and
/// example flag are not in it): levels, then areas, then services.
pub fn referential_to_csv(referential: &Referential) -> Result<String, Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut row = |kind: &str, code: &str, name: &LocalizedText| {
        writer
            .write_record([kind, code, name.fr.as_str(), name.en.as_str()])
            .map_err(|e| Error::Invalid(format!("referential CSV: {e}")))
    };
    row(
        "type",
        "code",
        &LocalizedText {
            fr: "fr".into(),
            en: "en".into(),
        },
    )?;
    for level in &referential.levels {
        row("level", &level.level.to_string(), &level.name)?;
    }
    for area in &referential.areas {
        row("area", area.code.code(), &area.name)?;
    }
    for service in &referential.services {
        row("service", &service.code, &service.name)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| Error::Invalid(format!("referential CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Invalid(format!("referential CSV: {e}")))
}

fn referential_from_csv(text: &str, version: &str) -> Result<Referential, Error> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut referential = Referential {
        version: version.to_owned(),
        example: false,
        levels: Vec::new(),
        areas: Vec::new(),
        services: Vec::new(),
    };
    for (line, record) in reader.records().enumerate() {
        let bad = |what: String| Error::Invalid(format!("CSV line {}: {what}", line + 2));
        let record = record.map_err(|e| bad(e.to_string()))?;
        let field = |i: usize| record.get(i).map(str::trim).unwrap_or("");
        let name = LocalizedText {
            fr: field(2).to_owned(),
            en: field(3).to_owned(),
        };
        match field(0) {
            "level" => referential.levels.push(Level {
                level: field(1)
                    .parse()
                    .map_err(|_| bad(format!("level {:?}", field(1))))?,
                name,
            }),
            "area" => referential.areas.push(AreaEntry {
                code: field(1).parse().map_err(|e| bad(format!("{e}")))?,
                name,
            }),
            "service" => {
                let code = field(1);
                let area = code
                    .get(..3)
                    .unwrap_or("")
                    .parse()
                    .map_err(|e| bad(format!("{e}")))?;
                referential.services.push(Service {
                    code: code.to_owned(),
                    area,
                    name,
                });
            }
            other => return Err(bad(format!("type {other:?} is not level, area or service"))),
        }
    }
    Ok(referential)
}

/// What an audit entry says of a referential: its version and how many levels, areas and
/// services it has.
pub fn referential_summary(referential: &Referential) -> serde_json::Value {
    serde_json::json!({
        "version": referential.version,
        "levels": referential.levels.len(),
        "areas": referential.areas.len(),
        "services": referential.services.len(),
    })
}

/// Publishes the next trust bundle (sequence + 1), valid `valid_days`; writes it to `out`
/// if given. Returns its sequence and the file.
/// The audit entry (`bundle.publish`) is written with the bundle, when `by` is given.
pub async fn publish(
    store: &Store,
    root: &SigningKey,
    valid_days: u32,
    out: Option<&Path>,
    now: Timestamp,
    by: Option<&Acting>,
) -> Result<(u64, String), Error> {
    let expires = now + SignedDuration::from_hours(24 * i64::from(valid_days.max(1)));
    let audit = |sequence: u64| {
        by.map(|by| {
            by.audit(
                "bundle.publish",
                &format!("bundle:{sequence}"),
                Some(
                    serde_json::json!({ "sequence": sequence, "expires_at": expires.to_string() }),
                ),
                now,
            )
        })
    };
    let (sequence, file) = store
        .publish_bundle_with(
            now,
            expires,
            |document| crate::bundle::seal_checked(document, root),
            audit,
        )
        .await?;
    if let Some(out) = out {
        std::fs::write(out, &file).map_err(io(format!("cannot write {}", out.display())))?;
    }
    Ok((sequence, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../../fixtures/referential/example-referential.json");

    /// The CSV the console offers for editing reads back as the same referential.
    #[test]
    fn a_referential_written_as_csv_reads_back_the_same() {
        let example = parse_referential(EXAMPLE, true, None).unwrap();
        crate::bundle::check_referential(&example).unwrap();
        let csv = referential_to_csv(&example).unwrap();
        assert!(csv.starts_with("type,code,fr,en\nlevel,1,"), "{csv}");
        let back = parse_referential(&csv, false, Some(&example.version)).unwrap();
        assert_eq!(
            back,
            Referential {
                example: false,
                ..example.clone()
            }
        );
        // A version typed beside the text wins; none for a CSV is refused.
        let renamed = parse_referential(&csv, false, Some(" v2 ")).unwrap();
        assert_eq!(renamed.version, "v2");
        assert!(parse_referential(&csv, false, None).is_err());
        assert!(parse_referential(&csv, false, Some("  ")).is_err());
        // A spreadsheet's byte-order mark is not part of the header.
        let marked = format!("\u{feff}{csv}");
        assert_eq!(
            parse_referential(&marked, false, Some(&example.version)).unwrap(),
            back
        );
        let bad = csv.replace("service,", "servise,");
        let error = parse_referential(&bad, false, Some("v3")).unwrap_err();
        assert!(
            error.to_string().contains("is not level, area or service"),
            "{error}"
        );
    }
}
