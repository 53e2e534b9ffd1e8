//! The field limits kiosk and platform both enforce: one set, so a kiosk never records what
//! the platform would refuse, and the platform never stores an unbounded text.
//!
//! Lengths are counted in characters (Unicode scalar values) for texts people type, in bytes
//! for codes. A push that breaks one is refused whole with `MALFORMED_BODY`.

use thiserror::Error;

use crate::wire::{EntryEvent, LedgerEntry};

/// A mediator's or manager's name (the `actor` of an entry).
pub const MAX_ACTOR_CHARS: usize = 80;
/// A service code of the referential (`1.1.01`).
pub const MAX_SERVICE_CHARS: usize = 32;
/// A cancellation's reason.
pub const MAX_REASON_CHARS: usize = 500;
/// A kiosk's label (enrollment).
pub const MAX_LABEL_CHARS: usize = 80;
/// A coupon's code as read: `PN1:` and 150 base45 characters, with room for the whitespace a
/// scanner may add.
pub const MAX_CODE_BYTES: usize = 200;
/// The most coupons one learner checkout may hold (a booklet of 10 and a spare one).
pub const MAX_COUPONS_PER_CHECKOUT: usize = 20;

/// A field over its limit, or empty where it may not be.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum LimitError {
    /// A required text is empty (or only spaces).
    #[error("{field} is empty")]
    Empty {
        /// The field's name on the wire.
        field: &'static str,
    },
    /// A text is longer than its limit.
    #[error("{field} is {length} long; at most {limit}")]
    TooLong {
        /// The field's name on the wire.
        field: &'static str,
        /// Its length (characters, or bytes for `code`).
        length: usize,
        /// The limit.
        limit: usize,
    },
}

/// Checks a text people type: not blank, at most `limit` characters.
pub fn check_text(field: &'static str, text: &str, limit: usize) -> Result<(), LimitError> {
    if text.trim().is_empty() {
        return Err(LimitError::Empty { field });
    }
    let length = text.chars().count();
    if length > limit {
        return Err(LimitError::TooLong {
            field,
            length,
            limit,
        });
    }
    Ok(())
}

/// Checks every bounded field of one ledger entry.
pub fn check_entry(entry: &LedgerEntry) -> Result<(), LimitError> {
    check_text("actor", &entry.actor, MAX_ACTOR_CHARS)?;
    match &entry.event {
        EntryEvent::Redemption(r) => {
            check_text("service", &r.service, MAX_SERVICE_CHARS)?;
            if let Some(code) = &r.code {
                if code.len() > MAX_CODE_BYTES {
                    return Err(LimitError::TooLong {
                        field: "code",
                        length: code.len(),
                        limit: MAX_CODE_BYTES,
                    });
                }
            }
        }
        EntryEvent::Cancellation(c) => check_text("reason", &c.reason, MAX_REASON_CHARS)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_bounded_in_characters_and_never_blank() {
        assert!(check_text("actor", "Zoé", MAX_ACTOR_CHARS).is_ok());
        assert_eq!(
            check_text("actor", "  ", MAX_ACTOR_CHARS),
            Err(LimitError::Empty { field: "actor" })
        );
        let long = "é".repeat(MAX_ACTOR_CHARS);
        assert!(check_text("actor", &long, MAX_ACTOR_CHARS).is_ok());
        assert_eq!(
            check_text("actor", &format!("{long}x"), MAX_ACTOR_CHARS),
            Err(LimitError::TooLong {
                field: "actor",
                length: MAX_ACTOR_CHARS + 1,
                limit: MAX_ACTOR_CHARS
            })
        );
    }
}
