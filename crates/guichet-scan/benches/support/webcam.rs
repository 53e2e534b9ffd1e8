//! The webcam-like set: 1280×720 frames of a PN1 coupon on a desk, generated from a fixed seed
//! at bench time (nothing is committed), by level of difficulty, plus short video sequences of a
//! coupon moving into view.
//!
//! Each frame is rendered in linear light (2×2 supersampling of the coupon through a
//! perspective map), lit unevenly, with glare spots (which saturate the sensor) and shadow
//! bands, blurred (Gaussian, then motion blur along a direction), given sensor noise, and
//! JPEG-compressed; the decoders see the decoded JPEG, in grayscale. The PN1 texts are the
//! TEST ONLY codes of `fixtures/` (demo codes and test vectors), drawn as the platform prints
//! them (QR version 6, level M, one alphanumeric segment).
//!
//! Deterministic: one seed per level and per sequence, no clock; [`SEED`] makes the tuning
//! set, other seeds the held-out ones (issue 28). Used by `benches/eval.rs` and
//! `tests/webcam_set.rs`.

use std::path::Path;

use image::{GrayImage, ImageEncoder, Luma};
use qrcode::bits::Bits;
use qrcode::{Color, EcLevel, QrCode, Version};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The seed every frame derives from ("guichet" + issue 16).
pub const SEED: u64 = 0x6775_6963_6865_7416;
/// Frame width.
pub const WIDTH: u32 = 1280;
/// Frame height.
pub const HEIGHT: u32 = 720;

/// How hard a still frame is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Level {
    /// A coupon held still under a desk lamp.
    Easy,
    /// Some blur, a glare spot, a shadow, tilt.
    Medium,
    /// Strong blur and motion, saturating glare, shadow bands, steep tilt, JPEG 45–55.
    Hard,
    /// As hard, with smaller modules and more of everything.
    Extreme,
}

impl Level {
    /// Every level, easiest first.
    pub const ALL: [Level; 4] = [Level::Easy, Level::Medium, Level::Hard, Level::Extreme];

    /// The level's name in the tables.
    pub fn name(self) -> &'static str {
        match self {
            Level::Easy => "easy",
            Level::Medium => "medium",
            Level::Hard => "hard",
            Level::Extreme => "extreme",
        }
    }
}

/// One generated frame and the text it holds.
pub struct SynthFrame {
    /// The frame as a decoder sees it (the decoded JPEG, grayscale).
    pub image: GrayImage,
    /// The PN1 text on the coupon.
    pub expected: String,
}

/// The distinct well-formed PN1 codes of the TEST ONLY fixtures (`fixtures/` and
/// `schema/test-vectors/`): the demo codes, then the test vectors' 154-character inputs made of
/// QR alphanumeric characters only (the platform prints nothing else).
pub fn pn1_codes(repo: &Path) -> Vec<String> {
    let demo = std::fs::read_to_string(repo.join("fixtures/coupons/test-only-demo-codes.txt"))
        .expect("the demo codes");
    let vectors: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo.join("schema/test-vectors/voucher-code-v1.json"))
            .expect("the test vectors"),
    )
    .expect("the test vectors are JSON");
    let inputs = vectors["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["input"].as_str());
    let mut codes: Vec<String> = Vec::new();
    for code in demo.lines().chain(inputs) {
        let printable = code.chars().all(guichet_scan::wedge::is_qr_alphanumeric);
        if code.starts_with("PN1:")
            && code.len() == 154
            && printable
            && !codes.iter().any(|c| c == code)
        {
            codes.push(code.to_owned());
        }
    }
    assert!(codes.len() >= 20, "expected at least 20 distinct PN1 codes");
    codes
}

/// `count` still frames of `level`, the codes taken in turn from `codes`.
pub fn still_frames(level: Level, count: usize, codes: &[String]) -> Vec<SynthFrame> {
    still_frames_from(SEED, level, count, codes)
}

