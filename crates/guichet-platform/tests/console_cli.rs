//! The real `guichet-platform` binary's state-changing commands act as a console account
//! (issue 24): `--by` must name an existing, enabled account whose role allows the act, and
//! the change is in the audit log (address `cli`) under that account; a refused command
//! writes nothing.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_guichet-platform");

/// Runs the binary on `dir` with `args` (and `stdin`); its status, standard output and error.
fn run(dir: &Path, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
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

fn ok(dir: &Path, args: &[&str]) -> String {
    let (success, out, err) = run(dir, args, "");
    assert!(success, "{args:?}: {err}");
    out
}

fn refused(dir: &Path, args: &[&str]) -> String {
    let (success, _, err) = run(dir, args, "");
    assert!(!success, "{args:?} should be refused");
    err
}

#[test]
fn commands_act_as_a_named_account_and_are_audited() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let dir = dir.as_path();
    ok(dir, &["init"]);
    ok(dir, &["zone", "add", "--id", "33", "--name", "Gironde"]);
    ok(
        dir,
        &["provider", "add", "--id", "7", "--name", "Département"],
    );
    for (role, name) in [("admin", "ines"), ("reviewer", "dominique")] {
        let (success, _, err) = run(
            dir,
            &["account", "create", "--role", role, "--name", name],
            "un mot de passe assez long\n",
        );
        assert!(success, "{err}");
    }

    // close-month: an unknown name, a role that may not, then the admin.
    let month = ["close-month", "--month", "2001-01", "--by"];
    let with = |by: &'static str| [&month[..], &[by]].concat();
    assert!(refused(dir, &with("Inès")).contains("names no console account"));
    assert!(refused(dir, &with("dominique")).contains("does not allow"));
    ok(dir, &with("ines"));

    // review: the same check before anything is looked up.
    let review = ["review", "reject", "some-id", "--reason", "x", "--by"];
    assert!(refused(dir, &[&review[..], &["nobody"]].concat()).contains("names no console account"));
    assert!(refused(dir, &[&review[..], &["ines"]].concat()).contains("does not allow"));

    // revoke, device: the same check when --by is given.
    assert!(
        refused(dir, &["device", "disable", "--id", "x", "--by", "nobody"])
            .contains("names no console account")
    );
    let kid = "00000000000000aa";
    assert!(refused(
        dir,
        &["revoke", "--kid", kid, "--serial", "1", "--by", "dominique"]
    )
    .contains("does not allow"));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let entries = runtime.block_on(async {
        let store = guichet_platform::Store::open(dir.join("platform.db").to_str().unwrap())
            .await
            .unwrap();
        let entries = store.audit_log(100).await.unwrap();
        store.close().await;
        entries
    });
    let close: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "month.close")
        .collect();
    assert_eq!(close.len(), 1, "{entries:?}");
    assert_eq!(close[0].account.as_deref(), Some("ines"));
    assert_eq!(close[0].address, "cli");
    assert_eq!(close[0].object, "month:2001-01");
    assert!(
        !entries
            .iter()
            .any(|e| e.action.starts_with("review.") || e.action == "coupons.revoke"),
        "refused commands write nothing: {entries:?}"
    );
}
