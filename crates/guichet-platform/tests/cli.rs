//! The real `guichet-platform` binary: every admin subcommand, `serve` over HTTP, the report,
//! and a SIGKILL during ingest (nothing lost, nothing doubled after a restart).

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use guichet_core::TrustBundle;
use guichet_platform::keys::generate_key;
use guichet_protocol::{paths, ChainHash, DeviceStatus, PushResponse};
use jiff::Timestamp;

const BIN: &str = env!("CARGO_BIN_EXE_guichet-platform");

fn platform(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("GUICHET_ACCOUNT", common::ADMIN)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "guichet-platform {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn platform_fails(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("GUICHET_ACCOUNT", common::ADMIN)
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "guichet-platform {args:?} should fail"
    );
    String::from_utf8(output.stderr).unwrap()
}

/// `guichet-platform serve` on a free port; killed on drop.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(dir: &Path) -> Server {
        Server::start_with(dir, &[])
    }

    /// `serve` with more arguments (`--tls-cert`, …).
    fn start_with(dir: &Path, more: &[&str]) -> Server {
        Server::spawn(
            Command::new(BIN)
                .arg("--data-dir")
                .arg(dir)
                .args(["serve", "--listen", "127.0.0.1:0"])
                .args(more),
        )
    }

    /// Starts `command` (a `serve`) and reads the address it prints; the process is killed
    /// when the returned server drops, also when reading the address fails.
    fn spawn(command: &mut Command) -> Server {
        let child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut server = Server {
            child,
            url: String::new(),
        };
        let mut line = String::new();
        BufReader::new(server.child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        server.url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://") || w.starts_with("https://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .to_owned();
        server
    }

    /// SIGKILL, and wait for the process to be gone.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn set_up(dir: &Path) -> (String, String) {
    let out = platform(dir, &["init"]);
    assert!(out.contains("platform root key"));
    // Once is all: a second init, with or without another root, changes nothing.
    let root = std::fs::read(dir.join("platform-root-public-key.txt")).unwrap();
    let other = guichet_protocol::signing::public_key_hex(&generate_key().unwrap().verifying_key());
    for again in [
        vec!["init"],
        vec!["init", "--root-public-key", other.as_str()],
    ] {
        assert!(platform_fails(dir, &again).contains("initialised already"));
    }
    assert_eq!(
        std::fs::read(dir.join("platform-root-public-key.txt")).unwrap(),
        root,
        "the pinned root is untouched"
    );
    assert!(
        !dir.join("platform-root-key.json").exists(),
        "the root key is not in the data directory"
    );
    let mode = std::fs::metadata(
        dir.with_file_name("data-signer")
            .join("platform-root-key.json"),
    )
    .unwrap()
    .permissions()
    .mode();
    assert_eq!(mode & 0o777, 0o600, "the root key file is private");
    common::create_first_admin(Command::new(BIN).arg("--data-dir").arg(dir));
    platform(
        dir,
        &["provider", "add", "--id", "7", "--name", "Département test"],
    );
    assert!(platform_fails(
        dir,
        &[
            "center",
            "add",
            "--id",
            "C9",
            "--name",
            "Nulle part",
            "--zone",
            "33"
        ]
    )
    .contains("zone 33 does not exist"));
    platform(dir, &["zone", "add", "--id", "33", "--name", "Gironde"]);
    assert!(platform_fails(
        dir,
        &[
            "mint",
            "--booklets",
            "1",
            "--coupons",
            "5",
            "--provider",
            "7",
            "--value-cents",
            "0",
            "--out",
            "/nonexistent",
        ]
    )
    .contains("more than 0 cents"));
    platform(
        dir,
        &[
            "center",
            "add",
            "--id",
            "C1",
            "--name",
            "Médiathèque Nord",
            "--zone",
            "33",
        ],
    );
    let kid = platform(dir, &["issuer-key", "add", "--provider", "7"])
        .trim()
        .to_owned();
    let referential = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/referential/example-referential.json"
    );
    platform(dir, &["referential", "import", referential]);
    platform(dir, &["rules", "set", "--grace-days", "31"]);
    let print = dir.join("print");
    let out = platform(
        dir,
        &[
            "mint",
            "--booklets",
            "2",
            "--coupons",
            "5",
            "--provider",
            "7",
            "--scope",
            "2.2",
            "--issued-on",
            &issued_on(),
            "--out",
            print.to_str().unwrap(),
        ],
    );
    assert!(
        out.contains("booklet 1:") && out.contains("booklet 2:"),
        "{out}"
    );
    assert!(print.join("booklets-000001-000002.pdf").exists());
    let ticket = platform(dir, &["enroll-code", "--center", "C1"]);
    let lines: Vec<&str> = ticket.lines().collect();
    assert_eq!(
        lines.len(),
        2,
        "the code, then the root fingerprint: {ticket}"
    );
    let root = guichet_platform::keys::read_root_key(
        &dir.with_file_name("data-signer")
            .join("platform-root-key.json"),
    )
    .unwrap();
    assert_eq!(
        lines[1],
        guichet_protocol::fingerprint::root_fingerprint(&[root.verifying_key()])
    );
    let code = lines[0].trim().to_owned();
    // The printable sheet: its QR code holds the ticket CODE/FINGERPRINT (read by zbar from
    // the PDF rendered at 150 dpi, as a scanner reads the paper).
    let sheet = dir.join("sheet.pdf");
    let out = platform(
        dir,
        &[
            "enroll-code",
            "--center",
            "C1",
            "--sheet",
            sheet.to_str().unwrap(),
            "--url",
            "https://plateforme.example.fr",
        ],
    );
    let ticket_lines: Vec<&str> = out.lines().collect();
    let rendered = dir.join("sheet");
    let status = Command::new("pdftoppm")
        .args(["-r", "150", "-png", "-singlefile"])
        .arg(&sheet)
        .arg(&rendered)
        .status()
        .expect("pdftoppm (poppler-utils) is installed");
    assert!(status.success());
    let read = Command::new("zbarimg")
        .args(["--quiet", "--raw"])
        .arg(rendered.with_extension("png"))
        .output()
        .expect("zbarimg (zbar-tools) is installed");
    assert_eq!(
        String::from_utf8_lossy(&read.stdout).trim(),
        format!("{}/{}", ticket_lines[0], ticket_lines[1])
    );
    (kid, code)
}

