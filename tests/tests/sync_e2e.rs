//! The whole loop with real processes on 127.0.0.1: the platform mints and publishes, kiosks
//! enroll, redeem coupons read back from the printed PNGs (zbarimg), sync, and the platform
//! reports them; two offline kiosks accepting one coupon end with one valid and one conflict.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use guichet_e2e::proxy::{FaultyProxy, Forgery};
// The platform's own throwaway-cluster helper, shared rather than copied.
#[path = "../../crates/guichet-platform/tests/common/pg.rs"]
#[allow(dead_code)]
mod pg;
use guichet_e2e::fixtures::repo;
use guichet_e2e::{
    create_first_platform_admin, guichet, platform_bin, ProcessGroup, PLATFORM_ADMIN,
};
use pg::PgCluster;
use serde_json::Value;

fn checked(output: Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The platform's command line on a data directory and, for PostgreSQL, a database URL.
fn platform_command(dir: &Path, database: Option<&str>) -> Command {
    let mut command = Command::new(platform_bin());
    command.arg("--data-dir").arg(dir);
    if let Some(url) = database {
        command.args(["--database", url]);
    }
    command
}

/// An admin command, as the platform's first admin account.
fn platform(dir: &Path, database: Option<&str>, args: &[&str]) -> String {
    let output = platform_command(dir, database)
        .args(args)
        .env("GUICHET_ACCOUNT", PLATFORM_ADMIN)
        .output()
        .unwrap();
    checked(output, &format!("guichet-platform {args:?}"))
}

fn kiosk(dir: &Path, args: &[&str]) -> Output {
    guichet()
        .env("GUICHET_DATA_DIR", dir)
        .args(args)
        .output()
        .unwrap()
}

/// A file holding the admin PIN chosen at enrollment (`--admin-pin-file`), as a string.
fn admin_pin_file(dir: &Path) -> String {
    guichet_e2e::fixtures::pin_file(dir, "246810")
        .to_string_lossy()
        .into_owned()
}

/// `guichet redeem` of one code for the test workshop, by Zoé.
fn redeem(kiosk_dir: &Path, code: &str) -> Output {
    kiosk(
        kiosk_dir,
        &[
            "redeem",
            "--area",
            "1.1",
            "--service",
            "1.1.01",
            "--mediator",
            "Zoé",
            code,
        ],
    )
}

/// A platform with a center, a provider, a referential, 1 minted booklet of 5 and a
/// published bundle, serving on a free port.
struct World {
    dir: tempfile::TempDir,
    server: ProcessGroup,
    url: String,
    codes: Vec<String>,
    /// The PostgreSQL database, when the platform runs on one.
    database: Option<String>,
    /// Keeps the throwaway cluster running while the world lives.
    _cluster: Option<Arc<PgCluster>>,
}

/// The platform's database.
#[derive(Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

impl World {
    fn start() -> World {
        World::on(Backend::Sqlite).expect("SQLite is always there")
    }

    /// A world on `backend`; `None` (after a loud message) when PostgreSQL is not installed.
    fn on(backend: Backend) -> Option<World> {
        let cluster = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgCluster::shared()?),
        };
        Some(World::on_cluster(cluster))
    }

    /// A world on a new database of `cluster` (SQLite without one).
    fn on_cluster(cluster: Option<Arc<PgCluster>>) -> World {
        let database = cluster.as_ref().map(|c| c.new_database());
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("platform");
        let platform = |p: &Path, args: &[&str]| platform(p, database.as_deref(), args);
        platform(&p, &["init"]);
        create_first_platform_admin(platform_command(&p, database.as_deref()));
        platform(
            &p,
            &["provider", "add", "--id", "1", "--name", "Région test"],
        );
        // A center's zone must exist first (an unknown zone is refused).
        platform(&p, &["zone", "add", "--id", "33", "--name", "Gironde"]);
        platform(
            &p,
            &[
                "center",
                "add",
                "--id",
                "C1",
                "--name",
                "Médiathèque",
                "--zone",
                "33",
            ],
        );
        platform(&p, &["issuer-key", "add", "--provider", "1"]);
        let referential = repo("fixtures/referential/example-referential.json");
        platform(
            &p,
            &["referential", "import", referential.to_str().unwrap()],
        );
        let print = dir.path().join("print");
        platform(
            &p,
            &[
                "mint",
                "--booklets",
                "1",
                "--coupons",
                "5",
                "--provider",
                "1",
                "--out",
                print.to_str().unwrap(),
            ],
        );
        platform(&p, &["publish"]);
        let codes = read_printed_codes(&print);
        assert_eq!(codes.len(), 5, "{codes:?}");
        let mut command = platform_command(&p, database.as_deref());
        command.args(["serve", "--listen", "127.0.0.1:0"]);
        let mut server = ProcessGroup::spawn(command);
        let rest = server
            .wait_for_line_starting("guichet-platform listening on ", Duration::from_secs(20))
            .unwrap();
        let url = rest.split_whitespace().next().unwrap().to_string();
        World {
            dir,
            server,
            url,
            codes,
            database,
            _cluster: cluster,
        }
    }

    /// Runs an admin command of the platform.
    fn admin(&self, args: &[&str]) -> String {
        platform(
            &self.dir.path().join("platform"),
            self.database.as_deref(),
            args,
        )
    }

    /// Stops the platform, lets `between` act on its stopped data directory, and serves it
    /// again on the same address.
    fn restart_with(&mut self, between: impl FnOnce(&Path)) {
        self.server.kill();
        between(&self.dir.path().join("platform"));
        let address = self.url.trim_start_matches("http://").to_string();
        let mut command =
            platform_command(&self.dir.path().join("platform"), self.database.as_deref());
        command.args(["serve", "--listen", &address]);
        self.server = ProcessGroup::spawn(command);
        self.server
            .wait_for_line_starting("guichet-platform listening on ", Duration::from_secs(20))
            .unwrap();
    }

    fn enroll_kiosk(&self, name: &str) -> PathBuf {
        self.enroll_kiosk_via(name, &self.url)
    }

    /// A one-time code for C1 and the root fingerprint that goes with it (the two lines of
    /// `enroll-code`).
    fn enroll_ticket(&self) -> (String, String) {
        let out = self.admin(&["enroll-code", "--center", "C1"]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        (lines[0].trim().to_owned(), lines[1].trim().to_owned())
    }

    fn enroll_kiosk_via(&self, name: &str, url: &str) -> PathBuf {
        let (code, fingerprint) = self.enroll_ticket();
        let kiosk_dir = self.dir.path().join(name);
        let out = checked(
            kiosk(
                &kiosk_dir,
                &[
                    "enroll",
                    "--platform",
                    url,
                    "--code",
                    &code,
                    "--fingerprint",
                    &fingerprint,
                    "--admin-pin-file",
                    &admin_pin_file(self.dir.path()),
                ],
            ),
            "guichet enroll",
        );
        assert!(out.contains("enrolled: device"), "{out}");
        assert!(
            out.contains(&fingerprint),
            "the fingerprint is shown: {out}"
        );
        kiosk_dir
    }
}

