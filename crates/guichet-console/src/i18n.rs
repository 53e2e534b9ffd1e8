//! French first, English on request: the language is a cookie the switch link sets.

use axum::http::HeaderMap;

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
}