/// The codes `mint` wrote beside the PDF of [`set_up`], by serial.
fn printed_codes(dir: &Path) -> std::collections::HashMap<u64, String> {
    std::fs::read_to_string(dir.join("print/booklets-000001-000002.txt"))
        .unwrap()
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            (fields[1].parse().unwrap(), fields[2].to_owned())
        })
        .collect()
}

/// A minter whose coupons look like the printed ones but whose key is not the platform's:
/// the codes it makes are forgeries.
fn printed_minter(dir: &Path) -> common::Minter {
    let code = &printed_codes(dir)[&1];
    common::Minter {
        issuer: generate_key().unwrap(),
        coupon: guichet_core::code::decode(code.as_bytes()).unwrap().coupon,
    }
}

#[test]
fn admin_commands_publish_serve_and_report() {
    // The data directory; the signer directory is beside it (`data-signer`), in the same
    // temporary directory.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let dir = dir.as_path();
    let (kid, code) = set_up(dir);
    platform(dir, &["revoke", "--booklet", "2"]);
    platform(dir, &["revoke", "--kid", &kid, "--serial", "3"]);
    assert!(platform_fails(dir, &["revoke", "--serial", "3"]).contains("--kid"));
    let usb = dir.join("bundle.json");
    assert!(platform(dir, &["publish", "--out", usb.to_str().unwrap()]).contains("bundle 1"));

    let server = Server::start(dir);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = reqwest::Client::new();
    let key = generate_key().unwrap();
    let (offered, enrolled) =
        runtime.block_on(common::enroll_over_http(&client, &server.url, &code, &key));
    assert_eq!(offered.bundle, std::fs::read_to_string(&usb).unwrap());
    let root = guichet_protocol::signing::parse_public_key(&offered.root_keys[0]).unwrap();
    let bundle = TrustBundle::open(std::fs::read(&usb).unwrap().as_slice(), &[root]).unwrap();
    let kid = kid.parse().unwrap();
    assert!(bundle.is_revoked(kid, 3) && bundle.is_revoked(kid, 6) && bundle.is_revoked(kid, 10));
    assert!(!bundle.is_revoked(kid, 2));

    let mut kiosk = common::Kiosk {
        client,
        base: server.url.clone(),
        minter: printed_minter(dir),
        key,
        device_id: enrolled.device_id,
        center: enrolled.center,
        head: ChainHash::GENESIS,
    };
    let codes = printed_codes(dir);
    // Dated after the kiosk's enrollment (the platform holds anything dated before it).
    let at = Timestamp::now();
    let month = guichet_platform::clock::paris_day(at)
        .strftime("%Y-%m")
        .to_string();
    let entries = [
        kiosk.redemption_of(&codes[&1], at, |_| {}),
        kiosk.redemption_of(&codes[&2], at, |_| {}),
        // Serial 999 was never printed: a code for it can only be forged.
        kiosk.redemption(kid, 999, at),
    ];
    let pushed: PushResponse =
        runtime.block_on(async { kiosk.push(&entries).await.json().await.unwrap() });
    assert_eq!(pushed.results.len(), 3);

    let csv = platform(dir, &["report", "--month", &month]);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("section,month,center"));
    assert!(
        lines.contains(
            &format!("reimbursement,{month},C1,Médiathèque Nord,7,Département test,2,20.00,,,,,,")
                .as_str()
        ),
        "{csv}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with(&format!(
            "rejected,{month},C1,Médiathèque Nord,7,Département test,1,,"
        )) && l.contains(",999,")
            && l.contains("BAD_SIGNATURE")),
        "{csv}"
    );
    let next = guichet_platform::clock::paris_day(at)
        .first_of_month()
        .checked_add(jiff::Span::new().months(1))
        .unwrap()
        .strftime("%Y-%m")
        .to_string();
    let empty = platform(dir, &["report", "--month", &next]);
    assert_eq!(empty.lines().count(), 1);
    assert!(platform_fails(dir, &["report", "--month", "2026-3"]).contains("YYYY-MM"));

    // A month later the month is closed (as `close-month` does, with the data directory's
    // sync key and root): `statement` writes C1's signed statement, which verifies offline
    // with the root fingerprint alone and pays the two genuine coupons only.
    assert!(
        platform_fails(dir, &["statement", "--center", "C1", "--month", &month])
            .contains("no statement")
    );
    let paths = guichet_platform::admin::Paths::new(dir, None);
    let issued = runtime.block_on(async {
        let store = guichet_platform::admin::open_store(&paths).await.unwrap();
        let signer = guichet_platform::admin::statement_signer(&paths, &store)
            .await
            .unwrap();
        let later = at + jiff::SignedDuration::from_hours(24 * 31);
        store
            .close_month(
                guichet_platform::clock::paris_day(at),
                "cli",
                later,
                &signer,
            )
            .await
            .unwrap()
    });
    assert_eq!(issued, 1);
    let out = dir.join("statement.json");
    platform(
        dir,
        &[
            "statement",
            "--center",
            "C1",
            "--month",
            &month,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let fingerprint = guichet_protocol::fingerprint::root_fingerprint(&[root]);
    let verified =
        guichet_protocol::statement::verify(&std::fs::read(&out).unwrap(), &fingerprint).unwrap();
    assert_eq!(verified.document.center.name, "Médiathèque Nord");
    assert_eq!(verified.document.totals.coupons, 2);
    assert_eq!(verified.document.totals.cents, 2000);
    assert_eq!(verified.document.lines[0].device, kiosk.device_id);
    assert_eq!(
        platform(dir, &["statement", "--center", "C1", "--month", &month]),
        std::fs::read_to_string(&out).unwrap()
    );
}

#[test]
fn a_sigkill_during_ingest_loses_and_doubles_nothing() {
    // The data directory; the signer directory is beside it (`data-signer`), in the same
    // temporary directory.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let dir = dir.as_path();
    let (kid, code) = set_up(dir);
    platform(dir, &["publish"]);
    let kid = kid.parse().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut server = Server::start(dir);
    let client = reqwest::Client::new();
    let key = generate_key().unwrap();
    let (_, enrolled) =
        runtime.block_on(common::enroll_over_http(&client, &server.url, &code, &key));
    let mut kiosk = common::Kiosk {
        client,
        base: server.url.clone(),
        minter: printed_minter(dir),
        key,
        device_id: enrolled.device_id,
        center: enrolled.center,
        head: ChainHash::GENESIS,
    };
    let now = Timestamp::now();
    let entries: Vec<_> = (0..3000)
        .map(|i| kiosk.redemption(kid, 100_000 + i, now))
        .collect();
    // Ten small batches acknowledged, then a large one in flight when the platform dies.
    let mut batches: Vec<&[_]> = entries[..1000].chunks(100).collect();
    batches.push(&entries[1000..]);
    let acknowledged = runtime.block_on(async {
        let mut acknowledged = 0;
        for batch in &batches[..10] {
            assert_eq!(kiosk.push(batch).await.status(), 200);
            acknowledged += batch.len();
        }
        let in_flight = kiosk.try_push(batches[10]);
        let kill = async {
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
            let _ = Command::new("kill")
                .args(["-KILL", &server.child.id().to_string()])
                .status();
        };
        let (answer, ()) = tokio::join!(in_flight, kill);
        if answer.is_ok_and(|r| r.status() == 200) {
            acknowledged += batches[10].len();
        }
        acknowledged
    });
    server.kill();

    let server = Server::start(dir);
    kiosk.base = server.url.clone();
    runtime.block_on(async {
        let status: DeviceStatus = kiosk
            .signed(reqwest::Method::GET, paths::DEVICE, vec![])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            status.entries as usize >= acknowledged,
            "nothing acknowledged was lost"
        );
        let held = status.entries as usize;
        assert_eq!(
            status.chain_head,
            entries[held - 1].hash,
            "the held entries are a prefix"
        );
        // Resend everything: held entries are answered again, the rest stored once.
        for batch in &batches {
            assert_eq!(kiosk.push(batch).await.status(), 200);
        }
        let status: DeviceStatus = kiosk
            .signed(reqwest::Method::GET, paths::DEVICE, vec![])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(status.entries as usize, entries.len());
        assert_eq!(status.chain_head, entries[entries.len() - 1].hash);
    });
    drop(server);
    let stored = runtime.block_on(async {
        let store = guichet_platform::Store::open(dir.join("platform.db").to_str().unwrap())
            .await
            .unwrap();
        store.entry_count().await.unwrap()
    });
    assert_eq!(stored as usize, entries.len(), "nothing doubled");
}

