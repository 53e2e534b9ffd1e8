//! The voucher photo generator: real TEST ONLY PN1 codes rendered as QR codes on a coupon (or a
//! phone screen), then degraded like a webcam photo of it, 1280×720 RGB, with the JPEG quality
//! to save it at. `examples/make_voucher_photos.rs` writes the fixture set with [`SEED`];
//! `benches/eval.rs` makes held-out sets with other seeds (issue 28). Deterministic: one seed,
//! no clock.
//!
//! Not the webcam-like generator (`webcam.rs`): another renderer (RGB, a phone screen with
//! moiré, a design with text blocks, per-degradation photos), so that a threshold tuned on one
//! generator is checked on the other.

use std::fs;
use std::path::Path;

use image::{ImageEncoder, Rgb, RgbImage};
use qrcode::{Color, EcLevel, QrCode};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The fixture set's seed ("guichet" + issue 6).
pub const SEED: u64 = 0x6775_6963_6865_7406;
const WIDTH: u32 = 1280;
const HEIGHT: u32 = 720;

/// What is done to a photo, on top of a mild perspective, blur, noise and JPEG for all.
#[derive(Clone, Copy, Debug)]
pub enum Degradation {
    Perspective,
    Blur,
    Noise,
    LowLight,
    Jpeg,
    Glare,
    Shadow,
    PhoneScreen,
    Small,
    Rotated,
}

impl Degradation {
    /// Every degradation, in the set's order.
    pub const ALL: [Degradation; 10] = [
        Degradation::Perspective,
        Degradation::Blur,
        Degradation::Noise,
        Degradation::LowLight,
        Degradation::Jpeg,
        Degradation::Glare,
        Degradation::Shadow,
        Degradation::PhoneScreen,
        Degradation::Small,
        Degradation::Rotated,
    ];

    /// Its name in the file names.
    pub fn name(self) -> &'static str {
        match self {
            Degradation::Perspective => "perspective",
            Degradation::Blur => "blur",
            Degradation::Noise => "noise",
            Degradation::LowLight => "low-light",
            Degradation::Jpeg => "jpeg",
            Degradation::Glare => "glare",
            Degradation::Shadow => "shadow",
            Degradation::PhoneScreen => "phone-screen",
            Degradation::Small => "small",
            Degradation::Rotated => "rotated",
        }
    }
}

/// One generated photo.
pub struct Photo {
    /// `NNN-<degradation>`.
    pub stem: String,
    /// The photo, before JPEG.
    pub image: RgbImage,
    /// The JPEG quality to save it at.
    pub quality: u8,
    /// The PN1 text on it (`None`: a code-free frame).
    pub text: Option<String>,
}

/// `per_degradation` photos of each degradation (the codes taken in turn from `codes`), then
/// `no_code` code-free frames, all from `seed`.
pub fn photo_set(
    seed: u64,
    codes: &[String],
    per_degradation: usize,
    no_code: usize,
) -> Vec<Photo> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut photos = Vec::new();
    let mut n = 0;
    for degradation in Degradation::ALL {
        for _ in 0..per_degradation {
            let text = &codes[n % codes.len()];
            let (image, quality) = photograph(Some(text), degradation, &mut rng);
            photos.push(Photo {
                stem: format!("{n:03}-{}", degradation.name()),
                image,
                quality,
                text: Some(text.clone()),
            });
            n += 1;
        }
    }
    for i in 0..no_code {
        let degradation = Degradation::ALL[i % Degradation::ALL.len()];
        let (image, quality) = photograph(None, degradation, &mut rng);
        photos.push(Photo {
            stem: format!("{i:03}-{}", degradation.name()),
            image,
            quality,
            text: None,
        });
    }
    photos
}

/// The photo as a JPEG file's bytes.
pub fn jpeg(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgb8,
        )
        .expect("encode JPEG");
    bytes
}

/// The distinct well-formed PN1 codes of the TEST ONLY fixtures: the demo codes, then the test
/// vectors' 154-character inputs.
pub fn pn1_codes(fixtures: &Path) -> Vec<String> {
    let demo =
        fs::read_to_string(fixtures.join("coupons/test-only-demo-codes.txt")).expect("demo codes");
    let vectors: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(fixtures.join("../schema/test-vectors/voucher-code-v1.json"))
            .expect("test vectors"),
    )
    .expect("test vectors are JSON");
    let mut codes: Vec<String> = Vec::new();
    let inputs = vectors["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["input"].as_str());
    for code in demo.lines().chain(inputs) {
        if code.starts_with("PN1:") && code.len() == 154 && !codes.iter().any(|c| c == code) {
            codes.push(code.to_owned());
        }
    }
    assert!(codes.len() >= 20, "expected at least 20 distinct PN1 codes");
    codes
}

