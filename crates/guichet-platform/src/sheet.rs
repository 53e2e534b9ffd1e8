//! The enrollment sheet: what an admin hands to a center to enroll a kiosk, printable. The
//! one-time code and the root fingerprint, in clear and as one QR code of the ticket
//! `CODE/FINGERPRINT` (a scanner at the kiosk types it into the enrollment field, or a person
//! types it: `guichet enroll --ticket`).

use pdf_writer::{Content, Name, Pdf, Rect, Ref};

use crate::error::Error;
use guichet_signer::print::{
    draw_qr, draw_text, qr_code, CouponText, MARGIN, PAGE_HEIGHT, PAGE_WIDTH,
};

/// The ticket a kiosk enrolls with: the code and the root fingerprint, joined by `/`.
pub fn ticket(code: &str, fingerprint: &str) -> String {
    format!("{code}/{fingerprint}")
}

/// What the sheet says.
pub struct Sheet<'a> {
    /// The one-time code.
    pub code: &'a str,
    /// The root fingerprint.
    pub fingerprint: &'a str,
    /// The center's id and name.
    pub center: (&'a str, &'a str),
    /// Until when the code works ([`valid_until_text`] writes it).
    pub valid_until: jiff::Timestamp,
    /// The platform's address, if the admin gave it.
    pub url: Option<&'a str>,
}

/// An enrollment code's end of validity as the admin reads it: Europe/Paris, `dd/mm/yyyy hh:mm`.
pub fn valid_until_text(at: jiff::Timestamp) -> String {
    guichet_core::day::paris_time(at)
        .strftime("%d/%m/%Y %H:%M")
        .to_string()
}

/// The sheet as a one-page A4 PDF.
pub fn render(sheet: &Sheet<'_>) -> Result<Vec<u8>, Error> {
    let qr = qr_code(&ticket(sheet.code, sheet.fingerprint))?;
    let mut pdf = Pdf::new();
    let (catalog, tree, font, page, contents) = (
        Ref::new(1),
        Ref::new(2),
        Ref::new(3),
        Ref::new(4),
        Ref::new(5),
    );
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page]).count(1);
    pdf.type1_font(font)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    let mut content = Content::new();
    let mut lines = vec![
        (18.0, "Inscription d'un poste Guichet".to_owned()),
        (10.0, "Enrolling a Guichet kiosk".to_owned()),
        (10.0, String::new()),
        (
            12.0,
            format!("Centre : {} ({})", sheet.center.1, sheet.center.0),
        ),
        (16.0, format!("Code : {}", sheet.code)),
        (
            16.0,
            format!("Empreinte / fingerprint : {}", sheet.fingerprint),
        ),
        (
            10.0,
            format!(
                "Code valable jusqu'au / valid until {}",
                valid_until_text(sheet.valid_until)
            ),
        ),
    ];
    if let Some(url) = sheet.url {
        lines.push((12.0, format!("Plateforme / platform : {url}")));
    }
    lines.extend([
        (10.0, String::new()),
        (
            10.0,
            "Sur le poste : F10, Inscription ; scannez le code QR ou tapez le code et l'empreinte."
                .to_owned(),
        ),
        (
            10.0,
            "Le poste refuse une plateforme dont l'empreinte diffère : ne la recevez que de vos administrateurs."
                .to_owned(),
        ),
        (
            9.0,
            "On the kiosk: F10, Enrolment; scan the QR code or type the code and the fingerprint."
                .to_owned(),
        ),
    ]);
    draw_text(
        &mut content,
        MARGIN,
        PAGE_HEIGHT - MARGIN - 18.0,
        &CouponText { lines },
    );
    content.set_fill_gray(0.0);
    draw_qr(&mut content, &qr, MARGIN, PAGE_HEIGHT / 2.0);
    pdf.page(page)
        .parent(tree)
        .media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
        .contents(contents)
        .resources()
        .fonts()
        .pair(Name(b"F1"), font);
    pdf.stream(contents, &content.finish());
    Ok(pdf.finish())
}
