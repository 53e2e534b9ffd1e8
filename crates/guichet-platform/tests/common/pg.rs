//! A throwaway PostgreSQL cluster on a random loopback port, for tests and benches.
//!
//! One cluster is shared by the tests of a process while any of them holds it, and stopped
//! when the last one drops it (also when a test panics). Each test gets its own database.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// A running cluster; stopped on drop.
pub struct PgCluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    as_root: bool,
}

static SHARED: Mutex<Weak<PgCluster>> = Mutex::new(Weak::new());
static DATABASES: AtomicU32 = AtomicU32::new(0);

fn postgres_bin() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists() && p.join("pg_ctl").exists())
        .collect();
    dirs.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    dirs.pop()
}

/// The variable that lets a test pass without what it needs: `GUICHET_ALLOW_SKIP=1`.
pub const ALLOW_SKIP: &str = "GUICHET_ALLOW_SKIP";

/// Whether `value`, the value of [`ALLOW_SKIP`], allows skipping: exactly `1`.
pub fn skip_allowed(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| v == "1")
}

/// A test cannot run because `missing` is missing: it fails (panics) unless
/// `GUICHET_ALLOW_SKIP=1`, in which case it says so loudly and the caller skips.
pub fn skip_or_fail(missing: &str) {
    if skip_allowed(std::env::var_os(ALLOW_SKIP).as_deref()) {
        eprintln!("\n!!!!! SKIPPED ({ALLOW_SKIP}=1): {missing} !!!!!\n");
    } else {
        panic!("{missing}; this test fails without it (set {ALLOW_SKIP}=1 to skip it knowingly)");
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl PgCluster {
    fn command(&self, program: &Path) -> Command {
        if self.as_root {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    fn start() -> Result<PgCluster, String> {
        PgCluster::start_with(None)
    }

    /// A cluster of its own that accepts TCP connections over TLS only, with this certificate
    /// chain and key (PEM); databases are made through its Unix socket. `None` (after
    /// [`skip_or_fail`]) when PostgreSQL is not installed.
    pub fn start_tls(cert_pem: &str, key_pem: &str) -> Option<PgCluster> {
        if postgres_bin().is_none() {
            skip_or_fail("PostgreSQL is not installed; PostgreSQL over TLS was NOT tested");
            return None;
        }
        Some(PgCluster::start_with(Some((cert_pem, key_pem))).expect("a TLS PostgreSQL cluster"))
    }

    /// A new cluster directory (not initialised, not started), owned by `postgres` when root.
    fn new_dir() -> Result<PgCluster, String> {
        let bin =
            postgres_bin().ok_or("no PostgreSQL server binaries under /usr/lib/postgresql")?;
        let dir = std::env::temp_dir().join(format!(
            "guichet-pg-{}-{}",
            std::process::id(),
            DATABASES.fetch_add(1000, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let cluster = PgCluster {
            dir,
            bin,
            port: 0,
            as_root: is_root(),
        };
        cluster.give_to_postgres(&cluster.dir)?;
        Ok(cluster)
    }

    /// Makes `path` (recursively) the `postgres` account's when running as root.
    fn give_to_postgres(&self, path: &Path) -> Result<(), String> {
        if !self.as_root {
            return Ok(());
        }
        let status = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(path)
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("chown postgres {} failed", path.display()));
        }
        Ok(())
    }

    fn start_with(tls: Option<(&str, &str)>) -> Result<PgCluster, String> {
        PgCluster::start_with_options(tls, "")
    }

    fn start_with_options(tls: Option<(&str, &str)>, extra: &str) -> Result<PgCluster, String> {
        PgCluster::start_in(PgCluster::new_dir()?, tls, extra)
    }

    /// Initialises and starts `cluster` (a [`PgCluster::new_dir`]).
    fn start_in(
        mut cluster: PgCluster,
        tls: Option<(&str, &str)>,
        extra: &str,
    ) -> Result<PgCluster, String> {
        let as_root = cluster.as_root;
        let initdb = cluster
            .command(&cluster.bin.join("initdb"))
            .arg("-D")
            .arg(cluster.dir.join("data"))
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| e.to_string())?;
        if !initdb.success() {
            return Err("initdb failed".into());
        }
        let mut tls_options = String::new();
        if let Some((cert, key)) = tls {
            let data = cluster.dir.join("data");
            let write = |name: &str, text: &str| -> Result<(), String> {
                use std::os::unix::fs::PermissionsExt;
                let path = data.join(name);
                std::fs::write(&path, text).map_err(|e| e.to_string())?;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| e.to_string())?;
                if as_root {
                    Command::new("chown")
                        .arg("postgres:postgres")
                        .arg(&path)
                        .status()
                        .map_err(|e| e.to_string())?;
                }
                Ok(())
            };
            write("server.crt", cert)?;
            write("server.key", key)?;
            write(
                "pg_hba.conf",
                "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n",
            )?;
            tls_options = " -c ssl=on".into();
        }
        cluster.start_server(&format!("{tls_options}{extra}"))?;
        Ok(cluster)
    }

    /// Starts the server of this cluster's data directory on a free port, with `extra` options.
    fn start_server(&mut self, extra: &str) -> Result<(), String> {
        let cluster = self;
        for _attempt in 0..3 {
            cluster.port = free_port();
            let options = format!(
                "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c max_connections=200{extra}",
                cluster.port,
                cluster.dir.display()
            );
            let started = cluster
                .command(&cluster.bin.join("pg_ctl"))
                .arg("-D")
                .arg(cluster.dir.join("data"))
                .arg("-l")
                .arg(cluster.dir.join("log"))
                .args(["-w", "-o", &options, "start"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map_err(|e| e.to_string())?;
            if started.success() {
                return Ok(());
            }
        }
        Err(format!(
            "pg_ctl start failed; see {}/log",
            cluster.dir.display()
        ))
    }

    /// A cluster of its own that archives each finished WAL segment into `archive` (made
    /// here), as a production server with point-in-time recovery does (the backup drill).
    /// `None` (after [`skip_or_fail`]) when PostgreSQL is not installed.
    pub fn start_archiving(archive: &Path) -> Option<PgCluster> {
        if postgres_bin().is_none() {
            skip_or_fail("PostgreSQL is not installed; the backup drill was NOT run");
            return None;
        }
        std::fs::create_dir_all(archive).expect("the WAL archive directory");
        let options = format!(
            " -c wal_level=replica -c archive_mode=on -c archive_command='test ! -f {0}/%f && cp %p {0}/%f'",
            archive.display()
        );
        let cluster = PgCluster::new_dir().expect("a cluster directory");
        cluster
            .give_to_postgres(archive)
            .expect("the archive is postgres's");
        Some(PgCluster::start_in(cluster, None, &options).expect("an archiving PostgreSQL cluster"))
    }

    /// A base backup of the running cluster into `to` (`pg_basebackup`, through the socket),
    /// with the WAL it needs.
    pub fn base_backup(&self, to: &Path) {
        let status = self
            .command(&self.bin.join("pg_basebackup"))
            .arg("-D")
            .arg(to)
            .arg("-h")
            .arg(&self.dir)
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-X",
                "stream",
                "--no-sync",
                // A checkpoint now: the default spreads it over minutes.
                "--checkpoint=fast",
            ])
            .status()
            .expect("pg_basebackup runs");
        assert!(status.success(), "pg_basebackup failed");
    }

    /// The directory base backups may be written into (the `postgres` account's, when root).
    pub fn backup_dir(&self, name: &str) -> PathBuf {
        let dir = self.dir.join(name);
        std::fs::create_dir_all(&dir).expect("a backup directory");
        self.give_to_postgres(&dir)
            .expect("the backup directory is postgres's");
        dir.join("base")
    }

    /// Runs `sql` as the superuser through the socket (e.g. `SELECT pg_switch_wal()`).
    pub fn psql(&self, sql: &str) -> String {
        let output = self
            .command(&self.bin.join("psql"))
            .arg("-h")
            .arg(&self.dir)
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                "postgres",
            ])
            .args(["-X", "-A", "-t", "-c", sql])
            .output()
            .expect("psql runs");
        assert!(output.status.success(), "psql {sql}: {output:?}");
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// Stops the server at once (the machine is lost); its directory stays until drop.
    pub fn crash(&self) {
        let status = self
            .command(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("pg_ctl runs");
        assert!(status.success(), "pg_ctl stop failed");
    }

    /// A new cluster restored from the base backup `base` and the WAL in `archive`, recovered
    /// up to `target_time` (PostgreSQL's timestamp text) and then opened for writes: the
    /// point-in-time recovery of docs/admin-guide.md.
    pub fn restore(&self, base: &Path, archive: &Path, target_time: &str) -> PgCluster {
        let mut restored = PgCluster::new_dir().expect("a cluster directory");
        let data = restored.dir.join("data");
        let status = Command::new("cp")
            .arg("-a")
            .arg(base)
            .arg(&data)
            .status()
            .expect("cp runs");
        assert!(status.success(), "copying the base backup failed");
        let mut conf = std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.auto.conf"))
            .expect("postgresql.auto.conf");
        use std::io::Write;
        writeln!(
            conf,
            "restore_command = 'cp {}/%f %p'\nrecovery_target_time = '{target_time}'\n\
             recovery_target_action = 'promote'",
            archive.display()
        )
        .expect("recovery settings written");
        std::fs::write(data.join("recovery.signal"), "").expect("recovery.signal");
        restored
            .give_to_postgres(&restored.dir)
            .expect("the restored data is postgres's");
        restored
            .start_server("")
            .expect("the restored cluster starts");
        restored
    }

    /// The URL of database `name` on this cluster.
    pub fn database_url(&self, name: &str) -> String {
        self.url(name)
    }

    /// The shared cluster, started if none is running. When PostgreSQL is not installed it
    /// panics, so the test fails, unless `GUICHET_ALLOW_SKIP=1` (then None, after a loud
    /// message, and the caller returns early). CI never sets it.
    pub fn shared() -> Option<Arc<PgCluster>> {
        let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(cluster) = shared.upgrade() {
            return Some(cluster);
        }
        if postgres_bin().is_none() {
            skip_or_fail(
                "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); \
                 the PostgreSQL backend was NOT tested",
            );
            return None;
        }
        let cluster = Arc::new(PgCluster::start().expect("a throwaway PostgreSQL cluster"));
        *shared = Arc::downgrade(&cluster);
        Some(cluster)
    }

    /// A new, empty database; its URL.
    pub fn new_database(&self) -> String {
        self.create_database(&self.url("postgres"))
    }

    /// A new, empty database made through the Unix socket; its TCP URL (no TLS parameter).
    pub fn new_database_by_socket(&self) -> String {
        self.create_database(&format!(
            "host={} port={} user=postgres dbname=postgres",
            self.dir.display(),
            self.port
        ))
    }

    /// Creates a new database through the connection `admin` names; its TCP URL.
    fn create_database(&self, admin: &str) -> String {
        let name = format!("t{}", DATABASES.fetch_add(1, Ordering::SeqCst));
        run_sql(admin, &format!("CREATE DATABASE {name}"));
        self.url(&name)
    }

    /// A new database owned by a new role that must give `password` (SCRAM over TCP, the
    /// cluster's other roles unchanged); its URL, without the password.
    pub fn new_database_with_password(&self, role: &str, password: &str) -> String {
        let url = self.new_database();
        let name = url.rsplit('/').next().unwrap().to_owned();
        run_sql(
            &self.url("postgres"),
            &format!(
                "SET password_encryption = 'scram-sha-256';
                 CREATE ROLE {role} LOGIN PASSWORD '{password}';
                 ALTER DATABASE {name} OWNER TO {role};"
            ),
        );
        // pg_hba.conf: its first matching line decides, so the role's line goes first.
        let hba = self.dir.join("data").join("pg_hba.conf");
        let lines = std::fs::read_to_string(&hba).expect("pg_hba.conf");
        std::fs::write(
            &hba,
            format!("host all {role} 127.0.0.1/32 scram-sha-256\nhostssl all {role} 127.0.0.1/32 scram-sha-256\n{lines}"),
        )
        .expect("pg_hba.conf written");
        run_sql(&self.url("postgres"), "SELECT pg_reload_conf()");
        format!("postgres://{role}@127.0.0.1:{}/{name}", self.port)
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self
            .command(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `sql` on the database at `url` as the cluster's superuser, on a thread of its own: the
/// blocking `postgres` client starts a runtime, which it cannot do inside a test's.
pub fn run_sql(url: &str, sql: &str) {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                postgres::Client::connect(url, postgres::NoTls)
                    .expect("connect to the throwaway cluster")
                    .batch_execute(sql)
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
            })
            .join()
            .expect("the SQL thread");
    });
}
