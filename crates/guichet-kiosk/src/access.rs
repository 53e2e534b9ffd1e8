//! Who may open the manager's and the admin's screens: unlocking with a PIN, the delays
//! after wrong ones, the inactivity lock, setting PINs, and the admin PIN chosen at
//! enrollment.
//!
//! The rules (`pin.rs` holds the hashing and the delay policy):
//! - an enrolled kiosk never has a role without a PIN: the admin's is chosen when the kiosk
//!   enrolls ([`Kiosk::prepare_enrollment`]), the manager's is set by the admin; nobody at
//!   the counter can claim a PIN that is not set;
//! - the records and the count of wrong PINs live in the ledger database, so that neither a
//!   restart nor deleting `kiosk.json` resets them;
//! - a session ends with [`Kiosk::lock`] or after `lock_after_minutes` without a command.

use guichet_protocol::limits::{self, LimitError};
use std::time::{Duration, Instant};

use jiff::Timestamp;

use crate::kiosk::{Kiosk, PinsSet, Session};
use crate::pin::{self, Role};
use crate::text::{limit_problem, Problem};

impl Kiosk {
    /// Which PINs the ledger holds (a ledger that cannot be read counts as none).
    pub(crate) fn pins_set(&self) -> PinsSet {
        let has = |role: Role| self.ledger.pin(role).ok().flatten().is_some();
        PinsSet {
            manager: has(Role::Manager),
            admin: has(Role::Admin),
        }
    }

    /// Opens `role`'s screens with its PIN, for the person named `name` (recorded with what
    /// they do). Each door checks only its own PIN; wrong ones are counted in the ledger and
    /// shut the door for a growing time ([`pin::wait_after`]).
    pub fn unlock(
        &mut self,
        role: Role,
        name: &str,
        pin: &str,
        now: Timestamp,
    ) -> Result<(), Problem> {
        let name = checked_name(name)?;
        // A PIN is digits: anything else (a scan that went into the field) cannot be one, so
        // it is refused without counting as a wrong attempt.
        if !(1..=pin::MAX_DIGITS).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Problem::new(
                "PIN_NOT_DIGITS",
                "Un code PIN ne contient que des chiffres : rien n'a été compté, retapez-le.",
                "A PIN has digits only: nothing was counted, type it again.",
            ));
        }
        let failures = self.ledger.pin_failures(role).map_err(ledger_problem)?;
        if let Some(until) = failures.and_then(|f| pin::shut_until(f.count, f.last, now)) {
            return Err(pin::shut_problem(until, now));
        }
        let Some(record) = self.ledger.pin(role).map_err(ledger_problem)? else {
            return Err(no_pin(role));
        };
        if pin::pin_matches(&record.phc, pin) {
            if failures.is_some() {
                self.ledger
                    .clear_pin_failures(role)
                    .map_err(ledger_problem)?;
            }
            self.session = Some(Session {
                role,
                name,
                last_active: Instant::now(),
            });
            Ok(())
        } else {
            let failures = self
                .ledger
                .record_pin_failure(role, now)
                .map_err(ledger_problem)?;
            Err(pin::wrong_pin_problem(failures.count))
        }
    }

    /// Closes the restricted screens.
    pub fn lock(&mut self) {
        self.session = None;
    }

    /// Ends a session left without a command for longer than the inactivity setting.
    pub(crate) fn lock_if_idle(&mut self, now: Instant) {
        let idle_limit =
            Duration::from_secs(60 * u64::from(self.prefs.settings.lock_after_minutes.max(1)));
        if self
            .session
            .as_ref()
            .is_some_and(|s| now.saturating_duration_since(s.last_active) >= idle_limit)
        {
            self.session = None;
        }
    }

    /// Makes the open session look idle for `idle` more (tests of the inactivity lock, which
    /// cannot wait minutes).
    #[doc(hidden)]
    pub fn age_session(&mut self, idle: Duration) {
        if let Some(session) = self.session.as_mut() {
            session.last_active = session
                .last_active
                .checked_sub(idle)
                .unwrap_or(session.last_active);
        }
    }

    /// Fails unless `needed` (or the admin) is unlocked and not idle too long; a command that
    /// passes counts as activity.
    pub(crate) fn require(&mut self, needed: Role) -> Result<&Session, Problem> {
        let now = Instant::now();
        self.lock_if_idle(now);
        match self.session.as_mut() {
            Some(session) if session.role.covers(needed) => {
                session.last_active = now;
                Ok(session)
            }
            _ => Err(Problem::new(
                "LOCKED",
                "Écran réservé : saisissez le code.",
                "Restricted screen: enter the PIN.",
            )),
        }
    }

    /// Sets or changes a role's PIN (the admin, unlocked). The change records the admin's name.
    pub fn set_pin(&mut self, role: Role, pin: &str, now: Timestamp) -> Result<(), Problem> {
        let by = self.require(Role::Admin)?.name.clone();
        self.store_pin(role, pin, &by, now)
    }

    /// Sets a role's PIN from the machine itself (`guichet pin`), for a kiosk enrolled before
    /// PINs were chosen at enrollment, or a forgotten admin PIN. Whoever can run this owns the
    /// data directory, hence the ledger: the PIN guards the window, not the disk.
    pub fn set_pin_locally(
        &mut self,
        role: Role,
        pin: &str,
        by: &str,
        now: Timestamp,
    ) -> Result<(), Problem> {
        let by = checked_name(by)?;
        self.store_pin(role, pin, &by, now)
    }

    /// Hashes `pin` and keeps it as `role`'s PIN, set by `by`.
    fn store_pin(
        &mut self,
        role: Role,
        pin: &str,
        by: &str,
        now: Timestamp,
    ) -> Result<(), Problem> {
        let phc = pin::hash_pin(role, pin)?;
        self.ledger
            .set_pin(role, &phc, by, now)
            .map_err(ledger_problem)
    }

    /// The step of an enrollment before the platform is called: checks that enrolling is
    /// allowed and settles the admin PIN, then opens the admin's screens for `name`. On a
    /// kiosk with no admin PIN yet, `admin_pin` becomes it (recorded as set by `name`); on
    /// one that has one (an earlier attempt, or a kiosk whose identity was removed),
    /// `admin_pin` must be it, and a wrong one counts as a wrong PIN. Either way the PIN is in
    /// the ledger before the kiosk is enrolled, so an enrolled kiosk never lacks one; an
    /// attempt that fails takes back the PIN it set ([`Kiosk::enrollment_failed`]).
    pub fn prepare_enrollment(
        &mut self,
        name: &str,
        admin_pin: &str,
        now: Timestamp,
    ) -> Result<(), Problem> {
        if self.enrolled.is_some() {
            return Err(Problem::new(
                "ALREADY_ENROLLED",
                "Ce kiosque est déjà inscrit.",
                "This kiosk is already enrolled.",
            ));
        }
        if self.pins_set().admin {
            return self.unlock(Role::Admin, name, admin_pin, now);
        }
        let name = checked_name(name)?;
        self.store_pin(Role::Admin, admin_pin, &name, now)?;
        self.pin_set_by_enrollment = true;
        self.session = Some(Session {
            role: Role::Admin,
            name,
            last_active: Instant::now(),
        });
        Ok(())
    }

    /// Whether the administration opens without a PIN: only on a kiosk that is not enrolled
    /// and has no admin PIN yet, where the only thing to do there is to enroll (which sets
    /// the PIN).
    pub fn first_enrollment(&self) -> bool {
        self.enrolled.is_none() && !self.pins_set().admin
    }
}

