//! Barcode scanners in USB serial mode (CDC-ACM, `/dev/ttyACM0`, `COM3`…): they send each code
//! as a line of text. [`spawn_serial`] reads a port on a worker thread and sends a
//! [`ScanEvent::Scan`] per line.
//!
//! A line ends at CR, LF or Tab (scanners are set to one of them); empty lines are skipped,
//! surrounding ASCII whitespace is trimmed, bytes that are not UTF-8 are replaced (the verifier
//! then calls the code malformed), and a line longer than [`MAX_LINE`] is dropped. Every line
//! is reported, with no cooldown: a serial scan is a deliberate trigger press.

use std::io::Read;
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
    mut port: Box<dyn serialport::SerialPort>,
    name: String,
    stop: &AtomicBool,
    events: &Events,
) {
    let source = SourceInfo {
        kind: SourceKind::Serial,
        name,
    };
    let mut lines = LineAssembler::default();
    let mut buffer = [0u8; 512];
    let mut error = None;
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
                        return;
                    }
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::Interrupted
                ) => {}
            Err(e) => {
                error = Some(format!("{}: {e}", source.name));
                break;
            }
        }
    }
    events.send(ScanEvent::Ended { source, error });
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
