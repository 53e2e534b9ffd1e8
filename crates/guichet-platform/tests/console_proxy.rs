//! The client's address behind a reverse proxy (issue 24): the console records it in the
//! audit log and counts failed logins per address. A real server on loopback over a real
//! database (SQLite file, and PostgreSQL where installed), reached from several loopback
//! addresses: a client that is not a trusted proxy cannot choose its address with
//! `X-Forwarded-For`; behind the proxy `[serve] trusted_proxies` names, the last untrusted
//! hop is the client.

mod common;
mod console_client;

use std::net::IpAddr;

use common::{Backend, TestPlatform};
use console_client::{create_account, Browser, PASSWORD};
use guichet_console::model::Role;
use guichet_platform::server::client::TrustedProxies;
use guichet_platform::server::{self, Platform, RunningServer, ServeLimits};
use guichet_protocol::signing::public_key_hex;

/// A second server on the platform's database that trusts the proxy at 127.0.0.1.
async fn behind_a_proxy(platform: &TestPlatform) -> RunningServer {
    let proxy: IpAddr = "127.0.0.1".parse().unwrap();
    server::start_with(
        Platform {
            store: platform.store.clone(),
            root_keys: vec![public_key_hex(&platform.root.verifying_key())],
            answer_key: platform.answer_key.clone(),
        },
        "127.0.0.1:0",
        ServeLimits {
            trusted_proxies: TrustedProxies::new(&[proxy]),
            ..ServeLimits::default()
        },
    )
    .await
    .unwrap()
}

/// A browser connecting from `from` that sends `X-Forwarded-For: forwarded`.
fn forwarding(base: &str, from: [u8; 4], forwarded: &str) -> Browser {
    let mut browser = Browser::from_address(base, Some(IpAddr::from(from)));
    browser
        .headers
        .push(("x-forwarded-for".to_owned(), forwarded.to_owned()));
    browser
}

/// The address of the newest `login` audit entry of `name`.
async fn login_address(platform: &TestPlatform, name: &str) -> String {
    platform
        .store
        .audit_log(100)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.action == "login" && e.account.as_deref() == Some(name))
        .expect("a login entry")
        .address
}

/// Without trusted proxies (the default), `X-Forwarded-For` is ignored: the audit log has the
/// TCP peer, and a sprayer changing the header at every attempt is still one address, locked.
async fn a_client_cannot_choose_its_address(backend: Backend) {
    let Some(platform) = TestPlatform::start(backend).await else {
        return;
    };
    let store = platform.store.clone();
    let admin = create_account(&store, "camille", Role::Admin).await;
    let auditor = create_account(&store, "alix", Role::Auditor).await;
    let base = platform.server.url();
    let mut spoofer = forwarding(&base, [127, 0, 0, 2], "203.0.113.9");
    spoofer.login(&admin).await;
    assert_eq!(login_address(&platform, "camille").await, "127.0.0.2");

    let mut sprayer = Browser::from_address(&base, Some(IpAddr::from([127, 0, 0, 4])));
    for attempt in 0..guichet_console::MAX_FAILURES_PER_ADDRESS {
        sprayer.headers = vec![(
            "x-forwarded-for".to_owned(),
            format!("198.51.100.{attempt}"),
        )];
        let answer = sprayer.password(&format!("user{attempt}"), PASSWORD).await;
        assert_eq!(answer.status, 401);
    }
    sprayer.headers = vec![("x-forwarded-for".to_owned(), "198.51.100.200".to_owned())];
    assert_eq!(
        sprayer.password(&auditor.name, PASSWORD).await.status,
        429,
        "the peer's address is locked whatever the header says"
    );
    let failures = store.login_failures("", "198.51.100.1", 0).await.unwrap();
    assert_eq!(
        failures.by_address, 0,
        "no attempt counted for a spoofed address"
    );

    // A server that trusts a proxy still ignores the header from any other peer.
    let proxied = behind_a_proxy(&platform).await;
    let mut spoofer = forwarding(&proxied.url(), [127, 0, 0, 3], "203.0.113.9");
    spoofer.login(&auditor).await;
    assert_eq!(login_address(&platform, "alix").await, "127.0.0.3");
}

/// Behind the trusted proxy, the client is the last hop the proxy added (what the client
/// wrote itself, on the left, is not believed), and each client has its own login limit.
async fn behind_a_trusted_proxy_the_forwarded_client_is_recorded(backend: Backend) {
    let Some(platform) = TestPlatform::start(backend).await else {
        return;
    };
    let store = platform.store.clone();
    let admin = create_account(&store, "camille", Role::Admin).await;
    let reviewer = create_account(&store, "dominique", Role::Reviewer).await;
    let proxied = behind_a_proxy(&platform).await;
    let base = proxied.url();
    // The client wrote 198.51.100.7 itself; the proxy appended the address it saw.
    let mut client = forwarding(&base, [127, 0, 0, 1], "198.51.100.7, 203.0.113.9");
    client.login(&admin).await;
    assert_eq!(login_address(&platform, "camille").await, "203.0.113.9");

    // A client behind the proxy that fails too often is locked out; another one is not.
    let mut sprayer = forwarding(&base, [127, 0, 0, 1], "203.0.113.20");
    for attempt in 0..guichet_console::MAX_FAILURES_PER_ADDRESS {
        let answer = sprayer.password(&format!("user{attempt}"), PASSWORD).await;
        assert_eq!(answer.status, 401);
    }
    assert_eq!(sprayer.password(&reviewer.name, PASSWORD).await.status, 429);
    let failures = store.login_failures("", "203.0.113.20", 0).await.unwrap();
    assert_eq!(
        failures.by_address,
        guichet_console::MAX_FAILURES_PER_ADDRESS
    );
    let failures = store.login_failures("", "127.0.0.1", 0).await.unwrap();
    assert_eq!(failures.by_address, 0, "the proxy itself is not counted");
    let mut other = forwarding(&base, [127, 0, 0, 1], "203.0.113.21");
    other.login(&reviewer).await;
    assert_eq!(login_address(&platform, "dominique").await, "203.0.113.21");
}

on_both_backends!(
    a_client_cannot_choose_its_address,
    behind_a_trusted_proxy_the_forwarded_client_is_recorded,
);
