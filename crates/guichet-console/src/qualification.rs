//! What a center declares of itself, parsed at the edge (issue 25, point 3): its SIRET, IBAN
//! and postcode as checked values, a workshop's length, and one-line texts. A value of these
//! types has passed its check; the pages and the store take nothing else.

use std::fmt;
use std::str::FromStr;

use iban::IbanLike;
use serde::Serialize;

/// The longest a workshop may last, in minutes: one coupon pays for up to two hours.
pub const MAX_WORKSHOP_MINUTES: u16 = 120;

/// A SIRET: 14 digits whose Luhn sum is a multiple of 10, or, for La Poste's establishments
/// (SIREN 356000000), whose digit sum is a multiple of 5 (INSEE's one exception). Written by
/// hand: the rule is six lines and French-specific, and the crates that check it are
/// unmaintained single-purpose ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Siret(String);

/// Why a SIRET, IBAN or postcode was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QualificationError {
    /// Not 14 digits once spaces are removed.
    #[error("a SIRET is 14 digits")]
    SiretLength,
    /// 14 digits whose check fails.
    #[error("this SIRET's check digit is wrong")]
    SiretChecksum,
    /// Not an IBAN (length for its country, characters or checksum).
    #[error("not a valid IBAN: {0}")]
    Iban(String),
    /// Not five digits.
    #[error("a postcode is 5 digits")]
    Postcode,
    /// Not 1 to 120 minutes.
    #[error("a workshop lasts 1 to 120 minutes")]
    Minutes,
}

/// `text` without spaces (as people type grouped numbers).
fn compact(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

impl FromStr for Siret {
    type Err = QualificationError;

    fn from_str(text: &str) -> Result<Siret, QualificationError> {
        let digits = compact(text);
        if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(QualificationError::SiretLength);
        }
        let values: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        // Luhn: from the right, every second digit doubled (here the even positions from
        // the left, as 14 is even), a doubled digit over 9 less 9.
        let luhn: u32 = values
            .iter()
            .enumerate()
            .map(|(i, &d)| match (i % 2 == 0, d * 2) {
                (true, doubled) if doubled > 9 => doubled - 9,
                (true, doubled) => doubled,
                (false, _) => d,
            })
            .sum();
        let la_poste =
            digits.starts_with("356000000") && values.iter().sum::<u32>().is_multiple_of(5);
        if luhn.is_multiple_of(10) || la_poste {
            Ok(Siret(digits))
        } else {
            Err(QualificationError::SiretChecksum)
        }
    }
}

impl Siret {
    /// Its 14 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Siret {
    /// Grouped as INSEE prints it: `356 000 000 00048`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.0;
        write!(f, "{} {} {} {}", &s[..3], &s[3..6], &s[6..9], &s[9..])
    }
}

/// An IBAN whose length fits its country and whose ISO 13616 checksum holds (checked by the
/// `iban_validate` crate), kept in its electronic form (no spaces, capitals).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Iban(String);

impl FromStr for Iban {
    type Err = QualificationError;

    fn from_str(text: &str) -> Result<Iban, QualificationError> {
        let upper = compact(text).to_ascii_uppercase();
        let iban: iban::Iban = upper
            .parse()
            .map_err(|e: iban::ParseIbanError| QualificationError::Iban(e.to_string()))?;
        Ok(Iban(iban.electronic_str().to_owned()))
    }
}

impl Iban {
    /// Its electronic form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Its country code and last four characters only (`FR76 … 0189`): how the audit log and
    /// the operator's lists name it.
    pub fn masked(&self) -> String {
        let s = &self.0;
        format!("{} … {}", &s[..4], &s[s.len() - 4..])
    }
}

impl fmt::Display for Iban {
    /// In groups of four, as printed on a bank's RIB.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let groups: Vec<&str> = self
            .0
            .as_bytes()
            .chunks(4)
            .map(|chunk| std::str::from_utf8(chunk).unwrap_or(""))
            .collect();
        f.write_str(&groups.join(" "))
    }
}

/// A French postcode: five digits (its first two, or three overseas, are the département).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Postcode(String);

impl FromStr for Postcode {
    type Err = QualificationError;

