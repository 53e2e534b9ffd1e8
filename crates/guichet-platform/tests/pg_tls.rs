//! PostgreSQL over TLS: a throwaway cluster that refuses TCP connections without TLS, with a
//! certificate from a throwaway CA (rcgen, TEST ONLY). The platform's store opens it with the
//! CA pinned (`sslrootcert`); without TLS, with the system's roots, or with another CA, it
//! does not connect.

mod common;

use guichet_platform::Store;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};

fn ca() -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platform_reaches_postgresql_over_verified_tls_only() {
    let (good, other) = (ca(), ca());
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &good)
        .unwrap();
    let Some(cluster) = common::pg::PgCluster::start_tls(&cert.pem(), &key.serialize_pem()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (good_ca, other_ca) = (dir.path().join("ca.pem"), dir.path().join("other.pem"));
    std::fs::write(&good_ca, good.pem()).unwrap();
    std::fs::write(&other_ca, other.pem()).unwrap();
    let url = cluster.new_database_by_socket();

    let (store, _) = Store::migrate(&format!("{url}?sslrootcert={}", good_ca.display()))
        .await
        .expect("TLS with the pinned CA");
    assert_eq!(store.entry_count().await.unwrap(), 0);
    store.add_provider(7, "Département").await.unwrap();

    for (refused, why) in [
        (format!("{url}?sslmode=disable"), "no TLS"),
        (
            url.clone(),
            "in the clear by default on loopback, which this server refuses",
        ),
        (
            format!("{url}?sslmode=require"),
            "TLS asked for is verified: the system's roots do not know the test CA",
        ),
        (
            format!("{url}?sslrootcert={}", other_ca.display()),
            "another CA",
        ),
    ] {
        let error = Store::open(&refused)
            .await
            .err()
            .unwrap_or_else(|| panic!("{why}: connected"));
        assert!(error.to_string().contains("PostgreSQL"), "{why}: {error}");
    }
}
