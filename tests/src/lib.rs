//! Helpers shared by Guichet's end-to-end tests.
//!
//! The tests run the real `guichet` binary that `cargo build -p guichet` left
//! in the target directory (or the one named by `GUICHET_BIN`), in its own
//! process group so that everything it starts can be stopped at once.

pub mod fixtures;
pub mod keys;
pub mod proxy;
pub mod webdriver;

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Environment variable that overrides the path of the `guichet` binary.
pub const GUICHET_BIN_ENV: &str = "GUICHET_BIN";

/// Line the app prints on stdout once its page has loaded.
pub const UI_READY_LINE: &str = "guichet: ui ready";

/// How many of the last stderr lines a [`ProcessGroup`] keeps for diagnostics.
const STDERR_TAIL_LINES: usize = 200;

/// Path of the `guichet` binary under test.
///
/// `GUICHET_BIN` wins when set; otherwise the binary is looked up in the
/// target directory of this test executable (`target/<profile>/guichet`).
///
/// # Panics
///
/// When the binary does not exist, with a message telling how to build it.
pub fn guichet_bin() -> PathBuf {
    workspace_bin("guichet", GUICHET_BIN_ENV)
}

/// Path of the `guichet-platform` binary, found like [`guichet_bin`]
/// (override: `GUICHET_PLATFORM_BIN`).
pub fn platform_bin() -> PathBuf {
    workspace_bin("guichet-platform", "GUICHET_PLATFORM_BIN")
}

/// The console account the e2e tests' platform admin commands act as (`GUICHET_ACCOUNT`).
pub const PLATFORM_ADMIN: &str = "admin";

/// Makes the platform's first admin account, [`PLATFORM_ADMIN`], with `command` (the
/// platform binary with its location options): admin commands that change the platform act
/// as an account.
///
/// # Panics
///
/// When the account cannot be made.
pub fn create_first_platform_admin(mut command: Command) {
    let mut child = command
        .args([
            "account",
            "create",
            "--role",
            "admin",
            "--name",
            PLATFORM_ADMIN,
        ])
        .env_remove("GUICHET_ACCOUNT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the platform binary starts");
    let mut stdin = child.stdin.take().expect("a piped stdin");
    stdin
        .write_all(b"an e2e admin's password\n")
        .expect("the password is written");
    drop(stdin);
    let output = child.wait_with_output().expect("account create ends");
    assert!(
        output.status.success(),
        "account create: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn workspace_bin(name: &str, override_env: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(override_env).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "{override_env}={} does not name a file",
            path.display()
        );
        return path;
    }
    let exe = std::env::current_exe().expect("cannot find the path of the test executable");
    let mut dir = exe
        .parent()
        .expect("test executable has no parent directory")
        .to_path_buf();
    // Test executables live in target/<profile>/deps/.
    if dir.file_name() == Some(OsStr::new("deps")) {
        dir.pop();
    }
    let bin = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} not found: run `cargo build --workspace --bins` first (or set {override_env})",
        bin.display()
    );
    bin
}

/// A [`Command`] that runs the `guichet` binary under test.
pub fn guichet() -> Command {
    Command::new(guichet_bin())
}

/// Finds an executable by name on `PATH`.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Path of `xvfb-run`.
///
/// # Panics
///
/// When `xvfb-run` is not on `PATH`: the window tests need it and must not
/// pass silently without it.
pub fn xvfb_run() -> PathBuf {
    find_on_path("xvfb-run").unwrap_or_else(|| {
        panic!(
            "xvfb-run not found on PATH: the window tests need a virtual display; \
             install the Debian packages xvfb and xauth (`make setup`)"
        )
    })
}

/// A [`Command`] that runs the `guichet` binary under `xvfb-run -a`.
pub fn guichet_under_xvfb() -> Command {
    let mut cmd = Command::new(xvfb_run());
    cmd.arg("-a").arg(guichet_bin());
    cmd
}

/// A child process started in a process group of its own, with its stdout
/// read line by line and the tail of its stderr kept.
///
/// Dropping it stops the whole group (SIGTERM, then SIGKILL), so a failing
/// test leaves no process behind.
pub struct ProcessGroup {
    child: Child,
    pgid: u32,
    stdout_lines: Receiver<String>,
    stdout_seen: Vec<String>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
}

