//! Helpers shared by the ledger's integration tests.
#![allow(dead_code, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

use guichet_core::{Area, Coupon, Kid, Scope};
use guichet_ledger::{
    Basket, Canceller, InputMethod, Ledger, LedgerSettings, Receipt, Role, Station, Workshop,
};
use jiff::Timestamp;

/// 2026-11-23 10:00:00 Europe/Paris.
pub const MORNING: &str = "2026-11-23T09:00:00Z";

pub fn at(text: &str) -> Timestamp {
    text.parse().expect("test timestamp")
}

pub fn kid() -> Kid {
    Kid([0xe9, 0x3a, 0x3e, 0x22, 0xa6, 0x92, 0xeb, 0x03])
}

pub fn coupon(serial: u64) -> Coupon {
    Coupon {
        kid: kid(),
        serial,
        value_cents: 1000,
        issued_on: 2400,
        valid_until: 2800,
        provider: 1,
        scope: Scope::ANY,
        zone: 0,
    }
}

/// A well-formed code of `coupon` (signature zeros: the ledger decodes, it does not verify).
pub fn code_of(coupon: &Coupon) -> String {
    let mut bytes = coupon.to_payload().to_vec();
    bytes.extend_from_slice(&[0; 64]);
    guichet_core::code::text_of(&bytes)
}

/// The code of [`coupon`]`(serial)`.
pub fn code(serial: u64) -> String {
    code_of(&coupon(serial))
}

pub fn station(mediator: &str) -> Station {
    Station {
        center: "center-bordeaux".to_string(),
        device: "kiosk-1".to_string(),
        mediator: mediator.to_string(),
    }
}

pub fn workshop(area: Area) -> Workshop {
    Workshop {
        area,
        service: "S-BUREAUTIQUE".to_string(),
    }
}

pub fn basket(serials: &[u64]) -> Basket {
    let mut basket = Basket::new(workshop(Area::A1_1));
    for &serial in serials {
        basket
            .add(code(serial).as_bytes(), InputMethod::Camera)
            .expect("distinct serials");
    }
    basket
}

pub fn canceller(role: Role) -> Canceller {
    Canceller {
        name: if role == Role::Manager {
            "Chloé"
        } else {
            "Amine"
        }
        .to_string(),
        role,
        center: "center-bordeaux".to_string(),
        device: "kiosk-1".to_string(),
    }
}

pub fn open(path: &Path) -> Ledger {
    Ledger::open(path, LedgerSettings::default()).expect("open ledger")
}

pub fn redeem(ledger: &mut Ledger, serials: &[u64], now: &str) -> Receipt {
    ledger
        .commit_checkout(&station("Amine"), &basket(serials), at(now))
        .expect("commit")
}

/// The variable that lets a test pass without what it needs: `GUICHET_ALLOW_SKIP=1`.
pub const ALLOW_SKIP: &str = "GUICHET_ALLOW_SKIP";

/// Whether `value`, the value of [`ALLOW_SKIP`], allows skipping: exactly `1`.
pub fn skip_allowed(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| v == "1")
}

/// A test cannot run because `missing` is missing: it fails (panics) unless
/// `GUICHET_ALLOW_SKIP=1`, in which case it says so loudly and the caller skips.
pub fn skip_or_fail(missing: &str) {
    if skip_allowed(std::env::var_os(ALLOW_SKIP).as_deref()) {
        eprintln!("\n!!!!! SKIPPED ({ALLOW_SKIP}=1): {missing} !!!!!\n");
    } else {
        panic!("{missing}; this test fails without it (set {ALLOW_SKIP}=1 to skip it knowingly)");
    }
}

/// A size-limited tmpfs mounted on a fresh directory, unmounted on drop. Where mounting is
/// not permitted (these tests need root, as CI runs them) the test fails, unless
/// `GUICHET_ALLOW_SKIP=1`: then `None` and the caller returns early.
pub struct SmallDisk {
    pub dir: PathBuf,
    _holder: tempfile::TempDir,
}

impl SmallDisk {
    pub fn mount(size: &str) -> Option<SmallDisk> {
        let holder = tempfile::tempdir().expect("tempdir");
        let dir = holder.path().join("disk");
        std::fs::create_dir(&dir).expect("mount point");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .status();
        match status {
            Ok(s) if s.success() => Some(SmallDisk {
                dir,
                _holder: holder,
            }),
            other => {
                skip_or_fail(&format!(
                    "mounting a tmpfs failed ({other:?}): it needs root (CI runs as root)"
                ));
                None
            }
        }
    }

    pub fn remount_read_only(&self) {
        let ok = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.dir)
            .status()
            .expect("mount")
            .success();
        assert!(ok, "remount read-only");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}
