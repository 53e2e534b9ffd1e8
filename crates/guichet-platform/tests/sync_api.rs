//! The sync API over real HTTP on 127.0.0.1, on SQLite and on PostgreSQL.

mod common;

use common::{Backend, TestPlatform};
use guichet_core::TrustBundle;
use guichet_platform::keys::generate_key;
use guichet_protocol::signing::{parse_public_key, HEADER_NONCE};
use guichet_protocol::{
    paths, ChainHash, DeviceStatus, EnrollBundle, EnrollResponse, EntryState, ErrorBody, ErrorCode,
    PushResponse, StatesResponse,
};
use jiff::{SignedDuration, Timestamp};
use reqwest::Method;

async fn expect_error(response: reqwest::Response, status: u16, code: ErrorCode) -> ErrorBody {
    assert_eq!(response.status().as_u16(), status, "status");
    assert!(
        response.headers().contains_key("date"),
        "a Date header on every answer"
    );
    let body: ErrorBody = response.json().await.expect("a JSON error body");
    assert_eq!(body.error, code, "{}", body.message);
    body
}

async fn enrollment_gives_device_center_roots_and_bundle_once(backend: Backend) {
    let Some(platform) = TestPlatform::start(backend).await else {
        return;
    };
    // What a kiosk checks first, unsigned: the roots, the bundle they sign, the sync key.
    let offered: EnrollBundle = platform
        .client
        .get(platform.url(paths::ENROLL_BUNDLE))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let roots: Vec<_> = offered
        .root_keys
        .iter()
        .map(|k| parse_public_key(k).unwrap())
        .collect();
    assert_eq!(roots, vec![platform.root.verifying_key()]);
    let bundle = TrustBundle::open(offered.bundle.as_bytes(), &roots).unwrap();
    assert_eq!(bundle.sequence(), 1);
    assert!(bundle.issuer(platform.kid).is_some());
    let sync_key = parse_public_key(&offered.sync_key).unwrap();
    assert_eq!(sync_key, platform.answer_key.verifying_key());
    assert!(bundle.sync_keys().contains(&sync_key));

    let code = platform.enroll_code("C1").await;
    let key = generate_key().unwrap();
    let response = platform.post_enroll(&code, &key).await;
    assert_eq!(response.status(), 201);
    assert!(response.headers().contains_key("date"));
    let signature = guichet_protocol::answer::AnswerHeaders::from_headers(|name| {
        response.headers().get(name).and_then(|v| v.to_str().ok())
    })
    .expect("a signed enrollment answer");
    let body = response.bytes().await.unwrap();
    let enrolled: EnrollResponse = serde_json::from_slice(&body).unwrap();
    assert_eq!(enrolled.center.id, "C1");
    assert_eq!(enrolled.center.zone, 33);
    // Signed for this device key (the nonce is inside the seal, so only the kiosk knows it:
    // here, any nonce other than the kiosk's fails).
    let check = |nonce: &str| {
        guichet_protocol::answer::AnswerToSign {
            method: "POST",
            path_and_query: paths::ENROLL,
            device_id: &guichet_protocol::signing::public_key_hex(&key.verifying_key()),
            nonce,
            status: 201,
            time_ms: signature.time_ms,
            body: &body,
        }
        .verify(&signature, &[sync_key])
    };
    assert!(check(&"00".repeat(16)).is_err());

    // The same code again, even with the dashes and case changed, and another key.
    let retyped = code.replace('-', "").to_lowercase();
    let again = platform
        .post_enroll(&retyped, &generate_key().unwrap())
        .await;
    expect_error(again, 403, ErrorCode::EnrollCodeInvalid).await;
    let unknown = platform
        .post_enroll("AAAA-BBBB-CCCC", &generate_key().unwrap())
        .await;
    expect_error(unknown, 403, ErrorCode::EnrollCodeInvalid).await;
    // The same device key with a fresh code.
    let fresh = platform.enroll_code("C1").await;
    expect_error(
        platform.post_enroll(&fresh, &key).await,
        409,
        ErrorCode::DeviceKeyTaken,
    )
    .await;
}

