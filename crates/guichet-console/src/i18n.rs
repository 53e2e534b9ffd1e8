//! French first, English on request: the language is a cookie the switch link sets.

use axum::http::HeaderMap;
use guichet_core::bundle::document::LocalizedText;
use guichet_protocol::EntryState;

use crate::web::cookie;

/// The cookie holding the language chosen (`fr` or `en`; no secret).
pub const LANG_COOKIE: &str = "guichet-lang";

/// A page's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// Français (the default).
    Fr,
    /// English.
    En,
}

impl Lang {
    /// The language of a request: its cookie, else French.
    pub fn of(headers: &HeaderMap) -> Lang {
        match cookie(headers, LANG_COOKIE).as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Fr,
        }
    }

    /// The language a path segment names.
    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Its code (`lang` attribute, cookie).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// The other language (the switch offers it).
    pub fn other(self) -> Lang {
        match self {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        }
    }

    /// The text in this language.
    pub fn t(self, fr: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Fr => fr,
            Lang::En => en,
        }
    }

    /// The text of `localized` in this language.
    pub fn pick(self, localized: &LocalizedText) -> &str {
        match self {
            Lang::Fr => &localized.fr,
            Lang::En => &localized.en,
        }
    }

    /// A redemption's state in words (a redemption, "passage", is masculine in French).
    pub fn entry_state(self, state: EntryState) -> &'static str {
        match state {
            EntryState::Accepted => self.t("accepté", "accepted"),
            EntryState::Conflict => self.t("en conflit", "in conflict"),
            EntryState::Unknown => self.t("coupon inconnu", "unknown coupon"),
            EntryState::Cancelled => self.t("annulé", "cancelled"),
            EntryState::Rejected => self.t("rejeté", "rejected"),
            EntryState::Held => self.t("en attente de revue", "waiting for review"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_redemption_state_has_french_words() {
        let states = [
            EntryState::Accepted,
            EntryState::Conflict,
            EntryState::Unknown,
            EntryState::Cancelled,
            EntryState::Rejected,
            EntryState::Held,
        ];
        let french: Vec<&str> = states.iter().map(|s| Lang::Fr.entry_state(*s)).collect();
        assert_eq!(
            french,
            [
                "accepté",
                "en conflit",
                "coupon inconnu",
                "annulé",
                "rejeté",
                "en attente de revue"
            ]
        );
        for state in states {
            // No French page shows the wire's English name.
            assert_ne!(Lang::Fr.entry_state(state), state.as_str());
        }
        assert_eq!(Lang::En.entry_state(EntryState::Accepted), "accepted");
    }
}
