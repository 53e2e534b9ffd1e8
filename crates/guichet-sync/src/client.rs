//! Signed HTTP requests to the platform (reqwest).

use std::time::Duration;

use ed25519_dalek::SigningKey;
use ed25519_dalek::VerifyingKey;
use guichet_protocol::answer::{AnswerError, AnswerHeaders, AnswerToSign};
use guichet_protocol::seal::SealedEnroll;
use guichet_protocol::signing::{nonce_hex, RequestToSign, NONCE_BYTES};
use guichet_protocol::{
    paths, DeviceStatus, EnrollBundle, EnrollResponse, ErrorBody, ErrorCode, PushRequest,
    PushResponse, StatesAnswer,
};
use jiff::Timestamp;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

/// How long one request may take before it counts as a network failure.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No answer: offline, refused connection, timeout, cut mid-body. Retry later.
    #[error("platform unreachable: {0}")]
    Network(String),
    /// The platform failed (5xx). Retry later.
    #[error("the platform failed (HTTP {status}): {message}")]
    Server {
        /// The HTTP status.
        status: u16,
        /// Its message, if any.
        message: String,
    },
    /// The platform refused the request; retrying the same will not help.
    #[error("the platform refused: {:?} ({})", .0.error, .0.message)]
    Refused(ErrorBody),
    /// An answer that is not what the protocol says.
    #[error("unexpected answer from the platform: {0}")]
    BadAnswer(String),
    /// The platform URL is not usable.
    #[error("bad platform URL {0}")]
    BadUrl(String),
    /// Plain `http://` to a host that is not this machine: refused.
    #[error(
        "{0}: plain http:// is only allowed on this machine (127.0.0.1, ::1, localhost); use https://"
    )]
    InsecureUrl(String),
    /// The pinned CA certificate cannot be read.
    #[error("the pinned CA certificate: {0}")]
    BadCa(String),
    /// An answer not signed by a sync key of the kiosk's trust bundle: nothing of it is
    /// recorded (a man in the middle, or a bundle without the platform's current sync key:
    /// retry after the next bundle).
    #[error("the platform's answer is not believed: {0}")]
    Unverified(#[source] AnswerError),
}

/// Whether `url` names a host on this machine (127.0.0.0/8, `::1`, `localhost`).
fn is_loopback(url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    let host = parsed.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether `url` is `http://` to a loopback host.
fn is_loopback_http(url: &str) -> bool {
    reqwest::Url::parse(url).is_ok_and(|parsed| parsed.scheme() == "http") && is_loopback(url)
}

/// Refuses what is not an `https://` URL or an `http://` one on loopback.
fn check_url(url: &str) -> Result<(), ClientError> {
    let parsed = reqwest::Url::parse(url).map_err(|_| ClientError::BadUrl(url.to_string()))?;
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(()),
        "http" if is_loopback_http(url) => Ok(()),
        "http" => Err(ClientError::InsecureUrl(url.to_string())),
        _ => Err(ClientError::BadUrl(url.to_string())),
    }
}

impl ClientError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            ClientError::Network(_)
            | ClientError::Server { .. }
            | ClientError::BadAnswer(_)
            | ClientError::Unverified(_) => true,
            ClientError::Refused(body) => body.error.is_retryable(),
            ClientError::BadUrl(_) | ClientError::InsecureUrl(_) | ClientError::BadCa(_) => false,
        }
    }
}

/// A bundle pull's answer.
#[derive(Debug)]
pub enum BundleAnswer {
    /// The kiosk's sequence is current (304).
    Current,
    /// A newer bundle file.
    Newer(Vec<u8>),
    /// Nothing published yet.
    NonePublished,
}

/// An answer with the platform's clock.
#[derive(Debug)]
pub struct Dated<T> {
    /// The answer.
    pub value: T,
    /// The platform's clock, from the answer's signed time: `None` when the answer was not
    /// signed by a sync key of the kiosk's bundle (an unsigned `Date` is never believed).
    pub server_time: Option<Timestamp>,
}

