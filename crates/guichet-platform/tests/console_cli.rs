//! The real `guichet-platform` binary's state-changing commands act as a console account
//! (issue 24): `--by` (or `GUICHET_ACCOUNT`) must name an existing, enabled account whose role
//! allows the act, and the change is in the audit log (address `cli`) under that account; a
//! refused command changes nothing and writes nothing. Only the first admin account is made
//! without one.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use guichet_console::model::AuditEntry;

const BIN: &str = env!("CARGO_BIN_EXE_guichet-platform");
const PASSWORD: &str = "un mot de passe assez long\n";

/// Runs the binary on `dir` with `args`, `stdin` and the environment `env`; its status,
/// standard output and error.
fn run_with(
    dir: &Path,
    args: &[&str],
    stdin: &str,
    env: &[(&str, &str)],
) -> (bool, String, String) {
    let mut child = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("GUICHET_ACCOUNT")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn run(dir: &Path, args: &[&str], stdin: &str) -> (bool, String, String) {
    run_with(dir, args, stdin, &[])
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let (success, out, err) = run(dir, args, PASSWORD);
    assert!(success, "{args:?}: {err}");
    out
}

fn refused(dir: &Path, args: &[&str]) -> String {
    let (success, _, err) = run(dir, args, PASSWORD);
    assert!(!success, "{args:?} should be refused");
    err
}

fn audit_log(dir: &Path) -> Vec<AuditEntry> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = guichet_platform::Store::open(dir.join("platform.db").to_str().unwrap())
            .await
            .unwrap();
        let entries = store.audit_log(1000).await.unwrap();
        store.close().await;
        entries
    })
}

#[test]
fn only_the_first_admin_account_is_made_without_naming_who_acts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let dir = dir.as_path();
    ok(dir, &["init"]);
    // The first reviewer is no bootstrap: an admin comes first.
    let no_admin = [
        "account",
        "create",
        "--role",
        "reviewer",
        "--name",
        "dominique",
    ];
    assert!(refused(dir, &no_admin).contains("name the console account"));
    // The first admin may name itself (GUICHET_ACCOUNT already set in the shell).
    let (success, _, err) = run_with(
        dir,
        &["account", "create", "--role", "admin", "--name", "ines"],
        PASSWORD,
        &[("GUICHET_ACCOUNT", "ines")],
    );
    assert!(success, "{err}");
    // Now an admin exists: a second admin, or anyone, needs one to act.
    let second = ["account", "create", "--role", "admin", "--name", "eve"];
    assert!(refused(dir, &second).contains("name the console account"));
    assert!(refused(dir, &[&second[..], &["--by", "eve"]].concat())
        .contains("names no console account"));
    ok(dir, &[&second[..], &["--by", "ines"]].concat());
    // Disabled, an admin acts no more; with every admin disabled, the next first admin may
    // be made from the server's shell again (whoever has it holds the database too).
    ok(
        dir,
        &["account", "disable", "--name", "eve", "--by", "ines"],
    );
    let as_eve = ["zone", "add", "--id", "1", "--name", "Z", "--by", "eve"];
    assert!(refused(dir, &as_eve).contains("is disabled"));
    ok(
        dir,
        &["account", "disable", "--name", "ines", "--by", "ines"],
    );
    ok(
        dir,
        &["account", "create", "--role", "admin", "--name", "zoe"],
    );

    let created: Vec<_> = audit_log(dir)
        .into_iter()
        .filter(|e| e.action == "account.create")
        .map(|e| (e.account, e.object))
        .collect();
    assert_eq!(
        created,
        [
            (Some("zoe".to_owned()), "account:zoe".to_owned()),
            (Some("ines".to_owned()), "account:eve".to_owned()),
            (Some("ines".to_owned()), "account:ines".to_owned()),
        ],
        "newest first; a first admin is recorded as made by itself"
    );
}

/// One command that changes the platform: its arguments (without `--by`), the audit action
/// it writes, and the role that may run it (`admin` or `reviewer`).
struct Changing {
    args: Vec<String>,
    action: &'static str,
    role: &'static str,
    /// Whether the set-up here lets it succeed (else it is only checked to be refused).
    succeeds: bool,
}

fn changing(args: &[&str], action: &'static str, role: &'static str, succeeds: bool) -> Changing {
    Changing {
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        action,
        role,
        succeeds,
    }
}

