//! The serial scanner source against real pseudo-terminals: the test holds the master side and
//! plays the scanner; the port the watcher finds is a `ttyACM0` / `ttyUSB0` link, in a folder
//! standing for `/dev`, to the pseudo-terminal's slave side. Unplugging is closing the master
//! (the slave then fails as a USB port does when its device goes) and removing the link;
//! plugging it back is a new pseudo-terminal under the link.

use std::io::Write;
use std::path::Path;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use guichet_scan::serial::{find_ports, watch_serial, PortChoice, SerialWatch};
use guichet_scan::source::SourceKind;
use guichet_scan::worker::ScanEvent;
use serialport::{SerialPort, TTYPort};

/// A scanner plugged in as `dir/name`: the master side of a pseudo-terminal, the link to its
/// slave side.
struct Scanner {
    master: TTYPort,
    link: std::path::PathBuf,
}

impl Scanner {
    fn plug(dir: &Path, name: &str) -> Scanner {
        let (master, slave) = TTYPort::pair().expect("a pseudo-terminal pair");
        let slave_path = slave.name().expect("the slave's path");
        // The watcher opens the slave by its path; this handle is not needed.
        drop(slave);
        let link = dir.join(name);
        std::os::unix::fs::symlink(&slave_path, &link).expect("link the port");
        Scanner { master, link }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).expect("write to the port");
        self.master.flush().expect("flush");
    }

    fn unplug(self) {
        std::fs::remove_file(&self.link).expect("remove the port");
        drop(self.master);
    }
}

fn next(events: &Receiver<ScanEvent>) -> ScanEvent {
    let event = events
        .recv_timeout(Duration::from_secs(10))
        .expect("an event within 10 s");
    // Previews never come from a serial port.
    assert!(!matches!(event, ScanEvent::Preview(_)));
    event
}

fn demo_code(n: usize) -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/coupons/test-only-demo-codes.txt"
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .nth(n)
        .unwrap()
        .to_owned()
}

fn watch(dir: &Path, choice: PortChoice) -> SerialWatch {
    SerialWatch {
        choice,
        device_dir: dir.to_path_buf(),
        retry_every: Duration::from_millis(50),
        ..SerialWatch::default()
    }
}

#[test]
fn ports_are_found_acm_first_in_number_order() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "ttyUSB0", "ttyACM10", "ttyACM2", "ttyS0", "tty", "ttyACMx", "null",
    ] {
        std::fs::write(dir.path().join(name), b"").unwrap();
    }
    let found: Vec<String> = find_ports(dir.path())
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(found, ["ttyACM2", "ttyACM10", "ttyUSB0"]);
    assert!(find_ports(&dir.path().join("missing")).is_empty());
}

#[test]
fn a_scanner_plugged_later_is_found_read_and_survives_unplug_and_replug() {
    let dir = tempfile::tempdir().unwrap();
    let (worker, events) = watch_serial(watch(dir.path(), PortChoice::Auto));

    // Nothing plugged: one problem, said once.
    match next(&events) {
        ScanEvent::SourceProblem { source, message } => {
            assert_eq!(source.kind, SourceKind::Serial);
            assert!(message.contains("no serial scanner"), "{message}");
        }
        other => panic!("expected a problem, got {other:?}"),
    }
    std::thread::sleep(Duration::from_millis(200));
    assert!(events.try_recv().is_err(), "the problem is told once");

    // Plugged: found by itself, then each line is a scan (CR LF, split across writes).
    let mut scanner = Scanner::plug(dir.path(), "ttyACM0");
    let port = scanner.link.to_string_lossy().into_owned();
    match next(&events) {
        ScanEvent::SourceRecovered { source } => assert_eq!(source.name, port),
        other => panic!("expected the port to open, got {other:?}"),
    }
    let first = demo_code(0);
    let (head, tail) = first.split_at(40);
    scanner.send(head.as_bytes());
    std::thread::sleep(Duration::from_millis(30));
    scanner.send(format!("{tail}\r\n").as_bytes());
    match next(&events) {
        ScanEvent::Scan(scan) => {
            assert_eq!(scan.text, first);
            assert_eq!(scan.source.name, port);
            assert_eq!(scan.attempt, None);
        }
        other => panic!("expected a scan, got {other:?}"),
    }

    // Unplugged: the port fails, said once.
    scanner.unplug();
    match next(&events) {
        ScanEvent::SourceProblem { source, .. } => assert_eq!(source.name, port),
        other => panic!("expected a problem, got {other:?}"),
    }
    std::thread::sleep(Duration::from_millis(200));
    assert!(events.try_recv().is_err(), "the problem is told once");

    // Plugged again, as another device name (a USB-serial adapter): found and read.
    let mut scanner = Scanner::plug(dir.path(), "ttyUSB0");
    let port = scanner.link.to_string_lossy().into_owned();
    match next(&events) {
        ScanEvent::SourceRecovered { source } => assert_eq!(source.name, port),
        other => panic!("expected the port to open again, got {other:?}"),
    }
    let second = demo_code(1);
    scanner.send(format!("{second}\n{first}\t").as_bytes());
    for expected in [&second, &first] {
        match next(&events) {
            ScanEvent::Scan(scan) => assert_eq!(&scan.text, expected),
            other => panic!("expected a scan, got {other:?}"),
        }
    }

    // Stopping ends the worker with an Ended event and no error.
    worker.stop();
    let rest: Vec<ScanEvent> = events.try_iter().collect();
    assert!(
        matches!(rest.as_slice(), [ScanEvent::Ended { error: None, .. }]),
        "{rest:?}"
    );
    drop(scanner);
}

#[test]
fn a_named_port_is_reopened_when_it_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("scanner");
    let choice = PortChoice::Path(link.to_string_lossy().into_owned());
    let (worker, events) = watch_serial(watch(dir.path(), choice));
    assert!(matches!(next(&events), ScanEvent::SourceProblem { .. }));
    for round in 0..3 {
        let mut scanner = Scanner::plug(dir.path(), "scanner");
        assert!(
            matches!(next(&events), ScanEvent::SourceRecovered { .. }),
            "round {round}"
        );
        let code = demo_code(round);
        scanner.send(format!("{code}\r").as_bytes());
        match next(&events) {
            ScanEvent::Scan(scan) => assert_eq!(scan.text, code),
            other => panic!("expected a scan, got {other:?}"),
        }
        scanner.unplug();
        assert!(
            matches!(next(&events), ScanEvent::SourceProblem { .. }),
            "round {round}"
        );
    }
    worker.stop();
}
