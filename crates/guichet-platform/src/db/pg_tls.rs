//! How the platform reaches PostgreSQL: over verified TLS unless the server is on this
//! machine, and with a password that never appears on a command line.
//!
//! The database URL is libpq's (`postgres://user@host:port/db?…`), with `sslrootcert=PATH`,
//! a PEM file of the CA the server's certificate must chain to (else the system's roots).
//! Whenever TLS is used it is `sslmode=verify-full` (the chain and the host name checked),
//! whatever the URL says: sqlx's `require` and `prefer` would accept any certificate. TLS is
//! required when `sslrootcert` is given or the host is not a loopback address; on loopback
//! without it, TLS is used only if the URL asks for it (a server on the same machine is
//! reached in the clear by default). So a platform on one machine and its database on another
//! never talk in the clear, and never to a server with an unverified certificate.

use crate::error::Error;

/// The database password, read from a file (`--database-password-file`, or the systemd
/// credential `database-password`): a URL shows in `ps`, in shell histories and in what a
/// command prints back.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// The first line of a password file (a trailing newline is not part of the password).
    pub fn from_file_text(text: &str) -> Password {
        Password(text.lines().next().unwrap_or_default().to_owned())
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

/// The URL sqlx connects with: the operator's URL with the TLS rule above applied, the CA
/// file checked, and `password` added (in this process's memory only).
pub fn url(location: &str, password: Option<&Password>) -> Result<String, Error> {
    let invalid = |why: String| Error::Invalid(format!("database URL: {why}"));
    let mut url = url::Url::parse(location).map_err(|e| invalid(e.to_string()))?;
    if url.password().is_some() {
        return Err(invalid(
            "it holds a password, which shows in `ps` and in what commands print: give the \
             URL without it, and the password in a file of mode 0600 \
             (--database-password-file FILE, or the systemd credential database-password)"
                .into(),
        ));
    }
    let mut root_cert = None;
    let mut asked = None;
    let mut kept = Vec::new();
    for (key, value) in url.query_pairs() {
        match &*key {
            "sslrootcert" => root_cert = Some(value.into_owned()),
            "sslmode" => asked = Some(value.into_owned()),
            "password" => return Err(invalid("it holds a password parameter".into())),
            _ => kept.push((key.into_owned(), value.into_owned())),
        }
    }
    let host = url.host_str().unwrap_or_default().to_owned();
    let loopback = host.is_empty()
        || host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let tls = root_cert.is_some() || !loopback || asked.as_deref().is_some_and(|m| m != "disable");
    if tls && asked.as_deref() == Some("disable") {
        return Err(invalid(format!(
            "sslmode=disable to {host}: the database is reached over TLS unless it is on this \
             machine"
        )));
    }
    if let Some(path) = &root_cert {
        check_ca_file(path).map_err(|why| invalid(format!("sslrootcert {path}: {why}")))?;
        kept.push(("sslrootcert".into(), path.clone()));
    }
    let mode = if tls { "verify-full" } else { "disable" };
    kept.push(("sslmode".into(), mode.into()));
    url.query_pairs_mut().clear().extend_pairs(kept);
    if let Some(Password(password)) = password {
        url.set_password(Some(password))
            .map_err(|()| invalid("this URL cannot carry a password".into()))?;
    }
    Ok(url.into())
}

/// A CA file holds at least one PEM certificate.
fn check_ca_file(path: &str) -> Result<(), String> {
    use rustls::pki_types::pem::PemObject;
    let certificates = rustls::pki_types::CertificateDer::pem_file_iter(path)
        .map_err(|e| e.to_string())?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    if certificates.is_empty() {
        return Err("no certificate in it".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_is_verified_and_required_off_this_machine_and_with_a_ca() {
        let url = |u: &str| url(u, None).unwrap();
        assert_eq!(
            url("postgres://p@127.0.0.1:5432/db"),
            "postgres://p@127.0.0.1:5432/db?sslmode=disable"
        );
        assert_eq!(
            url("postgres://p@127.0.0.1:5432/db?sslmode=prefer"),
            "postgres://p@127.0.0.1:5432/db?sslmode=verify-full"
        );
        assert_eq!(
            url("postgres://p@db.example:5432/db"),
            "postgres://p@db.example:5432/db?sslmode=verify-full"
        );
        assert_eq!(
            url("postgres://p@db.example/db?sslmode=require&application_name=g"),
            "postgres://p@db.example/db?application_name=g&sslmode=verify-full"
        );
        assert!(super::url("postgres://p@db.example/db?sslmode=disable", None).is_err());
        assert!(super::url("postgres://p@[::1]/db?sslrootcert=/nonexistent.pem", None).is_err());
    }

    #[test]
    fn a_password_in_the_url_is_refused_and_not_repeated() {
        for location in [
            "postgres://guichet:s3cr3t@db.example/guichet",
            "postgres://guichet@db.example/guichet?password=s3cr3t",
        ] {
            let error = url(location, None).expect_err("refused").to_string();
            assert!(error.contains("password"), "{error}");
            assert!(!error.contains("s3cr3t"), "{error}");
        }
    }

    #[test]
    fn a_password_from_a_file_is_added_encoded() {
        let password = Password::from_file_text("p@ss word/é\n");
        let with = url("postgres://guichet@db.example/g", Some(&password)).unwrap();
        let parsed = url::Url::parse(&with).unwrap();
        assert_eq!(parsed.password(), Some("p%40ss%20word%2F%C3%A9"));
        assert_eq!(format!("{password:?}"), "Password(…)");
    }
}