/// `serve --tls-cert --tls-key`: HTTPS with a certificate from a throwaway CA (TEST ONLY); a
/// client trusting that CA gets the API's JSON answers, a client trusting another CA does not
/// connect, and a key that does not match the certificate is refused at start.
#[test]
fn serve_speaks_https_with_its_certificate_files() {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    // The data directory; the signer directory is beside it (`data-signer`), in the same
    // temporary directory.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let dir = dir.as_path();
    platform(dir, &["init"]);
    let ca = |_| {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
    };
    let (good, other) = (ca(0), ca(1));
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &good)
        .unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
    std::fs::write(
        dir.join("other-key.pem"),
        KeyPair::generate().unwrap().serialize_pem(),
    )
    .unwrap();
    let tls = |key: &str| {
        vec![
            "--tls-cert".to_owned(),
            dir.join("cert.pem").to_str().unwrap().to_owned(),
            "--tls-key".to_owned(),
            dir.join(key).to_str().unwrap().to_owned(),
        ]
    };
    let mismatched: Vec<String> = tls("other-key.pem");
    let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
    args.extend(mismatched.iter().map(String::as_str));
    assert!(platform_fails(dir, &args).contains("cert.pem"));

    let arguments = tls("key.pem");
    let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
    let server = Server::start_with(dir, &arguments);
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = |ca: &CertifiedIssuer<'_, KeyPair>| {
            reqwest::Client::builder()
                .tls_certs_only([reqwest::Certificate::from_pem(ca.pem().as_bytes()).unwrap()])
                .build()
                .unwrap()
        };
        let answer = client(&good)
            .get(format!("{}{}", server.url, paths::DEVICE))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 401);
        let body: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(body["error"], "MISSING_AUTH");
        assert!(client(&other)
            .get(format!("{}{}", server.url, paths::DEVICE))
            .send()
            .await
            .is_err());
    });
}