/// The flat design of one coupon or phone screen, in its own plane (units: pixels of the
/// design), as a linear-light gray level 0..1 per point.
struct Design {
    width: f64,
    height: f64,
    /// The QR modules, `modules[y][x]` true = dark, and where the symbol sits.
    modules: Vec<Vec<bool>>,
    qr_origin: (f64, f64),
    module: f64,
    /// Dark rectangles standing for printed text (x, y, w, h).
    text_blocks: Vec<(f64, f64, f64, f64)>,
    /// A phone: light modules on dark (dark mode) and a bezel.
    phone: Option<PhoneLook>,
}

struct PhoneLook {
    dark_mode: bool,
    bezel: f64,
}

impl Design {
    fn coupon(text: Option<&str>, module: f64, rng: &mut ChaCha8Rng) -> Design {
        let modules = text.map(qr_modules).unwrap_or_default();
        let side = (modules.len() as f64 + 8.0) * module;
        let width = side * 2.1;
        let height = side * 1.25;
        let qr_origin = (
            width - side - 0.06 * width + 4.0 * module,
            (height - side) / 2.0 + 4.0 * module,
        );
        let mut text_blocks = Vec::new();
        let mut y = height * 0.12;
        while y < height * 0.85 {
            let w = width * rng.random_range(0.2..0.42);
            text_blocks.push((width * 0.06, y, w, height * 0.035));
            y += height * rng.random_range(0.07..0.12);
        }
        Design {
            width,
            height,
            modules,
            qr_origin,
            module,
            text_blocks,
            phone: None,
        }
    }

    fn phone(text: Option<&str>, module: f64, dark_mode: bool) -> Design {
        let modules = text.map(qr_modules).unwrap_or_default();
        let side = (modules.len() as f64 + 8.0) * module;
        let bezel = side * 0.08;
        let width = side + 2.0 * bezel;
        let height = side * 1.9;
        let qr_origin = (bezel + 4.0 * module, height * 0.3 + 4.0 * module);
        Design {
            width,
            height,
            modules,
            qr_origin,
            module,
            text_blocks: Vec::new(),
            phone: Some(PhoneLook { dark_mode, bezel }),
        }
    }

    /// The reflectance (paper) or emitted light (screen) at a point of the design.
    fn level(&self, x: f64, y: f64) -> f64 {
        let (ink, paper) = match &self.phone {
            Some(p)
                if x < p.bezel
                    || x > self.width - p.bezel
                    || y < p.bezel
                    || y > self.height - p.bezel =>
            {
                return 0.04;
            }
            Some(p) if p.dark_mode => (0.95, 0.08),
            Some(_) => (0.06, 0.97),
            None => (0.07, 0.88),
        };
        let mx = ((x - self.qr_origin.0) / self.module).floor();
        let my = ((y - self.qr_origin.1) / self.module).floor();
        let n = self.modules.len() as f64;
        if mx >= 0.0 && my >= 0.0 && mx < n && my < n && self.modules[my as usize][mx as usize] {
            return ink;
        }
        let in_text = self
            .text_blocks
            .iter()
            .any(|&(bx, by, bw, bh)| x >= bx && x < bx + bw && y >= by && y < by + bh);
        if in_text {
            0.25
        } else {
            paper
        }
    }
}

fn qr_modules(text: &str) -> Vec<Vec<bool>> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .expect("a PN1 code fits a QR code");
    let width = code.width();
    let colors = code.to_colors();
    (0..width)
        .map(|y| {
            (0..width)
                .map(|x| colors[y * width + x] == Color::Dark)
                .collect()
        })
        .collect()
}

/// Everything random about one photo.
struct Shot {
    design: Design,
    /// Where the design's corners land in the frame (TL, TR, BR, BL).
    corners: [(f64, f64); 4],
    exposure: f64,
    tint: [f64; 3],
    blur_sigma: f32,
    noise_sigma: f64,
    quality: u8,
    glare: Option<(f64, f64, f64, f64)>,
    shadow: Option<(f64, f64, f64, f64)>,
    moire: Option<(f64, f64, f64)>,
}

fn photograph(
    text: Option<&str>,
    degradation: Degradation,
    rng: &mut ChaCha8Rng,
) -> (RgbImage, u8) {
    let shot = plan(text, degradation, rng);
    let mut image = render(&shot, rng);
    if shot.blur_sigma > 0.0 {
        image = image::imageops::blur(&image, shot.blur_sigma);
    }
    add_noise(&mut image, shot.noise_sigma, rng);
    (image, shot.quality)
}

