//! Printable documents as PDF, computed from plain values (no file, clock or network): text
//! laid out in a monospace font on numbered pages, each with its header line. The kiosk's day
//! report and the platform's statements print through it.
//!
//! pdf-writer writes the file; the PDF standard fonts (Courier, Helvetica-Bold) need no
//! embedding, and French text goes through WinAnsiEncoding.

use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str};

/// A page's size and orientation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paper {
    /// A4, landscape (wide tables).
    A4Landscape,
    /// A4, portrait.
    A4Portrait,
}

impl Paper {
    /// Width and height in points.
    fn size(self) -> (f32, f32) {
        match self {
            Paper::A4Landscape => (842.0, 595.0),
            Paper::A4Portrait => (595.0, 842.0),
        }
    }

    /// How many characters of the body font fit across the page.
    pub fn columns(self) -> usize {
        // Courier's advance is 0.6 em.
        ((self.size().0 - 2.0 * MARGIN) / (FONT_SIZE * 0.6)) as usize
    }

    /// How many body lines fit on a page under its header.
    pub fn lines_per_page(self) -> usize {
        ((self.size().1 - 2.0 * MARGIN - 2.5 * HEADER_SIZE) / LEADING) as usize
    }
}

const MARGIN: f32 = 28.0;
/// 8 pt: the smallest a person reads a printed table at comfortably; a row of a day report
/// still fits across landscape A4.
const FONT_SIZE: f32 = 8.0;
const LEADING: f32 = FONT_SIZE * 1.35;
const HEADER_SIZE: f32 = 11.0;

/// Text for the standard fonts' WinAnsiEncoding: Latin-1 as is, `€` and a few typographic
/// characters mapped, anything else as `?`.
pub fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '€' => 0x80,
            '’' => 0x92,
            '–' => 0x96,
            '—' => 0x97,
            '…' => 0x85,
            c if (c as u32) < 0x80 || (0xA0..=0xFF).contains(&(c as u32)) => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

