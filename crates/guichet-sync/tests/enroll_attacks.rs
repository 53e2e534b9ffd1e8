//! Enrollment against those who would phish the code or change the answer (issue 22, points 5
//! and 7), with the real platform (the demo, in process, on 127.0.0.1) and real device keys:
//! a fake platform with its own root gets nothing; a relay learns nothing and can only pass on
//! the kiosk's own enrollment; a man in the middle changing the zone is not believed; a refused
//! enrollment keeps nothing on either side and leaves the code usable.

mod support;

use guichet_protocol::seal::SealedEnroll;
use guichet_protocol::signing::public_key_hex;
use guichet_protocol::{paths, EnrollBundle, EnrollResponse, ErrorCode};
use guichet_sync::{enroll, ClientError, Identity, IdentityError};
use support::{contains, forward, serve, Reply};

async fn demo(dir: &std::path::Path) -> guichet_platform::demo::DemoPlatform {
    guichet_platform::demo::start(&dir.join("platform"))
        .await
        .unwrap()
}

/// What an attempt may leave in the kiosk's data directory.
fn left_behind(kiosk: &std::path::Path) -> Vec<&'static str> {
    ["device-key", "device.json", "bundle.json", "ledger.sqlite3"]
        .into_iter()
        .filter(|name| kiosk.join(name).exists())
        .collect()
}

/// The platform's side, read from its database: how many devices, and how many codes used.
fn platform_devices_and_used_codes(dir: &std::path::Path) -> (i64, i64) {
    let db = rusqlite::Connection::open(dir.join("platform").join("platform.db")).unwrap();
    let count = |sql: &str| db.query_row(sql, [], |row| row.get::<_, i64>(0)).unwrap();
    (
        count("SELECT COUNT(*) FROM devices"),
        count("SELECT COUNT(*) FROM enroll_codes WHERE used_at IS NOT NULL"),
    )
}

