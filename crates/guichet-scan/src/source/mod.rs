//! Where frames come from: one trait, [`FrameSource`], for a camera ([`camera`]) and for a
//! replayed folder of images ([`replay`]).

pub mod camera;
pub mod replay;

use std::time::Instant;

use image::GrayImage;
use serde::Serialize;

/// The largest frame accepted, in pixels (a 8192×8192 image); larger ones are refused before
/// any buffer is allocated for them.
pub const MAX_FRAME_PIXELS: u64 = 8192 * 8192;

/// One grayscale frame (the decoders only need luminance).
#[derive(Clone, Debug)]
pub struct Frame {
    /// The pixels.
    pub image: GrayImage,
    /// When the source had the frame (the start of the frame → text time).
    pub captured_at: Instant,
}

impl Frame {
    /// A frame from 8-bit luminance bytes, row-major; refused when the length does not match
    /// or the frame is larger than [`MAX_FRAME_PIXELS`].
    pub fn from_luma(width: u32, height: u32, bytes: Vec<u8>) -> Result<Frame, SourceError> {
        check_size(width, height)?;
        let image = GrayImage::from_raw(width, height, bytes).ok_or(SourceError::BadFrame(
            format!("{width}×{height} frame with a buffer of the wrong length"),
        ))?;
        Ok(Frame {
            image,
            captured_at: Instant::now(),
        })
    }
}

/// Refuses frame sizes above [`MAX_FRAME_PIXELS`].
pub fn check_size(width: u32, height: u32) -> Result<(), SourceError> {
    if u64::from(width) * u64::from(height) > MAX_FRAME_PIXELS {
        return Err(SourceError::BadFrame(format!(
            "{width}×{height} frame is too large"
        )));
    }
    Ok(())
}

/// What kind of device a source reads.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A camera (nokhwa).
    Camera,
    /// Images replayed from a folder.
    Replay,
    /// A barcode scanner on a serial port.
    Serial,
}

/// Which source a scan came from.
#[derive(Clone, PartialEq, Eq, Debug, Hash, Serialize)]
pub struct SourceInfo {
    /// The kind of source.
    pub kind: SourceKind,
    /// A name a person recognises (the camera's name, the folder, the port).
    pub name: String,
}

/// Why a source gave no frame.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum SourceError {
    /// No camera, or not the one asked for.
    #[error("no camera found{0}")]
    NoCamera(String),
    /// The camera exists but cannot be opened (in use, no permission…).
    #[error("the camera cannot be opened: {0}")]
    CannotOpen(String),
    /// The device went away (unplugged); the source tries to reopen it on the next calls.
    #[error("the camera was disconnected: {0}")]
    Disconnected(String),
    /// One frame could not be read or decoded; the next may be fine.
    #[error("unreadable frame: {0}")]
    BadFrame(String),
    /// The source cannot go on (a folder that cannot be read…).
    #[error("{0}")]
    Fatal(String),
}

impl SourceError {
    /// Whether calling [`FrameSource::next_frame`] again may give frames.
    pub fn is_fatal(&self) -> bool {
        matches!(self, SourceError::Fatal(_))
    }
}

/// A stream of frames, read from one thread: the decode worker creates its source on its own
/// thread (a camera handle cannot move between threads).
pub trait FrameSource {
    /// Waits for the next frame and returns it; `Ok(None)` when the stream has ended.
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError>;
    /// Which source this is.
    fn info(&self) -> SourceInfo;
}
