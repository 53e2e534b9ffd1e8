//! A center's signed statement, printable (issue 25, point 4): every paid redemption (day,
//! booklet key, serial, value, funder), then the totals per funder and the whole, on numbered
//! A4 pages (`guichet_print`). Everything comes from the statement document as the platform
//! signed it; the page says that the proof is the signed file, which anyone verifies offline.

use guichet_core::message::Lang;
use guichet_core::Cents;
use guichet_print::{paged_text, Paper};
use guichet_protocol::statement::document::StatementDocument;

/// The statement as PDF bytes.
pub fn render(document: &StatementDocument) -> Vec<u8> {
    let euros = |cents: u64| Cents(cents).text(Lang::Fr);
    let mut lines = vec![
        format!(
            "Centre : {} ({}) — mois {} — relevé n° {}{}",
            document.center.name,
            document.center.id,
            document.month,
            document.sequence,
            document
                .replaces
                .map_or(String::new(), |old| format!(", qui corrige le relevé n° {old}")),
        ),
        format!("Émis le {} (UTC)", document.issued_at),
        String::new(),
        "Ce document imprimé reproduit le relevé que la plateforme a signé. La preuve est le fichier"
            .to_owned(),
        "signé (JSON), que chacun vérifie hors ligne avec l'empreinte racine : guichet statement verify."
            .to_owned(),
        String::new(),
        format!(
            "{:<12}{:<20}{:>10}  {:>12}  {}",
            "Jour", "Clé du carnet", "Numéro", "Valeur", "Financeur"
        ),
    ];
    for line in &document.lines {
        lines.push(format!(
            "{:<12}{:<20}{:>10}  {:>12}  {} ({})",
            line.day,
            line.kid.to_hex(),
            line.serial,
            euros(line.value_cents),
            line.provider_name,
            line.provider
        ));
    }
    if document.lines.is_empty() {
        lines.push("Aucun passage payé ce mois.".to_owned());
    }
    lines.extend([String::new(), "Totaux".to_owned()]);
    for total in &document.totals.providers {
        lines.push(format!(
            "{:<42}{:>10} coupon(s)  {:>12}",
            format!("{} ({})", total.provider_name, total.provider),
            total.coupons,
            euros(total.cents)
        ));
    }
    lines.push(format!(
        "{:<42}{:>10} coupon(s)  {:>12}",
        "Total du relevé",
        document.totals.coupons,
        euros(document.totals.cents)
    ));
    let (center, month, sequence) = (&document.center.id, &document.month, document.sequence);
    paged_text(Paper::A4Portrait, &lines, |page, pages| {
        format!(
            "Guichet — relevé du centre {center} — {month} — n° {sequence} — page {page}/{pages}"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use guichet_protocol::statement::document::{CenterRef, ProviderTotal, StatementLine, Totals};

    use guichet_print::shows as holds;

    #[test]
    fn every_line_and_total_is_printed() {
        let kid: guichet_core::Kid = "0a1b2c3d4e5f6071".parse().unwrap();
        let line = |serial: u64| StatementLine {
            entry: format!("entry-{serial}"),
            device: "device".into(),
            day: "2026-11-03".into(),
            kid,
            serial,
            value_cents: 1000,
            provider: 7,
            provider_name: "Département test".into(),
        };
        let lines: Vec<StatementLine> = (1..=150).map(line).collect();
        let document = StatementDocument {
            center: CenterRef {
                id: "C1".into(),
                name: "Médiathèque Nord".into(),
            },
            month: "2026-11".into(),
            sequence: 2,
            replaces: Some(1),
            issued_at: "2026-12-01T00:00:05Z".into(),
            lines,
            totals: Totals {
                providers: vec![ProviderTotal {
                    provider: 7,
                    provider_name: "Département test".into(),
                    coupons: 150,
                    cents: 150_000,
                }],
                coupons: 150,
                cents: 150_000,
            },
        };
        let pdf = render(&document);
        assert!(pdf.starts_with(b"%PDF-"));
        for serial in [1, 75, 150] {
            assert!(
                holds(
                    &pdf,
                    &format!("{:<12}{:<20}{serial:>10}", "2026-11-03", kid.to_hex())
                ),
                "{serial}"
            );
        }
        assert!(holds(&pdf, "qui corrige le relevé n° 1"));
        assert!(holds(&pdf, "Département test (7)"));
        assert!(holds(&pdf, "150 coupon(s)"));
        assert!(holds(&pdf, "1 500,00 €"));
        assert!(holds(&pdf, "Total du relevé"));
        assert!(holds(&pdf, "— page 3/3"));
        assert!(String::from_utf8_lossy(&pdf).contains("/Count 3"));
    }
}
