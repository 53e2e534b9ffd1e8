//! The early exit of a stream: is a frame the primary attempt read nothing from worth the
//! retries?
//!
//! Every attempt of the cascade reads a code through its three finder patterns (the nested
//! squares in three of its corners). On a stream, a frame gets only three retries (the
//! sharpened one, the midrange one, and the next in turn of the others, so that a code the gate misses still meets every
//! retry within a bounded number of frames) when rxing's finder-pattern detector finds no three
//! of them placed as on a code ("a set") in any of:
//!
//! - the frame itself (the primary attempt's own search, so free);
//! - the inverted frame (light-on-dark codes: phone screens in dark mode);
//! - the frame at half size (large or blurred codes, whose patterns come out sharper there).
//!
//! The last two searches (the half-size one first, the cheaper) skip patterns whose modules are
//! under 2 pixels: on sensor noise they are the many false candidates that made the search
//! slow, and a dark-on-light code that small is still looked for by the first. Measured in
//! `docs/scanning.md`: it stops every code-free frame for about a millisecond on a 1280×720
//! frame instead of up to 33 ms of retries, and lets through every qr-bench and voucher photo
//! any attempt reads a code from, but not every blurred, moving or low-contrast webcam-like
//! frame (11 of the 115 the cascade reads on the tuning part), most of which the sharpened
//! retry reads, and the motion-blurred ones zxing-cpp reads, which the midrange retry reads:
//! hence those two retries and one in turn rather than none, and no gate for a still image.
//! (Those two are also made whatever the budget when the primary attempt found finder patterns
//! outside sensor noise, gate or not: see [`super`].)

use image::GrayImage;

use super::engines::{self, EnginePanicked};
use super::preprocess;

/// Finder patterns with smaller modules (in pixels) are not looked for in the inverted and
/// half-size frames.
const MIN_MODULE: u32 = 2;

/// Whether `frame` is worth the retries (see the module documentation), the frame being
/// downscaled first as the decoder does for a longer side over `max_side`. A detector panic
/// counts as "worth it".
pub fn worth_retrying(frame: &GrayImage, max_side: u32) -> bool {
    let downscaled = preprocess::downscale_to(frame, max_side);
    let frame = downscaled.as_ref().unwrap_or(frame);
    let views = Views {
        frame,
        inverted: &preprocess::invert(frame),
        half: &preprocess::downscale_by(frame, 2),
    };
    check(None, views).retry
}

/// The images the test looks at.
pub(super) struct Views<'a> {
    /// The frame (after any downscaling to the decoder's maximum side).
    pub frame: &'a GrayImage,
    /// Its negative.
    pub inverted: &'a GrayImage,
    /// The frame at half size.
    pub half: &'a GrayImage,
}

/// What the test found.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct Check {
    /// Some search found a set or panicked: make the retries.
    pub retry: bool,
    /// Searches that panicked (caught).
    pub panics: usize,
}

/// The test, given how many sets the primary attempt found in the frame (`None`: not known,
/// looked for here). The cheapest searches come first and the first set found ends it.
pub(super) fn check(frame_sets: Option<usize>, views: Views) -> Check {
    let mut panics = 0;
    let mut any_set = |sets: Result<usize, EnginePanicked>| match sets {
        Ok(n) => n > 0,
        Err(EnginePanicked) => {
            panics += 1;
            true
        }
    };
    let retry = frame_sets.map_or_else(
        || any_set(engines::rxing_finder_sets(views.frame, 0)),
        |n| n > 0,
    ) || any_set(engines::rxing_finder_sets(views.half, MIN_MODULE))
        || any_set(engines::rxing_finder_sets(views.inverted, MIN_MODULE));
    Check { retry, panics }
}
