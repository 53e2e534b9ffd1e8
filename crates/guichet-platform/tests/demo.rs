//! The embedded demo platform: it serves, its code enrolls a kiosk, its codes verify, and a
//! second start in the same directory reuses the data with a fresh code.

use guichet_core::{verify_offline, Context, Outcome, TrustBundle};
use guichet_platform::keys::generate_key;
mod common;

use guichet_protocol::signing::parse_public_key;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_platform_enrolls_a_kiosk_and_its_coupons_verify() {
    let dir = tempfile::tempdir().unwrap();
    let demo = guichet_platform::demo::start(dir.path()).await.unwrap();
    assert!(demo.pdf_path.exists());
    assert_eq!(demo.codes.len(), 20);
    let (_, enrolled) = common::enroll_over_http(
        &reqwest::Client::new(),
        &demo.url,
        &demo.enroll_code,
        &generate_key().unwrap(),
    )
    .await;
    assert_eq!(enrolled.center.id, demo.center_id);
    let root = parse_public_key(&demo.root_public_key).unwrap();
    let bundle = TrustBundle::open(&std::fs::read(&demo.bundle_path).unwrap(), &[root]).unwrap();
    let today = guichet_platform::clock::paris_day(jiff::Timestamp::now());
    for code in &demo.codes {
        let context = Context {
            bundle: &bundle,
            today,
            area: None,
            center_zone: 33,
        };
        assert_eq!(
            verify_offline(code.as_bytes(), &context).outcome,
            Outcome::Ok
        );
    }
    let first_code = demo.enroll_code.clone();
    demo.server.stop().await;

    let again = guichet_platform::demo::start(dir.path()).await.unwrap();
    assert_ne!(again.enroll_code, first_code);
    assert_eq!(again.codes.len(), 20);
}
