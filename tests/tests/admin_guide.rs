//! The admin guide cannot rot: every `sh` block of `docs/admin-guide.md` runs, in order, as
//! one bash script (`set -euo pipefail`) in an empty directory holding `referentiel.json`, with
//! the built `guichet-platform` and `guichet` first on the PATH.

use std::process::Command;

use guichet_e2e::fixtures::repo;
use guichet_e2e::{guichet_bin, platform_bin};

/// The `sh` blocks of a Markdown text, in order.
fn shell_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn every_command_of_the_admin_guide_runs_in_order() {
    let guide = std::fs::read_to_string(repo("docs/admin-guide.md")).unwrap();
    let blocks = shell_blocks(&guide);
    assert!(blocks.len() >= 10, "{} blocks", blocks.len());
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo("fixtures/referential/example-referential.json"),
        dir.path().join("referentiel.json"),
    )
    .unwrap();
    let bins: Vec<std::path::PathBuf> = [platform_bin(), guichet_bin()]
        .iter()
        .map(|p| p.parent().unwrap().to_path_buf())
        .collect();
    let path = std::env::join_paths(bins.into_iter().chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    // Whatever happens, no server is left running.
    let script = format!(
        "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{}",
        blocks.join("\n")
    );
    let output = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .env("PATH", path)
        .env_remove("GUICHET_DATA_DIR")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the guide failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("enrolled: device"), "{stdout}");
    assert!(stdout.contains("RECORDED"), "{stdout}");
    assert!(stdout.contains("published trust bundle 3"), "{stdout}");
    let report = std::fs::read_to_string(dir.path().join("rapport.csv")).unwrap();
    assert!(
        report.contains("reimbursement,") && report.contains(",1,10.00,"),
        "{report}"
    );
}