/// [`still_frames`] from another seed than [`SEED`] (the held-out sets, issue 28).
pub fn still_frames_from(
    seed: u64,
    level: Level,
    count: usize,
    codes: &[String],
) -> Vec<SynthFrame> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (level as u64 + 1) << 32);
    (0..count)
        .map(|i| {
            let text = &codes[i % codes.len()];
            let shot = Shot::still(level, text, &mut rng);
            SynthFrame {
                image: shot.expose(&mut rng),
                expected: text.clone(),
            }
        })
        .collect()
}

/// Frames in one video sequence.
pub const SEQUENCE_FRAMES: usize = 14;

/// Video sequence `index`: the coupon slides into view from an edge over the first frames
/// (motion blur along its path, partly outside the frame at first), then is held with a small
/// tremor. Medium-to-hard degradations (glare, a shadow band, noise, JPEG 45–60). 30 fps.
pub fn video_sequence(index: usize, codes: &[String]) -> Vec<SynthFrame> {
    video_sequence_from(SEED, index, codes)
}

/// [`video_sequence`] from another seed than [`SEED`] (the held-out sets, issue 28).
pub fn video_sequence_from(seed: u64, index: usize, codes: &[String]) -> Vec<SynthFrame> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xF1D0 ^ (index as u64) << 40);
    let text = &codes[index % codes.len()];
    let rest = Shot::still(Level::Hard, text, &mut rng);
    // Where it comes from: off one edge of the frame, along a straight path.
    let (dx, dy) = match rng.random_range(0..4) {
        0 => (-f64::from(WIDTH) * 0.8, 0.0),
        1 => (f64::from(WIDTH) * 0.8, 0.0),
        2 => (0.0, f64::from(HEIGHT) * 0.9),
        _ => (rng.random_range(-300.0..300.0), -f64::from(HEIGHT) * 0.9),
    };
    let arrive = rng.random_range(5..9) as f64; // frames until it stops
    let offset = |t: f64| {
        let s = (t / arrive).min(1.0);
        let remaining = (1.0 - s).powi(2); // eases out
        (dx * remaining, dy * remaining)
    };
    (0..SEQUENCE_FRAMES)
        .map(|frame| {
            let t = frame as f64;
            let (ox, oy) = offset(t);
            let (nx, ny) = offset(t + 1.0);
            let mut shot = rest.clone();
            let tremor = (rng.random_range(-1.5..1.5), rng.random_range(-1.5..1.5));
            for c in &mut shot.corners {
                *c = (c.0 + ox + tremor.0, c.1 + oy + tremor.1);
            }
            // Half the frame time exposed: the blur is half the path to the next frame.
            let (vx, vy) = (0.5 * (nx - ox), 0.5 * (ny - oy));
            let moving = vx.hypot(vy);
            shot.motion = if moving > 1.0 {
                (moving, vy.atan2(vx))
            } else {
                (
                    rng.random_range(0.0..2.5),
                    rng.random_range(0.0..std::f64::consts::PI),
                )
            };
            shot.quality = rng.random_range(45..61);
            SynthFrame {
                image: shot.expose(&mut rng),
                expected: text.clone(),
            }
        })
        .collect()
}

/// Everything about one exposure.
#[derive(Clone)]
struct Shot {
    modules: Vec<Vec<bool>>,
    /// Module size on the coupon, in coupon units (the coupon is `side * 2.1` wide).
    module: f64,
    coupon: (f64, f64),
    qr_origin: (f64, f64),
    text_lines: Vec<(f64, f64, f64, f64)>,
    /// Where the coupon's corners land in the frame (TL, TR, BR, BL).
    corners: [(f64, f64); 4],
    exposure: f64,
    /// Light falls off across the frame: (gain per frame width in x, in y).
    light_slope: (f64, f64),
    /// Glare spots: centre, radius, strength (1 saturates the middle).
    glare: Vec<(f64, f64, f64, f64)>,
    /// Shadow bands: a point on the band's axis, its angle, half width, depth.
    shadows: Vec<(f64, f64, f64, f64, f64)>,
    blur_sigma: f32,
    /// Motion blur: length in pixels, direction in radians.
    motion: (f64, f64),
    noise_sigma: f64,
    quality: u8,
    desk: f64,
}

