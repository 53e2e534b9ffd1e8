//! A loopback TCP proxy that injects network faults between a kiosk and the platform.
//!
//! Each new connection gets the next fault of a fixed cycle while the proxy is faulty
//! ([`FaultyProxy::set_faulty`]); once healed, every connection passes through untouched.
//! It can also play a man in the middle that answers the bundle pull itself with bytes of
//! the test's choosing ([`FaultyProxy::answer_bundle_with`]).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// What the proxy does to one connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Forwards both ways untouched.
    Pass,
    /// Closes the client's connection at once, before reading anything.
    Drop,
    /// Answers `500 Internal Server Error` without forwarding anything.
    ServerError,
    /// Forwards the requests, lets only the first this many bytes of the answers through,
    /// then cuts.
    CutAnswer(usize),
    /// Forwards everything until the kiosk sends a POST (a push), forwards the push, then
    /// cuts before its answer: the platform stored the batch, the kiosk never learns it.
    CutPushAnswer,
    /// Waits, then forwards untouched.
    Delay,
}

/// The faults, in the order connections get them while faulty.
pub const FAULT_CYCLE: [Fault; 5] = [
    Fault::CutAnswer(24),
    Fault::ServerError,
    Fault::CutPushAnswer,
    Fault::Drop,
    Fault::Delay,
];

/// A running proxy to one upstream address.
pub struct FaultyProxy {
    addr: SocketAddr,
    faulty: Arc<AtomicBool>,
    /// Connections accepted since the last [`FaultyProxy::set_faulty`].
    connections: Arc<AtomicUsize>,
    /// The body to answer `GET /v1/bundle` with, instead of the platform's.
    bundle: Arc<Mutex<Option<Vec<u8>>>>,
    /// The answers to forge instead of forwarding.
    forgery: Arc<Mutex<Option<Forgery>>>,
}

/// An answer a man in the middle makes up, well formed but not signed by the platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forgery {
    /// Answers a push itself: every entry `accepted`, the chain head its last hash; the
    /// platform never sees the push. Signed by a key of the forger's.
    PushAllAccepted,
    /// Answers a state poll itself: no change, and a cursor far ahead (a kiosk that believed
    /// it would miss every later change). No signature at all.
    StatesJumpAhead,
}

impl FaultyProxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub fn start(upstream: SocketAddr) -> FaultyProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let faulty = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicUsize::new(0));
        let bundle: Arc<Mutex<Option<Vec<u8>>>> = Arc::new(Mutex::new(None));
        let forgery: Arc<Mutex<Option<Forgery>>> = Arc::new(Mutex::new(None));
        let (flag, count) = (Arc::clone(&faulty), Arc::clone(&connections));
        let substitute = Arc::clone(&bundle);
        let forging = Arc::clone(&forgery);
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let n = count.fetch_add(1, Ordering::SeqCst);
                let fault = if flag.load(Ordering::SeqCst) {
                    FAULT_CYCLE[n % FAULT_CYCLE.len()]
                } else {
                    Fault::Pass
                };
                let bundle = substitute.lock().ok().and_then(|b| b.clone());
                let forgery = forging.lock().ok().and_then(|f| *f);
                thread::spawn(move || match (fault, bundle, forgery) {
                    (Fault::Pass, _, Some(forgery)) => forge(client, upstream, forgery),
                    (Fault::Pass, Some(bundle), None) => {
                        intercept_bundle(client, upstream, &bundle)
                    }
                    _ => handle(client, upstream, fault),
                });
            }
        });
        FaultyProxy {
            addr,
            faulty,
            connections,
            bundle,
            forgery,
        }
    }

    /// The proxy's URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answers every bundle pull with `bundle` (a 200 naming sequence 999), or stops doing so
    /// with `None`; other requests pass.
    pub fn answer_bundle_with(&self, bundle: Option<Vec<u8>>) {
        if let Ok(mut slot) = self.bundle.lock() {
            *slot = bundle;
        }
    }

    /// Forges the answers `forgery` names from now on (`None`: forwards them again).
    pub fn forge(&self, forgery: Option<Forgery>) {
        if let Ok(mut slot) = self.forgery.lock() {
            *slot = forgery;
        }
    }

    /// Turns the faults on (starting again from the first of [`FAULT_CYCLE`]) or off.
    pub fn set_faulty(&self, faulty: bool) {
        self.connections.store(0, Ordering::SeqCst);
        self.faulty.store(faulty, Ordering::SeqCst);
    }
}

fn handle(client: TcpStream, upstream: SocketAddr, fault: Fault) {
    match fault {
        Fault::Drop => {
            let _ = client.shutdown(Shutdown::Both);
        }
        Fault::ServerError => {
            let mut client = client;
            let mut buffer = [0u8; 4096];
            let _ = client.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = client.read(&mut buffer);
            let _ = client.write_all(
                b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
            let _ = client.shutdown(Shutdown::Both);
        }
        Fault::Delay => {
            thread::sleep(Duration::from_millis(1500));
            forward(client, upstream, Cut::Never);
        }
        Fault::Pass => forward(client, upstream, Cut::Never),
        Fault::CutAnswer(limit) => forward(client, upstream, Cut::AfterBytes(limit)),
        Fault::CutPushAnswer => forward(client, upstream, Cut::AtPushAnswer),
    }
}

/// Reads the request head; a bundle pull gets `bundle` as its answer, anything else goes to
/// the platform.
fn intercept_bundle(mut client: TcpStream, upstream: SocketAddr, bundle: &[u8]) {
    let mut first = [0u8; 8192];
    let _ = client.set_read_timeout(Some(Duration::from_secs(5)));
    let Ok(n) = client.read(&mut first) else {
        return;
    };
    let _ = client.set_read_timeout(None);
    if first[..n].starts_with(b"GET /v1/bundle") {
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nguichet-bundle-sequence: 999\r\nconnection: close\r\n\r\n",
            bundle.len()
        );
        let _ = client.write_all(head.as_bytes());
        let _ = client.write_all(bundle);
        let _ = client.shutdown(Shutdown::Both);
    } else {
        forward_after(client, upstream, Cut::Never, &first[..n]);
    }
}