#[test]
fn every_command_that_changes_the_platform_acts_as_an_account_whose_role_allows_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let dir = dir.as_path();
    ok(dir, &["init"]);
    ok(
        dir,
        &["account", "create", "--role", "admin", "--name", "ines"],
    );
    for (role, name) in [("reviewer", "dominique"), ("auditor", "ana")] {
        ok(
            dir,
            &[
                "account", "create", "--role", role, "--name", name, "--by", "ines",
            ],
        );
    }
    let referential = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/referential/example-referential.json"
    );
    let other_key = guichet_protocol::signing::public_key_hex(
        &guichet_platform::keys::generate_key()
            .unwrap()
            .verifying_key(),
    );
    let other_kid = guichet_core::Kid::of_public_key(
        &guichet_protocol::signing::parse_public_key(&other_key)
            .unwrap()
            .to_bytes(),
    )
    .to_string();
    let order = dir.with_file_name("order.json");
    let draft = dir.with_file_name("draft.json");
    let commands = [
        changing(
            &["zone", "add", "--id", "33", "--name", "Gironde"],
            "zone.set",
            "admin",
            true,
        ),
        changing(
            &["provider", "add", "--id", "7", "--name", "Département"],
            "provider.set",
            "admin",
            true,
        ),
        changing(
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
            "center.add",
            "admin",
            true,
        ),
        changing(
            &["referential", "import", referential],
            "referential.import",
            "admin",
            true,
        ),
        changing(
            &["rules", "set", "--grace-days", "31"],
            "rules.set",
            "admin",
            true,
        ),
        changing(
            &["issuer-key", "add", "--provider", "7"],
            "issuer_key.add",
            "admin",
            true,
        ),
        changing(
            &[
                "issuer-key",
                "import",
                "--provider",
                "7",
                "--public-key",
                &other_key,
            ],
            "issuer_key.import",
            "admin",
            true,
        ),
        changing(
            &[
                "mint",
                "--booklets",
                "1",
                "--coupons",
                "5",
                "--provider",
                "7",
                "--order-out",
                order.to_str().unwrap(),
            ],
            "booklets.mint",
            "admin",
            true,
        ),
        changing(&["publish"], "bundle.publish", "admin", true),
        changing(
            &["enroll-code", "--center", "C1"],
            "enroll.code",
            "admin",
            true,
        ),
        changing(
            &["revoke", "--booklet", "1"],
            "coupons.revoke",
            "admin",
            true,
        ),
        changing(
            &["issuer-key", "retire", "--kid", &other_kid],
            "issuer_key.retire",
            "admin",
            true,
        ),
        changing(
            &["issuer-key", "compromise", "--kid", &other_kid],
            "issuer_key.compromise",
            "admin",
            true,
        ),
        changing(&["sync-key", "rotate"], "sync_key.rotate", "admin", true),
        changing(
            &["close-month", "--month", "2001-01"],
            "month.close",
            "admin",
            true,
        ),
        changing(
            &["account", "disable", "--name", "dominique"],
            "account.disable",
            "admin",
            true,
        ),
        changing(
            &["account", "enable", "--name", "dominique"],
            "account.enable",
            "admin",
            true,
        ),
        // Refused whoever acts, in this set-up (no signed draft, kiosk or redemption): checked
        // to be refused for who acts before anything is looked up.
        changing(
            &["bundle", "import", draft.to_str().unwrap()],
            "bundle.import",
            "admin",
            false,
        ),
        changing(
            &["device", "disable", "--id", "no-such-kiosk"],
            "device.disable",
            "admin",
            false,
        ),
        changing(
            &["device", "enable", "--id", "no-such-kiosk"],
            "device.enable",
            "admin",
            false,
        ),
        changing(
            &["review", "accept", "no-such-id", "--reason", "x"],
            "review.accept",
            "reviewer",
            false,
        ),
        changing(
            &["review", "reject", "no-such-id", "--reason", "x"],
            "review.reject",
            "reviewer",
            false,
        ),
        changing(
            &[
                "review",
                "transfer",
                "no-such-id",
                "--from",
                "y",
                "--reason",
                "x",
            ],
            "review.transfer",
            "reviewer",
            false,
        ),
    ];
    let before = audit_log(dir).len();
    for command in &commands {
        let args: Vec<&str> = command.args.iter().map(String::as_str).collect();
        let with = |by: &'static str| [&args[..], &["--by", by]].concat();
        assert!(
            refused(dir, &args).contains("name the console account"),
            "{args:?}"
        );
        assert!(
            refused(dir, &with("nobody")).contains("names no console account"),
            "{args:?}"
        );
        assert!(
            refused(dir, &with("ana")).contains("does not allow"),
            "{args:?}"
        );
        let other = if command.role == "admin" {
            "dominique"
        } else {
            "ines"
        };
        assert!(
            refused(dir, &with(other)).contains("does not allow"),
            "{args:?} as {other}"
        );
        assert_eq!(
            audit_log(dir).len(),
            before,
            "{args:?}: a refusal writes nothing"
        );
    }
    for command in commands.iter().filter(|c| c.succeeds) {
        let args: Vec<&str> = command.args.iter().map(String::as_str).collect();
        ok(dir, &[&args[..], &["--by", "ines"]].concat());
    }
    // The environment names the account as --by does.
    let (success, _, err) = run_with(
        dir,
        &["zone", "add", "--id", "34", "--name", "Landes"],
        "",
        &[("GUICHET_ACCOUNT", "ines")],
    );
    assert!(success, "{err}");

    let log = audit_log(dir);
    for command in commands.iter().filter(|c| c.succeeds) {
        let entries: Vec<_> = log.iter().filter(|e| e.action == command.action).collect();
        // Zone 33, then zone 34 named by the environment.
        let expected = if command.action == "zone.set" { 2 } else { 1 };
        assert_eq!(entries.len(), expected, "{}: {entries:?}", command.action);
        for entry in entries {
            assert_eq!(entry.account.as_deref(), Some("ines"), "{entry:?}");
            assert_eq!(entry.address, "cli", "{entry:?}");
        }
    }
    let mint = log.iter().find(|e| e.action == "booklets.mint").unwrap();
    assert_eq!(mint.object, "booklets:1-1");
    assert!(
        mint.after
            .as_deref()
            .unwrap()
            .contains("\"value_cents\":1000"),
        "{mint:?}"
    );
    let rules = log.iter().find(|e| e.action == "rules.set").unwrap();
    assert!(
        rules
            .after
            .as_deref()
            .unwrap()
            .contains("\"grace_days\":31"),
        "{rules:?}"
    );
    assert!(rules.before.is_some(), "{rules:?}");
    let compromised = log
        .iter()
        .find(|e| e.action == "issuer_key.compromise")
        .unwrap();
    assert_eq!(compromised.object, format!("issuer_key:{other_kid}"));
}