/// Decodes every printed PNG with zbarimg, as a scanner would read the paper.
fn read_printed_codes(dir: &Path) -> Vec<String> {
    let mut pngs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pngs.sort();
    pngs.iter()
        .map(|png| {
            let output = Command::new("zbarimg")
                .args(["--raw", "-q"])
                .arg(png)
                .output()
                .unwrap();
            checked(output, "zbarimg").trim().to_string()
        })
        .collect()
}

fn sync(kiosk_dir: &Path) -> String {
    checked(kiosk(kiosk_dir, &["sync"]), "guichet sync")
}

fn today() -> String {
    let paris = jiff::tz::TimeZone::get("Europe/Paris").unwrap();
    jiff::Timestamp::now()
        .to_zoned_datetime(paris)
        .date()
        .to_string()
}

/// The kiosk's review of yesterday and today (Paris), so that a test running across
/// midnight still sees its redemptions.
fn kiosk_review(kiosk_dir: &Path) -> Value {
    let today = today();
    let yesterday = today
        .parse::<jiff::civil::Date>()
        .unwrap()
        .yesterday()
        .unwrap()
        .to_string();
    let out = checked(
        kiosk(
            kiosk_dir,
            &[
                "report", "--day", &yesterday, "--to", &today, "--format", "json",
            ],
        ),
        "guichet report",
    );
    serde_json::from_str(&out).unwrap()
}

