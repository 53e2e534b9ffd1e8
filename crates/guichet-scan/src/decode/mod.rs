//! Reading QR codes in one grayscale frame: a cascade of attempts within a time budget.
//!
//! A [`Decoder`] first makes the primary attempt, rxing on the frame (downscaled first when its
//! longer side exceeds [`DecoderConfig::max_side`]), which reads most codes in a millisecond or
//! so. When it reads nothing, the retries follow, in order of measured codes read per
//! millisecond (`docs/scanning.md`):
//!
//! - rxing on the inverted frame (light-on-dark codes, phone screens in dark mode);
//! - rxing on the sharpened frame (unsharp mask: out-of-focus and moving coupons);
//! - rxing on zxing-cpp's midrange binarization of the frame, every row searched, as zxing-cpp
//!   3.1.1 reads it ([`binarize::midrange_black_matrix`]: motion-blurred coupons);
//! - rxing on the contrast-stretched frame (dim and washed-out photos);
//! - rxing on the frame with its light evened out (shadow bands, uneven light);
//! - rqrr on a local-mean (adaptive) threshold at half size, then at full size (shadows, glare);
//! - rqrr on the frame with its own threshold;
//! - and, having read nothing the others did not on the evaluation sets: rxing "try harder"
//!   (every row scanned for finder patterns), rqrr on the frame at half size and on the
//!   contrast-stretched frame.
//!
//! The decoder stops at the first attempt that reads a code and reports every code that attempt
//! read (several coupons in one frame), without duplicates. It never starts a step that would
//! take the frame past [`DecoderConfig::budget`]: for a still image ([`decode_frame`],
//! [`DecoderConfig::still_image`]) a [`Budget::Work`], each step charged its fixed nominal
//! cost, so the same image gives the same answer whatever the machine's load; for a camera
//! ([`DecoderConfig::default`]) a [`Budget::Time`] of 8 ms, each step's cost estimated from the
//! frames decoded (averages per pixel, plus on each frame whatever time the primary attempt
//! took beyond its own estimate: a noisy frame is dearer for every step).
//!
//! On a stream, the **finder gate** ([`gate`]) keeps frames without a code cheap: when the
//! primary attempt read nothing and rxing's detector sees no three finder patterns placed as on
//! a code (in the frame, its negative or its half), the frame gets three retries only: the
//! sharpened one (which reads most of the blurred, moving codes the gate does not see), the
//! midrange one (the motion-blurred frames zxing-cpp reads) and the next in turn of the
//! others. The retries a frame had no time for are made on the next frames:
//! each frame starts with the first retry the previous one skipped or did not reach (or with the
//! one that last read a code), and the frames the gate stops take the others in turn on their
//! own cursor, so a code held in view meets every retry that fits a frame within as many frames
//! as there are retries, even one the gate does not see. Retries that cannot fit a frame's
//! budget at all (rqrr on a full 1280×720 frame takes about 15 ms) only run with a larger
//! budget, as for still images. [`decode_frame`] decodes a still image with the whole cascade
//! (a fresh decoder, retries from the first, no gate).
//!
//! One exception to the budget, on a stream only: when the primary attempt read nothing but
//! its detector found at least one finder pattern, in a frame that is not sensor noise (its
//! binarized rows change colour between fewer than a quarter of neighbouring pixels), the sharpened and
//! midrange retries are **due**: they are made on that frame whatever their estimated cost
//! (gate or not), so that a blurred or moving coupon meets them on every frame however loaded
//! the machine is. Both tests read the frame's pixels only, never the clock. A frame without a
//! finder pattern (nearly every code-free frame) keeps the budget alone.
//!
//! Every decoder call is inside `catch_unwind` ([`engines`]); rxing binarizes through
//! [`binarize`], a faster port of its own binarizer. The order and the costs come from the
//! evaluation harness (`docs/scanning.md`).

pub mod binarize;
pub mod engines;
pub mod gate;
pub mod preprocess;

use std::time::{Duration, Instant};

use image::GrayImage;
use serde::Serialize;

pub use engines::Engine;