/// An answer to a signed request, read whole, with what its signature says.
struct Answer {
    status: StatusCode,
    body: Vec<u8>,
    /// The signed time, or why the answer is not believed.
    signed: Result<Timestamp, AnswerError>,
}

impl Answer {
    /// The answer, if the platform signed it; a server failure (5xx, which a proxy may send
    /// unsigned) is a retryable error either way.
    fn believed(self) -> Result<(StatusCode, Vec<u8>, Timestamp), ClientError> {
        if self.status.is_server_error() {
            return Err(refusal(self.status, &self.body));
        }
        match self.signed {
            Ok(time) => Ok((self.status, self.body, time)),
            Err(why) => Err(ClientError::Unverified(why)),
        }
    }
}

/// The platform's HTTP API.
#[derive(Clone, Debug)]
pub struct PlatformClient {
    http: reqwest::Client,
    base: String,
}

/// A signer for the requests of one device, and the keys its answers must be signed with.
pub struct Signer<'a> {
    /// The device id.
    pub device_id: &'a str,
    /// The device key.
    pub key: &'a SigningKey,
    /// The platform's sync keys, from the kiosk's trust bundle.
    pub answer_keys: &'a [VerifyingKey],
}

impl PlatformClient {
    /// A client for the platform at `base_url`: `https://`, or `http://` on loopback only
    /// (the demo, tests, a reverse proxy on the same machine); anything else could be read and
    /// changed on the way. The server's certificate is checked against the system's roots, or,
    /// with `pinned_ca` (PEM), against that CA only (a self-hosted platform).
    ///
    /// No redirect is ever followed (the platform never redirects: a 3xx is an answer like
    /// any other, and refused), so nothing is re-sent to another origin or scheme; a platform
    /// on this machine is reached directly, never through a proxy that `HTTP_PROXY` or
    /// `ALL_PROXY` may name.
    pub fn new(base_url: &str, pinned_ca: Option<&str>) -> Result<PlatformClient, ClientError> {
        let base = base_url.trim_end_matches('/').to_string();
        check_url(&base)?;
        let mut builder = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .https_only(!is_loopback_http(&base));
        if is_loopback(&base) {
            builder = builder.no_proxy();
        }
        if let Some(pem) = pinned_ca {
            let certificates = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| ClientError::BadCa(e.to_string()))?;
            if certificates.is_empty() {
                return Err(ClientError::BadCa("no certificate in the PEM text".into()));
            }
            builder = builder.tls_certs_only(certificates);
        }
        // The error keeps its causes: reqwest's own text is only "builder error" (issue 26: a
        // root without the system's CA certificates said nothing more).
        let http = builder.build().map_err(network)?;
        Ok(PlatformClient { http, base })
    }

    /// `GET /v1/enroll/bundle` (unsigned): the roots, the bundle and the sync key the kiosk
    /// checks before it enrolls. Nothing secret is sent.
    pub async fn enroll_bundle(&self) -> Result<EnrollBundle, ClientError> {
        let response = self
            .http
            .get(format!("{}{}", self.base, paths::ENROLL_BUNDLE))
            .send()
            .await
            .map_err(network)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(network)?;
        if !status.is_success() {
            return Err(refusal(status, &bytes));
        }
        serde_json::from_slice(&bytes).map_err(|e| ClientError::BadAnswer(e.to_string()))
    }

    /// `POST /v1/enroll`: the enrollment sealed to `sync_key`. The answer, refusals included,
    /// is believed only if `sync_key` signed it, bound to `device_key` (64 hex) and the
    /// sealed `nonce`.
    pub async fn enroll(
        &self,
        sealed: &SealedEnroll,
        device_key: &str,
        nonce: &str,
        sync_key: &VerifyingKey,
    ) -> Result<Dated<EnrollResponse>, ClientError> {
        let body = serde_json::to_vec(sealed).map_err(|e| ClientError::BadAnswer(e.to_string()))?;
        let response = self
            .http
            .post(format!("{}{}", self.base, paths::ENROLL))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(network)?;
        let binding = Binding {
            method: "POST",
            target: paths::ENROLL,
            device_id: device_key,
            nonce,
        };
        json_answer(read_answer(response, binding, std::slice::from_ref(sync_key)).await?)
    }

    /// `GET /v1/bundle?have=SEQ`. The bundle is believed for its root signature, so an
    /// unsigned answer still delivers it (a kiosk whose bundle predates the platform's sync
    /// key learns it this way); only its time needs the answer's signature.
    pub async fn bundle(
        &self,
        signer: &Signer<'_>,
        have: u64,
    ) -> Result<Dated<BundleAnswer>, ClientError> {
        let target = format!("{}?have={have}", paths::BUNDLE);
        let answer = self
            .signed(signer, Method::GET, &target, Vec::new())
            .await?;
        let server_time = answer.signed.as_ref().ok().copied();
        let value = match answer.status {
            StatusCode::NOT_MODIFIED => BundleAnswer::Current,
            StatusCode::OK => BundleAnswer::Newer(answer.body),
            status => match refusal(status, &answer.body) {
                ClientError::Refused(body) if body.error == ErrorCode::NoBundle => {
                    BundleAnswer::NonePublished
                }
                other => return Err(other),
            },
        };
        Ok(Dated { value, server_time })
    }

    /// `GET /v1/freshness`: the platform's current freshness statement, `None` when it has
    /// none yet (or is older than the endpoint). Like a bundle, the statement is believed for
    /// its own signature (checked by the trust store against the bundle's sync keys); the
    /// answer's signature only dates it.
    pub async fn freshness(
        &self,
        signer: &Signer<'_>,
    ) -> Result<Dated<Option<Vec<u8>>>, ClientError> {
        let answer = self
            .signed(signer, Method::GET, paths::FRESHNESS, Vec::new())
            .await?;
        let server_time = answer.signed.as_ref().ok().copied();
        let value = match answer.status {
            StatusCode::OK => Some(answer.body),
            status => match refusal(status, &answer.body) {
                ClientError::Refused(body)
                    if matches!(body.error, ErrorCode::NoBundle | ErrorCode::NotFound) =>
                {
                    None
                }
                other => return Err(other),
            },
        };
        Ok(Dated { value, server_time })
    }

    /// `POST /v1/redemptions`: believed only if signed.
    pub async fn push(
        &self,
        signer: &Signer<'_>,
        request: &PushRequest,
    ) -> Result<Dated<PushResponse>, ClientError> {
        let body =
            serde_json::to_vec(request).map_err(|e| ClientError::BadAnswer(e.to_string()))?;
        let answer = self
            .signed(signer, Method::POST, paths::REDEMPTIONS, body)
            .await?;
        json_answer(answer)
    }

    /// `GET /v1/device`: where the platform's copy of this kiosk's chain ends; believed only
    /// if signed.
    pub async fn device(&self, signer: &Signer<'_>) -> Result<Dated<DeviceStatus>, ClientError> {
        let answer = self
            .signed(signer, Method::GET, paths::DEVICE, Vec::new())
            .await?;
        json_answer(answer)
    }

    /// `GET /v1/redemptions/states?since=CURSOR`: believed only if signed.
    pub async fn states(
        &self,
        signer: &Signer<'_>,
        since: u64,
    ) -> Result<Dated<StatesAnswer>, ClientError> {
        let target = format!("{}?since={since}", paths::REDEMPTION_STATES);
        let answer = self
            .signed(signer, Method::GET, &target, Vec::new())
            .await?;
        json_answer(answer)
    }

    async fn signed(
        &self,
        signer: &Signer<'_>,
        method: Method,
        target: &str,
        body: Vec<u8>,
    ) -> Result<Answer, ClientError> {
        let mut random = [0u8; NONCE_BYTES];
        getrandom::fill(&mut random)
            .map_err(|e| ClientError::Network(format!("no random source: {e}")))?;
        let nonce = nonce_hex(random);
        let headers = RequestToSign {
            method: method.as_str(),
            path_and_query: target,
            device_id: signer.device_id,
            timestamp: Timestamp::now().as_second(),
            nonce: &nonce,
            body: &body,
        }
        .sign(signer.key);
        let mut request = self
            .http
            .request(method.clone(), format!("{}{target}", self.base));
        for (name, value) in headers.to_pairs() {
            request = request.header(name, value);
        }
        if !body.is_empty() {
            request = request.header("content-type", "application/json");
        }
        let response = request.body(body).send().await.map_err(network)?;
        let binding = Binding {
            method: method.as_str(),
            target,
            device_id: signer.device_id,
            nonce: &nonce,
        };
        read_answer(response, binding, signer.answer_keys).await
    }
}