async fn an_expired_code_is_refused(backend: Backend) {
    let Some(platform) = TestPlatform::start(backend).await else {
        return;
    };
    let store = platform.store.clone();
    let code = {
        let past = Timestamp::now() - SignedDuration::from_hours(2);
        store
            .create_enroll_code("C1", past + SignedDuration::from_hours(1), past)
            .await
    }
    .unwrap();
    let response = platform.post_enroll(&code, &generate_key().unwrap()).await;
    let body = expect_error(response, 403, ErrorCode::EnrollCodeInvalid).await;
    assert!(body.message.contains("expired"), "{}", body.message);
}

async fn forged_replayed_stale_and_unknown_requests_are_refused(backend: Backend) {
    let Some(platform) = TestPlatform::start(backend).await else {
        return;
    };
    let kiosk = platform.kiosk("C1").await;
    let now = Timestamp::now().as_second();

    let ok = kiosk
        .signed(Method::GET, paths::DEVICE, vec![])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let status: DeviceStatus = ok.json().await.unwrap();
    assert_eq!((status.chain_head, status.entries), (ChainHash::GENESIS, 0));

    let forger = generate_key().unwrap();
    let forged = kiosk.signed_with(
        Method::GET,
        paths::DEVICE,
        vec![],
        now,
        &common::random_nonce(),
        &forger,
    );
    let forged_body =
        expect_error(forged.send().await.unwrap(), 401, ErrorCode::BadSignature).await;

    let nonce = common::random_nonce();
    let first = kiosk.signed_with(Method::GET, paths::DEVICE, vec![], now, &nonce, &kiosk.key);
    assert_eq!(first.send().await.unwrap().status(), 200);
    let replay = kiosk.signed_with(Method::GET, paths::DEVICE, vec![], now, &nonce, &kiosk.key);
    expect_error(replay.send().await.unwrap(), 401, ErrorCode::ReplayedNonce).await;

    // Past the 300 s bound by 5 s, from a clock read for each request: a loaded machine took
    // more than a second between one `now` and a request 301 s ahead, which was then inside.
    for skew in [-305, 305, -86_400] {
        let stale = kiosk.signed_with(
            Method::GET,
            paths::DEVICE,
            vec![],
            Timestamp::now().as_second() + skew,
            &common::random_nonce(),
            &kiosk.key,
        );
        expect_error(stale.send().await.unwrap(), 401, ErrorCode::StaleTimestamp).await;
    }

    let mut stranger = platform.kiosk("C2").await;
    stranger.device_id = "0193f0a4-0000-7000-8000-000000000000".into();
    let unknown = stranger.signed(Method::GET, paths::DEVICE, vec![]);
    // An unknown device is answered exactly as a bad signature: ids cannot be probed.
    let unknown_body =
        expect_error(unknown.send().await.unwrap(), 401, ErrorCode::BadSignature).await;
    assert_eq!(unknown_body, forged_body);

    let missing = platform
        .client
        .get(platform.url(paths::DEVICE))
        .send()
        .await
        .unwrap();
    expect_error(missing, 401, ErrorCode::MissingAuth).await;
    let mut bad_nonce = kiosk
        .signed(Method::GET, paths::DEVICE, vec![])
        .build()
        .unwrap();
    bad_nonce
        .headers_mut()
        .insert(HEADER_NONCE, "xyz".parse().unwrap());
    expect_error(
        platform.client.execute(bad_nonce).await.unwrap(),
        401,
        ErrorCode::MissingAuth,
    )
    .await;

    let store = platform.store.clone();
    let id = kiosk.device_id.clone();
    store.set_device_disabled(&id, true).await.unwrap();
    let disabled = kiosk.signed(Method::GET, paths::DEVICE, vec![]);
    expect_error(
        disabled.send().await.unwrap(),
        403,
        ErrorCode::DeviceDisabled,
    )
    .await;
}

