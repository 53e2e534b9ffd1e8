//! Key custody: a platform set up with the real binary keeps the root key and the issuer
//! keys in its signer directory only. Every byte of its data directory (database included)
//! and, on PostgreSQL, every row of every table is searched for those private keys: none is
//! found, and without the signer directory nothing can be signed. A platform of the older
//! layout (root key in the data directory, issuer secrets in the database) has them moved out
//! by its next admin command.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Backend;
use guichet_platform::keys::read_root_key;

const BIN: &str = env!("CARGO_BIN_EXE_guichet-platform");

struct Platform {
    data: PathBuf,
    database: Option<String>,
}

impl Platform {
    fn run(&self, args: &[&str]) -> std::process::Output {
        self.command()
            .args(args)
            .env("GUICHET_ACCOUNT", common::ADMIN)
            .output()
            .unwrap()
    }

    /// The binary on this platform's data directory and database.
    fn command(&self) -> Command {
        let mut command = Command::new(BIN);
        command.arg("--data-dir").arg(&self.data);
        if let Some(database) = &self.database {
            command.args(["--database", database]);
        }
        command
    }

    /// `init` (with `more`), then the first admin account the other commands act as.
    fn init(&self, more: &[&str]) -> String {
        let out = self.ok(&[&["init"][..], more].concat());
        common::create_first_admin(&mut self.command());
        out
    }

    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Provider 7, zone 33, center C1 and the example referential.
    fn add_provider_center_and_referential(&self) {
        self.ok(&["provider", "add", "--id", "7", "--name", "Département"]);
        self.ok(&["zone", "add", "--id", "33", "--name", "Gironde"]);
        self.ok(&[
            "center",
            "add",
            "--id",
            "C1",
            "--name",
            "Médiathèque",
            "--zone",
            "33",
        ]);
        let referential = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/referential/example-referential.json"
        );
        self.ok(&["referential", "import", referential]);
    }

    fn signer(&self) -> PathBuf {
        let mut name = self.data.as_os_str().to_owned();
        name.push("-signer");
        PathBuf::from(name)
    }
}

/// The seeds of every key file in the signer directory (root and issuers).
fn private_keys(signer: &Path) -> Vec<[u8; 32]> {
    std::fs::read_dir(signer)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        // The signer directory also keeps the last bundle document it signed (public).
        .filter(|path| !path.ends_with("last-signed-bundle.json"))
        .map(|path| read_root_key(&path).unwrap().to_bytes())
        .collect()
}

