//! Starting the kiosk with the desktop session: an XDG autostart entry
//! (`$XDG_CONFIG_HOME/autostart/guichet.desktop`, else `~/.config/autostart/`), written when
//! the setting is on and removed when it is off. It runs `guichet kiosk`, which starts the
//! window again whenever it dies.

use std::path::{Path, PathBuf};

use crate::text::Problem;

const ENTRY: &str = "guichet.desktop";

/// The autostart folder of the current user.
pub fn autostart_dir() -> Option<PathBuf> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(config.join("autostart"))
}

/// Writes or removes the entry in `dir` so that `exe` starts with the session iff `enabled`.
pub fn apply(enabled: bool, exe: &Path, dir: &Path) -> Result<(), Problem> {
    let path = dir.join(ENTRY);
    let failed = |e: std::io::Error| {
        Problem::local(
            "AUTOSTART",
            "Démarrage automatique non réglé",
            "Auto-start not set",
            e,
        )
    };
    if enabled {
        let entry = format!(
            "[Desktop Entry]\nType=Application\nName=Guichet\nComment=Pass numérique kiosk\nExec=\"{}\" kiosk\nX-GNOME-Autostart-enabled=true\n",
            exe.display()
        );
        guichet_sync::files::write_atomically(&path, entry.as_bytes(), false).map_err(failed)
    } else {
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(failed(e)),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_follows_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let autostart = dir.path().join("autostart");
        apply(true, Path::new("/opt/guichet/guichet"), &autostart).unwrap();
        let entry = std::fs::read_to_string(autostart.join(ENTRY)).unwrap();
        assert!(
            entry.contains("Exec=\"/opt/guichet/guichet\" kiosk\n")
                && entry.starts_with("[Desktop Entry]")
        );
        apply(false, Path::new("/opt/guichet/guichet"), &autostart).unwrap();
        assert!(!autostart.join(ENTRY).exists());
        apply(false, Path::new("/opt/guichet/guichet"), &autostart).unwrap();
    }
}