    fn from_str(text: &str) -> Result<Postcode, QualificationError> {
        let digits = compact(text);
        if digits.len() == 5 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Postcode(digits))
        } else {
            Err(QualificationError::Postcode)
        }
    }
}

impl Postcode {
    /// Its five digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How long a workshop lasts: 1 to [`MAX_WORKSHOP_MINUTES`] minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct WorkshopMinutes(u16);

impl WorkshopMinutes {
    /// `minutes`, if one coupon may pay for a workshop that long.
    pub fn new(minutes: u16) -> Result<WorkshopMinutes, QualificationError> {
        if (1..=MAX_WORKSHOP_MINUTES).contains(&minutes) {
            Ok(WorkshopMinutes(minutes))
        } else {
            Err(QualificationError::Minutes)
        }
    }

    /// Its minutes.
    pub fn get(self) -> u16 {
        self.0
    }
}

impl FromStr for WorkshopMinutes {
    type Err = QualificationError;

    fn from_str(text: &str) -> Result<WorkshopMinutes, QualificationError> {
        let text = text.trim();
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) || text.len() > 3 {
            return Err(QualificationError::Minutes);
        }
        text.parse()
            .map_err(|_| QualificationError::Minutes)
            .and_then(WorkshopMinutes::new)
    }
}

/// `text` trimmed, if it is one line of 1 to `max` characters.
pub fn one_line(text: &str, max: usize) -> Option<String> {
    let text = text.trim();
    (!text.is_empty() && text.chars().count() <= max && !text.chars().any(char::is_control))
        .then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sirets_are_checked_by_luhn_and_la_poste_by_its_digit_sum() {
        // La Poste's head office passes Luhn; one of its establishments only the sum rule.
        for good in ["35600000000048", "356 000 000 00048", "35600000049837"] {
            assert!(good.parse::<Siret>().is_ok(), "{good}");
        }
        // INSEE's own SIRET (Luhn), grouped for reading.
        let insee: Siret = "12000101100010".parse().unwrap();
        assert_eq!(insee.to_string(), "120 001 011 00010");
        assert_eq!(
            "12000101100011".parse::<Siret>(),
            Err(QualificationError::SiretChecksum)
        );
        assert_eq!(
            "35600000049838".parse::<Siret>(),
            Err(QualificationError::SiretChecksum)
        );
        for short in ["", "1234567890123", "123456789012345", "1200010110001a"] {
            assert_eq!(
                short.parse::<Siret>(),
                Err(QualificationError::SiretLength),
                "{short}"
            );
        }
    }

    #[test]
    fn ibans_are_checked_and_kept_in_electronic_form() {
        let iban: Iban = "fr76 3000 6000 0112 3456 7890 189".parse().unwrap();
        assert_eq!(iban.as_str(), "FR7630006000011234567890189");
        assert_eq!(iban.to_string(), "FR76 3000 6000 0112 3456 7890 189");
        assert_eq!(iban.masked(), "FR76 … 0189");
        // One digit changed: the mod-97 checksum fails. One digit short: the length for FR.
        for bad in [
            "FR7630006000011234567890188",
            "FR763000600001123456789018",
            "",
        ] {
            assert!(
                matches!(bad.parse::<Iban>(), Err(QualificationError::Iban(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn postcodes_minutes_and_lines_are_bounded() {
        assert_eq!("33 000".parse::<Postcode>().unwrap().as_str(), "33000");
        for bad in ["3300", "330000", "2A004", ""] {
            assert!(bad.parse::<Postcode>().is_err(), "{bad}");
        }
        assert_eq!("120".parse::<WorkshopMinutes>().unwrap().get(), 120);
        for bad in ["0", "121", "-5", "90.5", "", "9999"] {
            assert_eq!(
                bad.parse::<WorkshopMinutes>(),
                Err(QualificationError::Minutes),
                "{bad}"
            );
        }
        assert_eq!(one_line("  Atelier  ", 10).as_deref(), Some("Atelier"));
        assert_eq!(one_line("a\nb", 10), None);
        assert_eq!(one_line("abcdefghijk", 10), None);
    }
}
