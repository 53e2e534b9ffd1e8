//! The monthly reimbursement report as CSV.
//!
//! One table, its first column `section` telling the part: `reimbursement` rows (per center
//! and provider: `coupons`, `amount_eur`), then `conflict`, `unknown`, `rejected` and `held`
//! rows (one per redemption, not reimbursed, listed apart with their coupon and why; their
//! `amount_eur` only where the platform verified the code).

use std::io::Write;

use crate::error::Error;
use crate::store::MonthReport;

const HEADER: [&str; 14] = [
    "section",
    "month",
    "center",
    "center_name",
    "provider",
    "provider_name",
    "coupons",
    "amount_eur",
    "redemption_id",
    "device",
    "kid",
    "serial",
    "redeemed_at",
    "detail",
];

/// Amount in euros with a dot and two decimals (`12.50`), for spreadsheets.
fn amount(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, (cents % 100).abs())
}

/// Writes the report of `month` (`YYYY-MM`) as CSV.
pub fn write_csv(report: &MonthReport, month: &str, out: impl Write) -> Result<(), Error> {
    let fail = |e: csv::Error| Error::Io(format!("cannot write the report: {e}"));
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(HEADER).map_err(fail)?;
    for line in &report.reimbursements {
        csv.write_record([
            "reimbursement",
            month,
            &line.center,
            &line.center_name,
            &line.provider.to_string(),
            &line.provider_name,
            &line.coupons.to_string(),
            &amount(line.amount_cents),
            "",
            "",
            "",
            "",
            "",
            "",
        ])
        .map_err(fail)?;
    }
    for (section, lines) in [
        ("conflict", &report.conflicts),
        ("unknown", &report.unknown),
        ("rejected", &report.rejected),
        ("held", &report.held),
    ] {
        for line in lines {
            csv.write_record([
                section,
                month,
                &line.center,
                &line.center_name,
                &line.provider.to_string(),
                &line.provider_name,
                "1",
                &line.value_cents.map(amount).unwrap_or_default(),
                &line.id,
                &line.device,
                &line.kid,
                &line.serial.to_string(),
                &line.redeemed_at,
                line.detail.as_deref().unwrap_or(""),
            ])
            .map_err(fail)?;
        }
    }
    csv.flush()
        .map_err(|e| Error::Io(format!("cannot write the report: {e}")))
}
