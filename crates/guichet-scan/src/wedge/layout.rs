//! Keyboard layouts a wedge scanner can be configured in: which character a physical key
//! (`KeyboardEvent.code`) with or without Shift stands for.
//!
//! A wedge scanner types each character by pressing the physical key that gives it in the layout
//! it is configured for; the host's own layout only changes the `key` a browser reports. So the
//! scanned text is recovered from `code` + Shift read through the scanner's layout, never from
//! `key`.

use serde::{Deserialize, Serialize};

/// A keyboard layout a scanner can be set to type in.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// US QWERTY (the default of most scanners).
    Us,
    /// French AZERTY (Windows/Linux "fr").
    FrAzerty,
    /// German QWERTZ ("de").
    DeQwertz,
}

/// A printable key: its `code`, then the character without and with Shift (`None`: a dead key
/// or nothing a scanner would type).
type KeyRow = (&'static str, Option<char>, Option<char>);

impl Layout {
    /// Every layout, in the order a decoder tries them by default.
    pub const ALL: [Layout; 3] = [Layout::Us, Layout::FrAzerty, Layout::DeQwertz];

    /// A short, stable name (`us`, `fr-azerty`, `de-qwertz`).
    pub fn name(self) -> &'static str {
        match self {
            Layout::Us => "us",
            Layout::FrAzerty => "fr-azerty",
            Layout::DeQwertz => "de-qwertz",
        }
    }

    /// The character the physical key `code` types in this layout, with or without Shift,
    /// ignoring Caps Lock (letters come back lower case without Shift). `None` for modifier,
    /// control and dead keys and for codes this layout does not know.
    pub fn char_for(self, code: &str, shift: bool) -> Option<char> {
        if let Some(letter) = self.letter(code) {
            return Some(if shift {
                letter.to_ascii_uppercase()
            } else {
                letter
            });
        }
        if code == "Space" {
            return Some(' ');
        }
        if let Some(c) = self.numpad(code) {
            return Some(c);
        }
        let row = self.symbol_rows().iter().find(|(c, _, _)| *c == code)?;
        if shift {
            row.2
        } else {
            row.1
        }
    }

    /// The physical key (and Shift) that types `c` in this layout: the reverse of
    /// [`Layout::char_for`] over the letter, space and symbol keys (not the keypad).
    pub fn key_for(self, c: char) -> Option<(String, bool)> {
        (b'A'..=b'Z')
            .map(|letter| format!("Key{}", letter as char))
            .chain(self.symbol_rows().iter().map(|row| row.0.to_string()))
            .chain(["Semicolon".to_string(), "Space".to_string()])
            .flat_map(|code| [(code.clone(), false), (code, true)])
            .find(|(code, shift)| self.char_for(code, *shift) == Some(c))
    }

    /// The lower-case letter on a `KeyA`…`KeyZ` or other letter key in this layout.
    fn letter(self, code: &str) -> Option<char> {
        let physical = code
            .strip_prefix("Key")
            .filter(|rest| rest.len() == 1)
            .and_then(|rest| rest.chars().next())
            .filter(char::is_ascii_uppercase)
            .map(|c| c.to_ascii_lowercase());
        match (self, physical, code) {
            (Layout::FrAzerty, Some('a'), _) => Some('q'),
            (Layout::FrAzerty, Some('q'), _) => Some('a'),
            (Layout::FrAzerty, Some('w'), _) => Some('z'),
            (Layout::FrAzerty, Some('z'), _) => Some('w'),
            (Layout::FrAzerty, Some('m'), _) => None, // the `,` key on AZERTY
            (Layout::FrAzerty, None, "Semicolon") => Some('m'),
            (Layout::DeQwertz, Some('y'), _) => Some('z'),
            (Layout::DeQwertz, Some('z'), _) => Some('y'),
            (_, letter, _) => letter,
        }
    }

    /// The numeric keypad (Num Lock on), which some scanners use for digits.
    fn numpad(self, code: &str) -> Option<char> {
        let rest = code.strip_prefix("Numpad")?;
        match rest {
            "Add" => Some('+'),
            "Subtract" => Some('-'),
            "Multiply" => Some('*'),
            "Divide" => Some('/'),
            "Decimal" if self == Layout::DeQwertz => Some(','),
            "Decimal" => Some('.'),
            digit if digit.len() == 1 => digit.chars().next().filter(char::is_ascii_digit),
            _ => None,
        }
    }

    /// The non-letter printable keys of this layout.
    fn symbol_rows(self) -> &'static [KeyRow] {
        match self {
            Layout::Us => US_SYMBOLS,
            Layout::FrAzerty => FR_SYMBOLS,
            Layout::DeQwertz => DE_SYMBOLS,
        }
    }
}