/// The signing headers and the timestamp are checked before the body is read: a stranger's
/// oversized body is refused for its missing signature, not read; enrollment attempts from one
/// address are limited.
async fn strangers_are_refused_before_their_body_and_enrollment_is_rate_limited(backend: Backend) {
    let Some(platform) = TestPlatform::start(backend).await else {
        return;
    };
    // A push that announces 4 MiB and sends 10 bytes: answered at once from its headers
    // (a server reading the body first would wait for the rest until its deadline).
    let address = platform.server.addr;
    let answer = {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        write!(
            stream,
            "POST {} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{{\"entries\"",
            paths::REDEMPTIONS,
            paths::MAX_BODY_BYTES
        )
        .unwrap();
        let mut answer = vec![0u8; 4096];
        let n = stream
            .read(&mut answer)
            .expect("an answer before the body is sent");
        String::from_utf8_lossy(&answer[..n]).into_owned()
    };
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains("MISSING_AUTH"), "{answer}");

    // The test platform already spent one attempt per kiosk it enrolled (none yet here).
    let key = generate_key().unwrap();
    let mut refused = 0;
    for _ in 0..guichet_platform::server::limits::ENROLL_ATTEMPTS {
        let answer = platform.post_enroll("NOPE-NOPE-NOPE", &key).await;
        assert_eq!(answer.status(), 403);
    }
    for _ in 0..3 {
        let answer = platform.post_enroll("NOPE-NOPE-NOPE", &key).await;
        if answer.status() == 429 {
            refused += 1;
            let body: ErrorBody = answer.json().await.unwrap();
            assert_eq!(body.error, ErrorCode::RateLimited);
        }
    }
    assert_eq!(refused, 3, "every attempt past the budget is refused");
}

async fn malformed_and_oversized_bodies_get_json_errors(backend: Backend) {
    let Some(platform) = TestPlatform::start(backend).await else {
        return;
    };
    let kiosk = platform.kiosk("C1").await;
    for body in [&b"{not json"[..], b"{}", b"{\"entries\": 5}", b""] {
        let response = kiosk
            .signed(Method::POST, paths::REDEMPTIONS, body.to_vec())
            .send()
            .await
            .unwrap();
        expect_error(response, 400, ErrorCode::MalformedBody).await;
    }
    let empty = kiosk.signed(
        Method::POST,
        paths::REDEMPTIONS,
        b"{\"entries\": []}".to_vec(),
    );
    expect_error(empty.send().await.unwrap(), 400, ErrorCode::MalformedBody).await;
    let garbage_enroll = platform
        .client
        .post(platform.url(paths::ENROLL))
        .body("][")
        .send()
        .await
        .unwrap();
    expect_error(garbage_enroll, 400, ErrorCode::MalformedBody).await;

    let huge = vec![b' '; paths::MAX_BODY_BYTES + 1];
    let response = kiosk
        .signed(Method::POST, paths::REDEMPTIONS, huge)
        .send()
        .await
        .unwrap();
    expect_error(response, 413, ErrorCode::BodyTooLarge).await;
    let very_huge = vec![b' '; 5 * paths::MAX_BODY_BYTES];
    let response = platform
        .client
        .post(platform.url(paths::ENROLL))
        .body(very_huge)
        .send()
        .await;
    // Far beyond the limit the platform may answer before reading it all, or close.
    if let Ok(response) = response {
        expect_error(response, 413, ErrorCode::BodyTooLarge).await;
    }

    expect_error(
        platform
            .client
            .get(platform.url("/v2/nothing"))
            .send()
            .await
            .unwrap(),
        404,
        ErrorCode::NotFound,
    )
    .await;
    expect_error(
        platform
            .client
            .get(platform.url(paths::ENROLL))
            .send()
            .await
            .unwrap(),
        405,
        ErrorCode::MethodNotAllowed,
    )
    .await;
    let bad_query = kiosk.signed(Method::GET, "/v1/bundle?have=-1", vec![]);
    expect_error(
        bad_query.send().await.unwrap(),
        400,
        ErrorCode::MalformedQuery,
    )
    .await;
}

