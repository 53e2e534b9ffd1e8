//! Printing booklets: signed coupons as an A4 PDF (one booklet a page), their codes as text and
//! one PNG per coupon. QR codes are version 6, level M, alphanumeric mode, as the PN1 spec says.
//! The PDF drawing helpers serve the platform's enrollment sheet too.

use std::path::{Path, PathBuf};

use guichet_core::code::{self, Coupon};
use guichet_core::day::{date_of, to_day};
use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str};
use qrcode::bits::Bits;
use qrcode::{Color, EcLevel, QrCode, Version};

use crate::error::{io, Error};

/// One printed coupon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MintedCoupon {
    /// Its booklet's number.
    pub booklet: u64,
    /// Its serial.
    pub serial: u64,
    /// The PN1 code text its QR code holds.
    pub code: String,
    /// Its PNG file.
    pub png: PathBuf,
}

/// What a mint produced.
#[derive(Clone, Debug)]
pub struct MintOutput {
    /// The booklets, as recorded.
    pub booklets: Vec<OrderedBooklet>,
    /// Every coupon, booklet by booklet.
    pub coupons: Vec<MintedCoupon>,
    /// The printable PDF.
    pub pdf: PathBuf,
    /// The codes as text, one coupon a line (`booklet` TAB `serial` TAB `code`: a code may hold spaces), for a printer's or a
    /// distributor's own tools. As valuable as the printed coupons.
    pub codes: PathBuf,
}

/// QR modules around the code that must stay blank.
const QUIET_ZONE: usize = 4;

/// The QR code of a PN1 code: version 6, level M, one alphanumeric segment.
pub fn qr_code(text: &str) -> Result<QrCode, Error> {
    let fail = |e: qrcode::types::QrError| Error::Invalid(format!("cannot make a QR code: {e}"));
    let mut bits = Bits::new(Version::Normal(6));
    bits.push_alphanumeric_data(text.as_bytes()).map_err(fail)?;
    bits.push_terminator(EcLevel::M).map_err(fail)?;
    QrCode::with_bits(bits, EcLevel::M).map_err(fail)
}

/// The dark modules of a QR code as (x, y) pairs, y downwards.
fn dark_modules(qr: &QrCode) -> impl Iterator<Item = (usize, usize)> + '_ {
    let width = qr.width();
    qr.to_colors()
        .into_iter()
        .enumerate()
        .filter(|(_, color)| *color == Color::Dark)
        .map(move |(i, _)| (i % width, i / width))
}

/// Writes a QR code as a PNG, `scale` pixels a module, with its quiet zone.
pub fn write_png(qr: &QrCode, scale: u32, path: &Path) -> Result<(), Error> {
    let side = (qr.width() + 2 * QUIET_ZONE) as u32 * scale;
    let mut image = image::GrayImage::from_pixel(side, side, image::Luma([255]));
    for (x, y) in dark_modules(qr) {
        let (left, top) = (
            (x + QUIET_ZONE) as u32 * scale,
            (y + QUIET_ZONE) as u32 * scale,
        );
        for dy in 0..scale {
            for dx in 0..scale {
                image.put_pixel(left + dx, top + dy, image::Luma([0]));
            }
        }
    }
    image
        .save(path)
        .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))
}

/// Euro amount in French style: `10,00 €`.
pub fn euros(cents: i64) -> String {
    format!("{},{:02} €", cents / 100, (cents % 100).abs())
}

/// A4 width, in PDF points.
pub const PAGE_WIDTH: f32 = 595.0;
/// A4 height, in PDF points.
pub const PAGE_HEIGHT: f32 = 842.0;
/// The page margin, in PDF points.
pub const MARGIN: f32 = 28.0;
const HEADER: f32 = 48.0;
const MODULE: f32 = 2.9;

/// Lines of text (size, text) drawn downwards.
pub struct CouponText {
    /// (font size, text), top line first.
    pub lines: Vec<(f32, String)>,
}

