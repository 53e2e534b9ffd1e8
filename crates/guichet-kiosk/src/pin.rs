//! The PINs that open the day review (manager) and the administration (admin): their shape,
//! their hash, and the delays after wrong ones.
//!
//! A PIN is hashed with argon2id (the `argon2` crate, RustCrypto, default parameters:
//! 19 MiB, 2 passes), stored as a PHC string in the ledger database (`pins`), never in
//! `kiosk.json`. The hash slows down someone who copied the file; at the counter, what stops
//! guessing is the delay policy below, whose count is kept in the ledger too (`pin_failures`),
//! so that neither a restart nor deleting a settings file resets it.
//!
//! Each role's door checks only that role's PIN: the admin opens the manager's screens by
//! unlocking as admin. Otherwise a manager could try admin PINs at the manager's door and
//! reset the count with their own PIN every other try.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use jiff::{SignedDuration, Timestamp};

use crate::text::Problem;

/// Who a PIN is for: the ledger's [`PinRole`](guichet_ledger::PinRole), the one role type of
/// the doors, the PIN records, the window API and `guichet pin`.
pub use guichet_ledger::PinRole as Role;

/// The most digits a PIN has.
pub const MAX_DIGITS: usize = 12;

/// Wrong PINs in a row that cost nothing (a slip of the finger).
pub const FREE_ATTEMPTS: u32 = 3;

/// The wait after the first paid wrong PIN; it doubles with each further one.
const FIRST_WAIT: SignedDuration = SignedDuration::from_secs(30);

/// The longest wait: from then on, one try per hour (a 6-digit PIN then takes decades).
pub const LONGEST_WAIT: SignedDuration = SignedDuration::from_secs(3600);

/// Checks that `pin` is a PIN `role` may have: ASCII digits, from its minimum to 12.
pub fn check_pin_shape(role: Role, pin: &str) -> Result<(), Problem> {
    let min = role.min_digits();
    if (min..=MAX_DIGITS).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Problem::new(
            "BAD_PIN_SHAPE",
            format!("Le code doit comporter de {min} à {MAX_DIGITS} chiffres."),
            format!("The PIN must have {min} to {MAX_DIGITS} digits."),
        ))
    }
}

/// Hashes a PIN of `role` (argon2id, fresh random salt) into a PHC string.
pub fn hash_pin(role: Role, pin: &str) -> Result<String, Problem> {
    check_pin_shape(role, pin)?;
    Argon2::default()
        .hash_password(pin.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| Problem::local("PIN_HASH", "Code non enregistré", "PIN not saved", e))
}

/// Whether `pin` is the one `phc` was made from. A damaged hash matches nothing.
pub fn pin_matches(phc: &str, pin: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(pin.as_bytes(), &hash)
            .is_ok()
    })
}

/// How long a role's door stays shut after `failures` wrong PINs in a row: nothing for the
/// first [`FREE_ATTEMPTS`], then 30 s, doubling each time, up to [`LONGEST_WAIT`].
pub fn wait_after(failures: u32) -> SignedDuration {
    if failures < FREE_ATTEMPTS {
        return SignedDuration::ZERO;
    }
    let doublings = (failures - FREE_ATTEMPTS).min(16);
    let wait = FIRST_WAIT.as_secs().saturating_mul(1 << doublings);
    SignedDuration::from_secs(wait.min(LONGEST_WAIT.as_secs()))
}

/// When a door shut by `failures` wrong PINs, the last at `last`, opens again, if it is still
/// shut at `now`. A clock set back before `last` does not open it early: the whole wait is
/// then still ahead.
pub fn shut_until(failures: u32, last: Timestamp, now: Timestamp) -> Option<Timestamp> {
    let wait = wait_after(failures);
    if wait.is_zero() {
        return None;
    }
    let since = if now < last {
        SignedDuration::ZERO
    } else {
        now.duration_since(last)
    };
    (since < wait).then(|| now.saturating_add(wait - since).unwrap_or(now))
}