fn plan(text: Option<&str>, degradation: Degradation, rng: &mut ChaCha8Rng) -> Shot {
    use Degradation as D;
    let module = match degradation {
        D::Small => rng.random_range(2.2..2.8),
        D::PhoneScreen => rng.random_range(4.0..6.0),
        _ => rng.random_range(4.0..7.0),
    };
    let design = match degradation {
        D::PhoneScreen => Design::phone(text, module, rng.random_bool(0.4)),
        _ => Design::coupon(text, module, rng),
    };
    let tilt = match degradation {
        D::Perspective => rng.random_range(0.18..0.30),
        _ => rng.random_range(0.0..0.08),
    };
    let angle: f64 = match degradation {
        D::Rotated => rng.random_range(20.0f64..340.0).to_radians(),
        _ => rng.random_range(-8.0f64..8.0).to_radians(),
    };
    let corners = place(&design, angle, tilt, rng);
    let mut shot = Shot {
        corners,
        exposure: rng.random_range(0.85..1.05),
        tint: [
            rng.random_range(0.95..1.05),
            1.0,
            rng.random_range(0.9..1.05),
        ],
        blur_sigma: rng.random_range(0.4..0.9),
        noise_sigma: rng.random_range(2.0..5.0),
        quality: rng.random_range(70..86),
        glare: None,
        shadow: None,
        moire: None,
        design,
    };
    match degradation {
        D::Blur => shot.blur_sigma = rng.random_range(1.4..2.2),
        D::Noise => shot.noise_sigma = rng.random_range(14.0..22.0),
        D::LowLight => {
            shot.exposure = rng.random_range(0.12..0.22);
            shot.noise_sigma = rng.random_range(4.0..7.0);
        }
        D::Jpeg => shot.quality = rng.random_range(12..22),
        D::Glare => {
            let (cx, cy) = centre(&shot.corners);
            shot.glare = Some((
                cx + rng.random_range(-60.0..60.0),
                cy + rng.random_range(-60.0..60.0),
                rng.random_range(40.0..80.0),
                rng.random_range(0.25..0.45),
            ));
        }
        D::Shadow => {
            let (cx, cy) = centre(&shot.corners);
            let a: f64 = rng.random_range(0.0..std::f64::consts::TAU);
            shot.shadow = Some((cx, cy, a, rng.random_range(0.35..0.5)));
        }
        D::PhoneScreen => {
            shot.moire = Some((
                rng.random_range(2.6..3.6),
                rng.random_range(0.0..std::f64::consts::PI),
                rng.random_range(0.12..0.2),
            ));
            let (cx, cy) = centre(&shot.corners);
            shot.glare = Some((cx + rng.random_range(-150.0..150.0), cy, 120.0, 0.25));
        }
        _ => {}
    }
    shot
}

fn centre(corners: &[(f64, f64); 4]) -> (f64, f64) {
    let x = corners.iter().map(|c| c.0).sum::<f64>() / 4.0;
    let y = corners.iter().map(|c| c.1).sum::<f64>() / 4.0;
    (x, y)
}

/// Puts the design in the frame: scaled to fit, rotated by `angle`, one side pushed back by
/// `tilt` (perspective), at a random place.
fn place(design: &Design, angle: f64, tilt: f64, rng: &mut ChaCha8Rng) -> [(f64, f64); 4] {
    let (w, h) = (design.width, design.height);
    let fit = (f64::from(HEIGHT) * 0.92 / w.hypot(h)).min(1.0);
    let scale = fit * rng.random_range(0.9..1.0);
    let horizontal = rng.random_bool(0.5);
    let flat = [
        (-w / 2.0, -h / 2.0),
        (w / 2.0, -h / 2.0),
        (w / 2.0, h / 2.0),
        (-w / 2.0, h / 2.0),
    ];
    let mut corners = flat.map(|(x, y)| {
        // Perspective: points on the far side shrink towards the axis.
        let depth = if horizontal { x / w } else { y / h };
        let k = 1.0 - tilt * (depth + 0.5);
        let (x, y) = (x * k, y * k);
        let (s, c) = angle.sin_cos();
        (scale * (x * c - y * s), scale * (x * s + y * c))
    });
    let max_x = corners.iter().map(|c| c.0.abs()).fold(0.0, f64::max);
    let max_y = corners.iter().map(|c| c.1.abs()).fold(0.0, f64::max);
    let cx = rng.random_range(max_x + 5.0..(f64::from(WIDTH) - max_x - 5.0).max(max_x + 6.0));
    let cy = rng.random_range(max_y + 5.0..(f64::from(HEIGHT) - max_y - 5.0).max(max_y + 6.0));
    for c in &mut corners {
        *c = (c.0 + cx, c.1 + cy);
    }
    corners
}