impl Shot {
    fn still(level: Level, text: &str, rng: &mut ChaCha8Rng) -> Shot {
        use Level as L;
        let r = |rng: &mut ChaCha8Rng,
                 easy: (f64, f64),
                 medium: (f64, f64),
                 hard: (f64, f64),
                 extreme: (f64, f64)| {
            let (lo, hi) = match level {
                L::Easy => easy,
                L::Medium => medium,
                L::Hard => hard,
                L::Extreme => extreme,
            };
            if hi > lo {
                rng.random_range(lo..hi)
            } else {
                lo
            }
        };
        // Pixels per module on the frame (before perspective).
        let pixels_per_module = r(rng, (4.5, 6.5), (3.8, 5.5), (4.0, 5.5), (3.8, 5.2));
        let tilt = r(rng, (0.0, 0.1), (0.05, 0.2), (0.12, 0.28), (0.2, 0.35));
        let angle = r(
            rng,
            (-10.0, 10.0),
            (-25.0, 25.0),
            (-40.0, 40.0),
            (-180.0, 180.0),
        )
        .to_radians();
        let glare_spots = r(rng, (0.0, 1.0), (1.0, 1.99), (1.0, 1.99), (1.0, 2.99)) as usize;
        let glare_strength = (
            r(rng, (0.2, 0.5), (0.4, 0.9), (0.4, 0.8), (0.5, 0.9)),
            r(rng, (30.0, 50.0), (35.0, 60.0), (30.0, 60.0), (35.0, 70.0)),
        );
        let shadow_bands = r(rng, (0.0, 1.0), (1.0, 1.99), (1.0, 2.99), (2.0, 2.99)) as usize;
        let shadow_depth = r(rng, (0.2, 0.35), (0.3, 0.5), (0.4, 0.6), (0.5, 0.65));
        let blur_sigma = r(rng, (0.5, 0.9), (0.9, 1.4), (1.0, 1.5), (1.1, 1.6)) as f32;
        let motion = (
            r(rng, (0.0, 2.0), (2.0, 4.0), (2.0, 4.0), (2.5, 4.5)),
            rng.random_range(0.0..std::f64::consts::PI),
        );
        let noise_sigma = r(rng, (2.0, 4.0), (4.0, 7.0), (5.0, 8.0), (6.0, 9.0));
        let quality = r(rng, (70.0, 86.0), (55.0, 70.0), (45.0, 56.0), (45.0, 50.0)) as u8;
        let exposure = r(rng, (0.85, 1.0), (0.6, 0.95), (0.4, 0.9), (0.3, 0.8));

        let modules = qr_modules(text);
        let side = (modules.len() as f64 + 8.0) * 1.0;
        let coupon = (side * 2.1, side * 1.25);
        let qr_origin = (
            coupon.0 - side - 0.06 * coupon.0 + 4.0,
            (coupon.1 - side) / 2.0 + 4.0,
        );
        let mut text_lines = Vec::new();
        let mut y = coupon.1 * 0.12;
        while y < coupon.1 * 0.85 {
            let w = coupon.0 * rng.random_range(0.2..0.42);
            text_lines.push((coupon.0 * 0.06, y, w, coupon.1 * 0.035));
            y += coupon.1 * rng.random_range(0.07..0.12);
        }
        let corners = place(coupon, pixels_per_module, angle, tilt, rng);
        let inside = |rng: &mut ChaCha8Rng| {
            let t: f64 = rng.random();
            let s: f64 = rng.random();
            let lerp = |a: (f64, f64), b: (f64, f64), t: f64| {
                (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t)
            };
            let top = lerp(corners[0], corners[1], t);
            let bottom = lerp(corners[3], corners[2], t);
            lerp(top, bottom, s)
        };
        let glare = (0..glare_spots)
            .map(|_| {
                let (x, y) = inside(rng);
                (
                    x,
                    y,
                    glare_strength.1 * rng.random_range(0.7..1.3),
                    glare_strength.0 * rng.random_range(0.8..1.1),
                )
            })
            .collect();
        let shadows = (0..shadow_bands)
            .map(|_| {
                let (x, y) = inside(rng);
                let width = rng.random_range(15.0..90.0);
                (
                    x,
                    y,
                    rng.random_range(0.0..std::f64::consts::PI),
                    width,
                    shadow_depth,
                )
            })
            .collect();
        Shot {
            modules,
            module: 1.0,
            coupon,
            qr_origin,
            text_lines,
            corners,
            exposure,
            light_slope: (rng.random_range(-0.3..0.3), rng.random_range(-0.2..0.2)),
            glare,
            shadows,
            blur_sigma,
            motion,
            noise_sigma,
            quality,
            desk: rng.random_range(0.15..0.45),
        }
    }

