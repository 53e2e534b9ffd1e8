//! The platform's configuration file (`--config FILE`, in production
//! `/etc/guichet-platform/platform.toml`): where the data, the database, its password file and
//! the root's public half are, and how `serve` listens. A value given on the command line wins
//! over the file's; the file holds no secret itself (the database password stays in its own
//! file, see [`crate::admin::database_password`]).
//!
//! Whoever writes this file chooses which root the platform believes and which database it
//! pays from, so a file every account may write is refused, and so is a key the platform does
//! not know (a misspelt key would otherwise be silently ignored).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::Error;

/// `platform.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformConfig {
    /// `data_dir`: the data directory (`--data-dir`).
    pub data_dir: Option<PathBuf>,
    /// `signer_dir`: the signer directory (`--signer-dir`; never on the server).
    pub signer_dir: Option<PathBuf>,
    /// `database`: a SQLite path or a `postgres://` URL without a password (`--database`).
    pub database: Option<String>,
    /// `database_password_file` (`--database-password-file`).
    pub database_password_file: Option<PathBuf>,
    /// `root_public_key_file` (`--root-public-key-file`).
    pub root_public_key_file: Option<PathBuf>,
    /// `[serve]`.
    #[serde(default)]
    pub serve: ServeConfig,
}

/// `[serve]` of `platform.toml`: the options of `guichet-platform serve`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// `listen` (`--listen`).
    pub listen: Option<String>,
    /// `tls_cert` (`--tls-cert`).
    pub tls_cert: Option<PathBuf>,
    /// `tls_key` (`--tls-key`).
    pub tls_key: Option<PathBuf>,
    /// `enroll_attempts_per_minute` (`--enroll-attempts-per-minute`).
    pub enroll_attempts_per_minute: Option<u32>,
    /// `trusted_proxies`: the addresses of the reverse proxies in front of the platform
    /// (`["127.0.0.1"]` for nginx on the same host). Only a request from one of them has its
    /// `X-Forwarded-For` read: its last hop that is not a trusted proxy is the client's address
    /// (audit log, login limits per address, enrollment budget). None by default: the TCP
    /// peer is the client, and a forwarded header is ignored.
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

/// Reads and checks the configuration file at `path`.
pub fn read(path: &Path) -> Result<PlatformConfig, Error> {
    use std::os::unix::fs::PermissionsExt;
    let cannot = |e: std::io::Error| Error::Io(format!("cannot read {}: {e}", path.display()));
    let mode = std::fs::metadata(path)
        .map_err(cannot)?
        .permissions()
        .mode();
    if mode & 0o002 != 0 {
        return Err(Error::Invalid(format!(
            "{}: every account may write it (mode {:o}), and it decides which root and which \
             database the platform believes: chmod o-w",
            path.display(),
            mode & 0o777
        )));
    }
    let text = std::fs::read_to_string(path).map_err(cannot)?;
    toml::from_str(&text).map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_read_and_an_unknown_one_is_named() {
        let config: PlatformConfig = toml::from_str(
            "data_dir = \"/var/lib/guichet-platform\"\n\
             database = \"postgres://guichet@db.example/guichet\"\n\
             database_password_file = \"/etc/guichet-platform/database-password\"\n\
             root_public_key_file = \"/etc/guichet-platform/root-public-key.txt\"\n\
             [serve]\n\
             listen = \"0.0.0.0:8440\"\n\
             enroll_attempts_per_minute = 30\n\
             trusted_proxies = [\"127.0.0.1\", \"::1\"]\n",
        )
        .unwrap();
        assert_eq!(
            config.serve.trusted_proxies,
            [
                "127.0.0.1".parse::<std::net::IpAddr>().unwrap(),
                "::1".parse().unwrap()
            ]
        );
        let error = toml::from_str::<PlatformConfig>("[serve]\ntrusted_proxies = [\"proxy\"]\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("trusted_proxies"), "{error}");
        assert!(toml::from_str::<PlatformConfig>("[serve]\n")
            .unwrap()
            .serve
            .trusted_proxies
            .is_empty());
        assert_eq!(
            config.data_dir.as_deref(),
            Some(Path::new("/var/lib/guichet-platform"))
        );
        assert_eq!(config.serve.listen.as_deref(), Some("0.0.0.0:8440"));
        assert_eq!(config.serve.enroll_attempts_per_minute, Some(30));
        assert!(config.serve.tls_cert.is_none());

        let error =
            toml::from_str::<PlatformConfig>("data_dir = \"x\"\n[serve]\nlisten_on = \"y\"\n")
                .unwrap_err()
                .to_string();
        assert!(
            error.contains("line 3") && error.contains("listen_on"),
            "{error}"
        );
    }
}
