//! Scanning: from a camera, a replayed folder of images, a USB keyboard-wedge scanner or a
//! serial scanner to the text of a code. The text then goes to `guichet_core::verify`; nothing
//! here knows what a valid coupon is.
//!
//! # The API the app uses
//!
//! **Camera or replay** ([`source`], [`worker`]): pick a [`source::FrameSource`] and start a
//! worker thread that owns it; scans arrive on a channel.
//!
//! ```no_run
//! use guichet_scan::source::camera::{self, CameraResolution, CameraSource};
//! use guichet_scan::source::{SourceInfo, SourceKind};
//! use guichet_scan::worker::{ScanEvent, ScanWorker, WorkerConfig};
//!
//! let cameras = camera::list_cameras().unwrap_or_default(); // empty: no camera
//! let index = cameras.first().map_or(0, |c| c.index);
//! let name = SourceInfo { kind: SourceKind::Camera, name: format!("camera {index}") };
//! let (worker, events) = ScanWorker::spawn(
//!     name,
//!     move || CameraSource::open(index, CameraResolution::Hd720),
//!     WorkerConfig::default(),
//! );
//! for event in events.iter() {
//!     match event {
//!         ScanEvent::Scan(scan) => println!("{} in {:?}", scan.text, scan.frame_to_text),
//!         ScanEvent::Ended { error, .. } => { println!("ended: {error:?}"); break; }
//!         _ => {}
//!     }
//! }
//! worker.stop();
//! ```
//!
//! A [`source::replay::ReplaySource`] (a folder of images at a frame rate, optionally looping)
//! takes the camera's place in tests and in the demo.
//!
//! Events: [`worker::ScanEvent::Scan`] (text, frame → text time, source, the decoding attempt),
//! `SourceProblem` / `SourceRecovered` (a camera unplugged and back), `Ended`. A code held in
//! view is reported once per [`worker::WorkerConfig::cooldown`]; a different code at once.
//!
//! **Keyboard wedge** ([`wedge`]): the page forwards each `keydown` to a
//! [`wedge::WedgeDecoder`] (pure, no thread), which returns a [`wedge::WedgeScan`] when a
//! scanner burst ends, whatever the host's keyboard layout.
//!
//! **Serial scanner** ([`serial`]): [`serial::open_serial`] gives the same worker and events as
//! a camera, one scan per line.
//!
//! **Decoding alone** ([`decode`]): [`decode::decode_frame`] for a still image,
//! [`decode::Decoder`] for a stream; rxing then rxing and rqrr retries on preprocessed frames
//! (skipped when no finder pattern is in sight), every call inside `catch_unwind`, within a
//! time budget per frame. Measurements: `docs/scanning.md`.

pub mod decode;
pub mod serial;
pub mod source;
pub mod wedge;
pub mod worker;