/// Draws `text` from (`x`, `y`) downwards in Helvetica.
pub fn draw_text(content: &mut Content, x: f32, y: f32, text: &CouponText) {
    let mut y = y;
    for (size, line) in &text.lines {
        content.begin_text();
        content.set_font(Name(b"F1"), *size);
        content.next_line(x, y);
        content.show(Str(&guichet_print::win_ansi(line)));
        content.end_text();
        y -= size * 1.45;
    }
}

/// Draws each row's runs of dark modules as one rectangle: no hairline seams between
/// neighbouring modules where a viewer anti-aliases, and a smaller file than a rectangle a
/// module.
pub fn draw_qr(content: &mut Content, qr: &QrCode, left: f32, top: f32) {
    let mut run: Option<(usize, usize, usize)> = None; // (row, first column, length)
    let flush = |run: (usize, usize, usize), content: &mut Content| {
        let (y, x, length) = run;
        let px = left + (x + QUIET_ZONE) as f32 * MODULE;
        let py = top - (y + QUIET_ZONE + 1) as f32 * MODULE;
        content.rect(px, py, length as f32 * MODULE, MODULE);
    };
    for (x, y) in dark_modules(qr) {
        run = match run {
            Some((row, first, length)) if row == y && first + length == x => {
                Some((row, first, length + 1))
            }
            Some(done) => {
                flush(done, content);
                Some((y, x, 1))
            }
            None => Some((y, x, 1)),
        };
    }
    if let Some(done) = run {
        flush(done, content);
    }
    content.fill_nonzero();
}

/// The PDF: one A4 page a booklet, coupons in two columns, each with its QR code, value,
/// validity and booklet/serial numbers in clear, and cut lines.
fn render_pdf(
    booklets: &[OrderedBooklet],
    coupons: &[(Coupon, MintedCoupon, QrCode)],
    provider_name: &str,
) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let font = Ref::new(3);
    let first_page = 4;
    let page_ids: Vec<Ref> = (0..booklets.len())
        .map(|i| Ref::new(first_page + 2 * i as i32))
        .collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(booklets.len() as i32);
    pdf.type1_font(font)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    for (index, booklet) in booklets.iter().enumerate() {
        let page = page_ids[index];
        let contents = Ref::new(page.get() + 1);
        let mut content = Content::new();
        draw_text(
            &mut content,
            MARGIN,
            PAGE_HEIGHT - MARGIN - 14.0,
            &CouponText {
                lines: vec![
                    (
                        14.0,
                        format!("Pass numérique — carnet n° {}", booklet.number),
                    ),
                    (
                        9.0,
                        format!("Financeur : {provider_name} — clé {}", booklet.kid),
                    ),
                ],
            },
        );
        let rows = 5usize;
        let cell_width = (PAGE_WIDTH - 2.0 * MARGIN) / 2.0;
        let cell_height = (PAGE_HEIGHT - 2.0 * MARGIN - HEADER) / rows as f32;
        let mine = coupons
            .iter()
            .filter(|(_, m, _)| m.booklet == booklet.number);
        for (i, (coupon, minted, qr)) in mine.enumerate() {
            let (column, row) = (i / rows, i % rows);
            let left = MARGIN + column as f32 * cell_width;
            let top = PAGE_HEIGHT - MARGIN - HEADER - row as f32 * cell_height;
            content.set_stroke_gray(0.6);
            content.rect(left, top - cell_height, cell_width, cell_height);
            content.stroke();
            content.set_fill_gray(0.0);
            draw_qr(&mut content, qr, left + 2.0, top - 2.0);
            let text_left = left + 2.0 + (qr.width() + 2 * QUIET_ZONE) as f32 * MODULE + 4.0;
            draw_text(
                &mut content,
                text_left,
                top - 30.0,
                &CouponText {
                    lines: vec![
                        (16.0, euros(coupon.value_cents.into())),
                        (
                            9.0,
                            format!(
                                "Valable jusqu’au {}",
                                date_of(coupon.valid_until).strftime("%d/%m/%Y")
                            ),
                        ),
                        (
                            9.0,
                            format!("Émis le {}", date_of(coupon.issued_on).strftime("%d/%m/%Y")),
                        ),
                        (
                            9.0,
                            format!(
                                "Carnet {} — coupon {}/{}",
                                booklet.number,
                                i + 1,
                                booklet.coupons
                            ),
                        ),
                        (9.0, format!("N° {}", minted.serial)),
                    ],
                },
            );
        }
        pdf.page(page)
            .parent(tree)
            .media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .contents(contents)
            .resources()
            .fonts()
            .pair(Name(b"F1"), font);
        pdf.stream(contents, &content.finish());
    }
    pdf.finish()
}

