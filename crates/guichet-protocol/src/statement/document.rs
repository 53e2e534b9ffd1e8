//! The signed content of a statement, and the checks of its consistency and totals.

use std::collections::{BTreeMap, HashSet};

use guichet_core::kid::Kid;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::StatementError;

/// The center a statement is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CenterRef {
    /// The center's id on the platform.
    pub id: String,
    /// Its name when the statement was issued.
    pub name: String,
}

/// One accepted redemption, as the platform recorded it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    /// The ledger entry id the kiosk gave the redemption (UUIDv7).
    pub entry: String,
    /// The kiosk (device id) that recorded it.
    pub device: String,
    /// Its Europe/Paris day, `YYYY-MM-DD` (the platform's report day).
    pub day: String,
    /// The coupon's issuer key id.
    pub kid: Kid,
    /// The coupon's serial.
    pub serial: u64,
    /// What is paid for it, in cents: the platform's record of the minted coupon.
    pub value_cents: u64,
    /// The provider (funder) that pays it.
    pub provider: u32,
    /// The provider's name (empty if unknown).
    pub provider_name: String,
}

/// What one provider owes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderTotal {
    /// The provider id.
    pub provider: u32,
    /// Its name (empty if unknown).
    pub provider_name: String,
    /// How many coupons.
    pub coupons: u64,
    /// Their value, cents.
    pub cents: u64,
}

/// The totals of a statement: per provider (ascending ids) and overall.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Per provider, ascending ids, one each.
    pub providers: Vec<ProviderTotal>,
    /// All coupons.
    pub coupons: u64,
    /// All cents.
    pub cents: u64,
}

/// A center's statement for one month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementDocument {
    /// The center.
    pub center: CenterRef,
    /// The month, `YYYY-MM`.
    pub month: String,
    /// 1 for the first statement of this center and month, then 2, 3… for corrections.
    pub sequence: u32,
    /// The sequence of the statement this one corrects, if it is a correction.
    pub replaces: Option<u32>,
    /// When the platform issued it, RFC 3339 UTC.
    pub issued_at: String,
    /// Every accepted redemption, ordered by day then entry id.
    pub lines: Vec<StatementLine>,
    /// Their totals.
    pub totals: Totals,
}

impl Totals {
    /// The totals of `lines`; provider names are taken from the lines.
    pub fn of(lines: &[StatementLine]) -> Result<Totals, StatementError> {
        let overflow = || StatementError::Totals("the sum overflows".into());
        let mut per: BTreeMap<u32, ProviderTotal> = BTreeMap::new();
        let (mut coupons, mut cents) = (0u64, 0u64);
        for line in lines {
            let total = per.entry(line.provider).or_insert_with(|| ProviderTotal {
                provider: line.provider,
                provider_name: line.provider_name.clone(),
                coupons: 0,
                cents: 0,
            });
            total.coupons += 1;
            total.cents = total
                .cents
                .checked_add(line.value_cents)
                .ok_or_else(overflow)?;
            coupons += 1;
            cents = cents.checked_add(line.value_cents).ok_or_else(overflow)?;
        }
        Ok(Totals {
            providers: per.into_values().collect(),
            coupons,
            cents,
        })
    }
}

impl StatementDocument {
    /// The first day of the month it covers.
    pub fn first_day(&self) -> Result<Date, StatementError> {
        parse_month(&self.month)
    }

    /// Checks the rules of the format: a month, a sequence, lines within the month, each entry
    /// and each coupon once; then that every total is the sum of the lines.
    pub fn check(&self) -> Result<(), StatementError> {
        let invalid = |text: String| Err(StatementError::Invalid(text));
        let first = self.first_day()?;
        if self.center.id.trim().is_empty() {
            return invalid("the center id is empty".into());
        }
        if self.sequence == 0 {
            return invalid("the sequence starts at 1".into());
        }
        match self.replaces {
            Some(old) if old == 0 || old >= self.sequence => {
                return invalid(format!(
                    "statement {} cannot replace statement {old}: only an earlier one",
                    self.sequence
                ))
            }
            None if self.sequence > 1 => {
                return invalid(format!(
                    "statement {} is a correction but names none it replaces",
                    self.sequence
                ))
            }
            _ => {}
        }
        if self.issued_at.parse::<jiff::Timestamp>().is_err() {
            return invalid(format!(
                "issued_at {:?} is not an RFC 3339 time",
                self.issued_at
            ));
        }
        let (mut entries, mut coupons) = (HashSet::new(), HashSet::new());
        for line in &self.lines {
            let day: Date = line.day.parse().map_err(|_| {
                StatementError::Invalid(format!(
                    "line {}: day {:?} is not a date",
                    line.entry, line.day
                ))
            })?;
            if day.first_of_month() != first {
                return invalid(format!(
                    "line {}: {} is not in {}",
                    line.entry, line.day, self.month
                ));
            }
            if !entries.insert(line.entry.as_str()) {
                return invalid(format!("entry {} is listed twice", line.entry));
            }
            if !coupons.insert((line.kid, line.serial)) {
                return invalid(format!(
                    "coupon {}/{} is listed twice",
                    line.kid, line.serial
                ));
            }
        }
        self.check_totals()
    }

    /// Checks each total against the sum of the lines, naming the first that differs.
    fn check_totals(&self) -> Result<(), StatementError> {
        let sums = Totals::of(&self.lines)?;
        let stated = &self.totals;
        if stated.providers.len() != sums.providers.len() {
            return Err(StatementError::Totals(format!(
                "{} provider totals are stated, the lines have {} providers",
                stated.providers.len(),
                sums.providers.len()
            )));
        }
        for (stated, sum) in stated.providers.iter().zip(&sums.providers) {
            if stated.provider != sum.provider
                || stated.coupons != sum.coupons
                || stated.cents != sum.cents
            {
                return Err(StatementError::Totals(format!(
                    "provider {} is stated as {} coupons for {} cents; the lines give provider {}: {} coupons for {} cents",
                    stated.provider, stated.coupons, stated.cents, sum.provider, sum.coupons, sum.cents
                )));
            }
        }
        if stated.coupons != sums.coupons || stated.cents != sums.cents {
            return Err(StatementError::Totals(format!(
                "the total is stated as {} coupons for {} cents; the lines give {} coupons for {} cents",
                stated.coupons, stated.cents, sums.coupons, sums.cents
            )));
        }
        Ok(())
    }
}

/// The first day of a `YYYY-MM` month.
pub fn parse_month(month: &str) -> Result<Date, StatementError> {
    let bad = || StatementError::Invalid(format!("month {month:?} is not YYYY-MM"));
    if month.len() != 7 {
        return Err(bad());
    }
    format!("{month}-01").parse::<Date>().map_err(|_| bad())
}
