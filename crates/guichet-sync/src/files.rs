//! Writing the kiosk's small files safely: a crash leaves the old file or the new one.

use std::io::Write;
use std::path::Path;

/// Creates `dir` (and missing parents) for its owner only (0700), or narrows an existing
/// one to its owner's bits: the kiosk's data directory holds the device key, the ledger and
/// its exports, which name mediators and list the coupons accepted.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let mode = std::fs::metadata(dir)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & 0o700))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file, fsync and rename; `private` makes the
/// file readable by its owner only (mode 0600) and its folder too
/// ([`create_private_dir`]).
pub fn write_atomically(path: &Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    if private {
        create_private_dir(dir)?;
    } else {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    if private {
        options.mode(0o600);
    }
    let mut file = options.open(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, path)?;
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn private_files_and_their_folders_are_the_owners_only() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("a/guichet");
        write_atomically(&data.join("exports/day.csv"), b"x", true).unwrap();
        assert_eq!(mode(&data.join("exports")), 0o700);
        assert_eq!(mode(&data.join("exports/day.csv")), 0o600);
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        create_private_dir(&data).unwrap();
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&dir.path().join("a")), 0o700, "parents made too");
    }
}
