//! No clear text off the machine (issue 22, point 6): with `HTTP_PROXY` (and its kin) naming a
//! listener that records what it gets, enrollment and sync with a platform on 127.0.0.1 go
//! straight to it; a loopback platform answering 307 to a non-loopback `http://` URL (which
//! would go through that proxy) or to another port gets nothing re-sent. One test in this
//! binary: it sets the process's environment.

mod support;

use guichet_ledger::{Ledger, LedgerSettings};
use guichet_protocol::paths;
use guichet_sync::{
    enroll, sync_once, ClientError, CycleError, Identity, IdentityError, TrustStore,
};
use support::{forward, serve, Reply};

const PROXY_VARIABLES: [&str; 6] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
];

#[tokio::test(flavor = "multi_thread")]
async fn a_proxy_from_the_environment_and_a_redirect_to_another_host_get_nothing() {
    let proxy = serve(|_| async { Reply::new(502, "") }).await;
    let elsewhere = serve(|_| async { Reply::new(201, "{}") }).await;
    for name in PROXY_VARIABLES {
        std::env::set_var(name, &proxy.url);
    }
    std::env::remove_var("NO_PROXY");
    std::env::remove_var("no_proxy");

    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let demo = guichet_platform::demo::start(&dir.path().join("platform"))
        .await
        .unwrap();
    let kiosk = dir.path().join("kiosk");
    let identity = enroll(
        &kiosk,
        &demo.url,
        &demo.enroll_code,
        &demo.root_fingerprint,
        None,
        None,
    )
    .await
    .unwrap();
    let mut trust = TrustStore::load(&kiosk, &identity.root_keys().unwrap()).unwrap();
    let mut ledger = Ledger::open(kiosk.join("ledger.sqlite3"), LedgerSettings::default()).unwrap();
    let report = sync_once(&identity, &mut trust, &mut ledger).await.unwrap();
    assert!(!report.answers_unverifiable);
    assert_eq!(
        *proxy.connections.lock().unwrap(),
        0,
        "the proxy got a request"
    );

    // A loopback "platform" that hands out the real bundle, and redirects everything else:
    // to a non-loopback http:// URL (followed, it would go through the proxy), or to another
    // port of this machine.
    for target in [
        "http://platform.example.org/v1/enroll".to_owned(),
        format!("{}/v1/enroll", elsewhere.url),
    ] {
        let upstream = demo.url.clone();
        let redirector = serve(move |request| {
            let (upstream, target) = (upstream.clone(), target.clone());
            async move {
                if request.target == paths::ENROLL_BUNDLE {
                    forward(&upstream, &request).await
                } else {
                    let mut reply = Reply::new(307, "");
                    reply.headers.push(("location".into(), target));
                    reply
                }
            }
        })
        .await;
        let other = dir.path().join(format!("kiosk-{}", redirector.url.len()));
        let error = enroll(
            &other,
            &redirector.url,
            &demo.enroll_code,
            &demo.root_fingerprint,
            None,
            None,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(error, IdentityError::Unfinished(ClientError::Unverified(_))),
            "{error:?}"
        );
        // The enrolled kiosk, pointed at the redirector: its signed requests are not re-sent.
        let mut moved = identity.enrollment.clone();
        moved.platform_url = redirector.url.clone();
        std::fs::write(
            kiosk.join("device.json"),
            serde_json::to_vec(&moved).unwrap(),
        )
        .unwrap();
        let moved = Identity::load(&kiosk).unwrap();
        let error = sync_once(&moved, &mut trust, &mut ledger)
            .await
            .unwrap_err();
        assert!(
            matches!(error, CycleError::Platform(ClientError::BadAnswer(_))),
            "{error:?}"
        );
        let methods: Vec<String> = redirector
            .requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.target))
            .collect();
        assert_eq!(methods.len(), 3, "one of each, none repeated: {methods:?}");
    }
    assert_eq!(
        *proxy.connections.lock().unwrap(),
        0,
        "the proxy got a request"
    );
    assert_eq!(
        *elsewhere.connections.lock().unwrap(),
        0,
        "a redirect was followed"
    );
}