/// The booklets' issue day in these tests: 30 days ago, so that they are valid today whatever
/// the calendar says.
fn issued_on() -> String {
    guichet_platform::clock::paris_day(Timestamp::now())
        .checked_sub(jiff::Span::new().days(30))
        .unwrap()
        .to_string()
}

/// `serve` logs one line per request by default (issue 23: "after dozens of requests the
/// server log held only its listening line"): method, path, status and latency.
#[test]
fn serve_logs_one_line_per_request() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    platform(&dir, &["init"]);
    let mut child = Command::new(BIN)
        .arg("--data-dir")
        .arg(&dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("GUICHET_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        for path in ["/healthz", "/readyz", "/v1/bundle"] {
            client.get(format!("{url}{path}")).send().await.unwrap();
        }
    });
    // The three lines are written as each answer goes out; give the last a moment.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    let answered: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("finished processing request"))
        .collect();
    assert_eq!(answered.len(), 3, "{log}");
    assert!(
        answered
            .iter()
            .any(|l| l.contains("/v1/bundle") && l.contains("status=401")),
        "{log}"
    );
}

/// How many migrations the SQLite file at `path` has (sqlx's record of them).
fn user_version(path: &Path) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row(
            "SELECT MAX(version) FROM _sqlx_migrations WHERE success",
            [],
            |row| row.get(0),
        )
        .unwrap()
}