/// A mint order: booklets the platform recorded (numbers and serials allocated), for the
/// signer to sign and print. A file (`mint --order-out`) the signer reads on its own machine
/// (`signer print`); it holds no secret.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MintOrder {
    /// The provider's name, printed on the booklets.
    pub provider_name: String,
    /// The provider.
    pub provider: u32,
    /// Face value of each coupon, in cents.
    pub value_cents: u32,
    /// Issue day.
    pub issued_on: jiff::civil::Date,
    /// Last valid day.
    pub valid_until: jiff::civil::Date,
    /// Scope bits.
    pub scope: u16,
    /// Zone (0 = anywhere).
    pub zone: u32,
    /// The booklets, in order.
    pub booklets: Vec<OrderedBooklet>,
}

/// One booklet of a [`MintOrder`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OrderedBooklet {
    /// Its number.
    pub number: u64,
    /// Its issuer key.
    pub kid: guichet_core::Kid,
    /// Its first serial.
    pub first_serial: u64,
    /// How many coupons.
    pub coupons: u32,
}

/// The signer's part of minting: signs the coupons of `order` with their issuer key and
/// writes `booklets-FIRST-LAST.pdf`, its codes, and one PNG per coupon into `out_dir`.
pub fn print(
    order: &MintOrder,
    issuer_key: impl Fn(guichet_core::Kid) -> Result<ed25519_dalek::SigningKey, Error>,
    out_dir: &Path,
) -> Result<MintOutput, Error> {
    if order.booklets.is_empty() {
        return Err(Error::Invalid("the mint order has no booklet".into()));
    }
    std::fs::create_dir_all(out_dir).map_err(io(format!("cannot create {}", out_dir.display())))?;
    let booklets = order.booklets.clone();
    let key = issuer_key(booklets[0].kid)?;
    let provider_name = order.provider_name.as_str();
    let day = |date| to_day(date).ok_or_else(|| Error::Invalid(format!("{date} is out of range")));
    let mut coupons = Vec::new();
    for booklet in &booklets {
        for serial in booklet.first_serial..booklet.first_serial + u64::from(booklet.coupons) {
            let coupon = Coupon {
                kid: booklet.kid,
                serial,
                value_cents: order.value_cents,
                issued_on: day(order.issued_on)?,
                valid_until: day(order.valid_until)?,
                provider: order.provider,
                scope: guichet_core::Scope(order.scope),
                zone: order.zone,
            };
            let text = code::encode(&coupon, &key);
            let qr = qr_code(&text)?;
            let png = out_dir.join(format!("booklet-{:06}-serial-{serial}.png", booklet.number));
            write_png(&qr, 8, &png)?;
            coupons.push((
                coupon,
                MintedCoupon {
                    booklet: booklet.number,
                    serial,
                    code: text,
                    png,
                },
                qr,
            ));
        }
    }
    let (first, last) = (booklets[0].number, booklets[booklets.len() - 1].number);
    let pdf = out_dir.join(format!("booklets-{first:06}-{last:06}.pdf"));
    std::fs::write(&pdf, render_pdf(&booklets, &coupons, provider_name))
        .map_err(io(format!("cannot write {}", pdf.display())))?;
    let codes = out_dir.join(format!("booklets-{first:06}-{last:06}.txt"));
    let text: String = coupons
        .iter()
        .map(|(_, minted, _)| format!("{}\t{}\t{}\n", minted.booklet, minted.serial, minted.code))
        .collect();
    std::fs::write(&codes, text).map_err(io(format!("cannot write {}", codes.display())))?;
    Ok(MintOutput {
        booklets,
        coupons: coupons.into_iter().map(|(_, minted, _)| minted).collect(),
        pdf,
        codes,
    })
}