fn checked_name(name: &str) -> Result<String, Problem> {
    let name = name.trim();
    match limits::check_text("actor", name, limits::MAX_ACTOR_CHARS) {
        Ok(()) if guichet_scan::wedge::contains_code(name) => Err(Problem::new(
            "NAME_IS_A_CODE",
            "Ce nom ressemble à un pass scanné : tapez votre nom.",
            "This name looks like a scanned coupon: type your name.",
        )),
        Ok(()) if !name.chars().any(char::is_control) => Ok(name.to_string()),
        Err(error @ LimitError::TooLong { .. }) => Err(limit_problem(&error)),
        _ => Err(Problem::new(
            "NO_NAME",
            "Indiquez votre nom : il est enregistré avec ce que vous faites.",
            "Give your name: it is recorded with what you do.",
        )),
    }
}

fn no_pin(role: Role) -> Problem {
    match role {
        Role::Manager => Problem::new(
            "NO_PIN",
            "Aucun code responsable n'est défini : l'administrateur le définit dans l'administration.",
            "No manager PIN is set: the admin sets it in the administration.",
        ),
        Role::Admin => Problem::new(
            "NO_PIN",
            "Aucun code administrateur : il se choisit à l'inscription du kiosque, ou avec « guichet pin » sur ce poste.",
            "No admin PIN: it is chosen when the kiosk enrolls, or with \"guichet pin\" on this machine.",
        ),
    }
}

fn ledger_problem(error: guichet_ledger::LedgerError) -> Problem {
    Problem::local(
        error.code(),
        "Registre inutilisable",
        "Ledger unusable",
        error,
    )
}