/// The request an answer must be bound to.
struct Binding<'a> {
    method: &'a str,
    target: &'a str,
    device_id: &'a str,
    nonce: &'a str,
}

/// Reads an answer whole and checks its signature against `keys` for `binding`.
async fn read_answer(
    response: reqwest::Response,
    binding: Binding<'_>,
    keys: &[VerifyingKey],
) -> Result<Answer, ClientError> {
    let status = response.status();
    let answer_headers = AnswerHeaders::from_headers(|name| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
    });
    let body = response.bytes().await.map_err(network)?.to_vec();
    let signed = answer_headers.and_then(|headers| {
        AnswerToSign {
            method: binding.method,
            path_and_query: binding.target,
            device_id: binding.device_id,
            nonce: binding.nonce,
            status: status.as_u16(),
            time_ms: headers.time_ms,
            body: &body,
        }
        .verify(&headers, keys)?;
        headers.time().ok_or(AnswerError::Unsigned(
            guichet_protocol::answer::HEADER_ANSWER_TIME,
        ))
    });
    Ok(Answer {
        status,
        body,
        signed,
    })
}

/// The error and its causes (reqwest's own message does not say why a connection or a TLS
/// handshake failed; its sources do).
fn network(error: reqwest::Error) -> ClientError {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    ClientError::Network(text)
}