    /// The reflectance of the coupon at a point of its plane.
    fn level(&self, u: f64, v: f64) -> f64 {
        let mx = ((u - self.qr_origin.0) / self.module).floor();
        let my = ((v - self.qr_origin.1) / self.module).floor();
        let n = self.modules.len() as f64;
        if mx >= 0.0 && my >= 0.0 && mx < n && my < n && self.modules[my as usize][mx as usize] {
            return 0.06;
        }
        let in_text = self
            .text_lines
            .iter()
            .any(|&(x, y, w, h)| u >= x && u < x + w && v >= y && v < y + h);
        if in_text {
            0.25
        } else {
            0.86
        }
    }

    /// Renders, blurs, adds noise and compresses: the frame a decoder receives.
    fn expose(&self, rng: &mut ChaCha8Rng) -> GrayImage {
        let mut linear = self.render();
        if self.blur_sigma > 0.0 {
            linear = image::imageops::blur(&linear, self.blur_sigma);
        }
        if self.motion.0 >= 1.0 {
            linear = motion_blur(&linear, self.motion.0, self.motion.1);
        }
        let noisy = self.finish(&linear, rng);
        jpeg_round_trip(&noisy, self.quality)
    }

    /// The scene in linear light (0..1), as 32-bit floats: blur acts on light, not on
    /// gamma-encoded levels.
    fn render(&self) -> image::ImageBuffer<Luma<f32>, Vec<f32>> {
        let to_coupon = homography(
            self.corners,
            [
                (0.0, 0.0),
                (self.coupon.0, 0.0),
                (self.coupon.0, self.coupon.1),
                (0.0, self.coupon.1),
            ],
        );
        let (w, h) = (f64::from(WIDTH), f64::from(HEIGHT));
        image::ImageBuffer::from_fn(WIDTH, HEIGHT, |px, py| {
            let (x, y) = (f64::from(px), f64::from(py));
            let mut level = 0.0;
            for (dx, dy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
                let (u, v) = apply(&to_coupon, x + dx, y + dy);
                level += 0.25
                    * if (0.0..self.coupon.0).contains(&u) && (0.0..self.coupon.1).contains(&v) {
                        self.level(u, v)
                    } else {
                        self.desk * (1.0 + 0.05 * (x * 0.02).sin() * (y * 0.03).cos())
                    };
            }
            let mut light = self.exposure
                * (1.0 + self.light_slope.0 * (x / w - 0.5) + self.light_slope.1 * (y / h - 0.5));
            for &(sx, sy, angle, half_width, depth) in &self.shadows {
                let d = ((x - sx) * angle.cos() + (y - sy) * angle.sin()).abs();
                light *= 1.0 - depth * (1.0 - smoothstep(half_width - 8.0, half_width + 8.0, d));
            }
            let mut value = level * light;
            for &(gx, gy, radius, strength) in &self.glare {
                let d2 = ((x - gx).powi(2) + (y - gy).powi(2)) / radius.powi(2);
                value += strength * (-d2).exp();
            }
            Luma([value as f32])
        })
    }