/// Every file under `dir`, as bytes.
fn all_bytes(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(all_bytes(&path));
        } else {
            files.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Asserts that no private key appears in the data directory's files or the database rows.
fn assert_no_private_key(platform: &Platform, keys: &[[u8; 32]]) {
    assert!(keys.len() >= 2, "a root and an issuer key: {}", keys.len());
    let mut texts: Vec<(String, Vec<u8>)> = all_bytes(&platform.data)
        .into_iter()
        .map(|(path, bytes)| (path.display().to_string(), bytes))
        .collect();
    if let Some(url) = &platform.database {
        let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
        let tables: Vec<String> = client
            .query(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = 'public'",
                &[],
            )
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect();
        assert!(tables.iter().any(|t| t == "issuer_keys"), "{tables:?}");
        for table in tables {
            for row in client
                .query(&format!("SELECT row_to_json(t)::text FROM {table} t"), &[])
                .unwrap()
            {
                let text: String = row.get(0);
                texts.push((format!("table {table}"), text.into_bytes()));
            }
        }
    }
    for key in keys {
        let lower = hex::encode(key);
        for (place, bytes) in &texts {
            for needle in [
                key.as_slice(),
                lower.as_bytes(),
                lower.to_uppercase().as_bytes(),
            ] {
                assert!(!contains(bytes, needle), "a private key is in {place}");
            }
        }
    }
}

/// A platform set up by the binary; the PostgreSQL cluster (if any) lives as long as the
/// returned value.
type SetUp = (
    tempfile::TempDir,
    Platform,
    Option<std::sync::Arc<common::pg::PgCluster>>,
);

fn set_up(backend: Backend) -> Option<SetUp> {
    let tmp = tempfile::tempdir().unwrap();
    let (database, cluster) = match backend {
        Backend::Sqlite => (None, None),
        Backend::Postgres => {
            let cluster = common::pg::PgCluster::shared()?;
            (Some(cluster.new_database()), Some(cluster))
        }
    };
    let platform = Platform {
        data: tmp.path().join("data"),
        database,
    };
    platform.init(&[]);
    platform.add_provider_center_and_referential();
    platform.ok(&["issuer-key", "add", "--provider", "7"]);
    let print = tmp.path().join("print");
    platform.ok(&[
        "mint",
        "--booklets",
        "1",
        "--coupons",
        "5",
        "--provider",
        "7",
        "--out",
        print.to_str().unwrap(),
    ]);
    platform.ok(&["publish"]);
    Some((tmp, platform, cluster))
}

fn the_data_directory_and_database_hold_no_signing_key(backend: Backend) {
    let Some((tmp, platform, _cluster)) = set_up(backend) else {
        return;
    };
    let keys = private_keys(&platform.signer());
    assert_no_private_key(&platform, &keys);
    // A copy of the data directory and database alone signs nothing.
    let copy = Platform {
        data: tmp.path().join("copy"),
        database: platform.database.clone(),
    };
    std::fs::create_dir_all(&copy.data).unwrap();
    for (path, bytes) in all_bytes(&platform.data) {
        let name = path.strip_prefix(&platform.data).unwrap();
        std::fs::write(copy.data.join(name), bytes).unwrap();
    }
    for args in [
        &["publish"][..],
        &["issuer-key", "add", "--provider", "7"],
        &[
            "mint",
            "--booklets",
            "1",
            "--coupons",
            "5",
            "--provider",
            "7",
            "--out",
            "/tmp/x",
        ],
    ] {
        let output = copy.run(args);
        assert!(
            !output.status.success(),
            "{args:?} signed without the signer"
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("platform-root-key.json") && stderr.contains("signer directory"),
            "{args:?}: {stderr}"
        );
    }
}

/// The older layout: the root key in the data directory, an issuer secret in the database.
/// The next admin command moves both to the signer directory.
#[test]
fn an_older_platform_has_its_keys_moved_out_by_the_next_admin_command() {
    let Some((tmp, platform, _)) = set_up(Backend::Sqlite) else {
        return;
    };
    let signer = platform.signer();
    let issuer_file = std::fs::read_dir(&signer)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("issuer-key-")
        })
        .unwrap();
    let issuer = read_root_key(&issuer_file).unwrap();
    std::fs::remove_file(&issuer_file).unwrap();
    std::fs::rename(
        signer.join("platform-root-key.json"),
        platform.data.join("platform-root-key.json"),
    )
    .unwrap();
    let db = rusqlite::Connection::open(platform.data.join("platform.db")).unwrap();
    db.execute(
        "UPDATE issuer_keys SET secret_key = ?1",
        [hex::encode(issuer.to_bytes())],
    )
    .unwrap();
    drop(db);

    platform.ok(&["publish"]);
    let keys = private_keys(&signer);
    assert!(
        keys.contains(&issuer.to_bytes()),
        "the issuer key was moved"
    );
    assert_no_private_key(&platform, &keys);
    drop(tmp);
}

#[test]
fn the_data_directory_and_database_hold_no_signing_key_on_sqlite() {
    the_data_directory_and_database_hold_no_signing_key(Backend::Sqlite);
}

#[test]
fn the_data_directory_and_database_hold_no_signing_key_on_postgresql() {
    the_data_directory_and_database_hold_no_signing_key(Backend::Postgres);
}

/// The offline signer's own program, `guichet-signer`, beside this package's binary in the
/// target directory (`cargo build --workspace --bins`, which `make test` runs first).
fn signer_program() -> std::path::PathBuf {
    let program = std::path::Path::new(BIN).with_file_name("guichet-signer");
    assert!(
        program.exists(),
        "{} is missing: run `cargo build -p guichet-signer` (make test does)",
        program.display()
    );
    program
}