/// Reads one whole request: its head and its body (`content-length`).
fn read_request(client: &mut TcpStream) -> Option<Vec<u8>> {
    let _ = client.set_read_timeout(Some(Duration::from_secs(5)));
    let mut request = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if request.len() >= end + 4 + length {
                let _ = client.set_read_timeout(None);
                return Some(request);
            }
        }
        let n = client.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        request.extend_from_slice(&chunk[..n]);
    }
}

/// Answers the request `forgery` is about with a made-up answer; passes the others.
fn forge(mut client: TcpStream, upstream: SocketAddr, forgery: Forgery) {
    let Some(request) = read_request(&mut client) else {
        return;
    };
    let body_start = request
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(request.len(), |end| end + 4);
    let (answer, headers) = match forgery {
        Forgery::PushAllAccepted if request.starts_with(b"POST /v1/redemptions") => {
            let push: serde_json::Value =
                serde_json::from_slice(&request[body_start..]).unwrap_or_default();
            let entries = push["entries"].as_array().cloned().unwrap_or_default();
            let results: Vec<serde_json::Value> = entries
                .iter()
                .map(|e| serde_json::json!({"id": e["id"], "state": "accepted"}))
                .collect();
            let head = entries
                .last()
                .map_or(serde_json::Value::Null, |e| e["hash"].clone());
            let forger = "ab".repeat(32);
            let signature = "cd".repeat(64);
            (
                serde_json::json!({"results": results, "chain_head": head}),
                format!(
                    "guichet-answer-time: 1764800000000\r\nguichet-answer-key: {forger}\r\nguichet-answer-signature: {signature}\r\n"
                ),
            )
        }
        Forgery::StatesJumpAhead if request.starts_with(b"GET /v1/redemptions/states") => (
            serde_json::json!({"changes": [], "cursor": 999_999_999u64, "more": false}),
            String::new(),
        ),
        _ => {
            // Passed on with `connection: close`, so the platform closes this connection after
            // answering and the kiosk's next request comes on a new one, which is looked at
            // again.
            let line_end = request
                .windows(2)
                .position(|w| w == b"\r\n")
                .map_or(0, |end| end + 2);
            let mut closing = request[..line_end].to_vec();
            closing.extend_from_slice(b"connection: close\r\n");
            closing.extend_from_slice(&request[line_end..]);
            forward_after(client, upstream, Cut::Never, &closing);
            return;
        }
    };
    let body = answer.to_string();
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{headers}connection: close\r\n\r\n",
        body.len()
    );
    let _ = client.write_all(head.as_bytes());
    let _ = client.write_all(body.as_bytes());
    let _ = client.shutdown(Shutdown::Both);
}

/// Where [`forward`] stops passing answers.
#[derive(Clone, Copy)]
enum Cut {
    Never,
    AfterBytes(usize),
    AtPushAnswer,
}

/// Copies both ways, cutting the answers as `cut` says.
fn forward(client: TcpStream, upstream: SocketAddr, cut: Cut) {
    forward_after(client, upstream, cut, &[]);
}

/// [`forward`], the client having already sent `already_read`.
fn forward_after(client: TcpStream, upstream: SocketAddr, cut: Cut, already_read: &[u8]) {
    let Ok(mut server) = TcpStream::connect(upstream) else {
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    if server.write_all(already_read).is_err() {
        let _ = client.shutdown(Shutdown::Both);
        return;
    }
    let (Ok(mut client_in), Ok(mut server_out)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let push_sent = Arc::new(AtomicBool::new(false));
    let push_flag = Arc::clone(&push_sent);
    let upload = thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n) = client_in.read(&mut chunk) {
            if n == 0 {
                break;
            }
            if chunk[..n].starts_with(b"POST ") {
                push_flag.store(true, Ordering::SeqCst);
            }
            if server_out.write_all(&chunk[..n]).is_err() {
                break;
            }
        }
        let _ = server_out.shutdown(Shutdown::Write);
    });
    let (mut server_in, mut client_out) = (server, client);
    let mut passed = 0usize;
    let mut chunk = [0u8; 8192];
    while let Ok(n) = server_in.read(&mut chunk) {
        if n == 0 {
            break;
        }
        let take = match cut {
            Cut::Never => n,
            Cut::AfterBytes(limit) => n.min(limit - passed),
            Cut::AtPushAnswer if push_sent.load(Ordering::SeqCst) => 0,
            Cut::AtPushAnswer => n,
        };
        if take > 0 && client_out.write_all(&chunk[..take]).is_err() {
            break;
        }
        passed += take;
        if take < n {
            // Cut: let the platform finish its answer (it has acted on the request), then
            // close the kiosk's side mid-answer.
            let mut rest = Vec::new();
            let _ = server_in.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = server_in.read_to_end(&mut rest);
            break;
        }
    }
    let _ = client_out.shutdown(Shutdown::Both);
    let _ = server_in.shutdown(Shutdown::Both);
    let _ = upload.join();
}
