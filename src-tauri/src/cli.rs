//! What the subcommands share: the output language and where the kiosk keeps its files.

use std::path::PathBuf;

use guichet_core::message::Lang;

/// The language of a command's output.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Language {
    /// Français.
    Fr,
    /// English.
    En,
}

impl From<Language> for Lang {
    fn from(language: Language) -> Lang {
        match language {
            Language::Fr => Lang::Fr,
            Language::En => Lang::En,
        }
    }
}

/// The kiosk's data directory: `$GUICHET_DATA_DIR`, else `$XDG_DATA_HOME/guichet`, else
/// `~/.local/share/guichet`.
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("GUICHET_DATA_DIR") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("guichet")
}

/// The ledger file inside the data directory.
pub fn default_ledger_path() -> PathBuf {
    data_dir().join("ledger.sqlite3")
}