/// The refusal while a door is shut: says how long is left, in minutes and seconds.
pub fn shut_problem(until: Timestamp, now: Timestamp) -> Problem {
    let left = until.duration_since(now).as_secs().max(1);
    let (minutes, seconds) = (left / 60, left % 60);
    let (fr, en) = if minutes > 0 {
        (
            format!("{minutes} min {seconds:02} s"),
            format!("{minutes} min {seconds:02} s"),
        )
    } else {
        (format!("{seconds} s"), format!("{seconds} s"))
    };
    Problem::new(
        "PIN_LOCKED",
        format!("Trop de codes erronés : réessayez dans {fr}."),
        format!("Too many wrong PINs: try again in {en}."),
    )
}

/// The refusal of a wrong PIN, saying how many tries are left before a wait.
pub fn wrong_pin_problem(failures: u32) -> Problem {
    let left = FREE_ATTEMPTS.saturating_sub(failures);
    if left > 0 {
        Problem::new(
            "WRONG_PIN",
            format!(
                "Code incorrect. Encore {left} essai{} avant une attente.",
                if left > 1 { "s" } else { "" }
            ),
            format!(
                "Wrong PIN. {left} more tr{} before a wait.",
                if left > 1 { "ies" } else { "y" }
            ),
        )
    } else {
        let wait = wait_after(failures).as_secs();
        Problem::new(
            "WRONG_PIN",
            format!("Code incorrect. Prochain essai dans {} s.", wait),
            format!("Wrong PIN. Next try in {} s.", wait),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_matches_only_itself_and_salts_differ() {
        let a = hash_pin(Role::Admin, "123456").unwrap();
        let b = hash_pin(Role::Admin, "123456").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert!(pin_matches(&a, "123456") && pin_matches(&b, "123456"));
        assert!(!pin_matches(&a, "123457") && !pin_matches(&a, "") && !pin_matches(&a, "1234567"));
        assert_ne!(a, b, "a fresh salt each time");
    }

    #[test]
    fn the_admin_needs_six_digits_the_manager_four() {
        for bad in [
            "",
            "12345",
            "1234567890123",
            "12a456",
            "１２３４５６",
            "123 456",
        ] {
            assert_eq!(
                hash_pin(Role::Admin, bad).unwrap_err().code,
                "BAD_PIN_SHAPE",
                "{bad:?}"
            );
        }
        assert_eq!(
            hash_pin(Role::Manager, "123").unwrap_err().code,
            "BAD_PIN_SHAPE"
        );
        assert!(check_pin_shape(Role::Manager, "1234").is_ok());
        assert!(check_pin_shape(Role::Admin, "000000").is_ok());
        assert!(check_pin_shape(Role::Admin, "123456789012").is_ok());
    }

    #[test]
    fn a_damaged_hash_matches_nothing() {
        assert!(!pin_matches("zz", "123456"));
        assert!(!pin_matches(
            "$argon2id$v=19$m=19456,t=2,p=1$AAAA$AAAA",
            "123456"
        ));
    }

    #[test]
    fn waits_start_after_three_and_double_up_to_an_hour() {
        let waits: Vec<i64> = (0..14).map(|n| wait_after(n).as_secs()).collect();
        assert_eq!(
            waits,
            [0, 0, 0, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600, 3600]
        );
        assert_eq!(wait_after(u32::MAX), LONGEST_WAIT);
    }

    #[test]
    fn a_shut_door_opens_after_its_wait_and_not_by_setting_the_clock_back() {
        let last: Timestamp = "2026-12-04T10:00:00Z".parse().unwrap();
        let at = |s: i64| last.checked_add(SignedDuration::from_secs(s)).unwrap();
        assert_eq!(shut_until(2, last, last), None);
        assert_eq!(shut_until(3, last, at(10)), Some(at(30)));
        assert_eq!(shut_until(3, last, at(30)), None);
        // The clock put back an hour: the whole wait is ahead again.
        assert_eq!(shut_until(3, last, at(-3600)), Some(at(-3570)));
        let problem = shut_problem(at(95), at(0));
        assert_eq!(problem.code, "PIN_LOCKED");
        assert!(
            problem.message.fr.contains("1 min 35 s"),
            "{}",
            problem.message.fr
        );
    }

    #[test]
    fn roles() {
        assert!(Role::Admin.covers(Role::Manager));
        assert!(Role::Manager.covers(Role::Manager));
        assert!(!Role::Manager.covers(Role::Admin));
    }
}