fn a_coupon_redeemed_at_the_counter_reaches_the_platform_once(world: World) {
    let k = world.enroll_kiosk("kiosk-a");
    let first = redeem(&k, &world.codes[0]);
    let text = checked(first, "guichet redeem");
    assert!(
        text.starts_with("OK\t") && text.contains("RECORDED"),
        "{text}"
    );
    let again = redeem(&k, &world.codes[0]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stdout).starts_with("ALREADY_REDEEMED\t"));

    let out = sync(&k);
    assert!(out.contains("pushed 1"), "{out}");
    assert!(out.contains("pending 0"), "{out}");
    // A second cycle sends nothing again.
    let out = sync(&k);
    assert!(out.contains("pushed 0"), "{out}");
    let review = kiosk_review(&k);
    assert_eq!(
        review["summary"]["by_sync_state"]["accepted"]["count"], 1,
        "{review}"
    );

    let month = &today()[..7];
    let report = world.admin(&["report", "--month", month]);
    assert!(report.contains("C1"), "{report}");
    drop(world.server);
}

fn two_offline_kiosks_accepting_one_coupon_end_with_one_valid_and_one_conflict(world: World) {
    let a = world.enroll_kiosk("kiosk-a");
    let b = world.enroll_kiosk("kiosk-b");
    // Both offline: each has only its own ledger, so both accept the same photocopied coupon.
    for k in [&a, &b] {
        checked(redeem(k, &world.codes[1]), "guichet redeem");
        std::thread::sleep(Duration::from_millis(20));
    }
    sync(&a);
    sync(&b);
    sync(&a);
    let state = |k: &Path| {
        let review = kiosk_review(k);
        review["lines"][0]["sync_state"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(state(&a), "accepted");
    assert_eq!(state(&b), "conflict");
    let detail = kiosk_review(&b)["lines"][0]["sync_detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(detail.contains("C1"), "the conflict says where: {detail}");
    drop(world.server);
}

fn after_network_faults_heal_every_redemption_is_on_the_platform_exactly_once(world: World) {
    let upstream = world.url.trim_start_matches("http://").parse().unwrap();
    let proxy = FaultyProxy::start(upstream);
    let k = world.enroll_kiosk_via("kiosk-a", &proxy.url());
    for code in &world.codes {
        checked(redeem(&k, code), "guichet redeem");
    }
    // A cut answer, a 500, a push whose answer is cut, a dropped connection: every cycle
    // fails (exit 1, "retry later").
    proxy.set_faulty(true);
    for attempt in 0..4 {
        let output = kiosk(&k, &["sync"]);
        assert_eq!(
            output.status.code(),
            Some(1),
            "attempt {attempt}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // One push got through before its answer was cut: the platform stored the five
    // entries, and the kiosk, which never read the answer, still has them to deliver.
    let devices = world.admin(&["device", "list"]);
    assert!(devices.contains("\t5 entries"), "{devices}");
    let before = kiosk_review(&k);
    assert_eq!(
        before["summary"]["by_sync_state"]["sent"]["count"], 5,
        "{before}"
    );
    // A slow connection (1.5 s before anything passes) still completes.
    let slow = sync(&k);
    assert!(slow.contains("pending 0"), "{slow}");
    proxy.set_faulty(false);
    let out = sync(&k);
    assert!(out.contains("pending 0"), "{out}");
    let review = kiosk_review(&k);
    assert_eq!(
        review["summary"]["by_sync_state"]["accepted"]["count"], 5,
        "{review}"
    );
    // The platform holds each of the five entries once.
    let devices = world.admin(&["device", "list"]);
    assert!(devices.contains("\t5 entries"), "{devices}");
    drop(world.server);
}

/// A man in the middle answers the kiosk's bundle pull with an older bundle, a forged one
/// and one from another root: each is refused with its reason, `bundle.json` stays as it
/// was, and the rest of the cycle (the push) still goes through.
fn a_bundle_served_over_the_network_that_is_older_forged_or_foreign_is_refused(world: World) {
    let upstream = world.url.trim_start_matches("http://").parse().unwrap();
    let proxy = FaultyProxy::start(upstream);
    let k = world.enroll_kiosk_via("kiosk-mitm", &proxy.url());
    let first = std::fs::read(k.join("bundle.json")).unwrap();
    world.admin(&["publish"]);
    let out = sync(&k);
    assert!(out.contains("updated"), "{out}");
    let current = std::fs::read(k.join("bundle.json")).unwrap();
    assert_ne!(current, first);

    let mut forged: Value = serde_json::from_slice(&current).unwrap();
    let signature = forged["signature"].as_str().unwrap().to_string();
    let flipped = if signature.starts_with('0') { "1" } else { "0" };
    forged["signature"] = Value::String(format!("{flipped}{}", &signature[1..]));
    let foreign = std::fs::read(repo("fixtures/bundles/test-only-bundle-seq2.json")).unwrap();
    let first_bundle = first.clone();
    let cases = [
        ("NOT_NEWER", first),
        ("BAD_SIGNATURE", forged.to_string().into_bytes()),
        ("WRONG_SIGNER", foreign),
        ("MALFORMED", b"<html>captive portal</html>".to_vec()),
    ];
    for (i, (expected, bytes)) in cases.into_iter().enumerate() {
        let code = world.codes[i].clone();
        checked(redeem(&k, &code), "guichet redeem");
        proxy.answer_bundle_with(Some(bytes));
        let out = sync(&k);
        assert!(
            out.contains(&format!("the offered bundle was refused: {expected}")),
            "{expected}: {out}"
        );
        assert!(
            out.contains("pending 0"),
            "{expected}: the push still went through: {out}"
        );
        assert_eq!(
            std::fs::read(k.join("bundle.json")).unwrap(),
            current,
            "{expected}"
        );
    }
    // Without the file, the older bundle is still refused: the ledger kept the sequence.
    std::fs::remove_file(k.join("bundle.json")).unwrap();
    proxy.answer_bundle_with(Some(first_bundle.clone()));
    let out = sync(&k);
    assert!(
        out.contains("the offered bundle was refused: NOT_NEWER"),
        "deleted bundle.json: {out}"
    );
    assert!(!k.join("bundle.json").exists());
    // The platform's own answer (its latest, the same sequence) installs it again.
    proxy.answer_bundle_with(None);
    let out = sync(&k);
    assert!(out.contains("updated"), "{out}");
    assert_eq!(std::fs::read(k.join("bundle.json")).unwrap(), current);
    let out = sync(&k);
    assert!(
        out.contains("(current)") && !out.contains("refused"),
        "{out}"
    );
    drop(world.server);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The platform is restored from a backup that misses the kiosk's last entries: the kiosk's
/// next sync cycle, with nothing new to send, asks where the platform's copy of its chain ends
/// (`GET /v1/device`), sends the rest again, and the platform ends with every entry once
/// (issue 23, point 5: before, they went again only with the kiosk's next redemption).
#[test]
fn after_the_platform_is_restored_from_a_backup_the_kiosk_sends_what_it_lost() {
    let mut world = World::start();
    let k = world.enroll_kiosk("kiosk-restore");
    let redeem_here = |code: &str| checked(redeem(&k, code), "guichet redeem");
    redeem_here(&world.codes[0]);
    assert!(sync(&k).contains("pending 0"));
    let backup = tempfile::tempdir().unwrap();
    world.restart_with(|data| copy_dir(data, backup.path()));
    redeem_here(&world.codes[1]);
    redeem_here(&world.codes[2]);
    assert!(sync(&k).contains("pending 0"));
    let devices = world.admin(&["device", "list"]);
    assert!(devices.contains("\t3 entries"), "{devices}");

    world.restart_with(|data| {
        std::fs::remove_dir_all(data).unwrap();
        copy_dir(backup.path(), data);
    });
    let devices = world.admin(&["device", "list"]);
    assert!(
        devices.contains("\t1 entries"),
        "the backup holds one: {devices}"
    );
    // The next cycle, with nothing new to send, finds what the platform lost and sends it
    // again (before, it waited for the kiosk's next redemption).
    let out = sync(&k);
    assert!(
        out.contains("had lost 2 entries") && out.contains("pending 0"),
        "{out}"
    );
    let devices = world.admin(&["device", "list"]);
    assert!(devices.contains("\t3 entries"), "{devices}");
    redeem_here(&world.codes[3]);
    let out = sync(&k);
    assert!(
        !out.contains("had lost") && out.contains("pending 0"),
        "{out}"
    );
    let devices = world.admin(&["device", "list"]);
    assert!(devices.contains("\t4 entries"), "{devices}");
    let review = kiosk_review(&k);
    assert_eq!(
        review["summary"]["by_sync_state"]["accepted"]["count"], 4,
        "{review}"
    );
    // Nothing more to send: the next cycle pushes nothing again.
    let again = sync(&k);
    assert!(!again.contains("had lost"), "{again}");
    drop(world.server);
}

/// The backup drill on PostgreSQL (issue 23, point 5; docs/admin-guide.md, section 11): a
/// base backup (`pg_basebackup`) and the WAL archived since, plus a copy of the data directory
/// (the sync key the kiosks trust); the server is lost; the database is restored to a point in
/// time between two of the kiosk's pushes, and the data directory from its copy. The kiosk's
/// next sync cycle, with nothing new to send, finds what the platform lost and sends it again:
/// every redemption on the platform once, none twice.
#[test]
fn a_postgresql_platform_restored_to_a_point_in_time_gets_back_what_it_lost() {
    let archive_dir = tempfile::tempdir().unwrap();
    let archive = archive_dir.path().join("wal");
    let Some(cluster) = PgCluster::start_archiving(&archive) else {
        return;
    };
    let cluster = Arc::new(cluster);
    let mut world = World::on_cluster(Some(cluster.clone()));
    let k = world.enroll_kiosk("kiosk-pitr");
    let redeem_here = |code: &str| checked(redeem(&k, code), "guichet redeem");
    redeem_here(&world.codes[0]);
    assert!(sync(&k).contains("pending 0"));

    // The nightly backup: the database's base backup, and the data directory's files.
    let base = cluster.backup_dir("backup");
    cluster.base_backup(&base);
    let data_copy = tempfile::tempdir().unwrap();
    copy_dir(&world.dir.path().join("platform"), data_copy.path());

    redeem_here(&world.codes[1]);
    assert!(sync(&k).contains("pending 0"));
    // The point in time the database is restored to: after the second push, before the third.
    let target = cluster.psql("SELECT clock_timestamp()");
    std::thread::sleep(Duration::from_millis(1100));
    redeem_here(&world.codes[2]);
    assert!(sync(&k).contains("pending 0"));
    let devices = world.admin(&["device", "list"]);
    assert!(devices.contains("\t3 entries"), "{devices}");
    // The segment holding the third push is finished and archived before the machine is lost.
    let archived = cluster.psql("SELECT archived_count FROM pg_stat_archiver");
    cluster.psql("SELECT pg_switch_wal()");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while cluster.psql("SELECT archived_count FROM pg_stat_archiver") == archived {
        assert!(
            std::time::Instant::now() < deadline,
            "the WAL segment was not archived"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // The server is lost: the platform and its database stop at once.
    world.server.kill();
    cluster.crash();
    let restored = Arc::new(cluster.restore(&base, &archive, &target));
    let name = world
        .database
        .as_deref()
        .and_then(|url| url.rsplit('/').next())
        .unwrap()
        .to_owned();
    world.database = Some(restored.database_url(&name));
    world._cluster = Some(restored);
    world.restart_with(|data| {
        std::fs::remove_dir_all(data).unwrap();
        copy_dir(data_copy.path(), data);
    });
    let devices = world.admin(&["device", "list"]);
    assert!(
        devices.contains("\t2 entries"),
        "restored to the point between the second and the third push: {devices}"
    );
    let out = sync(&k);
    assert!(
        out.contains("had lost 1 entries") && out.contains("pending 0"),
        "{out}"
    );
    let devices = world.admin(&["device", "list"]);
    assert!(devices.contains("\t3 entries"), "{devices}");
    let review = kiosk_review(&k);
    assert_eq!(
        review["summary"]["by_sync_state"]["accepted"]["count"], 3,
        "{review}"
    );
    let again = sync(&k);
    assert!(!again.contains("had lost"), "{again}");
    drop(world.server);
}

/// A platform the admin did not mean (a fake one on loopback with its own root, as a man in
/// the middle would run) answers the enrollment with its own code: the kiosk, given the real
/// platform's fingerprint with the code, refuses it and keeps nothing; the real platform then
/// enrolls it.
fn an_enrollment_answered_with_another_root_is_refused(world: World) {
    let fake_dir = tempfile::tempdir().unwrap();
    let mut command = platform_command(&fake_dir.path().join("fake"), None);
    command.arg("demo");
    let mut fake = ProcessGroup::spawn(command);
    let mut lines = Vec::new();
    for prefix in [
        "enroll code: ",
        "root fingerprint: ",
        "guichet-platform listening on ",
    ] {
        lines.push(
            fake.wait_for_line_starting(prefix, Duration::from_secs(60))
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap()
                .to_owned(),
        );
    }
    let (fake_code, fake_fingerprint, fake_url) = (&lines[0], &lines[1], &lines[2]);
    let (_, real_fingerprint) = world.enroll_ticket();
    assert_ne!(fake_fingerprint, &real_fingerprint);
    let k = world.dir.path().join("kiosk-fooled");
    let output = kiosk(
        &k,
        &[
            "enroll",
            "--platform",
            fake_url,
            "--code",
            fake_code,
            "--fingerprint",
            &real_fingerprint,
            "--admin-pin-file",
            &admin_pin_file(world.dir.path()),
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains(fake_fingerprint) && stderr.contains(&real_fingerprint),
        "{stderr}"
    );
    // Nothing was sent to the fake (the fingerprint is checked first), nothing kept: no
    // identity, no key, no bundle, and no ledger with the admin PIN of the attempt.
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    for file in ["device.json", "device-key", "bundle.json", "ledger.sqlite3"] {
        assert!(!k.join(file).exists(), "{file} was kept");
    }
    // The real platform's ticket (code/fingerprint, as its sheet's QR code holds it).
    let (code, fingerprint) = world.enroll_ticket();
    let k = world.dir.path().join("kiosk-real");
    let out = checked(
        kiosk(
            &k,
            &[
                "enroll",
                "--platform",
                &world.url,
                "--ticket",
                &format!("{code}/{fingerprint}"),
                "--admin-pin-file",
                &admin_pin_file(world.dir.path()),
            ],
        ),
        "guichet enroll --ticket",
    );
    assert!(out.contains("enrolled: device"), "{out}");
    assert!(k.join("device.json").exists());
    drop(fake);
    drop(world.server);
}

/// Issue 18, item 9: the device key is on disk before the platform is called, so a kiosk that
/// died after the platform recorded it (before `device.json` was written) finishes its
/// enrollment with the same code; another key still cannot use that code.
fn an_enrollment_interrupted_after_the_platform_answered_can_finish(world: World) {
    let (code, fingerprint) = world.enroll_ticket();
    let enroll = |dir: &Path| {
        kiosk(
            dir,
            &[
                "enroll",
                "--platform",
                &world.url,
                "--code",
                &code,
                "--fingerprint",
                &fingerprint,
                "--admin-pin-file",
                &admin_pin_file(world.dir.path()),
            ],
        )
    };
    let k = world.dir.path().join("kiosk-crashed");
    let first = checked(enroll(&k), "guichet enroll");
    let key = std::fs::read(k.join("device-key")).unwrap();
    // The power went out after the platform answered: only the key was on disk.
    for file in ["device.json", "bundle.json"] {
        std::fs::remove_file(k.join(file)).unwrap();
    }
    let again = checked(enroll(&k), "guichet enroll, again");
    let device = |out: &str| out.split_whitespace().nth(2).unwrap_or_default().to_owned();
    assert_eq!(device(&again), device(&first), "{first} / {again}");
    assert_eq!(std::fs::read(k.join("device-key")).unwrap(), key);
    assert!(sync(&k).contains("pending 0"));
    // A kiosk with another key cannot take the used code.
    let other = world.dir.path().join("kiosk-other");
    let output = enroll(&other);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("already used"), "{stderr}");
}

/// The kiosk's outbox state of every entry, and its state cursor, read from its ledger file.
fn outbox_and_cursor(kiosk_dir: &Path) -> (Vec<String>, Option<String>) {
    let ledger = rusqlite::Connection::open_with_flags(
        kiosk_dir.join("ledger.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut states = ledger
        .prepare("SELECT state FROM outbox ORDER BY entry_id")
        .unwrap();
    let states = states
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<Vec<String>, _>>()
        .unwrap();
    let cursor = ledger
        .query_row(
            "SELECT value FROM meta WHERE key = 'state_cursor'",
            [],
            |row| row.get(0),
        )
        .ok();
    (states, cursor)
}

/// A man in the middle answers the push itself (every entry "accepted", signed by its own
/// key), then the state poll (a cursor far ahead, unsigned): the kiosk believes neither,
/// records nothing of them (the entry stays sent, the cursor where it was), says so, and the
/// next honest sync settles everything.
fn forged_push_answers_and_state_changes_change_nothing(world: World) {
    let upstream = world.url.trim_start_matches("http://").parse().unwrap();
    let proxy = FaultyProxy::start(upstream);
    let k = world.enroll_kiosk_via("kiosk-forged", &proxy.url());
    checked(redeem(&k, &world.codes[0]), "guichet redeem");

    proxy.forge(Some(Forgery::PushAllAccepted));
    let output = kiosk(&k, &["sync"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not believed"), "{stderr}");
    let (states, cursor) = outbox_and_cursor(&k);
    assert_eq!(states, ["sent"], "the forged results were not recorded");

    proxy.forge(Some(Forgery::StatesJumpAhead));
    let output = kiosk(&k, &["sync"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not believed"), "{stderr}");
    let (states, after) = outbox_and_cursor(&k);
    assert_eq!(states, ["accepted"], "the real push answer was recorded");
    assert_eq!(after, cursor, "the forged cursor was not recorded");

    proxy.forge(None);
    let out = sync(&k);
    assert!(
        out.contains("pending 0") && out.contains("clock skew"),
        "{out}"
    );
    drop(world.server);
}

/// Runs each scenario on SQLite and, when PostgreSQL is installed, on a throwaway cluster.
macro_rules! on_both_backends {
    ($($scenario:ident => $on_sqlite:ident, $on_postgresql:ident;)*) => {$(
        #[test]
        fn $on_sqlite() {
            $scenario(World::start());
        }

        #[test]
        fn $on_postgresql() {
            if let Some(world) = World::on(Backend::Postgres) {
                $scenario(world);
            }
        }
    )*};
}

#[test]
fn forged_push_answers_and_state_changes_change_nothing_on_sqlite() {
    forged_push_answers_and_state_changes_change_nothing(World::start());
}

#[test]
fn an_enrollment_answered_with_another_root_is_refused_on_sqlite() {
    an_enrollment_answered_with_another_root_is_refused(World::start());
}

on_both_backends! {
    an_enrollment_interrupted_after_the_platform_answered_can_finish =>
        an_enrollment_interrupted_after_the_platform_answered_can_finish_on_sqlite,
        an_enrollment_interrupted_after_the_platform_answered_can_finish_on_postgresql;
    a_coupon_redeemed_at_the_counter_reaches_the_platform_once =>
        a_coupon_redeemed_at_the_counter_reaches_the_platform_once_on_sqlite,
        a_coupon_redeemed_at_the_counter_reaches_the_platform_once_on_postgresql;
    two_offline_kiosks_accepting_one_coupon_end_with_one_valid_and_one_conflict =>
        two_offline_kiosks_accepting_one_coupon_end_with_one_valid_and_one_conflict_on_sqlite,
        two_offline_kiosks_accepting_one_coupon_end_with_one_valid_and_one_conflict_on_postgresql;
    after_network_faults_heal_every_redemption_is_on_the_platform_exactly_once =>
        after_network_faults_heal_every_redemption_is_on_the_platform_exactly_once_on_sqlite,
        after_network_faults_heal_every_redemption_is_on_the_platform_exactly_once_on_postgresql;
    a_bundle_served_over_the_network_that_is_older_forged_or_foreign_is_refused =>
        a_bundle_served_over_the_network_that_is_older_forged_or_foreign_is_refused_on_sqlite,
        a_bundle_served_over_the_network_that_is_older_forged_or_foreign_is_refused_on_postgresql;
}
