//! The printable day report: the review's text table on landscape A4 pages
//! (`guichet_print::paged_text`), with a header (center, when printed, page number) on each.

use guichet_core::message::Lang;
use guichet_print::{paged_text, Paper};
use jiff::Timestamp;

/// Renders `table` (the review as `guichet report --format table` prints it) as a PDF.
pub fn render(center: &str, table: &str, printed_at: Timestamp, lang: Lang) -> Vec<u8> {
    let lines: Vec<String> = table.lines().map(str::to_owned).collect();
    let printed = guichet_core::day::paris_time(printed_at)
        .strftime("%d/%m/%Y %H:%M")
        .to_string();
    paged_text(Paper::A4Landscape, &lines, |page, pages| match lang {
        Lang::Fr => format!(
            "Guichet — rapport de journée — {center} — imprimé le {printed} — page {page}/{pages}"
        ),
        Lang::En => {
            format!("Guichet — day report — {center} — printed {printed} — page {page}/{pages}")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_page_names_the_center_and_its_number() {
        let table: String = (0..200).map(|i| format!("line {i}\n")).collect();
        let pdf = render("Centre", &table, Timestamp::UNIX_EPOCH, Lang::Fr);
        let text = String::from_utf8_lossy(&pdf);
        let pages = 200usize.div_ceil(Paper::A4Landscape.lines_per_page());
        assert!(text.contains(&format!("/Count {pages}")), "{pages} pages");
        assert!(text.contains("(line 0)") && text.contains("(line 199)"));
        assert!(guichet_print::shows(
            &pdf,
            &format!("Guichet — rapport de journée — Centre — imprimé le 01/01/1970 01:00 — page {pages}/{pages}")
        ));
    }
}
