//! Reading QR codes in one grayscale frame: a cascade of attempts within a time budget.
//!
//! A [`Decoder`] first makes the primary attempt, rxing on the frame (downscaled first when its
//! longer side exceeds [`DecoderConfig::max_side`]), which reads most codes in a few
//! milliseconds. When it reads nothing, the retries follow, cheapest first:
//!
//! - rxing on the inverted frame (light-on-dark codes, phone screens in dark mode);
//! - rqrr on the frame at half size (the next pyramid level: large or blurred codes);
//! - rqrr on a local-mean (adaptive) threshold at half size, then at full size (shadows, glare);
//! - rxing on the contrast-stretched frame (dim and washed-out photos);
//! - rqrr on the frame with its own threshold, and on the contrast-stretched frame;
//! - rxing "try harder" (every row scanned for finder patterns).
//!
//! The decoder stops at the first attempt that reads a code and reports every code that attempt
//! read (several coupons in one frame), without duplicates. It never starts a retry that its
//! running estimate of that retry's cost says would end past [`DecoderConfig::budget`]. On a
//! video stream the retries a frame had no time for are made on the next frames: each frame
//! starts with the first retry the previous one skipped (or with the one that last read a
//! code), so a code held in view meets every retry that fits a frame within a few frames, while
//! no frame overruns its budget. Retries that cannot fit a frame's budget at all (rqrr on a full
//! 1280×720 frame takes about 15 ms) only run with a larger budget, as for still images. [`decode_frame`] decodes a
//! still image with the whole cascade (a fresh decoder, retries from the first).
//!
//! Every decoder call is inside `catch_unwind` ([`engines`]). The order and the costs come from
//! the evaluation harness (`docs/scanning.md`).

pub mod engines;
pub mod preprocess;

use std::time::{Duration, Instant};

use image::GrayImage;
use serde::Serialize;

pub use engines::Engine;

/// How much work one frame may take.
#[derive(Clone, PartialEq, Debug)]
pub struct DecoderConfig {
    /// No attempt starts that would, by its estimated cost, end after this much time on a frame
    /// (the primary attempt always runs).
    pub budget: Duration,
    /// Frames with a longer side are downscaled (integer box filter) before any attempt.
    pub max_side: u32,
    /// The attempts to make, in order: the first is the primary attempt, the others the
    /// retries ([`Attempt::CASCADE`] by default).
    pub attempts: Vec<Attempt>,
}

impl Default for DecoderConfig {
    /// A 1280×720 frame at 30 fps: 8 ms per frame (the rest of the frame time is left to the
    /// app), 1280 pixels, the whole cascade.
    fn default() -> Self {
        DecoderConfig {
            budget: Duration::from_millis(8),
            max_side: 1280,
            attempts: Attempt::CASCADE.to_vec(),
        }
    }
}

impl DecoderConfig {
    /// Settings for one still image: the whole cascade within 33 ms.
    pub fn still_image() -> Self {
        DecoderConfig {
            budget: Duration::from_millis(33),
            ..DecoderConfig::default()
        }
    }

    /// These settings with only the attempts that use `engine`, in cascade order.
    pub fn only(self, engine: Engine) -> Self {
        DecoderConfig {
            attempts: self
                .attempts
                .into_iter()
                .filter(|a| a.engine() == engine)
                .collect(),
            ..self
        }
    }
}

/// One step of the cascade: an engine on a prepared image.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Attempt {
    /// rxing on the (downscaled) frame.
    RxingFrame,
    /// rxing on the inverted frame.
    RxingInverted,
    /// rqrr on the frame at half size.
    RqrrHalf,
    /// rqrr on a local-mean threshold of the frame at half size.
    RqrrAdaptiveHalf,
    /// rxing on the contrast-stretched frame.
    RxingStretched,
    /// rqrr on a local-mean threshold of the frame.
    RqrrAdaptive,
    /// rqrr on the frame, with its own threshold.
    RqrrFrame,
    /// rqrr on the contrast-stretched frame.
    RqrrStretched,
    /// rxing scanning every row.
    RxingHarder,
}

