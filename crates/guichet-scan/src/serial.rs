//! Barcode scanners in USB serial mode (CDC-ACM, `/dev/ttyACM0`, `COM3`…): they send each code
//! as a line of text. [`spawn_serial`] reads a port on a worker thread and sends a
//! [`ScanEvent::Scan`] per line; [`watch_serial`] does the same for a scanner that may be
//! plugged, unplugged and plugged again: it finds the port by itself (the first of
//! `/dev/ttyACM*`, then `/dev/ttyUSB*`) or opens the one named, and when the port goes away it
//! says so and opens it again as soon as it is back.
//!
//! A line ends at CR, LF or Tab (scanners are set to one of them); empty lines are skipped,
//! surrounding ASCII whitespace is trimmed, bytes that are not UTF-8 are replaced (the verifier
//! then calls the code malformed), and a line longer than [`MAX_LINE`] is dropped. Every line
//! is reported, with no cooldown: a serial scan is a deliberate trigger press.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use crate::source::{SourceInfo, SourceKind};
use crate::worker::{Events, Scan, ScanEvent, ScanWorker};

/// The longest line kept, in bytes.
pub const MAX_LINE: usize = 4096;

/// Opens a serial port (8N1, no flow control) and starts reading scans from it.
pub fn open_serial(
    path: &str,
    baud_rate: u32,
) -> Result<(ScanWorker, Receiver<ScanEvent>), serialport::Error> {
    let port = serialport::new(path, baud_rate)
        .timeout(Duration::from_millis(100))
        .open()?;
    Ok(spawn_serial(port, path.to_owned()))
}

/// Starts reading scans from an open port; `name` names it in the events. The port's read
/// timeout bounds how long `stop()` waits.
pub fn spawn_serial(
    port: Box<dyn serialport::SerialPort>,
    name: String,
) -> (ScanWorker, Receiver<ScanEvent>) {
    ScanWorker::start(move |stop, events| read_lines(port, name, &stop, &events))
}

fn read_lines(
    port: Box<dyn serialport::SerialPort>,
    name: String,
    stop: &AtomicBool,
    events: &Events,
) {
    let source = SourceInfo {
        kind: SourceKind::Serial,
        name,
    };
    let error = match read_until_gone(port, &source, stop, events) {
        Ok(()) => None,
        Err(PortGone::Receiver) => return,
        Err(PortGone::Failed(message)) => Some(message),
    };
    events.send(ScanEvent::Ended { source, error });
}

/// Why reading a port stopped before `stop`.
enum PortGone {
    /// Nobody reads the events any more.
    Receiver,
    /// The port failed (unplugged…): the message.
    Failed(String),
}

/// Reads lines from `port` and sends them as scans until `stop` (`Ok`) or the port fails.
fn read_until_gone(
    mut port: Box<dyn serialport::SerialPort>,
    source: &SourceInfo,
    stop: &AtomicBool,
    events: &Events,
) -> Result<(), PortGone> {
    let mut lines = LineAssembler::default();
    let mut buffer = [0u8; 512];
    while !stop.load(Ordering::Relaxed) {
        match port.read(&mut buffer) {
            Ok(0) => std::thread::sleep(Duration::from_millis(10)),
            Ok(n) => {
                for (text, first_byte_at) in lines.push(&buffer[..n], Instant::now()) {
                    let scan = Scan {
                        text,
                        frame_to_text: first_byte_at.elapsed(),
                        source: source.clone(),
                        attempt: None,
                    };
                    if !events.send(ScanEvent::Scan(scan)) {
                        return Err(PortGone::Receiver);
                    }
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(PortGone::Failed(format!("{}: {e}", source.name))),
        }
    }
    Ok(())
}

/// Which serial port [`watch_serial`] reads.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum PortChoice {
    /// The first scanner-like port present ([`find_ports`]), looked for again whenever none is
    /// open.
    Auto,
    /// This port only (`/dev/ttyACM0`, a `/dev/serial/by-id/…` link).
    Path(String),
}

/// How [`watch_serial`] finds and reopens its port.
#[derive(Clone, Debug)]
pub struct SerialWatch {
    /// Which port.
    pub choice: PortChoice,
    /// The port's speed (CDC-ACM scanners ignore it; 9600 is the usual setting otherwise).
    pub baud_rate: u32,
    /// Where [`PortChoice::Auto`] looks for ports (`/dev`).
    pub device_dir: PathBuf,
    /// How often a missing port is looked for again.
    pub retry_every: Duration,
}

impl Default for SerialWatch {
    /// Any scanner port in `/dev`, 9600 baud, looked for twice a second.
    fn default() -> Self {
        SerialWatch {
            choice: PortChoice::Auto,
            baud_rate: 9600,
            device_dir: PathBuf::from("/dev"),
            retry_every: Duration::from_millis(500),
        }
    }
}

/// The ports in `dir` a USB scanner in serial mode shows up as: `ttyACM*` (CDC-ACM) first, then
/// `ttyUSB*` (USB-serial adapters), each in number order.
pub fn find_ports(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut ports: Vec<(usize, u64, PathBuf)> = entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let name = entry.file_name().into_string().ok()?;
            let (rank, number) =
                ["ttyACM", "ttyUSB"]
                    .iter()
                    .enumerate()
                    .find_map(|(rank, prefix)| {
                        let number = name.strip_prefix(prefix)?.parse::<u64>().ok()?;
                        Some((rank, number))
                    })?;
            Some((rank, number, entry.path()))
        })
        .collect();
    ports.sort();
    ports.into_iter().map(|(_, _, path)| path).collect()
}