/// Migrations run only when asked (issue 23, point 2): a database one migration behind is
/// refused by every other command, which says what to do and leaves it as it was; `migrate`
/// applies what it lacks, once; three `migrate` started together on one new PostgreSQL
/// database all succeed and exactly one of them applies the migrations.
#[test]
fn migrations_run_only_when_asked() {
    let migrations = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema/platform-migrations");
    let known = std::fs::read_dir(&migrations)
        .unwrap()
        .filter(|entry| {
            let name = entry.as_ref().unwrap().file_name();
            name.to_string_lossy().starts_with("sqlite-")
        })
        .count() as i64;
    let behind = known - 1;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("platform.db");
    let location = db.to_str().unwrap();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let schema = guichet_platform::db::Schema::MigrateTo(behind);
        let (store, _) = guichet_platform::Store::open_with(location, None, schema)
            .await
            .unwrap();
        store.close().await;
    });
    // Any command that opens the database, reading only.
    let list = ["--database", location, "device", "list"];

    let refused = platform_fails(dir.path(), &list);
    assert!(
        refused.contains(&format!("schema version {behind}"))
            && refused.contains("guichet-platform migrate"),
        "{refused}"
    );
    assert_eq!(user_version(&db), behind, "a refused command migrated");

    let migrated = platform(dir.path(), &["--database", location, "migrate"]);
    assert!(
        migrated.contains(&format!("schema version {behind} -> {known}")),
        "{migrated}"
    );
    assert_eq!(user_version(&db), known);
    let again = platform(dir.path(), &["--database", location, "migrate"]);
    assert!(again.contains("nothing to migrate"), "{again}");
    platform(dir.path(), &list);

    let Some((url, _cluster)) = common::fresh_location(common::Backend::Postgres, dir.path())
    else {
        return;
    };
    let together: Vec<Child> = (0..3)
        .map(|_| {
            Command::new(BIN)
                .arg("--data-dir")
                .arg(dir.path())
                .args(["--database", &url, "migrate"])
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<String> = together
        .into_iter()
        .map(|child| {
            let output = child.wait_with_output().unwrap();
            assert!(output.status.success(), "{output:?}");
            String::from_utf8(output.stdout).unwrap()
        })
        .collect();
    let applied = outputs
        .iter()
        .filter(|out| out.contains(&format!("schema version 0 -> {known}")))
        .count();
    assert_eq!(applied, 1, "{outputs:?}");
    // Opening refuses any schema but this program's: the three left it current.
    let stored = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = guichet_platform::Store::open(&url)
            .await
            .expect("a current schema");
        store.entry_count().await.unwrap()
    });
    assert_eq!(stored, 0);
}