    /// Gamma-encodes to 8 bits (the sensor clips at white: glare saturates) with noise.
    fn finish(
        &self,
        linear: &image::ImageBuffer<Luma<f32>, Vec<f32>>,
        rng: &mut ChaCha8Rng,
    ) -> GrayImage {
        let mut out = GrayImage::new(WIDTH, HEIGHT);
        for (o, l) in out.pixels_mut().zip(linear.pixels()) {
            let encoded = 255.0 * f64::from(l[0]).clamp(0.0, 1.0).powf(1.0 / 2.2);
            let noisy = encoded + self.noise_sigma * gaussian(rng);
            *o = Luma([noisy.round().clamp(0.0, 255.0) as u8]);
        }
        out
    }
}

/// Puts a coupon of `size` (coupon units, one unit per module) in the frame so that a module is
/// about `pixels_per_module` pixels: rotated by `angle`, one side pushed back by `tilt`, at a
/// random place inside the frame.
fn place(
    size: (f64, f64),
    pixels_per_module: f64,
    angle: f64,
    tilt: f64,
    rng: &mut ChaCha8Rng,
) -> [(f64, f64); 4] {
    let (w, h) = size;
    let fit = f64::from(HEIGHT) * 0.95 / w.hypot(h);
    let scale = pixels_per_module.min(fit);
    let horizontal = rng.random_bool(0.5);
    let flat = [
        (-w / 2.0, -h / 2.0),
        (w / 2.0, -h / 2.0),
        (w / 2.0, h / 2.0),
        (-w / 2.0, h / 2.0),
    ];
    let mut corners = flat.map(|(x, y)| {
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

/// Averages `length` pixels along direction `angle` around each pixel (bilinear samples one
/// pixel apart): a camera or a hand moving during the exposure.
fn motion_blur(
    image: &image::ImageBuffer<Luma<f32>, Vec<f32>>,
    length: f64,
    angle: f64,
) -> image::ImageBuffer<Luma<f32>, Vec<f32>> {
    let samples = length.round().max(1.0) as usize;
    let (s, c) = angle.sin_cos();
    let offsets: Vec<(f64, f64)> = (0..samples)
        .map(|i| {
            let t = i as f64 - (samples - 1) as f64 / 2.0;
            (t * c, t * s)
        })
        .collect();
    let (w, h) = (image.width() as i64, image.height() as i64);
    let raw = image.as_raw();
    let at = |x: i64, y: i64| raw[(y.clamp(0, h - 1) * w + x.clamp(0, w - 1)) as usize];
    image::ImageBuffer::from_fn(image.width(), image.height(), |px, py| {
        let mut sum = 0.0f32;
        for &(ox, oy) in &offsets {
            let (x, y) = (f64::from(px) + ox, f64::from(py) + oy);
            let (x0, y0) = (x.floor(), y.floor());
            let (fx, fy) = ((x - x0) as f32, (y - y0) as f32);
            let (x0, y0) = (x0 as i64, y0 as i64);
            let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1, y0) * fx;
            let bottom = at(x0, y0 + 1) * (1.0 - fx) + at(x0 + 1, y0 + 1) * fx;
            sum += top * (1.0 - fy) + bottom * fy;
        }
        Luma([sum / samples as f32])
    })
}

fn jpeg_round_trip(image: &GrayImage, quality: u8) -> GrayImage {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::L8,
        )
        .expect("encode a JPEG in memory");
    image::load_from_memory(&bytes)
        .expect("decode our own JPEG")
        .to_luma8()
}

fn gaussian(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn smoothstep(edge0: f64, edge1: f64, x: f64) -> f64 {
    let t = ((x - edge0) / (edge1 - edge0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// The QR modules of a PN1 code as the platform prints it (`guichet-platform`'s `mint`:
/// version 6, level M, one alphanumeric segment); `[y][x]`, true = dark.
fn qr_modules(text: &str) -> Vec<Vec<bool>> {
    let mut bits = Bits::new(Version::Normal(6));
    bits.push_alphanumeric_data(text.as_bytes())
        .expect("a PN1 code is alphanumeric");
    bits.push_terminator(EcLevel::M)
        .expect("a PN1 code fits version 6-M");
    let code = QrCode::with_bits(bits, EcLevel::M).expect("a PN1 code fits version 6-M");
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