async fn the_bundle_is_304_when_current_and_newer_otherwise(backend: Backend) {
    let Some(platform) = TestPlatform::start(backend).await else {
        return;
    };
    let kiosk = platform.kiosk("C1").await;
    let current = kiosk
        .signed(Method::GET, "/v1/bundle?have=1", vec![])
        .send()
        .await
        .unwrap();
    assert_eq!(current.status(), 304);
    assert!(current.headers().contains_key("date"));
    let store = platform.store.clone();
    let root = platform.root.clone();
    common::publish(&store, &root).await;
    let newer = kiosk
        .signed(Method::GET, "/v1/bundle?have=1", vec![])
        .send()
        .await
        .unwrap();
    assert_eq!(newer.status(), 200);
    assert_eq!(newer.headers()[paths::HEADER_BUNDLE_SEQUENCE], "2");
    let bytes = newer.bytes().await.unwrap();
    let store = platform.store.clone();
    let latest = store.latest_bundle().await.unwrap().unwrap().1;
    let first = TrustBundle::open(latest.as_bytes(), &[platform.root.verifying_key()]).unwrap();
    let accepted =
        TrustBundle::accept_update(None, &bytes, &[platform.root.verifying_key()]).unwrap();
    assert_eq!(accepted.sequence(), first.sequence());
    let none = kiosk
        .signed(Method::GET, paths::BUNDLE, vec![])
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 200);
}

async fn a_resent_push_gets_the_same_answer_and_stores_nothing_twice(backend: Backend) {
    let Some(platform) = TestPlatform::start(backend).await else {
        return;
    };
    let mut kiosk = platform.kiosk("C1").await;
    let now = Timestamp::now();
    let entries: Vec<_> = (1..=3)
        .map(|serial| kiosk.redemption(platform.kid, serial, now))
        .collect();
    let first: PushResponse = kiosk.push(&entries).await.json().await.unwrap();
    assert!(first
        .results
        .iter()
        .all(|r| r.state == EntryState::Accepted));
    assert_eq!(first.chain_head, entries[2].hash);
    let again: PushResponse = kiosk.push(&entries).await.json().await.unwrap();
    assert_eq!(again, first);
    // A batch that repeats held entries then continues the chain.
    let more = [entries[2].clone(), kiosk.redemption(platform.kid, 4, now)];
    let continued: PushResponse = kiosk.push(&more).await.json().await.unwrap();
    assert_eq!(continued.results.len(), 2);
    let store = platform.store.clone();
    assert_eq!(store.entry_count().await.unwrap(), 4);
    let status: DeviceStatus = kiosk
        .signed(Method::GET, paths::DEVICE, vec![])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((status.entries, status.chain_head), (4, more[1].hash));
    // The same id with other content is refused.
    let mut altered = entries[0].clone();
    altered.hash = ChainHash([9; 32]);
    // Signed again by the kiosk itself: the platform compares with what it holds.
    let altered = kiosk.signed_entry(altered);
    let response = kiosk.push(&[altered]).await;
    expect_error(response, 409, ErrorCode::EntryMismatch).await;
}