fn refusal(status: StatusCode, bytes: &[u8]) -> ClientError {
    let body: Option<ErrorBody> = serde_json::from_slice(bytes).ok();
    match body {
        Some(body) if status.is_client_error() => ClientError::Refused(body),
        body if status.is_server_error() => ClientError::Server {
            status: status.as_u16(),
            message: body.map(|b| b.message).unwrap_or_default(),
        },
        _ => ClientError::BadAnswer(format!("HTTP {status}: {}", String::from_utf8_lossy(bytes))),
    }
}

/// A signed JSON answer: its value on success, the refusal otherwise (both only if signed).
fn json_answer<T: DeserializeOwned>(answer: Answer) -> Result<Dated<T>, ClientError> {
    let (status, body, time) = answer.believed()?;
    if !status.is_success() {
        return Err(refusal(status, &body));
    }
    let value = serde_json::from_slice(&body).map_err(|e| ClientError::BadAnswer(e.to_string()))?;
    Ok(Dated {
        value,
        server_time: Some(time),
    })
}

#[cfg(test)]
mod url_tests {
    use super::*;

    #[test]
    fn plain_http_is_for_this_machine_only() {
        for ok in [
            "https://plateforme.example.fr",
            "https://10.0.0.5:8443",
            "http://127.0.0.1:8440",
            "http://127.3.4.5",
            "http://[::1]:8440",
            "http://localhost:8440",
        ] {
            assert!(PlatformClient::new(ok, None).is_ok(), "{ok}");
        }
        for insecure in [
            "http://plateforme.example.fr",
            "http://10.0.0.5:8440",
            "http://[2001:db8::1]",
            "http://localhost.evil.example",
        ] {
            assert!(
                matches!(
                    PlatformClient::new(insecure, None),
                    Err(ClientError::InsecureUrl(_))
                ),
                "{insecure}"
            );
        }
        for bad in ["ftp://127.0.0.1", "127.0.0.1:8440", "https://", ""] {
            assert!(
                matches!(PlatformClient::new(bad, None), Err(ClientError::BadUrl(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            PlatformClient::new("https://x.example", Some("not a pem")),
            Err(ClientError::BadCa(_))
        ));
    }
}