/// A center account (issue 25) is made by an admin for an existing center, and `account list`
/// shows its center.
#[test]
fn a_center_account_is_made_by_an_admin_for_an_existing_center() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let dir = dir.as_path();
    ok(dir, &["init"]);
    ok(
        dir,
        &["account", "create", "--role", "admin", "--name", "ines"],
    );
    let by = ["--by", "ines"];
    ok(
        dir,
        &[&["zone", "add", "--id", "33", "--name", "Gironde"][..], &by].concat(),
    );
    ok(
        dir,
        &[
            &[
                "center",
                "add",
                "--id",
                "C1",
                "--name",
                "Médiathèque",
                "--zone",
                "33",
            ][..],
            &by,
        ]
        .concat(),
    );
    let member = ["account", "create", "--role", "center", "--name", "claude"];
    assert!(refused(dir, &member).contains("name the console account"));
    assert!(refused(dir, &[&member[..], &by].concat()).contains("names its center"));
    assert!(
        refused(dir, &[&member[..], &by, &["--center", "C9"]].concat()).contains("no center C9")
    );
    ok(dir, &[&member[..], &by, &["--center", "C1"]].concat());
    let list = ok(dir, &["account", "list"]);
    assert!(
        list.lines()
            .any(|l| l.starts_with("claude\tcenter\tC1\tenabled\t10\t")),
        "{list}"
    );
}

/// A list whose reader is gone (`account list | head -0`, `grep -q` done early) ends quietly
/// with success, not with a panic on the closed pipe (regression: the guide's
/// `account list | grep -q` failed now and then).
#[test]
fn a_list_whose_reader_is_gone_ends_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let dir = dir.as_path();
    ok(dir, &["init"]);
    ok(
        dir,
        &["account", "create", "--role", "admin", "--name", "ines"],
    );
    for command in [
        &["account", "list"][..],
        &["device", "list"],
        &["issuer-key", "list"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = Command::new(BIN)
            .arg("--data-dir")
            .arg(dir)
            .args(command)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{command:?}: {:?} {stderr}",
            output.status
        );
        assert!(!stderr.contains("panicked"), "{command:?}: {stderr}");
    }
}