const US_SYMBOLS: &[KeyRow] = &[
    ("Backquote", Some('`'), Some('~')),
    ("Digit1", Some('1'), Some('!')),
    ("Digit2", Some('2'), Some('@')),
    ("Digit3", Some('3'), Some('#')),
    ("Digit4", Some('4'), Some('$')),
    ("Digit5", Some('5'), Some('%')),
    ("Digit6", Some('6'), Some('^')),
    ("Digit7", Some('7'), Some('&')),
    ("Digit8", Some('8'), Some('*')),
    ("Digit9", Some('9'), Some('(')),
    ("Digit0", Some('0'), Some(')')),
    ("Minus", Some('-'), Some('_')),
    ("Equal", Some('='), Some('+')),
    ("BracketLeft", Some('['), Some('{')),
    ("BracketRight", Some(']'), Some('}')),
    ("Backslash", Some('\\'), Some('|')),
    ("Semicolon", Some(';'), Some(':')),
    ("Quote", Some('\''), Some('"')),
    ("Comma", Some(','), Some('<')),
    ("Period", Some('.'), Some('>')),
    ("Slash", Some('/'), Some('?')),
];

const FR_SYMBOLS: &[KeyRow] = &[
    ("Backquote", Some('²'), None),
    ("Digit1", Some('&'), Some('1')),
    ("Digit2", Some('é'), Some('2')),
    ("Digit3", Some('"'), Some('3')),
    ("Digit4", Some('\''), Some('4')),
    ("Digit5", Some('('), Some('5')),
    ("Digit6", Some('-'), Some('6')),
    ("Digit7", Some('è'), Some('7')),
    ("Digit8", Some('_'), Some('8')),
    ("Digit9", Some('ç'), Some('9')),
    ("Digit0", Some('à'), Some('0')),
    ("Minus", Some(')'), Some('°')),
    ("Equal", Some('='), Some('+')),
    ("BracketLeft", None, None), // ^ and ¨, dead keys
    ("BracketRight", Some('$'), Some('£')),
    ("Quote", Some('ù'), Some('%')),
    ("Backslash", Some('*'), Some('µ')),
    ("KeyM", Some(','), Some('?')),
    ("Comma", Some(';'), Some('.')),
    ("Period", Some(':'), Some('/')),
    ("Slash", Some('!'), Some('§')),
    ("IntlBackslash", Some('<'), Some('>')),
];

const DE_SYMBOLS: &[KeyRow] = &[
    ("Backquote", None, Some('°')), // ^ is a dead key
    ("Digit1", Some('1'), Some('!')),
    ("Digit2", Some('2'), Some('"')),
    ("Digit3", Some('3'), Some('§')),
    ("Digit4", Some('4'), Some('$')),
    ("Digit5", Some('5'), Some('%')),
    ("Digit6", Some('6'), Some('&')),
    ("Digit7", Some('7'), Some('/')),
    ("Digit8", Some('8'), Some('(')),
    ("Digit9", Some('9'), Some(')')),
    ("Digit0", Some('0'), Some('=')),
    ("Minus", Some('ß'), Some('?')),
    ("Equal", None, None), // ´ and `, dead keys
    ("BracketLeft", Some('ü'), Some('Ü')),
    ("BracketRight", Some('+'), Some('*')),
    ("Backslash", Some('#'), Some('\'')),
    ("Semicolon", Some('ö'), Some('Ö')),
    ("Quote", Some('ä'), Some('Ä')),
    ("Comma", Some(','), Some(';')),
    ("Period", Some('.'), Some(':')),
    ("Slash", Some('-'), Some('_')),
    ("IntlBackslash", Some('<'), Some('>')),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_for_reverses_char_for() {
        for layout in Layout::ALL {
            for c in "AZqwmM0123456789:/.-+ ".chars() {
                let (code, shift) = layout
                    .key_for(c)
                    .unwrap_or_else(|| panic!("{layout:?} {c}"));
                assert_eq!(layout.char_for(&code, shift), Some(c), "{layout:?} {c}");
            }
        }
        assert_eq!(
            Layout::FrAzerty.key_for('&'),
            Some(("Digit1".into(), false))
        );
        assert_eq!(Layout::Us.key_for('é'), None);
    }

    #[test]
    fn no_layout_maps_two_keys_to_one_character() {
        // A scanner types each character with one key; two keys for one character in a table
        // would be a typo in it.
        for layout in Layout::ALL {
            let mut seen = std::collections::HashMap::new();
            let codes = (b'A'..=b'Z')
                .map(|c| format!("Key{}", c as char))
                .chain(layout.symbol_rows().iter().map(|r| r.0.to_string()))
                .chain(["Space".to_string()]);
            for code in codes {
                for shift in [false, true] {
                    if let Some(c) = layout.char_for(&code, shift) {
                        let other = seen.insert(c, (code.clone(), shift));
                        if let Some(other) = other.filter(|(other, _)| *other != code) {
                            panic!("{layout:?}: {c:?} on {other:?} and {code} {shift}");
                        }
                    }
                }
            }
        }
    }
}