impl ProcessGroup {
    /// Starts `cmd` as the leader of a new process group, with piped stdout
    /// and stderr and a closed stdin.
    ///
    /// # Panics
    ///
    /// When the process cannot be started.
    pub fn spawn(mut cmd: Command) -> Self {
        cmd.process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {cmd:?}: {err}"));
        let pgid = child.id();

        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, stdout_lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });

        let stderr = child.stderr.take().expect("stderr is piped");
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let tail = Arc::clone(&stderr_tail);
        thread::spawn(move || read_tail(stderr, &tail));

        Self {
            child,
            pgid,
            stdout_lines,
            stdout_seen: Vec::new(),
            stderr_tail,
        }
    }

    /// Waits until a stdout line equal to `line` (ignoring surrounding
    /// whitespace) arrives, for at most `timeout`.
    ///
    /// On failure the error says why (timeout, or stdout closed with the exit
    /// status) and includes what the process printed.
    pub fn wait_for_line(&mut self, line: &str, timeout: Duration) -> Result<Duration, String> {
        let start = Instant::now();
        self.wait_for_line_where(&format!("{line:?}"), |got| got.trim() == line, timeout)
            .map(|_| start.elapsed())
    }

    /// The process group's id (its leader's pid).
    pub fn pgid(&self) -> u32 {
        self.pgid
    }

    /// Resident memory of the group's processes whose command name contains one of `names`,
    /// in KiB, summed (a Tauri app is its own process plus WebKit's web and network
    /// processes).
    pub fn resident_kib(&self, names: &[&str]) -> u64 {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return 0;
        };
        let mut total = 0;
        for entry in entries.flatten() {
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // pid (comm) state ppid pgrp …: comm may hold spaces, so split after the ')'.
            let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
                continue;
            };
            let comm = &stat[open + 1..close];
            let pgrp = stat[close + 1..].split_whitespace().nth(2);
            if pgrp != Some(self.pgid.to_string().as_str())
                || !names.iter().any(|n| comm.contains(n))
            {
                continue;
            }
            let status = std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
            total += status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
                .unwrap_or(0);
        }
        total
    }

    /// Waits until a stdout line starting with `prefix` arrives, for at most
    /// `timeout`; returns the rest of that line.
    pub fn wait_for_line_starting(
        &mut self,
        prefix: &str,
        timeout: Duration,
    ) -> Result<String, String> {
        let line = self.wait_for_line_where(
            &format!("starting with {prefix:?}"),
            |got| got.starts_with(prefix),
            timeout,
        )?;
        Ok(line[prefix.len()..].to_string())
    }

    fn wait_for_line_where(
        &mut self,
        what: &str,
        matches: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout_lines.recv_timeout(left) {
                Ok(got) => {
                    let found = matches(&got);
                    self.stdout_seen.push(got.clone());
                    if found {
                        return Ok(got);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    let status = self.wait_exit(Duration::ZERO);
                    return Err(self.report(&format!(
                        "no line {what} on stdout within {timeout:?} (leader: {status})"
                    )));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self.wait_exit(Duration::from_secs(5));
                    return Err(self.report(&format!(
                        "stdout closed before a line {what} (exit status: {status})"
                    )));
                }
            }
        }
    }

    /// The last lines the process group wrote on stderr.
    pub fn stderr_tail(&self) -> Vec<String> {
        lock(&self.stderr_tail).iter().cloned().collect()
    }

    fn wait_exit(&mut self, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return status.to_string(),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(50)),
                Ok(None) => return "still running".to_owned(),
                Err(err) => return format!("unknown: {err}"),
            }
        }
    }

    fn report(&self, what: &str) -> String {
        let mut msg = format!("{what}\n--- stdout ---\n");
        for l in &self.stdout_seen {
            msg.push_str(l);
            msg.push('\n');
        }
        msg.push_str("--- stderr (tail) ---\n");
        for l in self.stderr_tail() {
            msg.push_str(&l);
            msg.push('\n');
        }
        msg
    }

    /// Stops every process of the group: SIGTERM, up to 5 s of grace for the
    /// leader, then SIGKILL to whatever is left. Also done on drop.
    pub fn kill(&mut self) {
        signal_group(self.pgid, "TERM");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            thread::sleep(Duration::from_millis(50));
        }
        // Members other than the leader may outlive it: kill the group anyway.
        signal_group(self.pgid, "KILL");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sends a signal to a whole process group through kill(1), since this
/// workspace forbids unsafe code (and so direct libc calls).
fn signal_group(pgid: u32, signal: &str) {
    let _ = Command::new("kill")
        .arg("-s")
        .arg(signal)
        .arg("--")
        .arg(format!("-{pgid}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn read_tail(stream: impl Read, tail: &Mutex<VecDeque<String>>) {
    for line in BufReader::new(stream).lines() {
        let Ok(line) = line else { break };
        let mut tail = lock(tail);
        if tail.len() == STDERR_TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(line);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
