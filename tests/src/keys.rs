//! What a US-mode barcode scanner's key presses look like to a page on a French AZERTY host:
//! the physical key (`KeyboardEvent.code`, named after its US place), Shift, and the character
//! the AZERTY layout makes of it (`KeyboardEvent.key`). Covers the QR alphanumeric set.

/// One `keydown` as the page sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostKey {
    /// `KeyboardEvent.code`.
    pub code: String,
    /// `KeyboardEvent.key` on an AZERTY host.
    pub key: String,
    /// `KeyboardEvent.shiftKey`.
    pub shift: bool,
}

/// The keys a US-mode scanner presses for `text`, then Enter, as an AZERTY host reports them.
pub fn us_scanner_on_azerty(text: &str) -> Vec<HostKey> {
    text.chars()
        .map(|c| {
            let (code, shift) = us_key(c);
            let key = azerty_char(&code, shift);
            HostKey { code, key, shift }
        })
        .chain(std::iter::once(HostKey {
            code: "Enter".into(),
            key: "Enter".into(),
            shift: false,
        }))
        .collect()
}

/// The US key (and Shift) that types `c`.
fn us_key(c: char) -> (String, bool) {
    match c {
        'A'..='Z' => (format!("Key{c}"), true),
        '0'..='9' => (format!("Digit{c}"), false),
        ' ' => ("Space".into(), false),
        ':' => ("Semicolon".into(), true),
        '$' => ("Digit4".into(), true),
        '%' => ("Digit5".into(), true),
        '*' => ("Digit8".into(), true),
        '+' => ("Equal".into(), true),
        '-' => ("Minus".into(), false),
        '.' => ("Period".into(), false),
        '/' => ("Slash".into(), false),
        other => panic!("not in the QR alphanumeric set: {other:?}"),
    }
}

/// What AZERTY gives for a physical key, with or without Shift.
fn azerty_char(code: &str, shift: bool) -> String {
    const DIGITS: [(&str, &str); 10] = [
        ("à", "0"),
        ("&", "1"),
        ("é", "2"),
        ("\"", "3"),
        ("'", "4"),
        ("(", "5"),
        ("-", "6"),
        ("è", "7"),
        ("_", "8"),
        ("ç", "9"),
    ];
    let pick = |plain: &str, shifted: &str| if shift { shifted } else { plain }.to_string();
    if let Some(digit) = code.strip_prefix("Digit") {
        let (plain, shifted) = DIGITS[digit.parse::<usize>().expect("a digit key")];
        return pick(plain, shifted);
    }
    match code {
        "KeyQ" => pick("a", "A"),
        "KeyA" => pick("q", "Q"),
        "KeyW" => pick("z", "Z"),
        "KeyZ" => pick("w", "W"),
        "KeyM" => pick(",", "?"),
        "Semicolon" => pick("m", "M"),
        "Space" => " ".into(),
        "Minus" => pick(")", "°"),
        "Equal" => pick("=", "+"),
        "Period" => pick(":", "/"),
        "Slash" => pick("!", "§"),
        letter => {
            let letter = letter.strip_prefix("Key").expect("a letter key");
            pick(&letter.to_lowercase(), letter)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_classic_azerty_surprises() {
        let keys = us_scanner_on_azerty("PN1:QA");
        let seen: Vec<(&str, &str)> = keys
            .iter()
            .map(|k| (k.code.as_str(), k.key.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("KeyP", "P"),
                ("KeyN", "N"),
                ("Digit1", "&"),
                ("Semicolon", "M"),
                ("KeyQ", "A"),
                ("KeyA", "Q"),
                ("Enter", "Enter")
            ]
        );
    }
}