/// How much one frame may cost.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Budget {
    /// Wall-clock time per frame, for a live stream, where the next frame is coming: no step
    /// starts that its running cost estimate (learnt from the frames decoded, with a margin,
    /// plus this frame's overrun of the primary attempt) says would end past it. What runs
    /// depends on the machine's load, but for the retries a stream's frame is due whatever the
    /// budget (module documentation).
    Time(Duration),
    /// Work per frame, for a still image, counted in nominal time: each step is charged its
    /// fixed cost per pixel on the reference machine ([`Attempt::nominal_ns_per_pixel`], the
    /// finder gate's likewise) times the frame's pixels, and no step starts that would take
    /// the total past it. The clock is never read to decide, so the same image gets the same
    /// steps, and the same answer, whatever the machine's load.
    Work(Duration),
}

/// How much work one frame may take.
#[derive(Clone, PartialEq, Debug)]
pub struct DecoderConfig {
    /// No step starts that would, by its estimated or nominal cost, take the frame past this
    /// (the primary attempt always runs).
    pub budget: Budget,
    /// Frames with a longer side are downscaled (integer box filter) before any attempt.
    pub max_side: u32,
    /// The attempts to make, in order: the first is the primary attempt, the others the
    /// retries ([`Attempt::CASCADE`] by default).
    pub attempts: Vec<Attempt>,
    /// On a frame the primary attempt read nothing from and that shows no finder-pattern set
    /// ([`gate`]), make only the sharpened and midrange retries and the next in turn, instead
    /// of all that fit; and when the primary attempt found finder patterns (not in sensor
    /// noise), make the sharpened and midrange retries whatever the budget (module
    /// documentation): on for a stream (`Default`), off for a still image and for an engine
    /// alone ([`DecoderConfig::only`]).
    pub finder_gate: bool,
}

impl Default for DecoderConfig {
    /// A 1280×720 frame of a camera at 30 fps: 8 ms of wall-clock time per frame (the rest of
    /// the frame time is left to the app), 1280 pixels, the whole cascade, the finder gate.
    fn default() -> Self {
        DecoderConfig {
            budget: Budget::Time(Duration::from_millis(8)),
            max_side: 1280,
            attempts: Attempt::CASCADE.to_vec(),
            finder_gate: true,
        }
    }
}

impl DecoderConfig {
    /// Settings for one still image: the whole cascade within 33 ms of nominal work (whatever
    /// the machine's load), without the finder gate (a still image has no next frame to make
    /// up for a code the gate would miss).
    pub fn still_image() -> Self {
        DecoderConfig {
            budget: Budget::Work(Duration::from_millis(33)),
            finder_gate: false,
            ..DecoderConfig::default()
        }
    }

    /// These settings with no limit on the work per frame (every attempt runs until one reads).
    pub fn unlimited(self) -> Self {
        DecoderConfig {
            budget: Budget::Work(Duration::MAX),
            ..self
        }
    }

