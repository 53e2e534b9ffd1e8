//! Several platform instances on one PostgreSQL database, behind a real load balancer
//! (HAProxy, from Debian): issue 23, point 3. The instances share everything through the
//! database; each is given only the configuration files an operator deploys to every machine
//! (the root's public half and the sync key, as it would a TLS certificate).

mod common;

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Backend, Kiosk, ServeProcess, TestPlatform};
use guichet_platform::clock::paris_day;
use guichet_protocol::{EntryState, LedgerEntry, PushResponse};
use jiff::Timestamp;

const HAPROXY: &str = "/usr/sbin/haproxy";

/// HAProxy in front of some platform processes; stopped when dropped.
struct Balancer {
    child: Child,
    /// Its `http://127.0.0.1:PORT`.
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// HAProxy spreading requests round-robin over `instances` (`http://127.0.0.1:PORT` each),
/// checking `/healthz` every 100 ms and sending a request that found a dead instance to
/// another one. None when HAProxy is missing and `GUICHET_ALLOW_SKIP=1`.
fn balancer(instances: &[&ServeProcess]) -> Option<Balancer> {
    if !std::path::Path::new(HAPROXY).exists() {
        assert!(
            std::env::var("GUICHET_ALLOW_SKIP").as_deref() == Ok("1"),
            "{HAPROXY} is missing (apt install haproxy, or `make setup`)"
        );
        eprintln!("skipped: HAProxy is missing and GUICHET_ALLOW_SKIP=1");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap()
        .port();
    let servers: String = instances
        .iter()
        .enumerate()
        .map(|(i, instance)| {
            let address = instance.url.trim_start_matches("http://");
            format!("    server p{i} {address} check\n")
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("haproxy.cfg");
    std::fs::write(
        &config,
        format!(
            "global\n    maxconn 512\n\
             defaults\n    mode http\n    timeout connect 1s\n    timeout client 30s\n    \
             timeout server 30s\n    retries 3\n    option redispatch\n    \
             retry-on conn-failure empty-response response-timeout\n\
             frontend kiosks\n    bind 127.0.0.1:{port}\n    default_backend platform\n\
             backend platform\n    balance roundrobin\n    option httpchk GET /healthz\n    \
             default-server inter 100ms fall 1 rise 2\n{servers}"
        ),
    )
    .unwrap();
    let mut child = Command::new(HAPROXY)
        .arg("-db")
        .arg("-f")
        .arg(&config)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(Balancer {
                child,
                url: format!("http://127.0.0.1:{port}"),
                _dir: dir,
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("HAProxy did not listen on {port}");
}

/// Pushes `entries` until the platform answers (a request cut by a dying instance is sent
/// again, as the kiosk's sync does): the answer's states by entry id.
async fn push_until_answered(kiosk: &Kiosk, entries: &[LedgerEntry]) -> Vec<EntryState> {
    for _ in 0..50 {
        match kiosk.try_push(entries).await {
            Ok(response) if response.status() == 200 => {
                let answer: PushResponse = response.json().await.unwrap();
                return answer.results.into_iter().map(|r| r.state).collect();
            }
            Ok(_) | Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("no instance answered 50 times in a row");
}

/// Three `serve` processes on one PostgreSQL database behind HAProxy; four kiosks of two
/// centers push, two of them the same coupons at once; one instance is killed in the middle
/// of it. Nothing is lost (every entry stored), nothing counted twice (each coupon one
/// accepted redemption, answered `accepted` to exactly one kiosk, also across retries), and
/// the month's report pays each coupon once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_behind_haproxy_lose_and_double_nothing() {
    const ROUNDS: u64 = 12;
    const PER_PUSH: u64 = 4;
    let Some(platform) = TestPlatform::start(Backend::Postgres).await else {
        return;
    };
    let mut instances: Vec<Option<ServeProcess>> =
        (0..3).map(|_| Some(platform.another_process())).collect();
    let Some(haproxy) = balancer(&instances.iter().flatten().collect::<Vec<_>>()) else {
        return;
    };
    let booklets = common::mint(&platform, |request| {
        // 3 × ROUNDS × PER_PUSH = 144 coupons.
        request.booklets = 15;
        request.coupons_per_booklet = 10;
    })
    .await;
    let first = booklets.coupon.serial;
    let mut kiosks = Vec::new();
    for center in ["C1", "C1", "C2", "C2"] {
        let mut kiosk = platform.kiosk(center).await;
        kiosk.base = haproxy.url.clone();
        kiosks.push(kiosk);
    }

    // Accepted answers per coupon serial, and every entry pushed.
    let mut accepted: HashMap<u64, usize> = HashMap::new();
    let mut pushed = 0;
    for round in 0..ROUNDS {
        let now = Timestamp::now();
        // Kiosks 0 and 2 (two centers) redeem the same coupons; kiosks 1 and 3 their own.
        let serials =
            |offset: u64| (0..PER_PUSH).map(move |i| first + offset + round * PER_PUSH + i);
        let plans: [Vec<u64>; 4] = [
            serials(0).collect(),
            serials(ROUNDS * PER_PUSH).collect(),
            serials(0).collect(),
            serials(2 * ROUNDS * PER_PUSH).collect(),
        ];
        let batches: Vec<Vec<LedgerEntry>> = kiosks
            .iter_mut()
            .zip(&plans)
            .map(|(kiosk, plan)| {
                plan.iter()
                    .map(|&serial| kiosk.redemption_of(&booklets.code(serial), now, |_| {}))
                    .collect()
            })
            .collect();
        let [k0, k1, k2, k3] = &kiosks[..] else {
            unreachable!("four kiosks")
        };
        let dying = &mut instances[1];
        let (answers, ()) = tokio::join!(
            async {
                tokio::join!(
                    push_until_answered(k0, &batches[0]),
                    push_until_answered(k1, &batches[1]),
                    push_until_answered(k2, &batches[2]),
                    push_until_answered(k3, &batches[3]),
                )
            },
            async {
                if round == ROUNDS / 2 {
                    // An instance dies with requests in flight (SIGKILL): HAProxy sees it at
                    // its next check; what it was sent goes again, elsewhere.
                    tokio::time::sleep(Duration::from_millis(3)).await;
                    *dying = None;
                }
            },
        );
        for (plan, states) in plans
            .iter()
            .zip([answers.0, answers.1, answers.2, answers.3])
        {
            assert_eq!(states.len(), plan.len());
            for (serial, state) in plan.iter().zip(states) {
                assert!(
                    matches!(state, EntryState::Accepted | EntryState::Conflict),
                    "coupon {serial}: {state:?}"
                );
                if state == EntryState::Accepted {
                    *accepted.entry(*serial).or_default() += 1;
                }
            }
            pushed += plan.len();
        }
        // A kiosk that did not hear its answer sends the same push again: the same answers.
        let again = push_until_answered(k1, &batches[1]).await;
        assert!(
            again.iter().all(|state| *state == EntryState::Accepted),
            "{again:?}"
        );
    }

    // Every instance served pushes (round-robin), the dead one until it died.
    let client = reqwest::Client::new();
    for instance in instances.iter().flatten() {
        let metrics = client
            .get(format!("{}/metrics", instance.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            metrics.lines().any(|line| line.starts_with(
                "guichet_http_requests_total{route=\"/v1/redemptions\",status=\"200\"}"
            )),
            "{metrics}"
        );
    }
    assert!(instances[1].is_none());

    let coupons = 3 * ROUNDS * PER_PUSH;
    assert_eq!(accepted.len() as u64, coupons, "every coupon accepted once");
    assert!(
        accepted.values().all(|&answers| answers == 1),
        "a coupon answered `accepted` twice: {accepted:?}"
    );
    let store = platform.store.clone();
    let (stored, report) = {
        (
            store.entry_count().await.unwrap(),
            store
                .month_report(paris_day(Timestamp::now()))
                .await
                .unwrap(),
        )
    };
    // The scene's platform holds no other entry: every pushed entry is stored, once.
    assert_eq!(stored as usize, pushed);
    let paid: i64 = report.reimbursements.iter().map(|l| l.amount_cents).sum();
    assert_eq!(
        paid,
        coupons as i64 * i64::from(booklets.coupon.value_cents)
    );
    assert_eq!(report.conflicts.len() as u64, ROUNDS * PER_PUSH);
    drop(haproxy);
}
