//! Matching a statement against a kiosk's own ledger, line by line.

use std::collections::BTreeMap;
use std::fmt;

use guichet_core::kid::Kid;

use super::{StatementDocument, StatementLine};

/// A redemption as the kiosk's ledger holds it (active: not cancelled).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerLine {
    /// The entry id.
    pub entry: String,
    /// Its Europe/Paris day, `YYYY-MM-DD`.
    pub day: String,
    /// The coupon's issuer key id.
    pub kid: Kid,
    /// The coupon's serial.
    pub serial: u64,
    /// The face value the kiosk read, cents.
    pub value_cents: u64,
    /// The provider the kiosk read.
    pub provider: u32,
}

/// Where a statement and a ledger disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Discrepancy {
    /// In the ledger, not in the statement: a redemption the platform does not pay (yet).
    Missing(LedgerLine),
    /// In the statement, not in the ledger: a payment for something this kiosk never recorded.
    Extra(StatementLine),
    /// The same entry, with different facts.
    Conflicting {
        /// The statement's line.
        statement: StatementLine,
        /// The ledger's line.
        ledger: LedgerLine,
        /// Which fields differ (`day`, `kid`, `serial`, `value_cents`, `provider`).
        fields: Vec<&'static str>,
    },
}

impl fmt::Display for Discrepancy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Discrepancy::Missing(l) => write!(
                f,
                "MISSING     entry {} ({}, coupon {}/{}, {} cents, provider {}): in the ledger, not in the statement",
                l.entry, l.day, l.kid, l.serial, l.value_cents, l.provider
            ),
            Discrepancy::Extra(l) => write!(
                f,
                "EXTRA       entry {} ({}, coupon {}/{}, {} cents, provider {}): in the statement, not in the ledger",
                l.entry, l.day, l.kid, l.serial, l.value_cents, l.provider
            ),
            Discrepancy::Conflicting {
                statement,
                ledger,
                fields,
            } => write!(
                f,
                "CONFLICTING entry {}: {} differ (statement: {}, coupon {}/{}, {} cents, provider {}; ledger: {}, coupon {}/{}, {} cents, provider {})",
                statement.entry,
                fields.join(", "),
                statement.day,
                statement.kid,
                statement.serial,
                statement.value_cents,
                statement.provider,
                ledger.day,
                ledger.kid,
                ledger.serial,
                ledger.value_cents,
                ledger.provider
            ),
        }
    }
}

/// The discrepancies between `statement`'s lines of `device` and `ledger` (the kiosk's active
/// redemptions of the statement's month), ordered by entry id. Lines of the center's other
/// kiosks are not compared.
pub fn reconcile(
    statement: &StatementDocument,
    device: &str,
    ledger: &[LedgerLine],
) -> Vec<Discrepancy> {
    let stated: BTreeMap<&str, &StatementLine> = statement
        .lines
        .iter()
        .filter(|line| line.device == device)
        .map(|line| (line.entry.as_str(), line))
        .collect();
    let held: BTreeMap<&str, &LedgerLine> = ledger
        .iter()
        .map(|line| (line.entry.as_str(), line))
        .collect();
    let mut found = Vec::new();
    for (entry, line) in &held {
        match stated.get(entry) {
            None => found.push((*entry, Discrepancy::Missing((*line).clone()))),
            Some(statement) => {
                let fields = differing(statement, line);
                if !fields.is_empty() {
                    found.push((
                        *entry,
                        Discrepancy::Conflicting {
                            statement: (*statement).clone(),
                            ledger: (*line).clone(),
                            fields,
                        },
                    ));
                }
            }
        }
    }
    for (entry, line) in &stated {
        if !held.contains_key(entry) {
            found.push((*entry, Discrepancy::Extra((*line).clone())));
        }
    }
    found.sort_by(|a, b| a.0.cmp(b.0));
    found.into_iter().map(|(_, d)| d).collect()
}

/// The fields in which a statement's line and the ledger's differ.
fn differing(statement: &StatementLine, ledger: &LedgerLine) -> Vec<&'static str> {
    [
        ("day", statement.day == ledger.day),
        ("kid", statement.kid == ledger.kid),
        ("serial", statement.serial == ledger.serial),
        ("value_cents", statement.value_cents == ledger.value_cents),
        ("provider", statement.provider == ledger.provider),
    ]
    .into_iter()
    .filter(|(_, same)| !same)
    .map(|(name, _)| name)
    .collect()
}
