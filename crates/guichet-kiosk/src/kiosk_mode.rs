//! Kiosk mode (`kiosk_mode` in the configuration, "full screen" in the settings): the window
//! fills the screen without decorations and cannot be closed, minimised or left without the
//! admin PIN. The shell enforces it on the window; the rule is here.

use crate::kiosk::Kiosk;
use crate::pin::Role;
use crate::text::Problem;

impl Kiosk {
    /// Whether kiosk mode is on.
    pub fn kiosk_mode(&self) -> bool {
        self.prefs.settings.fullscreen
    }

    /// Whether the window may close now: always outside kiosk mode; in kiosk mode only with
    /// the admin unlocked (its PIN given, not idle too long).
    pub fn may_leave(&mut self) -> Result<(), Problem> {
        if !self.kiosk_mode() {
            return Ok(());
        }
        self.require(Role::Admin).map(|_| ()).map_err(|_| {
            Problem::new(
                "KIOSK_MODE",
                "Mode kiosque : le guichet ne se ferme qu'avec le code PIN administrateur.",
                "Kiosk mode: the counter closes only with the admin PIN.",
            )
        })
    }
}