    /// These settings with only the attempts that use `engine`, in cascade order, and no
    /// finder gate (which uses rxing's detector).
    pub fn only(self, engine: Engine) -> Self {
        DecoderConfig {
            attempts: self
                .attempts
                .into_iter()
                .filter(|a| a.engine() == engine)
                .collect(),
            finder_gate: false,
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
    /// rxing on the contrast-stretched frame.
    RxingStretched,
    /// rqrr on a local-mean threshold of the frame at half size.
    RqrrAdaptiveHalf,
    /// rqrr on a local-mean threshold of the frame.
    RqrrAdaptive,
    /// rqrr on the frame, with its own threshold.
    RqrrFrame,
    /// rxing scanning every row.
    RxingHarder,
    /// rqrr on the frame at half size.
    RqrrHalf,
    /// rqrr on the contrast-stretched frame.
    RqrrStretched,
    /// rxing on the sharpened frame (unsharp mask: blur and motion).
    RxingSharpened,
    /// rxing on the frame with its light evened out (shadow bands, uneven light).
    RxingFlattened,
    /// rxing on zxing-cpp's midrange binarization of the frame, every row searched: how
    /// zxing-cpp 3.1.1 reads a frame (motion-blurred coupons).
    RxingMidrange,
}

impl Attempt {
    /// Every attempt, in cascade order.
    pub const CASCADE: [Attempt; 12] = [
        Attempt::RxingFrame,
        Attempt::RxingInverted,
        Attempt::RxingSharpened,
        Attempt::RxingMidrange,
        Attempt::RxingStretched,
        Attempt::RxingFlattened,
        Attempt::RqrrAdaptiveHalf,
        Attempt::RqrrAdaptive,
        Attempt::RqrrFrame,
        Attempt::RxingHarder,
        Attempt::RqrrHalf,
        Attempt::RqrrStretched,
    ];

    /// The decoder this attempt runs.
    pub fn engine(self) -> Engine {
        match self {
            Attempt::RxingFrame
            | Attempt::RxingInverted
            | Attempt::RxingStretched
            | Attempt::RxingHarder
            | Attempt::RxingSharpened
            | Attempt::RxingFlattened
            | Attempt::RxingMidrange => Engine::Rxing,
            _ => Engine::Rqrr,
        }
    }

    /// The attempt's nominal cost per pixel of the frame, in nanoseconds: the median on the
    /// harness's 1280×720 voucher photos on one 2 GHz core shared with other work, rounded
    /// up. It is what a [`Budget::Work`] charges, and a [`Budget::Time`] decoder's first
    /// estimate before it has measured the attempt (an estimate only changes once its attempt
    /// has run, so one set too high would keep its attempt out of every video frame).
    pub fn nominal_ns_per_pixel(self) -> f64 {
        match self {
            Attempt::RxingFrame | Attempt::RxingInverted | Attempt::RxingHarder => 1.0,
            Attempt::RxingStretched => 2.0,
            Attempt::RxingSharpened | Attempt::RxingMidrange => 3.0,
            Attempt::RxingFlattened => 4.0,
            Attempt::RqrrHalf | Attempt::RqrrAdaptiveHalf => 3.0,
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
    /// The primary attempt read nothing and the finder gate found no finder-pattern set, so
    /// only the sharpened and midrange retries and the next in turn ran ([`gate`]).
    pub no_finder_patterns: bool,
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
    /// Index into the retries of the next one to make on a frame the finder gate stops.
    stopped_next: usize,
    /// Running estimate of each attempt's cost per pixel of the frame, in nanoseconds, by
    /// position in `config.attempts`.
    cost_ns_per_pixel: Vec<f64>,
    /// Running estimate of the finder gate's cost per pixel of the frame, in nanoseconds.
    gate_ns_per_pixel: f64,
}

/// Estimated costs are multiplied by this, for margin (costs vary from frame to frame).
const COST_MARGIN: f64 = 1.5;

impl Decoder {
    /// A decoder for one stream.
    pub fn new(config: DecoderConfig) -> Self {
        let cost_ns_per_pixel = config
            .attempts
            .iter()
            .map(|a| a.nominal_ns_per_pixel())
            .collect();
        Decoder {
            config,
            next_retry: 0,
            stopped_next: 0,
            cost_ns_per_pixel,
            gate_ns_per_pixel: NOMINAL_GATE_NS_PER_PIXEL,
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
        let pixels = images.pixels();
        let expected = self.cost_ns_per_pixel[0] * pixels;
        let took = self.attempt(0, &mut images, &mut result);
        let mut meter = Meter {
            budget: self.config.budget,
            started,
            pixels,
            // A frame on which the primary attempt took longer than expected (sensor noise,
            // fine texture, or the machine busy) is taken to make every later step overrun as
            // much.
            overrun: overrun(expected, took),
            work_ns: self.config.attempts[0].nominal_ns_per_pixel() * pixels,
            stream_retries_due: self.config.finder_gate && images.frame_shows_patterns,
        };
        let retries = self.config.attempts.len() - 1;
        if result.codes.is_empty() && retries > 0 && self.config.finder_gate {
            let cost = meter.cost(self.gate_ns_per_pixel, NOMINAL_GATE_NS_PER_PIXEL);
            let stopped = if meter.fits(cost) {
                meter.charge(NOMINAL_GATE_NS_PER_PIXEL);
                let stopped = !self.gate(&mut images, &mut result);
                result.no_finder_patterns = stopped;
                stopped
            } else {
                result.out_of_time = true;
                if !meter.stream_retries_due {
                    // No time for the gate, so none for a retry: the next frame goes on.
                    result.elapsed = started.elapsed();
                    return result;
                }
                // The stream retries are due whatever the budget: the frame gets them, as a
                // stopped one.
                true
            };
            if stopped {
                self.stopped_frame(&mut images, &mut meter, &mut result);
                result.elapsed = started.elapsed();
                return result;
            }
        }
        let mut resume_at = None;
        for k in 0..retries {
            if !result.codes.is_empty() {
                break;
            }
            let index = 1 + (self.next_retry + k) % retries;
            let attempt = self.config.attempts[index];
            let cost = meter.cost(
                self.cost_ns_per_pixel[index],
                attempt.nominal_ns_per_pixel(),
            );
            if !meter.fits(cost) && !meter.due(attempt) {
                // No time left for this one on this frame: the next frame starts with it, if
                // it fits a frame at all (otherwise it only runs with a larger budget).
                result.out_of_time = true;
                if resume_at.is_none() && meter.fits_alone(cost) {
                    resume_at = Some(index);
                }
                continue;
            }
            meter.charge(attempt.nominal_ns_per_pixel());
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

    /// A frame the finder gate stopped (most likely nothing to read), or that had no time for
    /// the gate while the stream retries were due: [`STREAM_RETRIES`] (if they fit or are due),
    /// then one retry in turn, if it fits. The retries in turn have their own cursor
    /// (`stopped_next`), so that a code the gate misses meets every retry that fits a frame
    /// within as many frames as there are retries, and a frame the gate lets through still
    /// starts where the last such frame left off.
    fn stopped_frame(
        &mut self,
        images: &mut Prepared,
        meter: &mut Meter,
        result: &mut FrameDecode,
    ) {
        let retries = self.config.attempts.len() - 1;
        let always: Vec<usize> = STREAM_RETRIES
            .iter()
            .filter_map(|r| self.config.attempts.iter().skip(1).position(|a| a == r))
            .map(|i| i + 1)
            .collect();
        for &index in &always {
            let attempt = self.config.attempts[index];
            let cost = meter.cost(
                self.cost_ns_per_pixel[index],
                attempt.nominal_ns_per_pixel(),
            );
            if !meter.fits(cost) {
                result.out_of_time = true;
                if !meter.due(attempt) {
                    continue;
                }
            }
            meter.charge(attempt.nominal_ns_per_pixel());
            self.attempt(index, images, result);
            if !result.codes.is_empty() {
                self.next_retry = index - 1;
                return;
            }
        }
        for k in 0..retries {
            let index = 1 + (self.stopped_next + k) % retries;
            let attempt = self.config.attempts[index];
            let cost = meter.cost(
                self.cost_ns_per_pixel[index],
                attempt.nominal_ns_per_pixel(),
            );
            if always.contains(&index) || !meter.fits_alone(cost) {
                // Made on every such frame, or never fits one.
                continue;
            }
            if meter.fits(cost) {
                meter.charge(attempt.nominal_ns_per_pixel());
                self.attempt(index, images, result);
                self.stopped_next = index % retries;
                if !result.codes.is_empty() {
                    self.next_retry = index - 1;
                }
            } else {
                // The next such frame starts with it.
                result.out_of_time = true;
                self.stopped_next = index - 1;
            }
            return;
        }
    }

    /// Runs attempt `index`; returns how long it took, in nanoseconds.
    fn attempt(&mut self, index: usize, images: &mut Prepared, result: &mut FrameDecode) -> f64 {
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
        let took = started.elapsed().as_nanos() as f64;
        update_average(&mut self.cost_ns_per_pixel[index], took / images.pixels());
        took
    }

    /// The finder gate: whether the retries are worth making on this frame.
    fn gate(&mut self, images: &mut Prepared, result: &mut FrameDecode) -> bool {
        let started = Instant::now();
        let frame_sets = images.frame_finder_sets;
        let check = gate::check(frame_sets, images.gate_views());
        result.panics += check.panics;
        let took = started.elapsed().as_nanos() as f64;
        update_average(&mut self.gate_ns_per_pixel, took / images.pixels());
        check.retry
    }
}

/// The retries every frame the finder gate stops gets, in this order, besides the one in turn,
/// and the ones a stream's frame gets whatever the budget when its primary attempt found
/// finder patterns (see the module documentation): on the tuning part of the evaluation (the
/// webcam-like video sequences), the sharpened one reads most of the frames that hold a code
/// the gate does not see (blurred and moving coupons), often several frames before the primary
/// attempt does, and the midrange one the motion-blurred frames zxing-cpp reads that the
/// others miss (`docs/scanning.md`, issue 28).
const STREAM_RETRIES: [Attempt; 2] = [Attempt::RxingSharpened, Attempt::RxingMidrange];

/// A binarized frame with at least this share of changes along its rows
/// ([`engines::RxingReading::row_changes`]) is taken for sensor noise: its finder patterns do
/// not make the [`STREAM_RETRIES`] due, since every finder search is slow on it (about 0.5 on
/// the code-free noise fixture, where each of them takes 6–10 ms under load; at most 0.14 on
/// the tuning part's webcam-like video frames).
const NOISE_ROW_CHANGES: f64 = 0.25;

/// The finder gate's nominal cost per pixel, in nanoseconds (the harness's 1280×720 frames
/// without a code on one 2 GHz core, rounded up): what a [`Budget::Work`] charges for it, and
/// a [`Budget::Time`] decoder's first estimate.
const NOMINAL_GATE_NS_PER_PIXEL: f64 = 1.5;

/// What one frame has spent of its budget.
struct Meter {
    budget: Budget,
    started: Instant,
    /// The frame's pixel count.
    pixels: f64,
    /// How much longer the primary attempt took than expected ([`Budget::Time`]).
    overrun: Duration,
    /// Nominal work charged so far, in nanoseconds ([`Budget::Work`]).
    work_ns: f64,
    /// On a stream, the primary attempt read nothing but found finder patterns in a frame
    /// that is not sensor noise: the [`STREAM_RETRIES`] are made whatever the budget.
    stream_retries_due: bool,
}

impl Meter {
    /// What a step costs: for [`Budget::Time`], its running estimate `estimate_ns_per_pixel`
    /// with a margin plus the frame's overrun; for [`Budget::Work`], its nominal cost.
    fn cost(&self, estimate_ns_per_pixel: f64, nominal_ns_per_pixel: f64) -> Duration {
        match self.budget {
            Budget::Time(_) => {
                nanos(COST_MARGIN * estimate_ns_per_pixel * self.pixels) + self.overrun
            }
            Budget::Work(_) => nanos(nominal_ns_per_pixel * self.pixels),
        }
    }

    /// Whether a step of `cost` ends within the budget, after what the frame has spent.
    fn fits(&self, cost: Duration) -> bool {
        match self.budget {
            Budget::Time(budget) => self.started.elapsed() + cost <= budget,
            Budget::Work(budget) => nanos(self.work_ns).saturating_add(cost) <= budget,
        }
    }

    /// Whether a step of `cost` would fit an empty frame (made on a later frame).
    fn fits_alone(&self, cost: Duration) -> bool {
        match self.budget {
            Budget::Time(budget) | Budget::Work(budget) => cost <= budget,
        }
    }

    /// Whether `attempt` is made whatever the budget says (see `stream_retries_due`).
    fn due(&self, attempt: Attempt) -> bool {
        self.stream_retries_due && STREAM_RETRIES.contains(&attempt)
    }

    /// Counts a step's nominal work.
    fn charge(&mut self, nominal_ns_per_pixel: f64) {
        self.work_ns += nominal_ns_per_pixel * self.pixels;
    }
}

/// A duration from a count of nanoseconds (negative or NaN: zero; saturating).
fn nanos(ns: f64) -> Duration {
    Duration::from_nanos(ns.max(0.0) as u64)
}

/// How much longer than expected the primary attempt took on a frame (`took` against its
/// running average `expected`, in nanoseconds). An absolute time rather than a ratio: on a
/// small frame, the machine pausing the thread for a few milliseconds would make a ratio of
/// fifty, and keep every retry out of a budget they would fit.
fn overrun(expected: f64, took: f64) -> Duration {
    nanos(took - expected)
}

/// An exponential moving average, weight 1/4 on the new value.
fn update_average(average: &mut f64, new: f64) {
    *average = 0.75 * *average + 0.25 * new;
}

/// The frame and the images derived from it, each made once, when an attempt first needs it.
struct Prepared<'a> {
    original: &'a GrayImage,
    downscaled: Option<GrayImage>,
    half: Option<GrayImage>,
    stretched: Option<GrayImage>,
    inverted: Option<GrayImage>,
    /// The finder-pattern sets rxing found in the frame, once [`Attempt::RxingFrame`] ran.
    frame_finder_sets: Option<usize>,
    /// [`Attempt::RxingFrame`] found at least one finder pattern, in a frame that is not
    /// sensor noise (fewer row changes than [`NOISE_ROW_CHANGES`]).
    frame_shows_patterns: bool,
}

impl<'a> Prepared<'a> {
    fn new(original: &'a GrayImage, max_side: u32) -> Self {
        Prepared {
            original,
            downscaled: preprocess::downscale_to(original, max_side),
            half: None,
            stretched: None,
            inverted: None,
            frame_finder_sets: None,
            frame_shows_patterns: false,
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
        let rxing = |image: &GrayImage, try_harder| {
            engines::rxing_gray(image, try_harder).map(|reading| reading.texts)
        };
        match attempt {
            Attempt::RxingFrame => {
                let reading = engines::rxing_gray(self.frame(), false)?;
                self.frame_finder_sets = Some(reading.finder_sets);
                self.frame_shows_patterns =
                    reading.finder_patterns > 0 && reading.row_changes < NOISE_ROW_CHANGES;
                Ok(reading.texts)
            }
            Attempt::RxingInverted => rxing(self.inverted(), false),
            Attempt::RqrrHalf => engines::rqrr_gray(self.half()),
            Attempt::RqrrAdaptiveHalf => rqrr_adaptive(self.half()),
            Attempt::RxingStretched => rxing(self.stretched(), false),
            Attempt::RqrrAdaptive => rqrr_adaptive(self.frame()),
            Attempt::RqrrFrame => engines::rqrr_gray(self.frame()),
            Attempt::RqrrStretched => engines::rqrr_gray(self.stretched()),
            Attempt::RxingHarder => rxing(self.frame(), true),
            Attempt::RxingSharpened => {
                let sharpened = preprocess::sharpen(self.frame(), 3, 1.5);
                rxing(&sharpened, false)
            }
            Attempt::RxingMidrange => {
                engines::rxing_gray_midrange(self.frame(), true).map(|reading| reading.texts)
            }
            Attempt::RxingFlattened => {
                let radius = (self.frame().width().min(self.frame().height()) / 24).max(4);
                let flattened = preprocess::flatten_light(self.frame(), radius);
                rxing(&flattened, false)
            }
        }
    }

    /// The images the finder gate looks at.
    fn gate_views(&mut self) -> gate::Views<'_> {
        self.half();
        self.inverted();
        let frame = self.downscaled.as_ref().unwrap_or(self.original);
        gate::Views {
            frame,
            inverted: self.inverted.as_ref().unwrap_or(frame),
            half: self.half.as_ref().unwrap_or(frame),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// No limit on the work: which steps run depends on the frame alone.
    fn unlimited(finder_gate: bool) -> DecoderConfig {
        DecoderConfig {
            finder_gate,
            ..DecoderConfig::default().unlimited()
        }
    }

    #[test]
    fn a_frame_without_finder_patterns_gets_the_midrange_and_sharpened_retries_and_one_in_turn() {
        let blank = GrayImage::from_pixel(320, 240, image::Luma([128]));
        let mut decoder = Decoder::new(unlimited(true));
        decoder.stopped_next = 3;
        decoder.next_retry = 5;
        let result = decoder.decode(&blank);
        assert!(result.codes.is_empty());
        assert!(result.no_finder_patterns && !result.out_of_time);
        assert_eq!(result.attempts, 4);
        // The next such frame goes on with the retry after it; a frame the gate lets
        // through still starts where it would have.
        assert_eq!(decoder.stopped_next, 4);
        assert_eq!(decoder.next_retry, 5);
        // Without the gate, every retry runs.
        let result = Decoder::new(unlimited(false)).decode(&blank);
        assert!(!result.no_finder_patterns);
        assert_eq!(result.attempts, Attempt::CASCADE.len());
    }

    #[test]
    fn frames_the_gate_stops_meet_every_retry_within_as_many_frames_as_there_are_retries() {
        let blank = GrayImage::from_pixel(320, 240, image::Luma([200]));
        for budget in [
            Budget::Work(Duration::MAX),
            Budget::Time(Duration::from_secs(60)),
        ] {
            let mut decoder = Decoder::new(DecoderConfig {
                budget,
                ..DecoderConfig::default()
            });
            let retries = Attempt::CASCADE.len() - 1;
            let mut seen = STREAM_RETRIES.to_vec();
            for _ in 0..retries - STREAM_RETRIES.len() {
                let result = decoder.decode(&blank);
                assert!(result.no_finder_patterns);
                assert_eq!(result.attempts, 2 + STREAM_RETRIES.len());
                // The cursor is now just after the retry in turn this frame made.
                seen.push(Attempt::CASCADE[1 + (decoder.stopped_next + retries - 1) % retries]);
            }
            seen.sort_by_key(|a| format!("{a:?}"));
            seen.dedup();
            assert_eq!(seen.len(), retries, "{budget:?}: {seen:?}");
        }
    }

    #[test]
    fn a_work_budget_runs_the_steps_whose_nominal_costs_fit_whatever_the_clock() {
        let frame = GrayImage::from_pixel(1000, 1000, image::Luma([90]));
        let pixels = 1.0e6;
        // Room for the primary attempt and the first two retries' nominal costs, not a third.
        let nominal: Vec<f64> = Attempt::CASCADE
            .iter()
            .map(|a| a.nominal_ns_per_pixel() * pixels)
            .collect();
        let room = nominal[0] + nominal[1] + nominal[2];
        let config = DecoderConfig {
            budget: Budget::Work(Duration::from_nanos(room as u64 + 1)),
            attempts: Attempt::CASCADE[..4].to_vec(),
            finder_gate: false,
            ..DecoderConfig::default()
        };
        let result = decode_frame(&frame, &config);
        assert_eq!(result.attempts, 3);
        assert!(result.out_of_time);
    }

    /// A code of `text` whose middle is wiped out (nothing can read it) but whose three finder
    /// patterns are intact, 5 pixels per module, at (40, 40) on `background`.
    fn unreadable_code_on(mut background: GrayImage, text: &str) -> GrayImage {
        let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
        let side = code.width() as u32;
        for (i, color) in code.to_colors().into_iter().enumerate() {
            let (mx, my) = (i as u32 % side, i as u32 / side);
            let wiped = (8..side - 8).contains(&mx) || (8..side - 8).contains(&my);
            let level = if color == qrcode::Color::Dark && !wiped {
                0
            } else {
                255
            };
            for (dx, dy) in (0..25).map(|d| (d % 5, d / 5)) {
                background.put_pixel(40 + 5 * mx + dx, 40 + 5 * my + dy, image::Luma([level]));
            }
        }
        // Its quiet zone.
        for y in 20..60 + 5 * side {
            for x in 20..60 + 5 * side {
                let inside = (40..40 + 5 * side).contains(&x) && (40..40 + 5 * side).contains(&y);
                if !inside {
                    background.put_pixel(x, y, image::Luma([255]));
                }
            }
        }
        background
    }

    #[test]
    fn on_a_stream_finder_patterns_make_the_stream_retries_due_whatever_the_budget() {
        // No time at all: before, the primary attempt alone; now a frame whose primary attempt
        // finds finder patterns also gets the sharpened and midrange retries (and only them).
        let no_time = DecoderConfig {
            budget: Budget::Time(Duration::ZERO),
            ..DecoderConfig::default()
        };
        let paper = GrayImage::from_pixel(400, 300, image::Luma([230]));
        let patterns = unreadable_code_on(paper.clone(), "PN1:WIPED");
        let result = decode_frame(&patterns, &no_time);
        assert!(result.codes.is_empty());
        assert_eq!(result.attempts, 1 + STREAM_RETRIES.len());
        assert!(result.out_of_time);
        // Without finder patterns, nothing is due: the primary attempt only.
        assert_eq!(decode_frame(&paper, &no_time).attempts, 1);
        // Finder patterns in sensor noise do not make them due (every search is slow there).
        let mut state = 12345u32;
        let noise = GrayImage::from_fn(400, 300, |_, _| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            image::Luma([(state % 256) as u8])
        });
        let in_noise = unreadable_code_on(noise, "PN1:WIPED");
        let reading = engines::rxing_gray(&in_noise, false).unwrap();
        assert!(reading.finder_patterns > 0 && reading.row_changes >= NOISE_ROW_CHANGES);
        assert_eq!(decode_frame(&in_noise, &no_time).attempts, 1);
        // A still image has no stream retries: its work budget decides alone.
        let still = DecoderConfig {
            budget: Budget::Work(Duration::ZERO),
            ..DecoderConfig::still_image()
        };
        assert_eq!(decode_frame(&patterns, &still).attempts, 1);
    }

    #[test]
    fn a_dear_frame_adds_its_overrun_to_the_estimates_a_cheap_one_nothing() {
        assert_eq!(overrun(1000.0, 4000.0), Duration::from_nanos(3000));
        assert_eq!(overrun(1000.0, 500.0), Duration::ZERO);
        assert_eq!(overrun(f64::NAN, 500.0), Duration::ZERO);
    }
}
