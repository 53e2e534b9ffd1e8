//! The data directory is the kiosk's only (issue 17, point 6): created 0700, the ledger 0600,
//! and `guichet doctor` names what others could read.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use guichet_kiosk::doctor::{examine, DeviceDirs, Level, Setup};
use guichet_kiosk::{CameraSetting, Kiosk};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn data_dir_check(dir: &Path) -> (Level, String) {
    let setup = Setup {
        data_dir: dir.to_path_buf(),
        camera: CameraSetting::default(),
        devices: DeviceDirs::default(),
        now: jiff::Timestamp::now(),
    };
    let report = block_on_without_io(examine(&setup));
    let check = report
        .checks
        .into_iter()
        .find(|c| c.id == "data_dir")
        .unwrap();
    (check.level, check.message.en)
}

/// The doctor's future needs no reactor when the kiosk is not enrolled (no network).
fn block_on_without_io<F: std::future::Future>(future: F) -> F::Output {
    let waker = std::task::Waker::noop();
    let mut context = std::task::Context::from_waker(waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

#[test]
fn a_new_data_directory_is_the_kiosks_only() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("guichet");
    let kiosk = Kiosk::open(&dir).unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&kiosk.ledger_path()), 0o600);
    drop(kiosk);
    let (level, message) = data_dir_check(&dir);
    assert_eq!(level, Level::Ok, "{message}");

    // Opened wide by hand: the doctor names each file, the next start narrows them.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        dir.join("ledger.sqlite3"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let (level, message) = data_dir_check(&dir);
    assert_eq!(level, Level::Problem);
    assert!(
        message.contains("(755)") && message.contains("ledger.sqlite3 (644)"),
        "{message}"
    );
    drop(Kiosk::open(&dir).unwrap());
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("ledger.sqlite3")), 0o600);
    assert_eq!(data_dir_check(&dir).0, Level::Ok);
}