/// `lines` on as many pages of `paper` as they need (one empty page if none), each line cut
/// to the page's width; `header(page, pages)` (1-based) heads each page.
pub fn paged_text(
    paper: Paper,
    lines: &[String],
    header: impl Fn(usize, usize) -> String,
) -> Vec<u8> {
    let (width, height) = paper.size();
    let lines: Vec<String> = lines
        .iter()
        .map(|l| l.chars().take(paper.columns()).collect())
        .collect();
    let pages: Vec<&[String]> = if lines.is_empty() {
        vec![&[][..]]
    } else {
        lines.chunks(paper.lines_per_page()).collect()
    };
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let body_font = Ref::new(3);
    let title_font = Ref::new(4);
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|i| Ref::new(5 + 2 * i32::try_from(i).unwrap_or(i32::MAX / 4)))
        .collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(i32::try_from(pages.len()).unwrap_or(i32::MAX));
    pdf.type1_font(body_font)
        .base_font(Name(b"Courier"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(title_font)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    for (index, page_lines) in pages.iter().enumerate() {
        let mut content = Content::new();
        content.begin_text();
        content.set_font(Name(b"F2"), HEADER_SIZE);
        content.next_line(MARGIN, height - MARGIN - HEADER_SIZE);
        content.show(Str(&win_ansi(&header(index + 1, pages.len()))));
        content.end_text();
        content.begin_text();
        content.set_font(Name(b"F1"), FONT_SIZE);
        content.set_leading(LEADING);
        content.next_line(MARGIN, height - MARGIN - 2.5 * HEADER_SIZE);
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
            .media_box(Rect::new(0.0, 0.0, width, height))
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

/// Whether one of the strings `pdf` shows with `Tj` (a literal `(…)` string, or the `<…>` hex
/// string pdf-writer writes when a line holds bytes past ASCII) contains `text`: how the tests
/// of a printed document read it back.
pub fn shows(pdf: &[u8], text: &str) -> bool {
    let wanted = win_ansi(text);
    let holds = |shown: &[u8]| shown.windows(wanted.len()).any(|w| w == wanted.as_slice());
    let mut rest = pdf;
    while let Some(end) = find(rest, b" Tj") {
        let before = &rest[..end];
        let shown = match before.last() {
            Some(b'>') => before
                .iter()
                .rposition(|&b| b == b'<')
                .map(|start| hex_bytes(&before[start + 1..before.len() - 1])),
            Some(b')') => {
                literal_start(before).map(|start| unescape(&before[start + 1..before.len() - 1]))
            }
            _ => None,
        };
        if shown.is_some_and(|s| holds(&s)) {
            return true;
        }
        rest = &rest[end + 3..];
    }
    false
}

/// Where the literal string that ends `before` (with its `)`) opens: its parentheses balance,
/// escaped ones apart.
fn literal_start(before: &[u8]) -> Option<usize> {
    let escaped = |i: usize| i > 0 && before[i - 1] == b'\\';
    let mut depth = 0usize;
    for i in (0..before.len()).rev() {
        match before[i] {
            b')' if !escaped(i) => depth += 1,
            b'(' if !escaped(i) => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// A literal string's bytes: its backslash escapes undone (pdf-writer escapes only `\\`,
/// unbalanced parentheses and control characters in the lines it is given).
fn unescape(literal: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(literal.len());
    let mut iter = literal.iter();
    while let Some(&b) = iter.next() {
        if b == b'\\' {
            if let Some(&next) = iter.next() {
                bytes.push(next);
            }
        } else {
            bytes.push(b);
        }
    }
    bytes
}

/// Where `needle` first is in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The bytes of a PDF hex string's digits.
fn hex_bytes(digits: &[u8]) -> Vec<u8> {
    let value = |d: u8| (d as char).to_digit(16).and_then(|v| u8::try_from(v).ok());
    digits
        .chunks(2)
        .filter_map(|pair| Some(value(pair[0])? * 16 + value(*pair.get(1).unwrap_or(&b'0'))?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_text_keeps_its_accents_and_the_euro_sign() {
        assert_eq!(win_ansi("é€ à…"), vec![0xE9, 0x80, b' ', 0xE0, 0x85]);
        assert_eq!(win_ansi("✓"), b"?");
    }

    #[test]
    fn long_text_spreads_over_numbered_pages() {
        let lines: Vec<String> = (0..200).map(|i| format!("line {i}")).collect();
        for paper in [Paper::A4Landscape, Paper::A4Portrait] {
            let pdf = paged_text(paper, &lines, |page, pages| format!("head {page}/{pages}"));
            let text = String::from_utf8_lossy(&pdf);
            let pages = 200usize.div_ceil(paper.lines_per_page());
            assert!(pages >= 2, "{paper:?}");
            assert!(text.contains(&format!("/Count {pages}")), "{pages} pages");
            assert!(text.contains("(line 0)") && text.contains("(line 199)"));
            assert!(shows(&pdf, &format!("head {pages}/{pages}")));
            assert!(shows(&pdf, "line 7") && !shows(&pdf, "line 200"));
        }
        // A line past ASCII is read back too (pdf-writer writes it as a hex string).
        let french = paged_text(
            Paper::A4Portrait,
            &["Total : 1 500,00 €".to_owned()],
            |_, _| "Relevé — page 1/1".into(),
        );
        assert!(shows(&french, "1 500,00 €") && shows(&french, "Relevé — page 1/1"));
        assert!(!shows(&french, "1 500,01 €"));
        let parens = paged_text(
            Paper::A4Portrait,
            &["Total (7) : 3 coupon(s)".to_owned()],
            |_, _| "x".into(),
        );
        assert!(shows(&parens, "Total (7) : 3 coupon(s)"));
        let empty = paged_text(Paper::A4Portrait, &[], |_, _| "vide".into());
        assert!(String::from_utf8_lossy(&empty).contains("/Count 1"));
    }
}
