//! `guichet-platform`: the central platform's command line (admins) and server.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use guichet_console::model::{
    AuditEntry as Audit, NewAccount, NewPlace, Permission, Referential, Role,
};
use guichet_core::bundle::document::{KeyStatus, Rules};
use guichet_core::{Area, Kid, Scope};
use guichet_platform::acting::Acting;
use guichet_platform::admin::{self, Paths};
use guichet_platform::clock::paris_day;
use guichet_platform::store::{Decision, MintRequest};
use guichet_platform::{mint, report, server, Error};
use guichet_protocol::fingerprint::root_fingerprint;
use guichet_protocol::EntryState;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use sha2::Digest;

/// Writes a line for the user to standard output, as `println!` does, except that a closed
/// output (a list piped into `head` or `grep -q`) ends the program quietly, with success,
/// instead of a panic: the reader took what it wanted. Any other write error ends it with a
/// message and status 1.
macro_rules! say {
    ($($arg:tt)*) => { write_out(format_args!($($arg)*), true) };
}

/// [`say!`] without the line end.
macro_rules! say_part {
    ($($arg:tt)*) => { write_out(format_args!($($arg)*), false) };
}

/// What [`say!`] and [`say_part!`] do.
fn write_out(args: std::fmt::Arguments<'_>, line_end: bool) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| {
        if line_end {
            out.write_all(b"\n")
        } else {
            out.flush()
        }
    });
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("guichet-platform: cannot write to standard output: {e}");
            std::process::exit(1);
        }
    }
}