/// The PostgreSQL password comes from a file or the systemd credential, never from the
/// command line (issue 23, point 1): a URL holding one is refused without repeating it; a role
/// that must give a password connects with the file or the credential, and not without it,
/// with a wrong one, or from a file every account may read.
#[test]
fn the_database_password_comes_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let in_url = [
        "--database",
        "postgres://guichet:s3cr3t@127.0.0.1:9/guichet",
        "migrate",
    ];
    let refused = platform_fails(dir.path(), &in_url);
    assert!(
        refused.contains("--database-password-file") && !refused.contains("s3cr3t"),
        "{refused}"
    );
    let Some(cluster) = common::pg::PgCluster::shared() else {
        return;
    };
    let url = cluster.new_database_with_password("guichet_pw", "correct-horse");
    let file = |name: &str, text: &str, mode: u32| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path.display().to_string()
    };
    let right = file("right", "correct-horse\n", 0o600);
    let wrong = file("wrong", "battery-staple\n", 0o600);
    let readable = file("readable", "correct-horse\n", 0o644);
    let with = |password: &str| {
        let (url, password) = (url.clone(), password.to_owned());
        move |dir: &Path| -> String {
            platform_fails(
                dir,
                &[
                    "--database",
                    &url,
                    "--database-password-file",
                    &password,
                    "migrate",
                ],
            )
        }
    };

    let without = platform_fails(dir.path(), &["--database", &url, "migrate"]);
    assert!(
        without.contains("cannot connect to PostgreSQL"),
        "{without}"
    );
    let wrong_one = with(&wrong)(dir.path());
    assert!(
        wrong_one.contains("password authentication failed"),
        "{wrong_one}"
    );
    let everyone = with(&readable)(dir.path());
    assert!(everyone.contains("every account may read"), "{everyone}");
    let migrated = platform(
        dir.path(),
        &[
            "--database",
            &url,
            "--database-password-file",
            &right,
            "migrate",
        ],
    );
    assert!(migrated.contains("schema version 0 ->"), "{migrated}");

    // The service's way: systemd's LoadCredential= puts it in $CREDENTIALS_DIRECTORY.
    let credentials = dir.path().join("credentials");
    std::fs::create_dir(&credentials).unwrap();
    std::fs::copy(
        dir.path().join("right"),
        credentials.join("database-password"),
    )
    .unwrap();
    let output = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--database", &url, "device", "list"])
        .env("CREDENTIALS_DIRECTORY", &credentials)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
}