async fn a_gap_in_the_chain_is_refused_with_the_platform_head(backend: Backend) {
    let Some(platform) = TestPlatform::start(backend).await else {
        return;
    };
    let mut kiosk = platform.kiosk("C1").await;
    let now = Timestamp::now();
    let first = kiosk.redemption(platform.kid, 1, now);
    assert_eq!(kiosk.push(std::slice::from_ref(&first)).await.status(), 200);
    let _lost = kiosk.redemption(platform.kid, 2, now);
    let third = kiosk.redemption(platform.kid, 3, now);
    let body = expect_error(
        kiosk.push(std::slice::from_ref(&third)).await,
        409,
        ErrorCode::ChainGap,
    )
    .await;
    assert_eq!(body.chain_head, Some(first.hash));
    let store = platform.store.clone();
    assert_eq!(store.entry_count().await.unwrap(), 1);
    // Within a batch too.
    let mut other = platform.kiosk("C1").await;
    let a = other.redemption(platform.kid, 5, now);
    let _skipped = other.redemption(platform.kid, 6, now);
    let c = other.redemption(platform.kid, 7, now);
    expect_error(other.push(&[a, c]).await, 409, ErrorCode::ChainGap).await;
    // Entries naming another device are refused.
    let mut third_kiosk = platform.kiosk("C2").await;
    let mut foreign = third_kiosk.redemption(platform.kid, 8, now);
    foreign.device = kiosk.device_id.clone();
    let foreign = third_kiosk.signed_entry(foreign);
    expect_error(
        third_kiosk.push(&[foreign]).await,
        422,
        ErrorCode::WrongDevice,
    )
    .await;
}

/// First received wins: a redemption dated earlier but pushed later cannot take the coupon
/// from the one the platform accepted; it is in conflict with it, and its kiosk learns when
/// the holder is cancelled.
async fn the_first_received_redemption_wins_and_the_other_kiosk_learns_it(backend: Backend) {
    let Some(platform) = TestPlatform::start(backend).await else {
        return;
    };
    let mut first = platform.kiosk("C1").await;
    let mut second = platform.kiosk("C2").await;
    let now = Timestamp::now();
    let first_entry = first.redemption(platform.kid, 3, now);
    // Backdated as far as the platform believes a kiosk enrolled a moment ago (the clock skew).
    let backdated = second.redemption(platform.kid, 3, now - SignedDuration::from_mins(2));

    let states: StatesResponse = second
        .signed(Method::GET, "/v1/redemptions/states?since=0", vec![])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(states.changes.is_empty());
    let cursor = states.cursor;

    let pushed: PushResponse = first
        .push(std::slice::from_ref(&first_entry))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pushed.results[0].state, EntryState::Accepted);
    let pushed: PushResponse = second
        .push(std::slice::from_ref(&backdated))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pushed.results[0].state, EntryState::Conflict);
    let details = pushed.results[0].conflict.as_ref().unwrap();
    assert_eq!(details.other_id, first_entry.id);
    assert_eq!(details.center, "C1");
    assert_eq!(details.center_name, "Médiathèque Nord");
    assert_eq!(details.redeemed_at, first_entry.occurred_at);

    // The first kiosk's redemption did not change: nothing new on its cursor.
    let after: StatesResponse = first
        .signed(Method::GET, "/v1/redemptions/states?since=0", vec![])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(after.changes.len(), 1);
    assert_eq!(after.changes[0].state, EntryState::Accepted);
    // A resend answers the current state.
    let resent: PushResponse = second
        .push(std::slice::from_ref(&backdated))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(resent.results[0].state, EntryState::Conflict);

    // Cancelling the valid one makes the other valid, and its kiosk learns it.
    let cancellation = first.cancellation(first_entry.id);
    let pushed: PushResponse = first.push(&[cancellation]).await.json().await.unwrap();
    assert_eq!(pushed.results[0].state, EntryState::Accepted);
    let (store, id) = (platform.store.clone(), first_entry.id.to_string());
    let cancelled = store.entry_state(&id).await.unwrap().unwrap();
    assert_eq!(cancelled.state, EntryState::Cancelled);
    let path = format!("/v1/redemptions/states?since={cursor}");
    let back: StatesResponse = second
        .signed(Method::GET, &path, vec![])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let last = back.changes.last().unwrap();
    assert_eq!((last.id, last.state), (backdated.id, EntryState::Accepted));
    assert_eq!(last.conflict, None);
}

