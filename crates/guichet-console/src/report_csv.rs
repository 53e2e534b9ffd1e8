//! The monthly report as a CSV that French spreadsheets open as they are: UTF-8 with a byte
//! order mark, `;` between fields, amounts with a decimal comma. Only payable lines carry an
//! amount (the lines listed apart have none, so a sum of the column is what is owed), and a
//! total line ends the file. A text cell that a spreadsheet would read as a formula (`=`, `+`,
//! `-`, `@`, tab, carriage return first) is prefixed with `'`.

use crate::model::{Apart, MonthReport};

/// The byte order mark that tells spreadsheets the file is UTF-8.
pub(crate) const BOM: &[u8] = "\u{feff}".as_bytes();

/// The header line.
const HEADER: [&str; 14] = [
    "section",
    "mois",
    "centre",
    "nom du centre",
    "prestataire",
    "nom du prestataire",
    "coupons",
    "montant (€)",
    "passage",
    "borne",
    "clé du carnet",
    "numéro",
    "passé le",
    "motif",
];

/// Cents as euros with a decimal comma and no thousands separator (`1234,50`, `-0,50`).
pub fn decimal_comma(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{},{:02}", abs / 100, abs % 100)
}

/// A text cell a spreadsheet will not evaluate.
pub(crate) fn text(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

/// The French name of a section.
fn section(kind: Apart) -> &'static str {
    match kind {
        Apart::Conflict => "conflit",
        Apart::Held => "en attente",
        Apart::Rejected => "rejeté",
        Apart::Unknown => "inconnu",
    }
}

/// A CSV as French spreadsheets open it: the byte order mark, then what `records` writes,
/// fields separated by `;`.
pub(crate) fn french_csv(
    records: impl FnOnce(&mut csv::Writer<&mut Vec<u8>>) -> Result<(), csv::Error>,
) -> Result<Vec<u8>, csv::Error> {
    let mut out = BOM.to_vec();
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(&mut out);
    records(&mut writer)?;
    writer.flush()?;
    drop(writer);
    Ok(out)
}

/// The report as CSV bytes.
pub fn write(report: &MonthReport) -> Result<Vec<u8>, csv::Error> {
    french_csv(|writer| {
        let month = report.month.to_string();
        writer.write_record(HEADER)?;
        for line in &report.payable {
            writer.write_record([
                "à payer",
                &month,
                &text(&line.center.0),
                &text(&line.center.1),
                &line.provider.0.to_string(),
                &text(&line.provider.1),
                &line.coupons.to_string(),
                &decimal_comma(line.amount_cents),
                "",
                "",
                "",
                "",
                "",
                "",
            ])?;
        }
        for line in &report.apart {
            writer.write_record([
                section(line.kind),
                &month,
                &text(&line.center.0),
                &text(&line.center.1),
                &line.provider.0.to_string(),
                &text(&line.provider.1),
                "",
                "",
                &text(&line.id),
                &text(&line.device),
                &text(&line.coupon.0),
                &line.coupon.1.to_string(),
                &text(&line.redeemed_at),
                &text(line.detail.as_deref().unwrap_or("")),
            ])?;
        }
        let coupons: u64 = report.payable.iter().map(|l| l.coupons).sum();
        let cents: i64 = report.payable.iter().map(|l| l.amount_cents).sum();
        writer.write_record([
            "total",
            &month,
            "",
            "",
            "",
            "",
            &coupons.to_string(),
            &decimal_comma(cents),
            "",
            "",
            "",
            "",
            "",
            "",
        ])?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ApartLine, PayableLine};

    fn report() -> MonthReport {
        MonthReport {
            month: "2026-03".parse().unwrap(),
            closed: None,
            payable: vec![
                PayableLine {
                    center: ("C1".into(), "Médiathèque; Nord".into()),
                    provider: (1, "=HYPERLINK(\"x\")".into()),
                    coupons: 3,
                    amount_cents: 3_000,
                },
                PayableLine {
                    center: ("C2".into(), "Sud".into()),
                    provider: (2, "Asso".into()),
                    coupons: 1,
                    amount_cents: 1_050,
                },
            ],
            apart: vec![ApartLine {
                kind: Apart::Conflict,
                id: "r-1".into(),
                center: ("C2".into(), "Sud".into()),
                device: "d-1".into(),
                coupon: ("ab01".into(), 7),
                provider: (1, "Asso".into()),
                redeemed_at: "2026-03-02T10:00:00Z".into(),
                detail: Some("-déjà utilisé".into()),
            }],
        }
    }

    #[test]
    fn amounts_have_a_decimal_comma() {
        assert_eq!(decimal_comma(1_050), "10,50");
        assert_eq!(decimal_comma(5), "0,05");
        assert_eq!(decimal_comma(-50), "-0,50");
        assert_eq!(decimal_comma(123_456_789), "1234567,89");
    }

    #[test]
    fn the_file_is_what_a_french_spreadsheet_reads() {
        let bytes = write(&report()).unwrap();
        assert!(bytes.starts_with(BOM));
        let text = std::str::from_utf8(&bytes[BOM.len()..]).unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 4);
        assert_eq!(&rows[0][3], "Médiathèque; Nord");
        assert_eq!(&rows[0][5], "'=HYPERLINK(\"x\")");
        assert_eq!(&rows[0][7], "30,00");
        // The conflict carries no amount: the column sums to what is owed.
        assert_eq!(&rows[2][0], "conflit");
        assert_eq!(&rows[2][6], "");
        assert_eq!(&rows[2][7], "");
        assert_eq!(&rows[2][13], "'-déjà utilisé");
        assert_eq!(
            (&rows[3][0], &rows[3][6], &rows[3][7]),
            ("total", "4", "40,50")
        );
    }
}