/// The offline signer on a machine of its own: it makes the root and an issuer key, signs the
/// bundle the platform drafted and prints the coupons of the order the platform recorded,
/// all through files; the platform, set up with the root's public half only, imports the
/// bundle (one signed by another root is refused) and never has a private key.
#[test]
fn an_offline_signer_signs_what_the_platform_drafts_through_files() {
    let tmp = tempfile::tempdir().unwrap();
    let signer_dir = tmp.path().join("offline-signer");
    let signer = |args: &[&str]| -> String {
        let output = Command::new(signer_program())
            .arg("--dir")
            .arg(&signer_dir)
            .args(args)
            .current_dir(tmp.path())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "signer {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let platform = Platform {
        data: tmp.path().join("data"),
        database: None,
    };
    let root = signer(&["init"]);
    let root: Vec<&str> = root.lines().collect();
    let out = platform.init(&["--root-public-key", root[0]]);
    assert!(out.contains(root[1]), "the fingerprint is shown: {out}");
    assert!(
        !platform.signer().exists(),
        "the platform made no signer directory"
    );
    platform.add_provider_center_and_referential();
    let issuer = signer(&["issuer-key"]);
    let public = issuer.split_whitespace().nth(1).unwrap();
    platform.ok(&[
        "issuer-key",
        "import",
        "--provider",
        "7",
        "--public-key",
        public,
    ]);

    let order = tmp.path().join("order.json");
    platform.ok(&[
        "mint",
        "--booklets",
        "1",
        "--coupons",
        "5",
        "--provider",
        "7",
        "--scope",
        "2.2",
        "--order-out",
        order.to_str().unwrap(),
    ]);
    let print = tmp.path().join("print");
    signer(&[
        "print",
        "--order",
        order.to_str().unwrap(),
        "--out",
        print.to_str().unwrap(),
    ]);
    let draft = tmp.path().join("draft.json");
    platform.ok(&["bundle", "draft", "--out", draft.to_str().unwrap()]);
    let bundle = tmp.path().join("bundle.json");
    let shown = signer(&[
        "sign-bundle",
        "--draft",
        draft.to_str().unwrap(),
        "--out",
        bundle.to_str().unwrap(),
    ]);
    // Before it signs, the signer shows what the draft changes: here, the first bundle, so
    // the issuer key it brings (a widening change), the provider and the zone.
    let kid = public_key_kid(public);
    assert!(
        shown.contains(&format!("WIDENS  new issuer key {kid} for provider 7")),
        "{shown}"
    );
    assert!(shown.contains("new provider 7"), "{shown}");
    // The same draft again: refused, this signer already signed that sequence.
    let again = Command::new(signer_program())
        .arg("--dir")
        .arg(&signer_dir)
        .args(["sign-bundle", "--draft"])
        .arg(&draft)
        .arg("--out")
        .arg(tmp.path().join("again.json"))
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already signed bundle 1"));

    // A bundle signed by another root is refused; the signer's is published.
    let forged = tmp.path().join("forged.json");
    let other = Command::new(signer_program())
        .arg("--dir")
        .arg(tmp.path().join("other-signer"))
        .arg("init")
        .output()
        .unwrap();
    assert!(other.status.success());
    let status = Command::new(signer_program())
        .arg("--dir")
        .arg(tmp.path().join("other-signer"))
        .args(["sign-bundle", "--draft", draft.to_str().unwrap(), "--out"])
        .arg(&forged)
        .status()
        .unwrap();
    assert!(status.success());
    let refused = platform.run(&["bundle", "import", forged.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(platform
        .ok(&["bundle", "import", bundle.to_str().unwrap()])
        .contains("bundle 1"));
    let again = platform.run(&["bundle", "import", bundle.to_str().unwrap()]);
    assert!(!again.status.success(), "the same sequence twice");
    // Each file step was taken as the admin account, and only the import that published is
    // in the audit log.
    let log = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store =
            guichet_platform::Store::open(platform.data.join("platform.db").to_str().unwrap())
                .await
                .unwrap();
        let log = store.audit_log(100).await.unwrap();
        store.close().await;
        log
    });
    let actions: Vec<_> = log
        .iter()
        .filter(|e| e.account.as_deref() == Some(common::ADMIN) && e.address == "cli")
        .map(|e| (e.action.as_str(), e.object.as_str()))
        .collect();
    for done in [
        (
            "issuer_key.import",
            format!("issuer_key:{}", public_key_kid(public)),
        ),
        ("booklets.mint", "booklets:1-1".to_owned()),
        ("bundle.import", "bundle:1".to_owned()),
    ] {
        let count = actions
            .iter()
            .filter(|a| (a.0, a.1) == (done.0, done.1.as_str()))
            .count();
        assert_eq!(count, 1, "{done:?} in {actions:?}");
    }

    // The printed coupons verify against the published bundle, as a kiosk checks them.
    let root_key = guichet_protocol::signing::parse_public_key(root[0]).unwrap();
    let published =
        guichet_core::TrustBundle::open(&std::fs::read(&bundle).unwrap(), &[root_key]).unwrap();
    let codes = std::fs::read_to_string(print.join("booklets-000001-000001.txt")).unwrap();
    let context = guichet_core::Context {
        bundle: &published,
        today: guichet_platform::clock::paris_day(jiff::Timestamp::now()),
        area: Some(guichet_core::Area::A2_2),
        center_zone: 33,
    };
    for line in codes.lines() {
        let code = line.split('\t').nth(2).unwrap();
        assert!(
            guichet_core::verify_offline(code.as_bytes(), &context).is_ok(),
            "{code}"
        );
    }
    assert_no_private_key(&platform, &private_keys(&signer_dir));
}

/// The kid of a public key given in hex.
fn public_key_kid(hex: &str) -> guichet_core::Kid {
    let key = guichet_protocol::signing::parse_public_key(hex).unwrap();
    guichet_core::Kid::of_public_key(key.as_bytes())
}
