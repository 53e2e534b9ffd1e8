//! The decode worker: a thread that owns a [`FrameSource`], decodes each frame within the
//! frame budget and sends [`ScanEvent`]s over a channel, off the UI thread.
//!
//! The same code seen in the following frames is reported once: a text is reported again only
//! after it has not been seen for [`WorkerConfig::cooldown`]; a different code is reported at
//! once. Every code of a frame is reported. No scan or status event is ever dropped: they go
//! through an unbounded channel (a few per second at most, each read by the shell). Previews
//! are latest-only: at most one waits in the channel, and while it waits newer frames are not
//! sent as previews, so a slow window never queues stale pictures ahead of a scan. The worker
//! stops when the receiver is dropped.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;

use image::GrayImage;

use crate::decode::preprocess::downscale_to;
use crate::decode::{Attempt, Decoder, DecoderConfig};
use crate::source::{FrameSource, SourceError, SourceInfo};

/// A code read from a source.
#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct Scan {
    /// The code's text.
    pub text: String,
    /// From the frame's capture (or a serial scan's first byte) to the text.
    pub frame_to_text: Duration,
    /// Where it came from.
    pub source: SourceInfo,
    /// The decoding attempt that read it (`None` for a serial scanner, which sends text).
    pub attempt: Option<Attempt>,
}

/// What a worker reports.
#[derive(Clone, PartialEq, Debug, Serialize)]
pub enum ScanEvent {
    /// A code was read.
    Scan(Scan),
    /// The source stopped giving frames (camera unplugged, unreadable file…); sent once when the
    /// problem starts. The worker keeps trying.
    SourceProblem {
        /// The source.
        source: SourceInfo,
        /// What went wrong, for a log or a status line.
        message: String,
    },
    /// The source gives frames again after a problem.
    SourceRecovered {
        /// The source.
        source: SourceInfo,
    },
    /// A small copy of the current frame for the window's camera preview, at most every
    /// [`WorkerConfig::preview_every`].
    Preview(Preview),
    /// The worker has ended: the stream ended, the source failed for good, or `stop()`.
    Ended {
        /// The source.
        source: SourceInfo,
        /// Why, when it was not a normal end or a stop.
        error: Option<String>,
    },
}

/// A frame shrunk for display (longer side at most [`PREVIEW_MAX_SIDE`] pixels). While one is
/// held (in the channel or by the reader), the worker sends no other: dropping it lets the
/// next one come.
#[derive(Clone, Debug)]
pub struct Preview {
    /// The shrunk frame.
    pub image: GrayImage,
    _waiting: Arc<PreviewWaiting>,
}

impl PartialEq for Preview {
    fn eq(&self, other: &Preview) -> bool {
        self.image == other.image
    }
}

/// Set while a preview is on its way; cleared when the last copy of it is dropped.
#[derive(Debug)]
struct PreviewWaiting(Arc<AtomicBool>);

impl Drop for PreviewWaiting {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

// `GrayImage` is not `Serialize`; a preview is a picture, never logged as JSON.
impl Serialize for Preview {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("preview")
    }
}

/// The longer side of a preview frame, in pixels.
pub const PREVIEW_MAX_SIDE: u32 = 320;

/// How a worker decodes and reports.
#[derive(Clone, PartialEq, Debug)]
pub struct WorkerConfig {
    /// The decoder's settings (budget per frame, cascade).
    pub decoder: DecoderConfig,
    /// How long a code must stay out of sight before it is reported again.
    pub cooldown: Duration,
    /// How long to wait after a source error before asking for a frame again.
    pub retry_after_error: Duration,
    /// How often to send a [`ScanEvent::Preview`]; `None` sends none.
    pub preview_every: Option<Duration>,
}

impl Default for WorkerConfig {
    /// The default decoder, a 3 s cooldown, 100 ms between retries, no preview.
    fn default() -> Self {
        WorkerConfig {
            decoder: DecoderConfig::default(),
            cooldown: Duration::from_secs(3),
            retry_after_error: Duration::from_millis(100),
            preview_every: None,
        }
    }
}

/// A running worker thread. Dropping it stops it too.
pub struct ScanWorker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ScanWorker {
    /// Starts a thread that opens its source with `open` (on the thread: camera handles cannot
    /// move between threads) and decodes its frames; its events arrive on the receiver. When
    /// `open` fails, the only event is [`ScanEvent::Ended`] with the error.
    pub fn spawn<S, F>(
        name: SourceInfo,
        open: F,
        config: WorkerConfig,
    ) -> (ScanWorker, Receiver<ScanEvent>)
    where
        S: FrameSource,
        F: FnOnce() -> Result<S, SourceError> + Send + 'static,
    {
        ScanWorker::start(move |stop, events| match open() {
            Ok(source) => run_frames(source, config, &stop, &events),
            Err(e) => {
                events.send(ScanEvent::Ended {
                    source: name,
                    error: Some(e.to_string()),
                });
            }
        })
    }

    /// Starts `body` on a thread with a stop flag and the sending half of the channel.
    pub(crate) fn start<F>(body: F) -> (ScanWorker, Receiver<ScanEvent>)
    where
        F: FnOnce(Arc<AtomicBool>, Events) + Send + 'static,
    {
        let (sender, receiver) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("guichet-scan".into())
            .spawn(move || {
                body(
                    flag,
                    Events {
                        sender,
                        preview_waiting: Arc::new(AtomicBool::new(false)),
                    },
                )
            })
            .ok();
        (ScanWorker { stop, thread }, receiver)
    }