impl Attempt {
    /// Every attempt, in cascade order.
    pub const CASCADE: [Attempt; 9] = [
        Attempt::RxingFrame,
        Attempt::RxingInverted,
        Attempt::RqrrHalf,
        Attempt::RqrrAdaptiveHalf,
        Attempt::RxingStretched,
        Attempt::RqrrAdaptive,
        Attempt::RqrrFrame,
        Attempt::RqrrStretched,
        Attempt::RxingHarder,
    ];

    /// The decoder this attempt runs.
    pub fn engine(self) -> Engine {
        match self {
            Attempt::RxingFrame
            | Attempt::RxingInverted
            | Attempt::RxingStretched
            | Attempt::RxingHarder => Engine::Rxing,
            _ => Engine::Rqrr,
        }
    }

    /// A first estimate of the attempt's cost per pixel of the frame, in nanoseconds, before
    /// the decoder has measured it (the harness's 1280×720 frames without a code on one 2 GHz
    /// core, rounded up).
    fn typical_ns_per_pixel(self) -> f64 {
        match self {
            Attempt::RxingFrame | Attempt::RxingInverted => 4.0,
            Attempt::RqrrHalf | Attempt::RqrrAdaptiveHalf => 3.0,
            Attempt::RxingStretched => 8.0,
            Attempt::RxingHarder => 6.0,
            Attempt::RqrrAdaptive | Attempt::RqrrFrame | Attempt::RqrrStretched => 16.0,
        }
    }
}

/// A code read in a frame.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct DecodedCode {
    /// The code's text.
    pub text: String,
    /// The attempt that read it (and so the engine).
    pub attempt: Attempt,
}

/// What decoding one frame gave.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct FrameDecode {
    /// The codes read, without duplicates (empty: no code).
    pub codes: Vec<DecodedCode>,
    /// How many attempts ran.
    pub attempts: usize,
    /// How many decoder calls panicked (caught).
    pub panics: usize,
    /// The budget ran out before every attempt had run.
    pub out_of_time: bool,
    /// Time spent on the frame.
    pub elapsed: Duration,
}

/// Reads every QR code in a still image with the whole cascade (see the module
/// documentation). Never panics; a 0×0 image gives no code.
pub fn decode_frame(frame: &GrayImage, config: &DecoderConfig) -> FrameDecode {
    Decoder::new(config.clone()).decode(frame)
}

/// Decodes the frames of one stream, remembering where the retries stopped and what each
/// attempt costs.
#[derive(Clone, Debug)]
pub struct Decoder {
    config: DecoderConfig,
    /// Index into the retries (`config.attempts[1..]`) of the next one to make.
    next_retry: usize,
    /// Running estimate of each attempt's cost per pixel of the frame, in nanoseconds, by
    /// position in `config.attempts`.
    cost_ns_per_pixel: Vec<f64>,
}

impl Decoder {
    /// A decoder for one stream.
    pub fn new(config: DecoderConfig) -> Self {
        let cost_ns_per_pixel = config
            .attempts
            .iter()
            .map(|a| a.typical_ns_per_pixel())
            .collect();
        Decoder {
            config,
            next_retry: 0,
            cost_ns_per_pixel,
        }
    }

    /// Reads every QR code in `frame`. Never panics; a 0×0 frame gives no code.
    pub fn decode(&mut self, frame: &GrayImage) -> FrameDecode {
        let started = Instant::now();
        let mut result = FrameDecode::default();
        if frame.width() == 0 || frame.height() == 0 || self.config.attempts.is_empty() {
            return result;
        }
        let mut images = Prepared::new(frame, self.config.max_side);
        self.attempt(0, &mut images, &mut result);
        let retries = self.config.attempts.len() - 1;
        let mut resume_at = None;
        for k in 0..retries {
            if !result.codes.is_empty() {
                break;
            }
            let index = 1 + (self.next_retry + k) % retries;
            // Costs vary from frame to frame: half as much again as the average, for margin.
            let cost = Duration::from_nanos(
                (1.5 * self.cost_ns_per_pixel[index] * images.pixels()) as u64,
            );
            if started.elapsed() + cost > self.config.budget {
                // No time left for this one on this frame: the next frame starts with it, if
                // it fits a frame at all (otherwise it only runs with a larger budget).
                result.out_of_time = true;
                if resume_at.is_none() && cost <= self.config.budget {
                    resume_at = Some(index);
                }
                continue;
            }
            self.attempt(index, &mut images, &mut result);
            if !result.codes.is_empty() {
                // The same code is likely in the next frame: start with what read it.
                resume_at = Some(index);
            }
        }
        self.next_retry = resume_at.map_or(0, |index| index - 1);
        result.elapsed = started.elapsed();
        result
    }