#[derive(Parser)]
#[command(
    name = "guichet-platform",
    version,
    about = "Guichet central platform: admin commands and the sync server"
)]
struct Cli {
    /// The configuration file (TOML: data_dir, signer_dir, database, database_password_file,
    /// root_public_key_file, [serve] listen, tls_cert, tls_key, enroll_attempts_per_minute,
    /// trusted_proxies);
    /// in production /etc/guichet-platform/platform.toml. Options given here win over it.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "GUICHET_PLATFORM_CONFIG"
    )]
    config: Option<PathBuf>,
    /// Data directory: the SQLite database unless --database is given, the sync key and the
    /// root's public half (no key that signs a coupon or a bundle). Default:
    /// guichet-platform-data.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Database: a SQLite file path, or a postgres://user@host:port/db URL (without a
    /// password: see --database-password-file).
    #[arg(long, global = true)]
    database: Option<String>,
    /// A file (mode 0600) whose first line is the PostgreSQL password. Default: the systemd
    /// credential `database-password` if the service has one. Never on the command line.
    #[arg(long, global = true, value_name = "FILE")]
    database_password_file: Option<PathBuf>,
    /// Signer directory: the root key and the issuer keys (private), read only by the
    /// commands that sign (init, issuer-key add, mint, publish), never by serve. Default:
    /// beside the data directory (DATA-DIR-signer). Keep it off the server and out of its
    /// backups.
    #[arg(long, global = true)]
    signer_dir: Option<PathBuf>,
    /// The root's public half (64 hex digits in a file). Default: in the data directory. In
    /// production, a file the serving account cannot write
    /// (/etc/guichet-platform/root-public-key.txt): the platform pays only for issuer keys of
    /// bundles signed by this root.
    #[arg(long, global = true, value_name = "FILE")]
    root_public_key_file: Option<PathBuf>,
    /// The console account a command that changes the platform acts as (`account list`):
    /// its role must allow the command, and the change is written to the audit log under its
    /// name. Not needed to read, nor for the first admin account (`account create --role
    /// admin` while no enabled admin exists).
    #[arg(long, global = true, value_name = "ACCOUNT", env = "GUICHET_ACCOUNT")]
    by: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the data directory, the platform root key (mode 0600) and the database.
    Init {
        /// The root's public key (64 hex digits) from the offline signer (`guichet-signer init`): the
        /// root key is then made there, not here.
        #[arg(long, value_name = "HEX")]
        root_public_key: Option<String>,
    },
    /// Apply the database migrations this program has and the database lacks (after a
    /// backup); every other command refuses a database that is behind. Several instances
    /// may run it at once: PostgreSQL's advisory lock lets one migrate.
    Migrate,
    /// Check this server: data directory, root public key, signer directory, sync key,
    /// database and schema, published bundle, serve's TLS files (from the configuration).
    /// Changes nothing; exit status 1 when something is a problem.
    Doctor,
    /// The demo platform of `make run`: sets up the data directory once (demo center,
    /// provider, key, referential, booklets, bundle), prints the enrollment code, the PDF and
    /// the codes, and serves on a free loopback port until stopped.
    Demo,
    /// Serve the sync API: HTTPS with --tls-cert and --tls-key, else plain HTTP (for loopback
    /// behind a reverse proxy that terminates TLS; kiosks refuse http:// elsewhere).
    Serve {
        /// Address to listen on (port 0: any free port; the address is printed). Default:
        /// 127.0.0.1:8440.
        #[arg(long)]
        listen: Option<String>,
        /// The certificate chain (PEM, leaf first) to serve HTTPS with.
        #[arg(long, value_name = "FILE", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// Its private key (PEM).
        #[arg(long, value_name = "FILE", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Enrollment attempts allowed per client address and minute (behind a reverse proxy,
        /// every kiosk has the proxy's address unless `[serve] trusted_proxies` names it).
        /// Default: 10.
        #[arg(long)]
        enroll_attempts_per_minute: Option<u32>,
    },
    /// Providers (funders).
    #[command(subcommand)]
    Provider(ProviderCommand),
    /// Zones.
    #[command(subcommand)]
    Zone(ZoneCommand),
    /// Centers.
    #[command(subcommand)]
    Center(CenterCommand),
    /// Issuer keys (generated and kept by the platform).
    #[command(subcommand, name = "issuer-key")]
    IssuerKey(IssuerKeyCommand),
    /// The skills referential.
    #[command(subcommand)]
    Referential(ReferentialCommand),
    /// Revoke coupons: one serial, a range, or a whole booklet.
    Revoke(RevokeArgs),
    /// Verification rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Mint booklets: recorded, printed as a PDF and PNG files.
    Mint(MintArgs),
    /// Bundles signed by an offline signer: draft, then import.
    #[command(subcommand)]
    Bundle(BundleCommand),
    /// Publish a new signed trust bundle (sequence + 1; the signer directory is needed).
    Publish {
        /// Also write the bundle file here (for a USB stick).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Days until the bundle expires.
        #[arg(long, default_value_t = 30)]
        valid_days: u32,
    },
    /// The sync key the server signs its answers to kiosks with.
    #[command(subcommand, name = "sync-key")]
    SyncKey(SyncKeyCommand),
    /// Review held and conflicting redemptions: list them, accept or reject one.
    #[command(subcommand)]
    Review(ReviewCommand),
    /// Make a one-time enrollment code for a new kiosk.
    EnrollCode {
        /// The center the kiosk belongs to.
        #[arg(long)]
        center: String,
        /// Hours until the code expires.
        #[arg(long, default_value_t = 24)]
        valid_hours: u32,
        /// Also write a printable sheet (PDF): the code, the fingerprint and their QR code.
        #[arg(long, value_name = "FILE")]
        sheet: Option<PathBuf>,
        /// The platform's address, printed on the sheet.
        #[arg(long, value_name = "URL", requires = "sheet")]
        url: Option<String>,
    },
    /// Enrolled kiosks.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Accounts of the operator's console (`/console`). The first admin exists only this
    /// way, never through the web.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Monthly reimbursement report (CSV).
    Report {
        /// The month, YYYY-MM (days in Europe/Paris).
        #[arg(long)]
        month: String,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Close a past month, and every month before it: its reimbursements are frozen as they
    /// are now, and each center with accepted redemptions gets its signed statement; later
    /// receipts and decisions are reported in the first open month.
    CloseMonth {
        /// The month, YYYY-MM.
        #[arg(long)]
        month: String,
    },
    /// Write a center's signed statement of a closed month (`schema/statement.md`), which
    /// anyone with the root fingerprint checks offline (`guichet statement verify`).
    Statement {
        /// The center id.
        #[arg(long)]
        center: String,
        /// The month, YYYY-MM.
        #[arg(long)]
        month: String,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ProviderCommand {
    /// Add (or rename) a provider.
    Add {
        #[arg(long)]
        id: u32,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum ZoneCommand {
    /// Add (or rename) a zone.
    Add {
        #[arg(long)]
        id: u32,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum CenterCommand {
    /// Add a center.
    Add {
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// Its zone (0 = unknown).
        #[arg(long)]
        zone: u32,
    },
}

#[derive(Subcommand)]
enum IssuerKeyCommand {
    /// Generate a new active issuer key for a provider.
    Add {
        #[arg(long)]
        provider: u32,
    },
    /// Stop minting with a key (its coupons stay valid).
    Retire {
        #[arg(long)]
        kid: Kid,
    },
    /// Mark a key compromised (its coupons are refused).
    Compromise {
        #[arg(long)]
        kid: Kid,
    },
    /// List the keys.
    List,
    /// Record the public half of a key the offline signer made (`guichet-signer issuer-key`).
    Import {
        #[arg(long)]
        provider: u32,
        /// 64 hex digits.
        #[arg(long, value_name = "HEX")]
        public_key: String,
    },
}

#[derive(Subcommand)]
enum BundleCommand {
    /// Write the next bundle's document (sequence + 1) for an offline signer to sign.
    Draft {
        #[arg(long)]
        out: PathBuf,
        /// Days until the bundle expires.
        #[arg(long, default_value_t = 30)]
        valid_days: u32,
    },
    /// Publish a bundle the signer signed (checked against the root's public half).
    Import { file: PathBuf },
}

/// The offline signer: works on files in the signer directory only (no database, no
/// network), on a machine of its own.
#[derive(Subcommand)]
enum ReferentialCommand {
    /// Import a referential file (JSON, or CSV `type,code,fr,en`).
    Import {
        file: PathBuf,
        /// The referential's version (required for CSV).
        #[arg(long)]
        version: Option<String>,
    },
}

#[derive(Args)]
struct RevokeArgs {
    /// The issuer key (with --serial or --first/--last).
    #[arg(long)]
    kid: Option<Kid>,
    #[arg(long)]
    serial: Option<u64>,
    #[arg(long)]
    first: Option<u64>,
    #[arg(long)]
    last: Option<u64>,
    /// A booklet number (alone).
    #[arg(long)]
    booklet: Option<u64>,
    #[arg(long, default_value = "lost or stolen")]
    reason: String,
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Change some rules (the others stay as they are).
    Set {
        #[arg(long)]
        grace_days: Option<u16>,
        #[arg(long)]
        max_staleness_days: Option<u16>,
        #[arg(long)]
        minutes_per_coupon: Option<u16>,
    },
}

#[derive(Args)]
struct MintArgs {
    /// How many booklets.
    #[arg(long)]
    booklets: u32,
    /// Coupons per booklet: 5 or 10.
    #[arg(long, default_value_t = 10)]
    coupons: u32,
    /// Face value of a coupon in cents.
    #[arg(long, default_value_t = 1000)]
    value_cents: u32,
    /// Issue day (default: today in Europe/Paris).
    #[arg(long)]
    issued_on: Option<Date>,
    /// Last valid day (default: 31 December of the issue year).
    #[arg(long)]
    valid_until: Option<Date>,
    /// The provider (its active issuer key signs).
    #[arg(long)]
    provider: u32,
    /// Allowed areas, comma-separated (such as 2.2,3.1); empty = any.
    #[arg(long, default_value = "")]
    scope: String,
    /// Zone (0 = anywhere).
    #[arg(long, default_value_t = 0)]
    zone: u32,
    /// Output directory for the PDF and PNG files (the signer directory is needed).
    #[arg(long, required_unless_present = "order_out")]
    out: Option<PathBuf>,
    /// Only record the booklets and write the order for the offline signer (`guichet-signer print`).
    #[arg(long, value_name = "FILE", conflicts_with = "out")]
    order_out: Option<PathBuf>,
}

#[derive(Subcommand)]
enum SyncKeyCommand {
    /// Make a new sync key (bundles list it with the previous one); then publish a bundle and
    /// restart the server.
    Rotate,
}

#[derive(Subcommand)]
enum ReviewCommand {
    /// List the redemptions waiting for a decision (held and conflicting), or those of one
    /// state.
    List {
        /// Only this state: held, conflict or rejected.
        #[arg(long)]
        state: Option<String>,
    },
    /// Pay a held redemption, at the face value its minted booklet records (refused while
    /// another redemption holds the coupon: see transfer).
    Accept(DecisionArgs),
    /// Give a coupon to a held or conflicting redemption, taking it from the redemption that
    /// holds it now, which must be named.
    Transfer {
        #[command(flatten)]
        decision: DecisionArgs,
        /// The id of the redemption that holds the coupon now (it loses it).
        #[arg(long)]
        from: String,
    },
    /// Never pay a redemption.
    Reject(DecisionArgs),
}

#[derive(Args)]
struct DecisionArgs {
    /// The redemption's id.
    id: String,
    /// Why (recorded; a rejection's reason is shown to the kiosk).
    #[arg(long)]
    reason: String,
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Create an account: the password is read from standard input (typed twice on a
    /// terminal, else its first line), never from the command line; prints the TOTP secret
    /// (and its otpauth:// URI) and ten one-time recovery codes, once.
    Create {
        /// admin, reviewer, auditor, or center (a member of one center, who sees that center
        /// only: give --center).
        #[arg(long)]
        role: String,
        /// The login name (letters, digits, '.', '_', '-', '@').
        #[arg(long)]
        name: String,
        /// The center a center account belongs to (its id).
        #[arg(long)]
        center: Option<String>,
    },
    /// List the accounts.
    List,
    /// Refuse an account's logins and end its sessions.
    Disable {
        /// The login name.
        #[arg(long)]
        name: String,
    },
    /// Accept a disabled account again.
    Enable {
        /// The login name.
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// List enrolled kiosks.
    List,
    /// Refuse a kiosk's requests from now on.
    Disable {
        #[command(flatten)]
        choice: DeviceChoice,
    },
    /// Accept a disabled kiosk again.
    Enable {
        #[command(flatten)]
        choice: DeviceChoice,
    },
}

/// Which kiosk: by its id, or by the label given at its enrollment (refused when several
/// kiosks have it).
#[derive(Args)]
#[group(required = true, multiple = false)]
struct DeviceChoice {
    /// Its id (first column of `device list`).
    #[arg(long)]
    id: Option<String>,
    /// Its label (`guichet enroll --label`).
    #[arg(long)]
    label: Option<String>,
}

impl DeviceChoice {
    /// The device id this choice names.
    async fn resolve(&self, store: &guichet_platform::Store) -> Result<String, Error> {
        if let Some(id) = &self.id {
            return Ok(id.clone());
        }
        let label = self.label.as_deref().unwrap_or_default();
        let named: Vec<_> = store
            .devices()
            .await?
            .into_iter()
            .filter(|d| d.label.as_deref() == Some(label))
            .collect();
        match named.as_slice() {
            [one] => Ok(one.id.clone()),
            [] => Err(Error::Invalid(format!(
                "no kiosk is labelled {label:?} (see `device list`)"
            ))),
            several => Err(Error::Invalid(format!(
                "{} kiosks are labelled {label:?}: give --id, one of {}",
                several.len(),
                several
                    .iter()
                    .map(|d| d.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}

fn parse_scope(text: &str) -> Result<Scope, Error> {
    let areas = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|code| {
            code.parse::<Area>()
                .map_err(|e| Error::Invalid(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Scope::of(&areas))
}

fn parse_month(text: &str) -> Result<Date, Error> {
    format!("{text}-01")
        .parse::<Date>()
        .ok()
        .filter(|_| text.len() == 7)
        .ok_or_else(|| Error::Invalid(format!("{text:?} is not a month YYYY-MM")))
}

async fn serve(
    platform: server::Platform,
    listen: &str,
    tls: Option<std::sync::Arc<rustls::ServerConfig>>,
    limits: server::ServeLimits,
) -> Result<(), Error> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Error::Io(format!("cannot listen on {listen}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Io(e.to_string()))?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    say!(
        "guichet-platform listening on {scheme}://{addr} ({})",
        platform.store.backend()
    );
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let stop = async {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("a SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    };
    let served = match tls {
        Some(config) => {
            let listener = server::tls::TlsListener::new(listener, config)
                .map_err(|e| Error::Io(e.to_string()))?;
            server::serve(listener, platform, limits, stop).await
        }
        None => server::serve(listener, platform, limits, stop).await,
    };
    served.map_err(|e| Error::Io(format!("server: {e}")))
}

async fn demo(dir: &std::path::Path) -> Result<(), Error> {
    let demo = guichet_platform::demo::start(dir).await?;
    say!("demo booklets (PDF): {}", demo.pdf_path.display());
    say!("demo codes: {}", dir.join("demo-codes.txt").display());
    say!("demo center: {}", demo.center_id);
    say!("enroll code: {}", demo.enroll_code);
    say!("root fingerprint: {}", demo.root_fingerprint);
    say!(
        "demo signer (throwaway, TEST ONLY: the demo's root and issuer keys): {}",
        guichet_platform::admin::Paths::new(dir, None)
            .signer_dir
            .display()
    );
    say!("guichet-platform listening on {} (demo)", demo.url);
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| Error::Io(e.to_string()))?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    demo.server.stop().await;
    Ok(())
}

/// The password of a new account: typed twice on a terminal (not echoed), else the first
/// line of standard input.
fn read_new_password() -> Result<String, Error> {
    use std::io::{BufRead, IsTerminal};
    let io = |e: std::io::Error| Error::Io(format!("reading the password: {e}"));
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password (12 characters or more): ").map_err(io)?;
        let again = rpassword::prompt_password("The same password again: ").map_err(io)?;
        if first != again {
            return Err(Error::Invalid(
                "the two passwords differ: nothing was created".into(),
            ));
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(io)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Retires or marks compromised an issuer key as the account `by` names, with the audit
/// entry.
async fn set_issuer_status(
    store: &guichet_platform::Store,
    kid: Kid,
    status: KeyStatus,
    by: Option<&str>,
    now: Timestamp,
) -> Result<(), Error> {
    let by = Acting::named(store, by, Permission::ManageKeys).await?;
    let action = match status {
        KeyStatus::Compromised => "issuer_key.compromise",
        _ => "issuer_key.retire",
    };
    let audit = by.audit(action, &format!("issuer_key:{kid}"), None, now);
    store
        .set_issuer_status_with(kid, status, now, Some(&audit))
        .await
}

/// Adds a center, zone or provider as the account `by` names, with the audit entry.
async fn add_place(
    store: &guichet_platform::Store,
    place: &NewPlace,
    by: Option<&str>,
    now: Timestamp,
) -> Result<(), Error> {
    let by = Acting::named(store, by, Permission::ManagePlaces).await?;
    let (action, object) = place.audit_names();
    let audit = by.audit(action, &object, Some(place.audit_after()), now);
    store.add_place(place, Some(&audit)).await?;
    match place {
        NewPlace::Provider { id, name } => say!("provider {id}: {name}"),
        NewPlace::Zone { id, name } => say!("zone {id}: {name}"),
        NewPlace::Center { id, name, zone } => say!("center {id}: {name} (zone {zone})"),
    }
    Ok(())
}

/// Disables or enables a kiosk, as `by`, with the audit entry.
async fn set_device(
    store: &guichet_platform::Store,
    choice: &DeviceChoice,
    disabled: bool,
    by: &Acting,
    now: Timestamp,
) -> Result<(), Error> {
    let id = choice.resolve(store).await?;
    let (action, word) = if disabled {
        ("device.disable", "disabled")
    } else {
        ("device.enable", "enabled")
    };
    let audit = by.audit(
        action,
        &format!("device:{id}"),
        Some(serde_json::json!({ "disabled": disabled })),
        now,
    );
    store
        .set_device_disabled_audited(&id, disabled, &audit)
        .await?;
    say!("device {id} {word}");
    Ok(())
}

/// The `account` commands, as the account `by` names (none for the first admin account).
async fn account(
    store: &guichet_platform::Store,
    command: AccountCommand,
    by: Option<&str>,
    now: Timestamp,
) -> Result<(), Error> {
    use guichet_console::secrets;
    let secret = |e: secrets::SecretError| Error::Invalid(e.to_string());
    match command {
        AccountCommand::Create { role, name, center } => {
            let role: Role = role.parse().map_err(Error::Invalid)?;
            let by = Acting::creating_account(store, by, &name, role).await?;
            let password = read_new_password()?;
            let totp_secret = secrets::new_totp_secret().map_err(secret)?;
            let codes = secrets::new_recovery_codes().map_err(secret)?;
            let account = NewAccount {
                name: name.clone(),
                role,
                password_hash: secrets::hash_password(&password).map_err(secret)?,
                totp_secret: totp_secret.clone(),
                recovery_hashes: codes.iter().map(|c| secrets::recovery_hash(c)).collect(),
                center: center.clone(),
            };
            let audit = by.audit(
                "account.create",
                &format!("account:{name}"),
                Some(serde_json::json!({ "role": role.as_str(), "center": center })),
                now,
            );
            store.create_account(&account, &audit).await?;
            say!("account {name} ({role}) created");
            say!("TOTP secret (type it in an authenticator app): {totp_secret}");
            say!("otpauth URI: {}", secrets::totp_uri(&totp_secret, &name));
            say!("recovery codes (each works once; keep them offline, they are not shown again):");
            for code in codes {
                say!("  {code}");
            }
        }
        AccountCommand::List => {
            say!("name\trole\tcenter\tstate\trecovery codes left\tcreated");
            for a in store.accounts().await? {
                let state = if a.disabled { "disabled" } else { "enabled" };
                say!(
                    "{}\t{}\t{}\t{state}\t{}\t{}",
                    a.name,
                    a.role,
                    a.center.as_deref().unwrap_or(""),
                    a.recovery_codes_left,
                    a.created_at
                );
            }
        }
        AccountCommand::Disable { name } => {
            let by = Acting::named(store, by, Permission::ManageAccounts).await?;
            let audit = by.audit("account.disable", &format!("account:{name}"), None, now);
            store.set_account_disabled(&name, true, &audit).await?;
            say!("account {name} disabled; its sessions ended");
        }
        AccountCommand::Enable { name } => {
            let by = Acting::named(store, by, Permission::ManageAccounts).await?;
            let audit = by.audit("account.enable", &format!("account:{name}"), None, now);
            store.set_account_disabled(&name, false, &audit).await?;
            say!("account {name} enabled");
        }
    }
    Ok(())
}

/// The `review` commands; a decision is taken as the account `by` names.
async fn review(
    store: &guichet_platform::Store,
    command: ReviewCommand,
    by: Option<&str>,
    now: Timestamp,
) -> Result<(), Error> {
    let (decision, args) = match command {
        ReviewCommand::List { state } => {
            let states = match state.as_deref() {
                None => vec![EntryState::Held, EntryState::Conflict],
                Some(name) => vec![EntryState::parse(name)
                    .filter(|s| {
                        matches!(
                            s,
                            EntryState::Held | EntryState::Conflict | EntryState::Rejected
                        )
                    })
                    .ok_or_else(|| {
                        Error::Invalid(format!("{name:?}: the state is held, conflict or rejected"))
                    })?],
            };
            for line in store.review_list(&states).await? {
                print_review_line(&line);
            }
            return Ok(());
        }
        ReviewCommand::Accept(args) => (Decision::Accept, args),
        ReviewCommand::Transfer { decision, from } => (Decision::Transfer { from }, decision),
        ReviewCommand::Reject(args) => (Decision::Reject, args),
    };
    let by = Acting::named(store, by, Permission::Decide).await?;
    let action = match &decision {
        Decision::Accept => "review.accept",
        Decision::Transfer { .. } => "review.transfer",
        Decision::Reject => "review.reject",
    };
    let from = match &decision {
        Decision::Transfer { from } => Some(from.clone()),
        _ => None,
    };
    let audit = by.audit(action, &format!("redemption:{}", args.id), None, now);
    let reason = args.reason.clone();
    let with_state = move |result: &guichet_protocol::EntryResult| {
        let mut audit = audit;
        audit.after = Some(
            serde_json::json!({ "reason": reason, "from": from, "state": result.state.as_str() })
                .to_string(),
        );
        Some(audit)
    };
    let result = store
        .review_decide_audited(&args.id, decision, by.name(), &args.reason, now, with_state)
        .await?;
    say!("{}\t{}", result.id, result.state.as_str());
    Ok(())
}

/// One item waiting for review, as an admin reads it: the evidence first (what it would pay,
/// whether the code and the device's signature are there, why it waits), then every other
/// redemption of the same coupon side by side.
fn print_review_line(line: &guichet_platform::store::ReviewLine) {
    let r = &line.redemption;
    let why = match (&r.result.conflict, &r.result.cause) {
        (Some(conflict), _) => format!(
            "coupon held by {} ({} {})",
            conflict.other_id, conflict.center, conflict.center_name
        ),
        (None, Some(cause)) => format!("{}: {}", cause.code.as_str(), cause.message("fr")),
        (None, None) => String::new(),
    };
    say!("{} {}: {why}", r.result.id, r.result.state.as_str());
    print_redemption("  ", r);
    if line.contenders.is_empty() {
        say!("  no other redemption of this coupon");
    }
    for other in &line.contenders {
        say!(
            "  other redemption {} {}",
            other.result.id,
            other.result.state.as_str()
        );
        print_redemption("    ", other);
    }
}

fn print_redemption(indent: &str, r: &guichet_platform::store::Redemption) {
    let yes_no = |b: bool| if b { "yes" } else { "NO" };
    let value = r.value_cents.map_or_else(
        || "nothing (no minted booklet holds this serial)".to_owned(),
        |cents| format!("{}.{:02} EUR", cents / 100, cents % 100),
    );
    say!(
        "{indent}value: {value}, provider {} {}",
        r.provider.0,
        r.provider.1
    );
    say!(
        "{indent}coupon: {} serial {}; code present: {}; entry signed by the device: {}",
        r.coupon.0,
        r.coupon.1,
        yes_no(r.has_code),
        yes_no(r.signed)
    );
    say!(
        "{indent}center {} {}; device {} {}",
        r.center.0,
        r.center.1,
        r.device.0,
        r.device.1.as_deref().unwrap_or("")
    );
    say!(
        "{indent}dated {} by the kiosk; received {}",
        r.occurred_at,
        r.received_at
    );
}

/// The stores a command opened, closed when it ends: the last connection to a SQLite database
/// folds its write-ahead log into the database file and deletes it, so no page a command
/// replaced (a private key an older platform kept, say) stays behind in the log.
#[derive(Default)]
struct Opened(std::sync::Mutex<Vec<guichet_platform::Store>>);

impl Opened {
    /// Remembers `store` to close it at the end; answers it.
    fn keep(&self, store: guichet_platform::Store) -> guichet_platform::Store {
        if let Ok(mut held) = self.0.lock() {
            held.push(store.clone());
        }
        store
    }

    /// Closes every store kept.
    async fn close(self) {
        for store in self.0.into_inner().unwrap_or_default() {
            store.close().await;
        }
    }
}

async fn run(cli: Cli) -> Result<(), Error> {
    let config = match &cli.config {
        Some(file) => guichet_platform::config::read(file)?,
        None => guichet_platform::config::PlatformConfig::default(),
    };
    let data_dir = cli
        .data_dir
        .or(config.data_dir)
        .unwrap_or_else(|| PathBuf::from("guichet-platform-data"));
    let mut paths = Paths::new(&data_dir, cli.database.or(config.database));
    if let Some(signer_dir) = cli.signer_dir.or(config.signer_dir) {
        paths = paths.with_signer_dir(&signer_dir);
    }
    if let Some(file) = cli.root_public_key_file.or(config.root_public_key_file) {
        paths = paths.with_root_public_key_file(&file);
    }
    let password_file = cli.database_password_file.or(config.database_password_file);
    if let Some(password) = admin::database_password(password_file.as_deref())? {
        paths = paths.with_database_password(password);
    }
    let now = Timestamp::now();
    let by = cli.by;
    // The account a command that changes the platform acts as, checked for `permission`.
    let acting = async |store: &guichet_platform::Store, permission| {
        Acting::named(store, by.as_deref(), permission).await
    };
    let opened = Opened::default();
    let store = async || Ok::<_, Error>(opened.keep(admin::open_store(&paths).await?));
    let signing = async || {
        let (store, root) = admin::open(&paths).await?;
        Ok::<_, Error>((opened.keep(store), root))
    };
    if matches!(cli.command, Command::Init { .. }) && paths.root_public_key().exists() {
        return Err(Error::Invalid(format!(
            "this platform is initialised already (its root's public half is in {}): init \
             would replace the root every kiosk pinned, so it changed nothing",
            paths.root_public_key().display()
        )));
    }
    let result = async {
    match cli.command {
        Command::Init {
            root_public_key: Some(hex),
        } => {
            let root = admin::init_with_root_public_key(&paths, &hex).await?;
            say!(
                "platform root {} (public half only, from the signer; fingerprint {})",
                Kid::of_public_key(root.as_bytes()),
                root_fingerprint(&[root])
            );
            say!("database ready: {}", paths.database);
        }
        Command::Init {
            root_public_key: None,
        } => {
            let (kid, created) = admin::init(&paths).await?;
            let what = if created { "created" } else { "kept" };
            say!(
                "platform root key {kid} ({what}: {}; public half in {})",
                paths.root_key().display(),
                paths.root_public_key().display()
            );
            say!("database ready: {}", paths.database);
        }
        Command::Migrate => {
            let (migrated_store, migrated) = paths
                .open_database(guichet_platform::db::Schema::Migrate)
                .await?;
            opened.keep(migrated_store);
            if migrated.from == migrated.to {
                say!("schema version {}: nothing to migrate", migrated.to);
            } else {
                say!(
                    "schema version {} -> {} ({} migration(s) applied)",
                    migrated.from,
                    migrated.to,
                    migrated.to - migrated.from
                );
            }
        }
        Command::Doctor => {
            let serve = &config.serve;
            let tls = serve.tls_cert.as_deref().zip(serve.tls_key.as_deref());
            guichet_platform::doctor::print(&paths, tls).await?;
        }
        Command::Demo => {
            demo(&data_dir).await?;
        }
        Command::Serve {
            listen,
            tls_cert,
            tls_key,
            enroll_attempts_per_minute,
        } => {
            let file = config.serve;
            let listen = listen
                .or(file.listen)
                .unwrap_or_else(|| "127.0.0.1:8440".to_owned());
            let limits = server::ServeLimits {
                enroll_attempts_per_minute: enroll_attempts_per_minute
                    .or(file.enroll_attempts_per_minute)
                    .unwrap_or(server::limits::ENROLL_ATTEMPTS),
                trusted_proxies: server::client::TrustedProxies::new(&file.trusted_proxies),
            };
            let tls = match (tls_cert.or(file.tls_cert), tls_key.or(file.tls_key)) {
                (Some(cert), Some(key)) => Some(server::tls::server_config(&cert, &key)?),
                (None, None) => None,
                _ => {
                    return Err(Error::Invalid(
                        "a TLS certificate needs its key, and a key its certificate".into(),
                    ))
                }
            };
            let platform = admin::platform(&paths).await?;
            serve(platform, &listen, tls, limits).await?;
        }
        Command::Provider(ProviderCommand::Add { id, name }) => {
            let place = NewPlace::Provider { id, name };
            add_place(&store().await?, &place, by.as_deref(), now).await?;
        }
        Command::Zone(ZoneCommand::Add { id, name }) => {
            let place = NewPlace::Zone { id, name };
            add_place(&store().await?, &place, by.as_deref(), now).await?;
        }
        Command::Center(CenterCommand::Add { id, name, zone }) => {
            let place = NewPlace::Center { id, name, zone };
            add_place(&store().await?, &place, by.as_deref(), now).await?;
        }
        Command::IssuerKey(command) => {
            let store = store().await?;
            match command {
                IssuerKeyCommand::Add { provider } => {
                    let by = acting(&store, Permission::ManageKeys).await?;
                    let (store, _) = signing().await?;
                    let kid = admin::add_issuer_key(&paths, &store, provider, now, Some(&by)).await?;
                    say!("{kid}");
                }
                IssuerKeyCommand::Retire { kid } => {
                    set_issuer_status(&store, kid, KeyStatus::Retired, by.as_deref(), now).await?
                }
                IssuerKeyCommand::Compromise { kid } => {
                    set_issuer_status(&store, kid, KeyStatus::Compromised, by.as_deref(), now)
                        .await?
                }
                IssuerKeyCommand::Import {
                    provider,
                    public_key,
                } => {
                    let by = acting(&store, Permission::ManageKeys).await?;
                    let key = guichet_protocol::signing::parse_public_key(&public_key)
                        .map_err(|e| Error::Invalid(format!("--public-key: {e}")))?;
                    let audit =
                        admin::issuer_key_audit(&by, "issuer_key.import", provider, &key, now);
                    let kid = store
                        .add_issuer_key_with(provider, &key, now, Some(&audit))
                        .await?;
                    say!("{kid}");
                }
                IssuerKeyCommand::List => {
                    for key in store.issuer_keys().await? {
                        say!("{}\tprovider {}\t{:?}", key.kid, key.provider, key.status);
                    }
                }
            }
        }
        Command::Referential(ReferentialCommand::Import { file, version }) => {
            let store = store().await?;
            let by = acting(&store, Permission::ManageReferential).await?;
            let referential = admin::read_referential(&file, version.as_deref())?;
            let audit = |before: Option<&Referential>| {
                let mut audit = by.audit(
                    "referential.import",
                    &format!("referential:{}", referential.version),
                    Some(admin::referential_summary(&referential)),
                    now,
                );
                audit.before = before.map(|b| admin::referential_summary(b).to_string());
                Some(audit)
            };
            store.set_referential_audited(&referential, audit).await?;
            say!(
                "referential {}: {} areas, {} services",
                referential.version,
                referential.areas.len(),
                referential.services.len()
            );
        }
        Command::Revoke(args) => {
            let store = store().await?;
            let by = acting(&store, Permission::Revoke).await?;
            let (kid, first, last) = match args {
                RevokeArgs {
                    booklet: Some(number),
                    kid: None,
                    serial: None,
                    first: None,
                    last: None,
                    ..
                } => {
                    let booklet = store
                        .booklet(number)
                        .await?
                        .ok_or_else(|| Error::Invalid(format!("no booklet {number}")))?;
                    let last = booklet.first_serial + u64::from(booklet.coupons) - 1;
                    (booklet.kid, booklet.first_serial, last)
                }
                RevokeArgs {
                    kid: Some(kid),
                    serial: Some(serial),
                    first: None,
                    last: None,
                    booklet: None,
                    ..
                } => (kid, serial, serial),
                RevokeArgs {
                    kid: Some(kid),
                    first: Some(first),
                    last: Some(last),
                    serial: None,
                    booklet: None,
                    ..
                } => (kid, first, last),
                _ => return Err(Error::Invalid(
                    "give --booklet N, or --kid with --serial N, or --kid with --first A --last B"
                        .into(),
                )),
            };
            let audit = by.audit(
                "coupons.revoke",
                &format!("coupons:{kid}:{first}-{last}"),
                Some(serde_json::json!({
                    "kid": kid.to_hex(), "first": first, "last": last, "reason": args.reason,
                })),
                now,
            );
            store
                .revoke_audited(kid, (first, last), &args.reason, now, &audit)
                .await?;
            say!("revoked {kid}:{first}..={last} (kiosks learn it at their next sync; the next published bundle carries it)");
        }
        Command::Rules(RulesCommand::Set {
            grace_days,
            max_staleness_days,
            minutes_per_coupon,
        }) => {
            let store = store().await?;
            let by = acting(&store, Permission::ManageRules).await?;
            let current = store.rules().await?;
            let rules = Rules {
                grace_days: grace_days.unwrap_or(current.grace_days),
                max_staleness_days: max_staleness_days.unwrap_or(current.max_staleness_days),
                minutes_per_coupon: minutes_per_coupon.unwrap_or(current.minutes_per_coupon),
            };
            let audit = by.audit(
                "rules.set",
                "rules",
                serde_json::to_value(&rules).ok(),
                now,
            );
            let audit = Some(Audit {
                before: serde_json::to_string(&current).ok(),
                ..audit
            });
            store.set_rules_with(&rules, audit.as_ref()).await?;
            say!("{}", serde_json::to_string(&rules).unwrap_or_default());
        }
        Command::Mint(args) => {
            let store = store().await?;
            let by = acting(&store, Permission::Mint).await?;
            let issued_on = args.issued_on.unwrap_or_else(|| paris_day(now));
            let valid_until = match args.valid_until {
                Some(day) => day,
                None => Date::new(issued_on.year(), 12, 31)
                    .map_err(|e| Error::Invalid(e.to_string()))?,
            };
            let request = MintRequest {
                booklets: args.booklets,
                coupons_per_booklet: args.coupons,
                value_cents: args.value_cents,
                issued_on,
                valid_until,
                provider: args.provider,
                scope: parse_scope(&args.scope)?,
                zone: args.zone,
            };
            let provider_name = store
                .provider_name(args.provider)
                .await?
                .ok_or_else(|| Error::Invalid(format!("no provider {}", args.provider)))?;
            if let Some(order_out) = &args.order_out {
                let order = mint::order(&store, &request, &provider_name, now, Some(&by)).await?;
                let json =
                    serde_json::to_string_pretty(&order).map_err(|e| Error::Io(e.to_string()))?;
                std::fs::write(order_out, json)
                    .map_err(|e| Error::Io(format!("cannot write {}: {e}", order_out.display())))?;
                say!(
                    "mint order for booklets {}..={}: {}; sign and print it with `guichet-signer print`",
                    order.booklets[0].number,
                    order.booklets[order.booklets.len() - 1].number,
                    order_out.display()
                );
                return Ok(());
            }
            let out = args.out.clone().unwrap_or_default();
            let (store, _) = signing().await?;
            let output = mint::mint(
                &store,
                &request,
                &provider_name,
                &out,
                |kid| paths.signer().issuer_key(kid),
                now,
                Some(&by),
            )
            .await?;
            for booklet in &output.booklets {
                say!(
                    "booklet {}: {} serials {}..={}",
                    booklet.number,
                    booklet.kid,
                    booklet.first_serial,
                    booklet.first_serial + u64::from(booklet.coupons) - 1
                );
            }
            say!("PDF: {}", output.pdf.display());
            say!("codes: {}", output.codes.display());
            say!("PNG: {} files in {}", output.coupons.len(), out.display());
        }
        Command::Publish { out, valid_days } => {
            let (store, root) = signing().await?;
            let by = acting(&store, Permission::ManageBundles).await?;
            let (sequence, _) =
                admin::publish(&store, &root, valid_days, out.as_deref(), now, Some(&by)).await?;
            say!("published trust bundle {sequence}");
            if let Some(out) = out {
                say!("written to {}", out.display());
            }
        }
        Command::EnrollCode {
            center,
            valid_hours,
            sheet,
            url,
        } => {
            let expires = now + SignedDuration::from_hours(i64::from(valid_hours.max(1)));
            let root = admin::root_public_key(&paths)?;
            let store = store().await?;
            let by = acting(&store, Permission::ManagePlaces).await?;
            let audit = by.audit(
                "enroll.code",
                &format!("center:{center}"),
                Some(serde_json::json!({ "valid_hours": valid_hours.max(1) })),
                now,
            );
            let code = store
                .create_enroll_code_audited(&center, expires, now, &audit)
                .await?;
            // The roots in force after any rotation (the anchor followed through the bundles).
            let fingerprint = root_fingerprint(&store.roots_in_force(&[root]).await?);
            // The code and the root fingerprint travel together, out of band (on paper, by
            // phone): the kiosk refuses an answer whose root keys have another fingerprint.
            say!("{code}");
            say!("{fingerprint}");
            if let Some(path) = &sheet {
                let info = store.center(&center).await?;
                let pdf = guichet_platform::sheet::render(&guichet_platform::sheet::Sheet {
                    code: &code,
                    fingerprint: &fingerprint,
                    center: (&info.id, &info.name),
                    valid_until: expires,
                    url: url.as_deref(),
                })?;
                std::fs::write(path, pdf)
                    .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))?;
                eprintln!("enrollment sheet: {}", path.display());
            }
            eprintln!(
                "one-time code for center {center}, valid until {expires}; give it with the root \
                 fingerprint (second line): guichet enroll --code CODE --fingerprint FINGERPRINT"
            );
        }
        Command::Device(command) => {
            let store = store().await?;
            match command {
                DeviceCommand::List => {
                    say!("id\tcenter\tlabel\tstate\tentries\tenrolled\tlast seen");
                    for device in store.devices().await? {
                        let state = if device.disabled {
                            "disabled"
                        } else {
                            "enabled"
                        };
                        let last_seen = device
                            .last_seen
                            .and_then(|at| Timestamp::from_second(at).ok())
                            .map_or_else(|| "never".to_owned(), |at| at.to_string());
                        say!(
                            "{}\t{}\t{}\t{state}\t{} entries\t{}\t{last_seen}",
                            device.id,
                            device.center,
                            device.label.unwrap_or_default(),
                            device.entries,
                            device.enrolled_at
                        );
                    }
                }
                DeviceCommand::Disable { choice } => {
                    let by = acting(&store, Permission::ManageDevices).await?;
                    set_device(&store, &choice, true, &by, now).await?;
                }
                DeviceCommand::Enable { choice } => {
                    let by = acting(&store, Permission::ManageDevices).await?;
                    set_device(&store, &choice, false, &by, now).await?;
                }
            }
        }
        Command::Review(command) => review(&store().await?, command, by.as_deref(), now).await?,
        Command::Account(command) => {
            account(&store().await?, command, by.as_deref(), now).await?
        }
        Command::Bundle(BundleCommand::Draft { out, valid_days }) => {
            let expires = now + SignedDuration::from_hours(24 * i64::from(valid_days.max(1)));
            let document = store().await?.draft_bundle(now, expires).await?;
            let json =
                serde_json::to_string_pretty(&document).map_err(|e| Error::Io(e.to_string()))?;
            std::fs::write(&out, json)
                .map_err(|e| Error::Io(format!("cannot write {}: {e}", out.display())))?;
            say!(
                "bundle {} drafted: {}; sign it with `guichet-signer sign-bundle`",
                document.sequence,
                out.display()
            );
        }
        Command::Bundle(BundleCommand::Import { file }) => {
            let store = store().await?;
            let by = acting(&store, Permission::ManageBundles).await?;
            let bytes = std::fs::read(&file)
                .map_err(|e| Error::Io(format!("cannot read {}: {e}", file.display())))?;
            let root = admin::root_public_key(&paths)?;
            let audit = |sequence: u64| {
                Some(by.audit(
                    "bundle.import",
                    &format!("bundle:{sequence}"),
                    Some(serde_json::json!({
                        "sequence": sequence,
                        "sha256": hex::encode(sha2::Sha256::digest(&bytes)),
                    })),
                    now,
                ))
            };
            let sequence = store.import_bundle_audited(&bytes, &[root], audit).await?;
            say!("published trust bundle {sequence}");
        }
        Command::SyncKey(SyncKeyCommand::Rotate) => {
            let store = store().await?;
            let by = acting(&store, Permission::ManageKeys).await?;
            let key = admin::rotate_sync_key(&paths, &store, Some(&by), now).await?;
            say!(
                "sync key {}: publish a bundle, then restart the server",
                guichet_protocol::signing::public_key_hex(&key.verifying_key())
            );
        }
        Command::CloseMonth { month } => {
            let store = store().await?;
            let by = acting(&store, Permission::CloseMonth).await?;
            let audit = by.audit(
                "month.close",
                &format!("month:{month}"),
                Some(serde_json::json!({ "closed": true })),
                now,
            );
            let signer = admin::statement_signer(&paths, &store).await?;
            let issued = store
                .close_month_audited(parse_month(&month)?, by.name(), now, &signer, Some(&audit))
                .await?;
            say!("{month} closed: its report is final; {issued} center statements signed");
        }
        Command::Statement { center, month, out } => {
            let Some(file) = store()
                .await?
                .statement(&center, parse_month(&month)?)
                .await?
            else {
                return Err(Error::Invalid(format!(
                    "center {center} has no statement for {month}: it is made when the month is \
                     closed, for a center with accepted redemptions"
                )));
            };
            match out {
                Some(path) => std::fs::write(&path, file)
                    .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))?,
                None => say_part!("{file}"),
            }
        }
        Command::Report { month, out } => {
            let day = parse_month(&month)?;
            let report = store().await?.month_report(day).await?;
            match out {
                Some(path) => {
                    let file = std::fs::File::create(&path)
                        .map_err(|e| Error::Io(format!("cannot create {}: {e}", path.display())))?;
                    report::write_csv(&report, &month, file)?;
                }
                None => report::write_csv(&report, &month, std::io::stdout().lock())?,
            }
        }
    }
    Ok(())
    }
    .await;
    opened.close().await;
    result
}

/// Diagnostics (`tracing`) on standard error, with time and level, from `default` up unless
/// `GUICHET_LOG` names another level; what a command prints for its user stays as it was.
fn init_logs(default: tracing_subscriber::filter::LevelFilter) {
    let level = std::env::var("GUICHET_LOG")
        .ok()
        .and_then(|l| l.parse::<tracing_subscriber::filter::LevelFilter>().ok())
        .unwrap_or(default);
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false)
        .try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A server logs one line per request by default; an admin command only what goes wrong.
    init_logs(match cli.command {
        Command::Serve { .. } => tracing_subscriber::filter::LevelFilter::INFO,
        _ => tracing_subscriber::filter::LevelFilter::WARN,
    });
    let result = tokio::runtime::Runtime::new()
        .map_err(|e| Error::Io(format!("cannot start the async runtime: {e}")))
        .and_then(|runtime| runtime.block_on(run(cli)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("guichet-platform: {e}");
            ExitCode::FAILURE
        }
    }
}
