//! Enrollment refuses a label the platform would refuse, before making a key or sending
//! anything (the port given is closed: reaching it would fail differently).

use guichet_protocol::limits::{LimitError, MAX_LABEL_CHARS};
use guichet_sync::{enroll, IdentityError};

#[tokio::test]
async fn a_label_over_the_limit_is_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let label = "é".repeat(MAX_LABEL_CHARS + 1);
    let error = enroll(
        dir.path(),
        &url,
        "K7QF-9XMP-2D",
        "AAAA-AAAA-AAAA-AAAA",
        None,
        Some(label),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            error,
            IdentityError::Label(LimitError::TooLong { field: "label", .. })
        ),
        "{error:?}"
    );
    assert!(!dir.path().join("device-key").exists());
    // At the limit, the label passes the check and the closed port is what fails.
    let label = "é".repeat(MAX_LABEL_CHARS);
    let error = enroll(
        dir.path(),
        &url,
        "K7QF-9XMP-2D",
        "AAAA-AAAA-AAAA-AAAA",
        None,
        Some(label),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, IdentityError::NotChecked(_)), "{error:?}");
}
