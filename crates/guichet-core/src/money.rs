//! Money: an amount in euro cents, and the one way Guichet writes it in French and English.

use serde::{Deserialize, Serialize};

use crate::message::Lang;

/// An amount in euro cents (a coupon's value, a basket's or a day's total).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Cents(pub u64);

impl Cents {
    /// The number alone, as a CSV column holds it: `10,00` (French) or `10.00` (English).
    pub fn number(self, lang: Lang) -> String {
        let (units, cents) = (self.0 / 100, self.0 % 100);
        match lang {
            Lang::Fr => format!("{units},{cents:02}"),
            Lang::En => format!("{units}.{cents:02}"),
        }
    }

    /// With the euro sign where each language puts it and thousands grouped, as the page
    /// writes them too (`ui/js/format.js`, `euros`; the e2e test `money_format.rs` runs
    /// both): `1 234,50 €`, `€1,234.50`.
    pub fn text(self, lang: Lang) -> String {
        let (units, cents) = (self.0 / 100, self.0 % 100);
        let digits = units.to_string();
        let separator = match lang {
            Lang::Fr => ' ',
            Lang::En => ',',
        };
        let mut grouped = String::with_capacity(digits.len() * 4 / 3);
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(separator);
            }
            grouped.push(digit);
        }
        match lang {
            Lang::Fr => format!("{grouped},{cents:02} €"),
            Lang::En => format!("€{grouped}.{cents:02}"),
        }
    }
}

impl From<u32> for Cents {
    fn from(cents: u32) -> Cents {
        Cents(u64::from(cents))
    }
}

impl From<u64> for Cents {
    fn from(cents: u64) -> Cents {
        Cents(cents)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_as_each_language_writes_them() {
        assert_eq!(Cents(1000).text(Lang::Fr), "10,00 €");
        assert_eq!(Cents(1005).text(Lang::En), "€10.05");
        assert_eq!(Cents(123_450).number(Lang::Fr), "1234,50");
        assert_eq!(Cents(123_450).text(Lang::Fr), "1 234,50 €");
        assert_eq!(Cents(100_000_000).text(Lang::En), "€1,000,000.00");
        assert_eq!(Cents(99_999).text(Lang::En), "€999.99");
        assert_eq!(Cents(7).number(Lang::En), "0.07");
        assert_eq!(Cents::from(2550_u32).text(Lang::Fr), "25,50 €");
        assert_eq!(serde_json::to_string(&Cents(1000)).unwrap(), "1000");
    }
}
