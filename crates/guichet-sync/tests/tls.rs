//! HTTPS between kiosk and platform, for real on loopback: the platform serves TLS with a
//! certificate from a throwaway CA (rcgen, TEST ONLY), the kiosk pins that CA at enrollment
//! and syncs; a kiosk pinning another CA, or trusting only the system's roots, refuses the
//! certificate and enrolls nothing.

use std::path::Path;

use guichet_ledger::{Ledger, LedgerSettings};
use guichet_platform::admin::{self, Paths};
use guichet_platform::server;
use guichet_sync::{enroll, sync_once, IdentityError, TrustStore};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};

/// A CA (its certificate as PEM) and a server certificate and key for 127.0.0.1 signed by it.
struct Pki {
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
}

fn pki() -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    Pki {
        ca_pem: ca.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

/// The demo platform's data, served over HTTPS with `pki`'s certificate; its URL, a fresh
/// enrollment code and the root fingerprint.
async fn https_platform(dir: &Path, pki: &Pki) -> (server::RunningServer, String, String) {
    let demo = guichet_platform::demo::start(dir).await.unwrap();
    std::fs::write(dir.join("cert.pem"), &pki.cert_pem).unwrap();
    std::fs::write(dir.join("key.pem"), &pki.key_pem).unwrap();
    let config = server::tls::server_config(&dir.join("cert.pem"), &dir.join("key.pem")).unwrap();
    let platform = admin::platform(&Paths::new(dir, None)).await.unwrap();
    let running = server::start_tls(platform, "127.0.0.1:0", config)
        .await
        .unwrap();
    assert!(running.url().starts_with("https://127.0.0.1:"));
    let code = demo.enroll_code.clone();
    let fingerprint = demo.root_fingerprint.clone();
    demo.server.stop().await;
    (running, code, fingerprint)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_enrolls_and_syncs_over_https_with_its_pinned_ca_only() {
    let platform_dir = tempfile::tempdir().unwrap();
    let good = pki();
    let (running, code, fingerprint) = https_platform(platform_dir.path(), &good).await;
    let url = running.url();

    // Another CA's certificate pinned, or the system's roots: the handshake fails, nothing
    // is enrolled (and the one-time code is not spent).
    for pinned in [Some(pki().ca_pem), None] {
        let kiosk = tempfile::tempdir().unwrap();
        let error = enroll(kiosk.path(), &url, &code, &fingerprint, pinned, None)
            .await
            .unwrap_err();
        // Refused at the first request, which carries nothing secret.
        assert!(matches!(error, IdentityError::NotChecked(_)), "{error:?}");
        assert!(!kiosk.path().join("device.json").exists());
        assert!(!kiosk.path().join("device-key").exists());
    }

    let kiosk = tempfile::tempdir().unwrap();
    let identity = enroll(
        kiosk.path(),
        &url,
        &code,
        &fingerprint,
        Some(good.ca_pem.clone()),
        Some("comptoir https".into()),
    )
    .await
    .unwrap();
    assert_eq!(
        identity.enrollment.platform_ca_pem.as_deref(),
        Some(good.ca_pem.as_str())
    );
    // The pinned CA is kept: a later sync goes over HTTPS to the same platform.
    let identity = guichet_sync::Identity::load(kiosk.path()).unwrap();
    let mut trust = TrustStore::load(kiosk.path(), &identity.root_keys().unwrap()).unwrap();
    let mut ledger = Ledger::open(
        kiosk.path().join("ledger.sqlite3"),
        LedgerSettings::default(),
    )
    .unwrap();
    let report = sync_once(&identity, &mut trust, &mut ledger).await.unwrap();
    assert_eq!(report.bundle_sequence, Some(1), "{report:?}");
    assert!(report.bundle_refused.is_none(), "{report:?}");
    assert!(
        report.clock_skew_seconds.is_some(),
        "the platform answered: {report:?}"
    );

    // `guichet doctor`'s look at the platform: reachable over TLS, answering signed.
    let probe = guichet_sync::probe(&identity, trust.bundle())
        .await
        .unwrap();
    assert!(
        probe.server_time.is_some() && !probe.newer_bundle,
        "{probe:?}"
    );
    // With another CA pinned (a platform whose certificate changed hands), the probe fails
    // and says why: the certificate, not just "unreachable".
    let device = kiosk.path().join("device.json");
    let mut enrollment: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&device).unwrap()).unwrap();
    enrollment["platform_ca_pem"] = serde_json::Value::String(pki().ca_pem);
    std::fs::write(&device, serde_json::to_vec(&enrollment).unwrap()).unwrap();
    let identity = guichet_sync::Identity::load(kiosk.path()).unwrap();
    let error = guichet_sync::probe(&identity, trust.bundle())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("platform unreachable: ") && error.contains("certificate"),
        "{error}"
    );
    running.stop().await;
}
