//! Words for the window: every message in French and English, and the error a command
//! returns.

use guichet_core::message::{message, Lang};
use guichet_core::Verdict;
use guichet_protocol::limits::LimitError;
use serde::Serialize;

/// A message in both languages; the window shows the one in use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Text {
    /// French.
    pub fr: String,
    /// English.
    pub en: String,
}

impl Text {
    /// A message from its two translations.
    pub fn new(fr: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            fr: fr.into(),
            en: en.into(),
        }
    }

    /// The same words in both languages (a file path, a technical detail).
    pub fn same(text: impl Into<String>) -> Text {
        let text = text.into();
        Text {
            fr: text.clone(),
            en: text,
        }
    }

    /// The core's catalogue message for a verdict.
    pub fn of_verdict(verdict: &Verdict) -> Text {
        Text {
            fr: message(verdict, Lang::Fr),
            en: message(verdict, Lang::En),
        }
    }
}

/// Why a command failed: a stable code for the window and tests, and the words to show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{code}: {}", message.en)]
pub struct Problem {
    /// Such as `WRONG_PIN`, `LEDGER`, `NOT_ENROLLED`.
    pub code: String,
    /// What to show.
    pub message: Text,
}

impl Problem {
    /// A problem with a translated message.
    pub fn new(code: &str, fr: impl Into<String>, en: impl Into<String>) -> Problem {
        Problem {
            code: code.to_string(),
            message: Text::new(fr, en),
        }
    }

    /// A local fault (file, database) whose detail is technical: a French lead-in, then the
    /// detail as the lower layer wrote it.
    pub fn local(
        code: &str,
        fr_lead: &str,
        en_lead: &str,
        detail: impl std::fmt::Display,
    ) -> Problem {
        Problem::new(
            code,
            format!("{fr_lead} : {detail}"),
            format!("{en_lead}: {detail}"),
        )
    }
}

/// A text over the limits kiosk and platform share (`guichet_protocol::limits`), in words:
/// nothing was recorded.
pub fn limit_problem(error: &LimitError) -> Problem {
    let (fr_field, en_field) = match error {
        LimitError::Empty { field } | LimitError::TooLong { field, .. } => match *field {
            "actor" => ("Le nom", "The name"),
            "service" => ("Le service", "The service"),
            "reason" => ("Le motif", "The reason"),
            "label" => ("Le nom du kiosque", "The kiosk's name"),
            "code" => ("Le code du pass", "The pass's code"),
            other => (other, other),
        },
    };
    match error {
        LimitError::Empty { .. } => Problem::new(
            "EMPTY_TEXT",
            format!("{fr_field} est vide : rien n'a été enregistré."),
            format!("{en_field} is empty: nothing was recorded."),
        ),
        LimitError::TooLong { length, limit, .. } => Problem::new(
            "TEXT_TOO_LONG",
            format!("{fr_field} est trop long ({length} caractères, {limit} au plus) : rien n'a été enregistré."),
            format!("{en_field} is too long ({length} characters, at most {limit}): nothing was recorded."),
        ),
    }
}
