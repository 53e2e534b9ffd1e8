//! A center's signed statement as a CSV for public accounting, in the form French
//! spreadsheets open as they are (UTF-8 with a byte order mark, `;`, decimal comma): one line
//! per paid redemption with its amount, then one line per funder and one for the whole with
//! their totals in a column of their own, so that the sum of the amount column is the total
//! and never counts a total twice. Everything comes from the statement document as the
//! platform signed it.

use guichet_protocol::statement::document::StatementDocument;

use crate::report_csv::{decimal_comma, french_csv, text};

/// The header line.
const HEADER: [&str; 13] = [
    "ligne",
    "centre",
    "nom du centre",
    "mois",
    "relevé n°",
    "jour",
    "clé du carnet",
    "numéro",
    "financeur",
    "nom du financeur",
    "coupons",
    "montant (€)",
    "total (€)",
];

/// Cents as a cell (the document's cents are unsigned; a value past `i64` cannot be a sum of
/// coupons and is written as it is).
fn euros(cents: u64) -> String {
    i64::try_from(cents).map_or_else(|_| cents.to_string(), decimal_comma)
}

/// The statement as CSV bytes.
pub fn write(document: &StatementDocument) -> Result<Vec<u8>, csv::Error> {
    french_csv(|writer| {
        writer.write_record(HEADER)?;
        let center = (text(&document.center.id), text(&document.center.name));
        let sequence = document.sequence.to_string();
        for line in &document.lines {
            writer.write_record([
                "passage",
                &center.0,
                &center.1,
                &document.month,
                &sequence,
                &line.day,
                &line.kid.to_hex(),
                &line.serial.to_string(),
                &line.provider.to_string(),
                &text(&line.provider_name),
                "1",
                &euros(line.value_cents),
                "",
            ])?;
        }
        for total in &document.totals.providers {
            writer.write_record([
                "total financeur",
                &center.0,
                &center.1,
                &document.month,
                &sequence,
                "",
                "",
                "",
                &total.provider.to_string(),
                &text(&total.provider_name),
                &total.coupons.to_string(),
                "",
                &euros(total.cents),
            ])?;
        }
        writer.write_record([
            "total",
            &center.0,
            &center.1,
            &document.month,
            &sequence,
            "",
            "",
            "",
            "",
            "",
            &document.totals.coupons.to_string(),
            "",
            &euros(document.totals.cents),
        ])?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use guichet_protocol::statement::document::{CenterRef, StatementLine, Totals};

    use super::*;
    use crate::report_csv::BOM;

    fn line(serial: u64, provider: u32, name: &str, cents: u64) -> StatementLine {
        StatementLine {
            entry: format!("e{serial}"),
            device: "d1".into(),
            day: "2026-03-02".into(),
            kid: "00000000000000aa".parse().unwrap(),
            serial,
            value_cents: cents,
            provider,
            provider_name: name.into(),
        }
    }

    /// The amount column sums to the total; totals sit in their own column; a funder named
    /// like a formula stays text.
    #[test]
    fn the_amount_column_sums_to_the_total_and_formulas_stay_text() {
        let lines = vec![
            line(1, 7, "Département", 1000),
            line(2, 7, "Département", 1000),
            line(3, 9, "=HYPERLINK(\"x\")", 1050),
        ];
        let document = StatementDocument {
            center: CenterRef {
                id: "C1".into(),
                name: "Médiathèque; Nord".into(),
            },
            month: "2026-03".into(),
            sequence: 1,
            replaces: None,
            issued_at: "2026-04-01T00:00:00Z".into(),
            totals: Totals::of(&lines).unwrap(),
            lines,
        };
        let bytes = write(&document).unwrap();
        assert!(bytes.starts_with(BOM));
        let text = String::from_utf8(bytes[BOM.len()..].to_vec()).unwrap();
        let rows: Vec<Vec<String>> = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        assert_eq!(rows.len(), 3 + 2 + 1, "{text}");
        let cents = |cell: &str| -> i64 { cell.replace(',', "").parse().unwrap_or(0) };
        let amounts: i64 = rows.iter().map(|r| cents(&r[11])).sum();
        assert_eq!(amounts, 3050);
        assert_eq!(rows[5][0], "total");
        assert_eq!(rows[5][12], "30,50");
        assert_eq!((rows[3][8].as_str(), rows[3][12].as_str()), ("7", "20,00"));
        assert_eq!(rows[2][9], "'=HYPERLINK(\"x\")");
        assert_eq!(rows[0][2], "Médiathèque; Nord");
        assert!(text.starts_with("ligne;centre;"), "{text}");
    }
}
