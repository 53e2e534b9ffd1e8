//! A camera through nokhwa (V4L2 on Linux, Media Foundation on Windows, AVFoundation on macOS).
//!
//! [`list_cameras`] lists the devices; [`CameraSource::open`] opens one at 1280×720 or
//! 640×480 (the closest format the camera offers). When the camera goes away mid-stream
//! (unplugged), `next_frame` returns [`SourceError::Disconnected`] and tries to reopen it at
//! most once a second, so plugging it back in resumes the stream. No camera gives
//! [`SourceError::NoCamera`]; a camera that exists but cannot be opened (busy, no permission)
//! gives [`SourceError::CannotOpen`].

use std::time::{Duration, Instant};

use nokhwa::pixel_format::LumaFormat;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
    Resolution,
};
use nokhwa::Camera;
use serde::Serialize;

use super::{check_size, Frame, FrameSource, SourceError, SourceInfo, SourceKind};

/// A camera the system lists.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct CameraDevice {
    /// The index to open it with.
    pub index: u32,
    /// Its name, as the system gives it.
    pub name: String,
}

/// The frame sizes a camera can be asked for.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
pub enum CameraResolution {
    /// 1280×720 (the default).
    Hd720,
    /// 640×480, for slow machines or cameras.
    Vga,
}

impl CameraResolution {
    fn size(self) -> (u32, u32) {
        match self {
            CameraResolution::Hd720 => (1280, 720),
            CameraResolution::Vga => (640, 480),
        }
    }
}

/// The cameras the system lists (empty when there is none).
pub fn list_cameras() -> Result<Vec<CameraDevice>, SourceError> {
    let cameras =
        nokhwa::query(ApiBackend::Auto).map_err(|e| SourceError::NoCamera(format!(": {e}")))?;
    Ok(cameras
        .into_iter()
        .filter_map(|info| match info.index() {
            CameraIndex::Index(index) => Some(CameraDevice {
                index: *index,
                name: info.human_name(),
            }),
            CameraIndex::String(_) => None,
        })
        .collect())
}

/// Frames from a camera, reopened after it is unplugged.
pub struct CameraSource {
    index: u32,
    resolution: CameraResolution,
    name: String,
    camera: Option<Camera>,
    last_open_attempt: Instant,
}

/// How often a lost camera is looked for again.
const REOPEN_EVERY: Duration = Duration::from_secs(1);

impl CameraSource {
    /// Opens camera `index` and starts its stream.
    pub fn open(index: u32, resolution: CameraResolution) -> Result<CameraSource, SourceError> {
        let cameras = list_cameras()?;
        let Some(device) = cameras.iter().find(|c| c.index == index) else {
            let known = if cameras.is_empty() {
                String::new()
            } else {
                format!(
                    " with index {index} ({} other camera(s) found)",
                    cameras.len()
                )
            };
            return Err(SourceError::NoCamera(known));
        };
        let camera = start(index, resolution)?;
        Ok(CameraSource {
            index,
            resolution,
            name: device.name.clone(),
            camera: Some(camera),
            last_open_attempt: Instant::now(),
        })
    }
}

fn start(index: u32, resolution: CameraResolution) -> Result<Camera, SourceError> {
    let (width, height) = resolution.size();
    let wanted = CameraFormat::new(Resolution::new(width, height), FrameFormat::MJPEG, 30);
    let format = RequestedFormat::new::<LumaFormat>(RequestedFormatType::Closest(wanted));
    let mut camera = Camera::new(CameraIndex::Index(index), format)
        .map_err(|e| SourceError::CannotOpen(e.to_string()))?;
    camera
        .open_stream()
        .map_err(|e| SourceError::CannotOpen(e.to_string()))?;
    Ok(camera)
}

impl FrameSource for CameraSource {
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        let Some(camera) = self.camera.as_mut() else {
            if self.last_open_attempt.elapsed() < REOPEN_EVERY {
                std::thread::sleep(REOPEN_EVERY / 10);
                return Err(SourceError::Disconnected(
                    "waiting for the camera to come back".into(),
                ));
            }
            self.last_open_attempt = Instant::now();
            self.camera = Some(
                start(self.index, self.resolution)
                    .map_err(|e| SourceError::Disconnected(e.to_string()))?,
            );
            return self.next_frame();
        };
        let buffer = match camera.frame() {
            Ok(buffer) => buffer,
            Err(e) => {
                // The device is gone (or broken): drop it and reopen it later.
                self.camera = None;
                self.last_open_attempt = Instant::now();
                return Err(SourceError::Disconnected(e.to_string()));
            }
        };
        let captured_at = Instant::now();
        let size = buffer.resolution();
        check_size(size.width(), size.height())?;
        let image = buffer
            .decode_image::<LumaFormat>()
            .map_err(|e| SourceError::BadFrame(e.to_string()))?;
        let image = image::GrayImage::from_raw(image.width(), image.height(), image.into_raw())
            .ok_or_else(|| SourceError::BadFrame("frame of the wrong length".into()))?;
        Ok(Some(Frame { image, captured_at }))
    }

    fn info(&self) -> SourceInfo {
        SourceInfo {
            kind: SourceKind::Camera,
            name: self.name.clone(),
        }
    }
}