    /// Whether the thread is still running.
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Asks the thread to stop and waits for it (at most about one frame).
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ScanWorker {
    fn drop(&mut self) {
        self.halt();
    }
}

/// The sending side of a worker's channel.
pub(crate) struct Events {
    sender: Sender<ScanEvent>,
    /// Whether a preview is still on its way to (or held by) the reader.
    preview_waiting: Arc<AtomicBool>,
}

impl Events {
    /// Sends an event; `false` when the receiver is gone (the worker should stop). Nothing is
    /// dropped.
    pub(crate) fn send(&self, event: ScanEvent) -> bool {
        self.sender.send(event).is_ok()
    }

    /// Sends a preview unless the previous one is still waiting (then this frame is simply
    /// not previewed); `false` when the receiver is gone.
    pub(crate) fn send_preview(&self, image: GrayImage) -> bool {
        if self.preview_waiting.swap(true, Ordering::AcqRel) {
            return true;
        }
        let waiting = Arc::new(PreviewWaiting(Arc::clone(&self.preview_waiting)));
        self.send(ScanEvent::Preview(Preview {
            image,
            _waiting: waiting,
        }))
    }

    /// Whether a preview would be sent now (none is waiting).
    pub(crate) fn preview_wanted(&self) -> bool {
        !self.preview_waiting.load(Ordering::Acquire)
    }
}

fn run_frames<S: FrameSource>(
    mut source: S,
    config: WorkerConfig,
    stop: &AtomicBool,
    events: &Events,
) {
    let info = source.info();
    let mut decoder = Decoder::new(config.decoder.clone());
    let mut cooldown = Cooldown::new(config.cooldown);
    let mut in_trouble = false;
    let mut error = None;
    let mut last_preview: Option<Instant> = None;
    while !stop.load(Ordering::Relaxed) {
        let frame = match source.next_frame() {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(e) if e.is_fatal() => {
                error = Some(e.to_string());
                break;
            }
            Err(e) => {
                if !in_trouble {
                    in_trouble = true;
                    let problem = ScanEvent::SourceProblem {
                        source: info.clone(),
                        message: e.to_string(),
                    };
                    if !events.send(problem) {
                        return;
                    }
                }
                pause_after(&e, config.retry_after_error);
                continue;
            }
        };
        if in_trouble {
            in_trouble = false;
            if !events.send(ScanEvent::SourceRecovered {
                source: info.clone(),
            }) {
                return;
            }
        }
        if let Some(every) = config.preview_every {
            if last_preview.is_none_or(|at| at.elapsed() >= every) && events.preview_wanted() {
                last_preview = Some(Instant::now());
                let image = downscale_to(&frame.image, PREVIEW_MAX_SIDE)
                    .unwrap_or_else(|| frame.image.clone());
                if !events.send_preview(image) {
                    return;
                }
            }
        }
        let result = decoder.decode(&frame.image);
        for code in result.codes {
            if cooldown.admit(&code.text, Instant::now()) {
                let scan = Scan {
                    text: code.text,
                    frame_to_text: frame.captured_at.elapsed(),
                    source: info.clone(),
                    attempt: Some(code.attempt),
                };
                if !events.send(ScanEvent::Scan(scan)) {
                    return;
                }
            }
        }
    }
    events.send(ScanEvent::Ended {
        source: info,
        error,
    });
}

fn pause_after(error: &SourceError, pause: Duration) {
    // A bad frame from a file is not worth waiting for; a missing device is.
    if !matches!(error, SourceError::BadFrame(_)) {
        std::thread::sleep(pause);
    }
}

/// Remembers when each text was last seen, to report a code held in view only once.
#[derive(Clone, Debug)]
pub struct Cooldown {
    period: Duration,
    last_seen: HashMap<String, Instant>,
}

/// The most texts remembered at once (a stream of distinct codes cannot grow memory).
const REMEMBERED_TEXTS: usize = 256;

impl Cooldown {
    /// A cooldown of `period`.
    pub fn new(period: Duration) -> Cooldown {
        Cooldown {
            period,
            last_seen: HashMap::new(),
        }
    }

    /// Records that `text` was seen at `now`; `true` if it should be reported (not seen within
    /// the period before).
    pub fn admit(&mut self, text: &str, now: Instant) -> bool {
        let period = self.period;
        self.last_seen.retain(|_, seen| {
            now.checked_duration_since(*seen)
                .is_none_or(|age| age < period)
        });
        let fresh = !self.last_seen.contains_key(text);
        if fresh && self.last_seen.len() >= REMEMBERED_TEXTS {
            if let Some(oldest) = self
                .last_seen
                .iter()
                .min_by_key(|(_, seen)| **seen)
                .map(|(t, _)| t.clone())
            {
                self.last_seen.remove(&oldest);
            }
        }
        self.last_seen.insert(text.to_owned(), now);
        fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_held_in_view_is_reported_once_and_again_after_the_cooldown() {
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let mut cooldown = Cooldown::new(Duration::from_millis(1000));
        assert!(cooldown.admit("A", at(0)));
        // Seen every frame for 5 s: never again.
        for ms in (33..5000).step_by(33) {
            assert!(!cooldown.admit("A", at(ms)));
        }
        // A different code at once, while A is still in view.
        assert!(cooldown.admit("B", at(5000)));
        assert!(!cooldown.admit("A", at(5010)));
        // A out of sight for more than the period: reported again.
        assert!(cooldown.admit("A", at(6100)));
    }

    #[test]
    fn many_distinct_codes_do_not_grow_memory() {
        let now = Instant::now();
        let mut cooldown = Cooldown::new(Duration::from_secs(3600));
        for i in 0..10_000 {
            assert!(cooldown.admit(&i.to_string(), now));
        }
        assert!(cooldown.last_seen.len() <= REMEMBERED_TEXTS);
    }
}