async fn a_coupon_never_minted_is_unknown_and_reports_list_it_apart(backend: Backend) {
    let Some(platform) = TestPlatform::start(backend).await else {
        return;
    };
    let mut kiosk = platform.kiosk("C1").await;
    let mut other = platform.kiosk("C2").await;
    let now = Timestamp::now();
    let entries = [
        kiosk.redemption(platform.kid, 1, now),
        kiosk.redemption(platform.kid, 11, now),
        kiosk.redemption(guichet_core::Kid([1; 8]), 1, now),
        kiosk.redemption(platform.kid, u64::MAX, now),
        kiosk.redemption(platform.kid, 2, now),
    ];
    let pushed: PushResponse = kiosk.push(&entries).await.json().await.unwrap();
    let states: Vec<_> = pushed.results.iter().map(|r| r.state).collect();
    use EntryState::{Accepted, Rejected, Unknown};
    // Serials 11 and u64::MAX: signed by the platform's key, in no booklet. Kid 1…1: no key of
    // the platform's, so its code proves nothing.
    assert_eq!(states, [Accepted, Unknown, Rejected, Unknown, Accepted]);
    let conflicting = other.redemption(platform.kid, 2, now + SignedDuration::from_secs(5));
    let pushed: PushResponse = other.push(&[conflicting]).await.json().await.unwrap();
    assert_eq!(pushed.results[0].state, EntryState::Conflict);

    let store = platform.store.clone();
    let report = store
        .month_report(guichet_platform::clock::paris_day(now))
        .await
        .unwrap();
    assert_eq!(report.reimbursements.len(), 1);
    let line = &report.reimbursements[0];
    assert_eq!(
        (
            line.center.as_str(),
            line.provider,
            line.coupons,
            line.amount_cents
        ),
        ("C1", 7, 2, 2000)
    );
    assert_eq!(report.unknown.len(), 2);
    assert!(report.unknown.iter().any(|u| u.serial == u64::MAX));
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(
        report.rejected[0].value_cents, None,
        "a forged value is not shown"
    );
    assert_eq!(report.conflicts.len(), 1);
    assert_eq!(report.conflicts[0].center, "C2");
}

/// What an operator watches (issue 23, point 4): liveness, readiness with the migrations and
/// the bundle's age, and Prometheus metrics counting requests per route and status, their
/// latency, redemptions by verdict and cause, and what waits for review.
async fn health_readiness_and_metrics_tell_what_an_operator_watches(backend: Backend) {
    let Some(platform) = TestPlatform::start(backend).await else {
        return;
    };
    let get = |path: &'static str| {
        let url = platform.url(path);
        let client = platform.client.clone();
        async move { client.get(url).send().await.unwrap() }
    };
    let health = get("/healthz").await;
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok\n");
    let ready: serde_json::Value = get("/readyz").await.json().await.unwrap();
    assert_eq!(ready["migrations"][0], ready["migrations"][1], "{ready}");
    assert_eq!(ready["bundle"][0], 1, "the seeded bundle: {ready}");
    assert_eq!(ready["waiting"][0], 0, "{ready}");

    let mut kiosk = platform.kiosk("C1").await;
    let now = Timestamp::now();
    let entries = [
        kiosk.redemption_of(&platform.minter.code(2), now, |_| {}),
        kiosk.redemption_of(&platform.minter.code(3), now, |r| r.code = None),
    ];
    assert_eq!(kiosk.push(&entries).await.status(), 200);
    let metrics = get("/metrics").await;
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    for expected in [
        r#"guichet_http_requests_total{route="/v1/redemptions",status="200"}"#,
        r#"guichet_http_request_duration_seconds_count{route="/v1/redemptions"}"#,
        r#"guichet_redemptions_total{verdict="ok",cause=""}"#,
        r#"guichet_redemptions_total{verdict="held",cause="NO_PROOF"}"#,
        "guichet_bundle_age_seconds",
        "guichet_review_waiting",
        "guichet_database_up 1",
    ] {
        assert!(text.contains(expected), "{expected} in:\n{text}");
    }
    let ready: serde_json::Value = get("/readyz").await.json().await.unwrap();
    assert_eq!(ready["waiting"][0], 1, "the held redemption waits: {ready}");
}