    fn attempt(&mut self, index: usize, images: &mut Prepared, result: &mut FrameDecode) {
        let attempt = self.config.attempts[index];
        let started = Instant::now();
        result.attempts += 1;
        match images.run(attempt) {
            Ok(texts) => {
                for text in texts {
                    if !result.codes.iter().any(|c| c.text == text) {
                        result.codes.push(DecodedCode { text, attempt });
                    }
                }
            }
            Err(engines::EnginePanicked) => result.panics += 1,
        }
        let took = started.elapsed().as_nanos() as f64 / images.pixels().max(1.0);
        // An exponential moving average, weight 1/4 on the new cost.
        let cost = &mut self.cost_ns_per_pixel[index];
        *cost = 0.75 * *cost + 0.25 * took;
    }
}

/// The frame and the images derived from it, each made once, when an attempt first needs it.
struct Prepared<'a> {
    original: &'a GrayImage,
    downscaled: Option<GrayImage>,
    half: Option<GrayImage>,
    stretched: Option<GrayImage>,
    inverted: Option<GrayImage>,
}

impl<'a> Prepared<'a> {
    fn new(original: &'a GrayImage, max_side: u32) -> Self {
        Prepared {
            original,
            downscaled: preprocess::downscale_to(original, max_side),
            half: None,
            stretched: None,
            inverted: None,
        }
    }

    /// The pixel count of the image the attempts work on.
    fn pixels(&self) -> f64 {
        let frame = self.frame();
        f64::from(frame.width()) * f64::from(frame.height())
    }

    fn frame(&self) -> &GrayImage {
        self.downscaled.as_ref().unwrap_or(self.original)
    }

    fn run(&mut self, attempt: Attempt) -> Result<Vec<String>, engines::EnginePanicked> {
        match attempt {
            Attempt::RxingFrame => engines::rxing_gray(self.frame(), false),
            Attempt::RxingInverted => engines::rxing_gray(self.inverted(), false),
            Attempt::RqrrHalf => engines::rqrr_gray(self.half()),
            Attempt::RqrrAdaptiveHalf => rqrr_adaptive(self.half()),
            Attempt::RxingStretched => engines::rxing_gray(self.stretched(), false),
            Attempt::RqrrAdaptive => rqrr_adaptive(self.frame()),
            Attempt::RqrrFrame => engines::rqrr_gray(self.frame()),
            Attempt::RqrrStretched => engines::rqrr_gray(self.stretched()),
            Attempt::RxingHarder => engines::rxing_gray(self.frame(), true),
        }
    }

    fn half(&mut self) -> &GrayImage {
        if self.half.is_none() {
            self.half = Some(preprocess::downscale_by(self.frame(), 2));
        }
        self.half.as_ref().unwrap_or(self.original)
    }

    fn stretched(&mut self) -> &GrayImage {
        if self.stretched.is_none() {
            self.stretched = Some(preprocess::stretch_contrast(self.frame()));
        }
        self.stretched.as_ref().unwrap_or(self.original)
    }

    fn inverted(&mut self) -> &GrayImage {
        if self.inverted.is_none() {
            self.inverted = Some(preprocess::invert(self.frame()));
        }
        self.inverted.as_ref().unwrap_or(self.original)
    }
}

/// rqrr on a local-mean threshold with a window about 1/8 of the shorter side.
fn rqrr_adaptive(image: &GrayImage) -> Result<Vec<String>, engines::EnginePanicked> {
    let radius = (image.width().min(image.height()) / 16).max(4);
    let black = preprocess::adaptive_threshold(image, radius, 8);
    engines::rqrr_bitmap(image.width() as usize, image.height() as usize, &black)
}