/// Starts a worker that keeps a serial scanner open (see the module documentation): each
/// time it opens the port it sends [`ScanEvent::SourceRecovered`] (the first time too, so the
/// window can show the scanner as present), then one [`ScanEvent::Scan`] per line; when the
/// port fails or none is found it sends [`ScanEvent::SourceProblem`] once and looks again every
/// [`SerialWatch::retry_every`]. [`ScanEvent::Ended`] comes only after `stop()`.
pub fn watch_serial(watch: SerialWatch) -> (ScanWorker, Receiver<ScanEvent>) {
    ScanWorker::start(move |stop, events| {
        let mut source = SourceInfo {
            kind: SourceKind::Serial,
            name: match &watch.choice {
                PortChoice::Auto => "serial (auto)".to_owned(),
                PortChoice::Path(path) => path.clone(),
            },
        };
        let mut problem_told = false;
        while !stop.load(Ordering::Relaxed) {
            match open_watched(&watch) {
                Ok((port, name)) => {
                    source.name = name;
                    if !events.send(ScanEvent::SourceRecovered {
                        source: source.clone(),
                    }) {
                        return;
                    }
                    match read_until_gone(port, &source, &stop, &events) {
                        Ok(()) => break,
                        Err(PortGone::Receiver) => return,
                        Err(PortGone::Failed(message)) => {
                            problem_told = true;
                            if !events.send(ScanEvent::SourceProblem {
                                source: source.clone(),
                                message,
                            }) {
                                return;
                            }
                        }
                    }
                }
                Err(message) if !problem_told => {
                    problem_told = true;
                    if !events.send(ScanEvent::SourceProblem {
                        source: source.clone(),
                        message,
                    }) {
                        return;
                    }
                }
                Err(_) => {}
            }
            sleep_unless_stopped(watch.retry_every, &stop);
        }
        events.send(ScanEvent::Ended {
            source,
            error: None,
        });
    })
}

/// Opens the port `watch` names, or the first that opens among those found.
fn open_watched(watch: &SerialWatch) -> Result<(Box<dyn serialport::SerialPort>, String), String> {
    let open = |path: &str| {
        serialport::new(path, watch.baud_rate)
            .timeout(Duration::from_millis(100))
            .open()
            .map_err(|e| format!("{path}: {e}"))
    };
    match &watch.choice {
        PortChoice::Path(path) => open(path).map(|port| (port, path.clone())),
        PortChoice::Auto => {
            let mut last_error = format!(
                "no serial scanner (ttyACM*, ttyUSB*) in {}",
                watch.device_dir.display()
            );
            for path in find_ports(&watch.device_dir) {
                let path = path.to_string_lossy().into_owned();
                match open(&path) {
                    Ok(port) => return Ok((port, path)),
                    Err(e) => last_error = e,
                }
            }
            Err(last_error)
        }
    }
}

fn sleep_unless_stopped(period: Duration, stop: &AtomicBool) {
    let until = Instant::now() + period;
    while !stop.load(Ordering::Relaxed) {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(Duration::from_millis(20)));
    }
}

/// Splits a byte stream into lines (see the module documentation).
#[derive(Default, Debug)]
pub struct LineAssembler {
    line: Vec<u8>,
    started_at: Option<Instant>,
    overlong: bool,
}

impl LineAssembler {
    /// Adds bytes received at `now`; returns the lines they complete, each with the time its
    /// first byte arrived.
    pub fn push(&mut self, bytes: &[u8], now: Instant) -> Vec<(String, Instant)> {
        let mut done = Vec::new();
        for &byte in bytes {
            if matches!(byte, b'\r' | b'\n' | b'\t') {
                let text = String::from_utf8_lossy(&self.line).trim_ascii().to_owned();
                if !text.is_empty() && !self.overlong {
                    done.push((text, self.started_at.unwrap_or(now)));
                }
                self.line.clear();
                self.started_at = None;
                self.overlong = false;
                continue;
            }
            if self.line.len() >= MAX_LINE {
                self.overlong = true;
                continue;
            }
            self.started_at.get_or_insert(now);
            self.line.push(byte);
        }
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_at_cr_lf_or_tab_and_blank_or_overlong_ones_are_dropped() {
        let now = Instant::now();
        let mut lines = LineAssembler::default();
        let texts = |v: Vec<(String, Instant)>| v.into_iter().map(|(t, _)| t).collect::<Vec<_>>();
        assert_eq!(texts(lines.push(b"PN1:AB", now)), Vec::<String>::new());
        assert_eq!(
            texts(lines.push(b"C\r\n\r\n  X Y \tZ\n", now)),
            ["PN1:ABC", "X Y", "Z"]
        );
        let long = vec![b'A'; MAX_LINE + 10];
        assert!(lines.push(&long, now).is_empty());
        assert!(lines.push(b"\n", now).is_empty());
        assert_eq!(
            texts(lines.push(b"\xff\xfeOK\n", now)),
            ["\u{fffd}\u{fffd}OK"]
        );
    }
}