fn render(shot: &Shot, rng: &mut ChaCha8Rng) -> RgbImage {
    let design = &shot.design;
    let to_design = homography(
        shot.corners,
        [
            (0.0, 0.0),
            (design.width, 0.0),
            (design.width, design.height),
            (0.0, design.height),
        ],
    );
    let table = [
        rng.random_range(0.25..0.55),
        rng.random_range(0.2..0.45),
        rng.random_range(0.15..0.35),
    ];
    let grain_phase: f64 = rng.random_range(0.0..100.0);
    let mut image = RgbImage::new(WIDTH, HEIGHT);
    for (px, py, pixel) in image.enumerate_pixels_mut() {
        let (x, y) = (f64::from(px), f64::from(py));
        // 2×2 supersampling of the design.
        let mut level = 0.0;
        let mut on_design = 0.0;
        for (dx, dy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
            let (u, v) = apply(&to_design, x + dx, y + dy);
            if (0.0..design.width).contains(&u) && (0.0..design.height).contains(&v) {
                level += design.level(u, v) / 4.0;
                on_design += 0.25;
            }
        }
        let grain = 0.04 * ((x * 0.013 + grain_phase).sin() * (y * 0.021).cos());
        let mut light = shot.exposure * (0.9 + 0.15 * (x / f64::from(WIDTH)));
        if let Some((sx, sy, angle, depth)) = shot.shadow {
            // A soft-edged shadow over one side of a line through the coupon.
            let d = (x - sx) * angle.cos() + (y - sy) * angle.sin();
            light *= 1.0 - depth * smoothstep(-12.0, 12.0, d);
        }
        let mut rgb = [0.0; 3];
        for (k, out) in rgb.iter_mut().enumerate() {
            let background = table[k] + grain;
            let surface = level + (1.0 - on_design) * background;
            *out = surface * light * shot.tint[k];
        }
        if let Some((period, angle, depth)) = shot.moire {
            if on_design > 0.0 {
                let t = (x * angle.cos() + y * angle.sin()) / period;
                let beat = 1.0 - depth * (0.5 + 0.5 * (t * std::f64::consts::TAU).cos());
                rgb.iter_mut().for_each(|c| *c *= beat);
            }
        }
        if let Some((gx, gy, radius, strength)) = shot.glare {
            let d2 = ((x - gx).powi(2) + (y - gy).powi(2)) / radius.powi(2);
            let glare = strength * (-d2).exp() * 1.6;
            rgb.iter_mut().for_each(|c| *c += glare);
        }
        *pixel = Rgb(rgb.map(|c| (255.0 * c.clamp(0.0, 1.0).powf(1.0 / 2.2)).round() as u8));
    }
    image
}

fn smoothstep(edge0: f64, edge1: f64, x: f64) -> f64 {
    let t = ((x - edge0) / (edge1 - edge0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

fn add_noise(image: &mut RgbImage, sigma: f64, rng: &mut ChaCha8Rng) {
    for pixel in image.pixels_mut() {
        // One luminance noise sample per pixel plus a little chroma noise (Box-Muller).
        let gaussian = |rng: &mut ChaCha8Rng| {
            let u1: f64 = rng.random_range(f64::EPSILON..1.0);
            let u2: f64 = rng.random();
            (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
        };
        let luma = sigma * gaussian(rng);
        for channel in pixel.0.iter_mut() {
            let chroma = 0.3 * sigma * gaussian(rng);
            *channel = (f64::from(*channel) + luma + chroma)
                .round()
                .clamp(0.0, 255.0) as u8;
        }
    }
}

/// The 3×3 projective map taking `from[i]` to `to[i]` (four point pairs), solved as the usual
/// 8×8 linear system with h33 = 1.
fn homography(from: [(f64, f64); 4], to: [(f64, f64); 4]) -> [f64; 9] {
    let mut a = [[0.0f64; 9]; 8];
    for i in 0..4 {
        let ((x, y), (u, v)) = (from[i], to[i]);
        a[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
        a[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
    }
    for col in 0..8 {
        let pivot = (col..8)
            .max_by(|&r, &s| a[r][col].abs().total_cmp(&a[s][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot);
        let pivot_row = a[col];
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot_row[col];
                for (value, p) in row.iter_mut().zip(pivot_row).skip(col) {
                    *value -= f * p;
                }
            }
        }
    }
    let h: Vec<f64> = (0..8).map(|i| a[i][8] / a[i][i]).collect();
    [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0]
}

fn apply(h: &[f64; 9], x: f64, y: f64) -> (f64, f64) {
    let w = h[6] * x + h[7] * y + h[8];
    (
        (h[0] * x + h[1] * y + h[2]) / w,
        (h[3] * x + h[4] * y + h[5]) / w,
    )
}
