//! HTTPS served by the platform itself: a certificate chain and its private key from PEM
//! files (`serve --tls-cert FILE --tls-key FILE`), rustls (the same library and crypto
//! provider the kiosk's client uses). Behind a reverse proxy that terminates TLS, the platform
//! serves plain HTTP on loopback instead (`docs/security.md`).
//!
//! Handshakes run in their own tasks, each with a deadline, so a client that never finishes
//! one holds up nobody else; the server sees only connections whose handshake succeeded.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::error::Error;

/// How long a client has to finish its TLS handshake.
const HANDSHAKE_DEADLINE: Duration = Duration::from_secs(10);
/// Handshakes finished and waiting for the server to take them.
const READY_QUEUE: usize = 64;

/// The server's TLS settings from a PEM certificate chain (leaf first) and a PEM private key.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, Error> {
    let read_error = |path: &Path| {
        let path = path.display().to_string();
        move |e: rustls::pki_types::pem::Error| Error::Invalid(format!("{path}: {e}"))
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(read_error(cert))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(read_error(cert))?;
    if chain.is_empty() {
        return Err(Error::Invalid(format!(
            "{}: no certificate in this PEM file",
            cert.display()
        )));
    }
    let private_key = PrivateKeyDer::from_pem_file(key).map_err(read_error(key))?;
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, private_key)
        .map_err(|e| Error::Invalid(format!("{} and {}: {e}", cert.display(), key.display())))?;
    Ok(Arc::new(config))
}

/// A listener that hands axum only connections whose TLS handshake succeeded.
pub struct TlsListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
}

impl TlsListener {
    /// Accepts TCP connections on `listener` and runs their handshakes with `config`.
    pub fn new(listener: TcpListener, config: Arc<rustls::ServerConfig>) -> std::io::Result<Self> {
        let local = listener.local_addr()?;
        let acceptor = TlsAcceptor::from(config);
        let (sender, ready) = mpsc::channel(READY_QUEUE);
        tokio::spawn(async move {
            loop {
                let (tcp, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        tracing::warn!("accepting a connection: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if sender.is_closed() {
                    return;
                }
                let (acceptor, sender) = (acceptor.clone(), sender.clone());
                tokio::spawn(async move {
                    // A failed or late handshake (a wrong client, a scanner of ports) is
                    // dropped; the client sees its own TLS error.
                    if let Ok(Ok(tls)) =
                        tokio::time::timeout(HANDSHAKE_DEADLINE, acceptor.accept(tcp)).await
                    {
                        let _ = sender.send((tls, peer)).await;
                    }
                });
            }
        });
        Ok(TlsListener { local, ready })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(accepted) => accepted,
            // The accepting task only ends when this listener is gone.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
