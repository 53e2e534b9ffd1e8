//! How the platform reaches PostgreSQL: over TLS (rustls, the server's certificate verified)
//! unless the server is on this machine.
//!
//! The database URL is libpq's, plus one parameter of ours: `sslrootcert=PATH`, a PEM file of
//! the CA the server's certificate must chain to (else the system's roots). TLS is required
//! (`sslmode=require`, whatever the URL says) when `sslrootcert` is given or the host is not a
//! loopback address; on loopback without it, the URL's `sslmode` applies (TLS if the server
//! offers it, still verified). So a platform on one machine and its database on another never
//! talk in the clear, and never to a server with an unverified certificate.

use std::sync::Arc;

use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::Error;

/// A database URL split into what the `postgres` client reads and the TLS connector.
#[derive(Clone)]
pub struct Connection {
    /// The URL for `postgres::Client::connect` (our own parameter removed).
    pub url: String,
    /// The TLS connector (it verifies the server's certificate).
    pub tls: MakeRustlsConnect,
    /// The password, from a file (never from the URL).
    password: Option<Password>,
}

/// The database password, read from a file (`--database-password-file`, or the systemd
/// credential `database-password`): a URL shows in `ps`, in shell histories and in what a
/// command prints back.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// The password read from the first line of a file's text.
    pub fn from_file_text(text: &str) -> Password {
        Password(text.lines().next().unwrap_or_default().to_owned())
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

impl Connection {
    /// A new client connection.
    pub fn connect(&self) -> Result<postgres::Client, postgres::Error> {
        let mut config: postgres::Config = self.url.parse()?;
        if let Some(Password(password)) = &self.password {
            config.password(password);
        }
        config.connect(self.tls.clone())
    }
}

/// Parses `url` into the client's URL and its TLS connector; `password` is sent when the
/// server asks for one. A password inside the URL is refused.
pub fn connection(url: &str, password: Option<&Password>) -> Result<Connection, Error> {
    let invalid = |why: String| Error::Invalid(format!("database URL: {why}"));
    if url
        .parse::<postgres::Config>()
        .is_ok_and(|config| config.get_password().is_some())
    {
        return Err(invalid(
            "it holds a password, which shows in `ps` and in what commands print: give the \
             URL without it, and the password in a file of mode 0600 \
             (--database-password-file FILE, or the systemd credential database-password)"
                .into(),
        ));
    }
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut root_cert = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        match pair.split_once('=') {
            Some(("sslrootcert", path)) => root_cert = Some(path.to_owned()),
            Some(("sslmode", _)) => {}
            _ => kept.push(pair.to_owned()),
        }
    }
    let sslmode = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("sslmode="))
        .unwrap_or("prefer");
    let host = host_of(base);
    let loopback = host == "localhost"
        || host.starts_with('/')
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let sslmode = if root_cert.is_some() || !loopback {
        if sslmode == "disable" {
            return Err(invalid(format!(
                "sslmode=disable to {host}: the database is reached over TLS unless it is on \
                 this machine"
            )));
        }
        "require"
    } else {
        sslmode
    };
    kept.push(format!("sslmode={sslmode}"));
    let mut roots = rustls::RootCertStore::empty();
    match &root_cert {
        Some(path) => {
            use rustls::pki_types::pem::PemObject;
            let certificates = rustls::pki_types::CertificateDer::pem_file_iter(path)
                .map_err(|e| invalid(format!("sslrootcert {path}: {e}")))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| invalid(format!("sslrootcert {path}: {e}")))?;
            for certificate in certificates {
                roots
                    .add(certificate)
                    .map_err(|e| invalid(format!("sslrootcert {path}: {e}")))?;
            }
        }
        None => {
            for certificate in rustls_native_certs::load_native_certs().certs {
                // A system certificate rustls cannot use is skipped, as by every client.
                let _ = roots.add(certificate);
            }
        }
    }
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(Arc::new(roots))
        .with_no_client_auth();
    Ok(Connection {
        url: format!("{base}?{}", kept.join("&")),
        tls: MakeRustlsConnect::new(config),
        password: password.cloned(),
    })
}

/// The host of a `postgres://user@host:port/db` URL (or the `host=` of a key-value string).
fn host_of(base: &str) -> String {
    let rest = base
        .strip_prefix("postgres://")
        .or_else(|| base.strip_prefix("postgresql://"))
        .unwrap_or(base);
    let authority = rest.split('/').next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    if let Some(bracketed) = host_port.strip_prefix('[') {
        return bracketed.split(']').next().unwrap_or_default().to_owned();
    }
    host_port.split(':').next().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_is_required_off_this_machine_and_with_a_ca() {
        let url = |u: &str| connection(u, None).map(|c| c.url);
        assert_eq!(
            url("postgres://p@127.0.0.1:5432/db").unwrap(),
            "postgres://p@127.0.0.1:5432/db?sslmode=prefer"
        );
        assert_eq!(
            url("postgres://p@db.example:5432/db").unwrap(),
            "postgres://p@db.example:5432/db?sslmode=require"
        );
        assert_eq!(
            url("postgres://p@db.example/db?sslmode=prefer&application_name=g").unwrap(),
            "postgres://p@db.example/db?application_name=g&sslmode=require"
        );
        assert!(connection("postgres://p@db.example/db?sslmode=disable", None).is_err());
        assert!(connection("postgres://p@[::1]/db?sslrootcert=/nonexistent.pem", None).is_err());
        assert_eq!(host_of("postgres://u:pw@[::1]:5432/db"), "::1");
        assert_eq!(host_of("postgresql://localhost/db"), "localhost");
    }

    #[test]
    fn a_password_in_the_url_is_refused_and_not_repeated() {
        for url in [
            "postgres://guichet:s3cr3t@db.example/guichet",
            "host=db.example user=guichet password=s3cr3t dbname=guichet",
        ] {
            let error = connection(url, None).err().expect("refused").to_string();
            assert!(error.contains("password in a file"), "{error}");
            assert!(!error.contains("s3cr3t"), "{error}");
        }
    }
}