/// `device list` has a header, the enrollment time and when each kiosk was last seen (kept
/// when its nonces are pruned); `device disable --label` names a kiosk by its label and is
/// refused, naming the ids, when two kiosks share it (issue 24: the guide's `head -1`
/// disabled the wrong kiosk).
async fn kiosks_are_listed_with_last_seen_and_disabled_by_label(backend: Backend) {
    let Some(platform) = TestPlatform::start(backend).await else {
        return;
    };
    let first = platform.kiosk("C1").await;
    let second = platform.kiosk("C1").await;
    let binary = || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_guichet-platform"));
        command.args(["--database", &platform.location]);
        command
    };
    common::create_first_admin(&mut binary());
    let admin = |args: &[&str]| {
        let output = binary()
            .args(args)
            .env("GUICHET_ACCOUNT", common::ADMIN)
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let seen = first
        .signed(Method::GET, paths::DEVICE, vec![])
        .send()
        .await
        .unwrap();
    assert_eq!(seen.status(), 200);
    let row = |list: &str, id: &str| {
        list.lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("{id} not in {list}"))
            .split('\t')
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let (ok, list, err) = admin(&["device", "list"]);
    assert!(ok, "{err}");
    assert!(
        list.starts_with("id\tcenter\tlabel\tstate\tentries\tenrolled\tlast seen\n"),
        "{list}"
    );
    let year = Timestamp::now().to_string()[..4].to_owned();
    assert!(row(&list, &first.device_id)[6].starts_with(&year), "{list}");
    assert_eq!(row(&list, &second.device_id)[6], "never", "{list}");

    // The nonces go; when the kiosk was last seen stays.
    let store = platform.store.clone();
    store
        .prune_nonces(Timestamp::now().as_second() + 1)
        .await
        .unwrap();
    let (_, after, _) = admin(&["device", "list"]);
    assert_eq!(
        row(&after, &first.device_id)[6],
        row(&list, &first.device_id)[6]
    );

    // Both were enrolled with the label "test kiosk": by label, refused, with both ids.
    let (ok, _, err) = admin(&["device", "disable", "--label", "test kiosk"]);
    assert!(
        !ok && err.contains(&first.device_id) && err.contains(&second.device_id),
        "{err}"
    );
    let (ok, _, err) = admin(&["device", "disable", "--label", "Bureau"]);
    assert!(!ok && err.contains("no kiosk is labelled"), "{err}");
    let (ok, out, err) = admin(&["device", "disable", "--id", &second.device_id]);
    assert!(ok && out.contains(&second.device_id), "{err}");
    let (_, list, _) = admin(&["device", "list"]);
    assert_eq!(row(&list, &second.device_id)[3], "disabled");
    assert_eq!(row(&list, &first.device_id)[3], "enabled");
    let log = platform.store.audit_log(10).await.unwrap();
    let disabled: Vec<_> = log
        .iter()
        .filter(|e| e.action == "device.disable")
        .map(|e| (e.account.as_deref(), e.object.as_str()))
        .collect();
    let object = format!("device:{}", second.device_id);
    assert_eq!(disabled, [(Some(common::ADMIN), object.as_str())]);
}

on_both_backends!(
    kiosks_are_listed_with_last_seen_and_disabled_by_label,
    health_readiness_and_metrics_tell_what_an_operator_watches,
    enrollment_gives_device_center_roots_and_bundle_once,
    an_expired_code_is_refused,
    forged_replayed_stale_and_unknown_requests_are_refused,
    strangers_are_refused_before_their_body_and_enrollment_is_rate_limited,
    malformed_and_oversized_bodies_get_json_errors,
    the_bundle_is_304_when_current_and_newer_otherwise,
    a_resent_push_gets_the_same_answer_and_stores_nothing_twice,
    a_gap_in_the_chain_is_refused_with_the_platform_head,
    the_first_received_redemption_wins_and_the_other_kiosk_learns_it,
    a_coupon_never_minted_is_unknown_and_reports_list_it_apart,
);