/// The configuration file says where everything is (issue 23, point 1): `init`, an admin
/// command and `serve` need no option but `--config`; an option given wins over the file; a
/// misspelt key is named with its line; a file every account may write is refused.
#[test]
fn a_configuration_file_says_where_everything_is() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("var-lib");
    let config = dir.path().join("platform.toml");
    let write = |text: String, mode: u32| {
        std::fs::write(&config, text).unwrap();
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    write(
        format!(
            "# /etc/guichet-platform/platform.toml\ndata_dir = \"{}\"\ndatabase = \"{}\"\n\n[serve]\nlisten = \"127.0.0.1:0\"\n",
            data.display(),
            dir.path().join("base.db").display()
        ),
        0o640,
    );
    let with_config = |args: &[&str]| {
        let output = Command::new(BIN)
            .arg("--config")
            .arg(&config)
            .args(args)
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (ok, out, err) = with_config(&["init"]);
    assert!(ok, "{err}");
    assert!(out.contains("base.db"), "{out}");
    assert!(data.join("platform-root-public-key.txt").exists());
    let (ok, _, err) = with_config(&["device", "list"]);
    assert!(ok, "{err}");

    // serve listens where the file says (a free port), on the file's database.
    let served = Server::spawn(
        Command::new(BIN)
            .env("GUICHET_PLATFORM_CONFIG", &config)
            .arg("serve"),
    );
    let line = served.url.clone();
    drop(served);
    assert!(line.contains("http://127.0.0.1:"), "{line}");
    assert!(!line.contains(":8440"), "{line}");

    // An option wins over the file: another database, not initialised, so nothing to open.
    let (ok, _, err) = with_config(&[
        "--database",
        dir.path().join("other.db").to_str().unwrap(),
        "device",
        "list",
    ]);
    assert!(!ok && err.contains("run `guichet-platform init`"), "{err}");

    write(
        "data_dir = \"/srv\"\n[serve]\nlisten_on = \"0.0.0.0:8440\"\n".into(),
        0o640,
    );
    let (ok, _, err) = with_config(&["device", "list"]);
    assert!(
        !ok && err.contains("platform.toml") && err.contains("line 3") && err.contains("listen_on"),
        "{err}"
    );
    write(format!("data_dir = \"{}\"\n", data.display()), 0o666);
    let (ok, _, err) = with_config(&["device", "list"]);
    assert!(!ok && err.contains("every account may write"), "{err}");
}

/// `guichet-platform doctor` says what an operator must fix, and changes nothing (issue 23,
/// point 1): a missing platform, then a platform with no bundle, a root key on the server and
/// a sync key others may read are each named with what to do; exit status 1 only for a
/// problem.
#[test]
fn doctor_says_what_an_operator_must_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let doctor = || {
        let output = Command::new(BIN)
            .arg("--data-dir")
            .arg(&dir)
            .arg("doctor")
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };
    let line = |out: &str, name: &str| {
        out.lines()
            .find(|l| {
                l.split_once(' ')
                    .is_some_and(|(_, rest)| rest.trim_start().starts_with(&format!("{name}:")))
            })
            .unwrap_or_else(|| panic!("no {name} line in {out}"))
            .to_owned()
    };

    let (status, out) = doctor();
    assert_eq!(status, Some(1), "{out}");
    let missing = line(&out, "data directory");
    assert!(
        missing.starts_with("problem") && missing.contains("guichet-platform init"),
        "{out}"
    );
    assert!(!dir.exists(), "doctor made nothing");

    platform(&dir, &["init"]);
    common::create_first_admin(Command::new(BIN).arg("--data-dir").arg(&dir));
    let (status, out) = doctor();
    assert_eq!(status, Some(1), "{out}");
    assert!(line(&out, "data directory").starts_with("ok"), "{out}");
    assert!(line(&out, "database").starts_with("ok"), "{out}");
    assert!(line(&out, "sync key").starts_with("ok"), "{out}");
    let bundle = line(&out, "bundle");
    assert!(
        bundle.starts_with("problem") && bundle.contains("no bundle published"),
        "{out}"
    );
    let signer = line(&out, "signer directory");
    assert!(
        signer.starts_with("warning") && signer.contains("guichet-signer"),
        "{out}"
    );

    let referential = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/referential/example-referential.json");
    platform(
        &dir,
        &["referential", "import", referential.to_str().unwrap()],
    );
    platform(&dir, &["publish"]);
    let (status, out) = doctor();
    assert_eq!(status, Some(0), "warnings only: {out}");
    assert!(
        line(&out, "bundle").starts_with("ok       bundle: bundle 1"),
        "{out}"
    );

    let sync_key = dir.join("platform-sync-key.json");
    std::fs::set_permissions(&sync_key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (status, out) = doctor();
    assert_eq!(status, Some(1), "{out}");
    assert!(line(&out, "sync key").contains("chmod 600"), "{out}");
    // The warnings: the root key here, and its public half writable by this account.
    assert!(out.ends_with("1 problem(s), 2 warning(s)\n"), "{out}");
}