/// The code in the forms a listener could find it: as typed, without dashes, lower case.
fn code_forms(code: &str) -> Vec<Vec<u8>> {
    let bare: String = code.chars().filter(|c| *c != '-').collect();
    vec![
        code.as_bytes().to_vec(),
        bare.as_bytes().to_vec(),
        bare.to_lowercase().into_bytes(),
        hex::encode(code).into_bytes(),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fake_platform_with_its_own_root_gets_nothing_and_the_code_stays_usable() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let demo = demo(dir.path()).await;
    let fake_root = ed25519_dalek::SigningKey::from_bytes(&[42; 32]);
    let fake = serve(move |request| {
        let fake_root = fake_root.clone();
        async move {
            if request.target == paths::ENROLL_BUNDLE {
                let offered = EnrollBundle {
                    root_keys: vec![public_key_hex(&fake_root.verifying_key())],
                    bundle: "{}".into(),
                    sync_key: public_key_hex(&fake_root.verifying_key()),
                };
                Reply::new(200, serde_json::to_vec(&offered).unwrap())
            } else {
                Reply::new(404, "{}")
            }
        }
    })
    .await;
    let kiosk = dir.path().join("kiosk");
    let error = enroll(
        &kiosk,
        &fake.url,
        &demo.enroll_code,
        &demo.root_fingerprint,
        None,
        None,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, IdentityError::RootMismatch { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("nothing was sent"), "{error}");
    let requests = fake.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].method, "GET");
    for form in code_forms(&demo.enroll_code) {
        assert!(!contains(&fake.all_bytes(), &form));
    }
    assert_eq!(left_behind(&kiosk), Vec::<&str>::new());
    assert_eq!(platform_devices_and_used_codes(dir.path()), (0, 0));

    // The code is still unused: the real kiosk enrolls with it.
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
    assert_eq!(identity.enrollment.center.id, demo.center_id);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_relaying_platform_learns_nothing_and_can_only_pass_on_the_kiosks_own_enrollment() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let demo = demo(dir.path()).await;
    let upstream = demo.url.clone();
    let relay = serve(move |request| {
        let upstream = upstream.clone();
        async move { forward(&upstream, &request).await }
    })
    .await;
    let kiosk = dir.path().join("kiosk");
    let identity = enroll(
        &kiosk,
        &relay.url,
        &demo.enroll_code,
        &demo.root_fingerprint,
        None,
        Some("comptoir 1".into()),
    )
    .await
    .unwrap();
    let seen = relay.all_bytes();
    assert!(
        contains(&seen, paths::ENROLL.as_bytes()),
        "the relay saw it"
    );
    for form in code_forms(&demo.enroll_code) {
        assert!(!contains(&seen, &form), "the code went through in clear");
    }
    assert!(!contains(&seen, b"comptoir 1"), "the label too is sealed");

    // What the relay holds: the sealed request. Sent again to the real platform, it enrolls
    // no one new: the answer is the kiosk's own device, signed for the kiosk's key only.
    let sealed_post = relay
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    let client = reqwest::Client::new();
    let again = client
        .post(format!("{}{}", demo.url, paths::ENROLL))
        .header("content-type", "application/json")
        .body(sealed_post.body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 201);
    let again: EnrollResponse = again.json().await.unwrap();
    assert_eq!(again.device_id, identity.enrollment.device_id);

    // Changed by one byte, or sealed to the relay's own key in its place: not opened, and
    // nothing enrolled.
    let mut sealed: SealedEnroll = serde_json::from_slice(&sealed_post.body).unwrap();
    let last = sealed.sealed.pop().unwrap();
    sealed.sealed.push(if last == '0' { '1' } else { '0' });
    let changed = client
        .post(format!("{}{}", demo.url, paths::ENROLL))
        .json(&sealed)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 400);
    let body: guichet_protocol::ErrorBody = changed.json().await.unwrap();
    assert_eq!(body.error, ErrorCode::MalformedBody);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_man_in_the_middle_changing_the_enrollment_answers_zone_is_not_believed() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let demo = demo(dir.path()).await;
    let upstream = demo.url.clone();
    let mitm = serve(move |request| {
        let upstream = upstream.clone();
        async move {
            let mut reply = forward(&upstream, &request).await;
            if request.target == paths::ENROLL {
                let text = String::from_utf8(reply.body).unwrap();
                assert!(text.contains(r#""zone":33"#), "{text}");
                reply.body = text.replace(r#""zone":33"#, r#""zone":64"#).into_bytes();
            }
            reply
        }
    })
    .await;
    let kiosk = dir.path().join("kiosk");
    let error = enroll(
        &kiosk,
        &mitm.url,
        &demo.enroll_code,
        &demo.root_fingerprint,
        None,
        None,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            error,
            IdentityError::Unfinished(ClientError::Unverified(
                guichet_protocol::answer::AnswerError::BadSignature
            ))
        ),
        "{error:?}"
    );
    // Zone 64 was believed nowhere: no identity. The key stays, for the retry.
    assert_eq!(left_behind(&kiosk), vec!["device-key"]);
    assert!(matches!(
        Identity::load(&kiosk),
        Err(IdentityError::NotEnrolled(_))
    ));

    // Straight to the platform, the same code finishes the enrollment the platform recorded.
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
    assert_eq!(identity.enrollment.center.zone, 33);
    assert_eq!(Identity::load(&kiosk).unwrap().enrollment.center.zone, 33);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_enrollment_keeps_nothing_and_spends_no_code() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let demo = demo(dir.path()).await;
    let kiosk = dir.path().join("kiosk");
    let error = enroll(
        &kiosk,
        &demo.url,
        "AAAA-BBBB-CCCC",
        &demo.root_fingerprint,
        None,
        None,
    )
    .await
    .unwrap_err();
    let IdentityError::Refused(body) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(body.error, ErrorCode::EnrollCodeInvalid);
    assert!(error.to_string().contains("kept nothing"), "{error}");
    assert_eq!(left_behind(&kiosk), Vec::<&str>::new());
    assert_eq!(platform_devices_and_used_codes(dir.path()), (0, 0));
    // A wrong fingerprint: refused before anything is sent.
    let error = enroll(
        &kiosk,
        &demo.url,
        &demo.enroll_code,
        "AAAA-AAAA-AAAA-AAAA",
        None,
        None,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, IdentityError::RootMismatch { .. }),
        "{error:?}"
    );
    assert_eq!(left_behind(&kiosk), Vec::<&str>::new());
    // The real code was never spent.
    enroll(
        &kiosk,
        &demo.url,
        &demo.enroll_code,
        &demo.root_fingerprint,
        None,
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        left_behind(&kiosk),
        vec!["device-key", "device.json", "bundle.json"]
    );
    assert_eq!(platform_devices_and_used_codes(dir.path()), (1, 1));
}
