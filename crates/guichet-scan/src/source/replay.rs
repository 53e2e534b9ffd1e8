//! Frames replayed from a folder of images (PNG, JPEG…), in name order, at a given frame rate,
//! once or in a loop: what the tests and the demo use, since no camera exists on the build
//! machines.
//!
//! A file that cannot be read or decoded gives [`SourceError::BadFrame`] for its frame and the
//! replay goes on with the next. Image headers are checked against [`MAX_FRAME_PIXELS`] and a
//! memory limit before any pixel buffer is allocated, so a corrupt file claiming a huge size
//! costs nothing.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use image::{GrayImage, ImageReader, Limits};

use super::{Frame, FrameSource, SourceError, SourceInfo, SourceKind, MAX_FRAME_PIXELS};

/// The most memory one image may take while it is decoded.
const MAX_DECODE_BYTES: u64 = 4 * MAX_FRAME_PIXELS;

/// Replays the images of a folder.
pub struct ReplaySource {
    name: String,
    files: Vec<PathBuf>,
    interval: Duration,
    looping: bool,
    position: usize,
    next_due: Option<Instant>,
}

impl ReplaySource {
    /// The images (`.png`, `.jpg`, `.jpeg`, `.bmp`) of `folder`, in name order, at `fps` frames
    /// a second (0 or less: as fast as they are asked for), played once.
    pub fn open(folder: &Path, fps: f64) -> Result<ReplaySource, SourceError> {
        let entries = std::fs::read_dir(folder)
            .map_err(|e| SourceError::Fatal(format!("{}: {e}", folder.display())))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    ["png", "jpg", "jpeg", "bmp"].contains(&e.to_ascii_lowercase().as_str())
                })
            })
            .collect();
        files.sort();
        Ok(ReplaySource::from_files(
            folder.display().to_string(),
            files,
            fps,
        ))
    }

    /// These files, in this order, at `fps` frames a second, played once.
    pub fn from_files(name: String, files: Vec<PathBuf>, fps: f64) -> ReplaySource {
        let interval = if fps > 0.0 && fps.is_finite() {
            Duration::from_secs_f64(1.0 / fps)
        } else {
            Duration::ZERO
        };
        ReplaySource {
            name,
            files,
            interval,
            looping: false,
            position: 0,
            next_due: None,
        }
    }

    /// Plays the files again and again (`true`) or once (`false`, the default).
    pub fn looping(mut self, looping: bool) -> ReplaySource {
        self.looping = looping;
        self
    }

    /// How many files are replayed.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether there is no file to replay.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Waits until the next frame is due.
    fn pace(&mut self) {
        let now = Instant::now();
        if let Some(due) = self.next_due {
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        let base = self
            .next_due
            .map_or(now, |due| due.max(now - self.interval));
        self.next_due = Some(base + self.interval);
    }
}

impl FrameSource for ReplaySource {
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        if self.position >= self.files.len() {
            if !self.looping || self.files.is_empty() {
                return Ok(None);
            }
            self.position = 0;
        }
        self.pace();
        let path = &self.files[self.position];
        self.position += 1;
        let bytes = std::fs::read(path)
            .map_err(|e| SourceError::BadFrame(format!("{}: {e}", path.display())))?;
        let image = decode_image_bytes(&bytes)
            .map_err(|e| SourceError::BadFrame(format!("{}: {e}", path.display())))?;
        Ok(Some(Frame {
            image,
            captured_at: Instant::now(),
        }))
    }

    fn info(&self) -> SourceInfo {
        SourceInfo {
            kind: SourceKind::Replay,
            name: self.name.clone(),
        }
    }
}

/// Decodes an image file's bytes (any format the `image` crate reads, guessed from the bytes)
/// to grayscale, refusing images above [`MAX_FRAME_PIXELS`] before allocating them.
pub fn decode_image_bytes(bytes: &[u8]) -> Result<GrayImage, String> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(8192);
    limits.max_image_height = Some(8192);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    Ok(reader.decode().map_err(|e| e.to_string())?.to_luma8())
}
