//! Every file the kiosk creates is its account's alone, as `guichet doctor` checks (files 600,
//! directories 700): the trust bundle, the identity, the logs and the exports are written by
//! several crates and libraries (the log appender among them), so the rule is the process's
//! file mode creation mask rather than a mode at each place.

/// Sets the process's umask to 077 (called first thing by `guichet`). A file meant for others
/// (an export copied to a USB stick) gets its mode explicitly afterwards.
pub fn owner_only_files() {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}
