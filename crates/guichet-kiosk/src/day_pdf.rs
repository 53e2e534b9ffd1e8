//! The printable day report: the review's text table laid out on landscape A4 pages in a
//! monospace font, with a header (center, when printed) and page numbers on each page.
//!
//! pdf-writer (already used by the platform for coupon booklets) writes the file; the PDF's
//! standard Courier font needs no embedding, and French text goes through WinAnsiEncoding.

use guichet_core::message::Lang;
use jiff::Timestamp;
use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str};

const PAGE_WIDTH: f32 = 842.0;
const PAGE_HEIGHT: f32 = 595.0;
const MARGIN: f32 = 28.0;
/// 8 pt: the smallest a person reads a printed table at comfortably; a row of the table still
/// fits across landscape A4.
const FONT_SIZE: f32 = 8.0;
const LEADING: f32 = FONT_SIZE * 1.35;
const HEADER_SIZE: f32 = 11.0;
/// Courier's advance is 0.6 em: this many characters fit across the page.
const MAX_COLUMNS: usize = ((PAGE_WIDTH - 2.0 * MARGIN) / (FONT_SIZE * 0.6)) as usize;

/// Text for the standard fonts' WinAnsiEncoding: Latin-1 as is, `€` and a few typographic
/// characters mapped, anything else as `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '€' => 0x80,
            '’' => 0x92,
            '–' => 0x96,
            '—' => 0x97,
            c if (c as u32) < 0x80 || (0xA0..=0xFF).contains(&(c as u32)) => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

fn lines_per_page() -> usize {
    ((PAGE_HEIGHT - 2.0 * MARGIN - 2.5 * HEADER_SIZE) / LEADING) as usize
}

/// Renders `table` (the review as `guichet report --format table` prints it) as a PDF.
pub fn render(center: &str, table: &str, printed_at: Timestamp, lang: Lang) -> Vec<u8> {
    let lines: Vec<String> = table
        .lines()
        .map(|l| l.chars().take(MAX_COLUMNS).collect())
        .collect();
    let pages: Vec<&[String]> = if lines.is_empty() {
        vec![&[][..]]
    } else {
        lines.chunks(lines_per_page()).collect()
    };
    let printed = guichet_core::day::paris_time(printed_at)
        .strftime("%d/%m/%Y %H:%M")
        .to_string();
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let body_font = Ref::new(3);
    let title_font = Ref::new(4);
    let first_page = 5;
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|i| Ref::new(first_page + 2 * i as i32))
        .collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(pages.len() as i32);
    pdf.type1_font(body_font)
        .base_font(Name(b"Courier"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(title_font)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    for (index, page_lines) in pages.iter().enumerate() {
        let header = match lang {
            Lang::Fr => format!(
                "Guichet — rapport de journée — {center} — imprimé le {printed} — page {}/{}",
                index + 1,
                pages.len()
            ),
            Lang::En => format!(
                "Guichet — day report — {center} — printed {printed} — page {}/{}",
                index + 1,
                pages.len()
            ),
        };
        let mut content = Content::new();
        content.begin_text();
        content.set_font(Name(b"F2"), HEADER_SIZE);
        content.next_line(MARGIN, PAGE_HEIGHT - MARGIN - HEADER_SIZE);
        content.show(Str(&win_ansi(&header)));
        content.end_text();
        content.begin_text();
        content.set_font(Name(b"F1"), FONT_SIZE);
        content.set_leading(LEADING);
        content.next_line(MARGIN, PAGE_HEIGHT - MARGIN - 2.5 * HEADER_SIZE);
        for line in page_lines.iter() {
            content.show(Str(&win_ansi(line)));
            content.next_line_show(Str(b""));
        }
        content.end_text();
        let page = page_ids[index];
        let contents = Ref::new(page.get() + 1);
        let mut writer = pdf.page(page);
        writer
            .parent(tree)
            .media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .contents(contents);
        let mut resources = writer.resources();
        let mut fonts = resources.fonts();
        fonts.pair(Name(b"F1"), body_font);
        fonts.pair(Name(b"F2"), title_font);
        drop(fonts);
        drop(resources);
        drop(writer);
        pdf.stream(contents, &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_text_keeps_its_accents_and_the_euro_sign() {
        assert_eq!(win_ansi("é€ à"), vec![0xE9, 0x80, b' ', 0xE0]);
        assert_eq!(win_ansi("✓"), b"?");
    }

    #[test]
    fn a_long_table_spreads_over_numbered_pages() {
        let table: String = (0..200).map(|i| format!("line {i}\n")).collect();
        let pdf = render("Centre", &table, Timestamp::UNIX_EPOCH, Lang::Fr);
        let text = String::from_utf8_lossy(&pdf);
        let pages = 200usize.div_ceil(lines_per_page());
        assert!(pages >= 3);
        assert!(text.contains(&format!("/Count {pages}")), "{pages} pages");
        assert!(text.contains("(line 0)") && text.contains("(line 199)"));
    }
}
