//! Center accounts (issue 25, point 3): a console account of role `center` belongs to one
//! center and sees that center only (its kiosks, its redemptions with their state, its signed
//! statements), on a real server on loopback over a real database (SQLite file, and
//! PostgreSQL where installed). Every operator page refuses it, and no address names another
//! center. The migration that brought the role keeps the accounts and sessions it found.

mod common;
mod console_client;

use common::{Backend, TestPlatform};
use console_client::{create_account, create_account_of, Browser};
use guichet_console::model::{AuditEntry, NewAccount, Role};
use guichet_platform::clock::paris_day;
use guichet_protocol::{EntryState, PushResponse};
use jiff::{SignedDuration, Timestamp};

/// Every operator page and download, as a GET.
const OPERATOR_PAGES: [&str; 13] = [
    "/console/devices",
    "/console/review",
    "/console/centers",
    "/console/centers/C1",
    "/console/referential",
    "/console/booklets",
    "/console/bundles",
    "/console/bundles/draft",
    "/console/reports",
    "/console/reports/2026-01/csv",
    "/console/audit",
    "/console/audit.csv",
    "/console/booklets?number=1",
];

/// A center member sees their center and nothing else: a pass of each center is pushed, C1's
/// member sees C1's kiosk and pass and not C2's, every operator page is refused, and the
/// statement downloaded is C1's as the platform issued it.
async fn a_center_member_sees_their_center_and_nothing_else(backend: Backend) {
    let Some(platform) = TestPlatform::start(backend).await else {
        return;
    };
    let now = Timestamp::now();
    let mut c1 = platform.kiosk("C1").await;
    let mut c2 = platform.kiosk("C2").await;
    for (kiosk, serial) in [(&mut c1, 1), (&mut c2, 2)] {
        let entry = kiosk.redemption_of(&platform.minter.code(serial), now, |_| {});
        let pushed: PushResponse = kiosk.push(&[entry]).await.json().await.unwrap();
        assert_eq!(pushed.results[0].state, EntryState::Accepted);
    }
    // C2 also redeems C1's coupon: a conflict, which C2's member sees with its holder.
    let entry = c2.redemption_of(&platform.minter.code(1), now, |_| {});
    let pushed: PushResponse = c2.push(&[entry]).await.json().await.unwrap();
    assert_eq!(pushed.results[0].state, EntryState::Conflict);
    let store = platform.store.clone();
    let member = create_account_of(&store, "claude", Role::Center, Some("C1")).await;
    let other = create_account_of(&store, "sacha", Role::Center, Some("C2")).await;

    let mut browser = Browser::new(&platform.server.url());
    browser.login(&member).await;
    let landing = browser.get("/console").await;
    assert_eq!(landing.status, 303, "{}", landing.body);
    let page = browser.get("/console/center").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("(C1)"), "{}", page.body);
    assert!(page.body.contains("n° 1<"), "C1's pass: {}", page.body);
    assert!(!page.body.contains("n° 2<"), "not C2's pass: {}", page.body);
    assert!(
        page.body.contains("test kiosk"),
        "C1's kiosk: {}",
        page.body
    );
    assert!(!page.body.contains(&c2.device_id), "{}", page.body);
    assert!(
        page.body.contains("1 passage accepté, 10,00 €"),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"no-statement\""), "{}", page.body);
    for path in OPERATOR_PAGES {
        let refused = browser.get(path).await;
        assert_eq!(refused.status, 403, "{path}: {}", refused.body);
    }
    // The page takes no center from the request: a query naming another is ignored.
    let asked = browser.get("/console/center?center=C2").await;
    assert!(asked.body.contains("(C1)") && !asked.body.contains("n° 2<"));

    let mut theirs = Browser::new(&platform.server.url());
    theirs.login(&other).await;
    let page = theirs.get("/console/center").await;
    assert!(
        page.body.contains("(C2)") && page.body.contains("en conflit"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("pass déjà tenu par Médiathèque Nord (C1)"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("1 passage accepté, 10,00 €"),
        "{}",
        page.body
    );

    // The month closes (31 days on): C1's statement is there, as issued, for C1 only.
    let month = paris_day(now);
    let later = now + SignedDuration::from_hours(24 * 31);
    store
        .close_month(month, "Inès", later, &platform.signer())
        .await
        .unwrap();
    let key = month.strftime("%Y-%m").to_string();
    let page = browser.get("/console/center").await;
    assert!(
        page.body
            .contains(&format!("/console/center/statements/{key}")),
        "{}",
        page.body
    );
    let file = browser
        .get(&format!("/console/center/statements/{key}"))
        .await;
    assert_eq!(file.status, 200);
    let issued = store.statement("C1", month).await.unwrap().unwrap();
    assert_eq!(file.body, issued);
    let theirs_file = theirs
        .get(&format!("/console/center/statements/{key}"))
        .await;
    assert_eq!(
        theirs_file.body,
        store.statement("C2", month).await.unwrap().unwrap(),
        "C2's member gets C2's statement"
    );
    assert_ne!(theirs_file.body, issued);
    // The same statement for public accounting: its lines' amounts sum to its signed total.
    let csv = browser
        .get(&format!("/console/center/statements/{key}/csv"))
        .await;
    assert_eq!(csv.status, 200);
    let text = csv
        .body
        .strip_prefix('\u{feff}')
        .expect("a byte order mark");
    let rows: Vec<Vec<String>> = text
        .lines()
        .map(|line| line.split(';').map(str::to_owned).collect())
        .collect();
    let document = guichet_protocol::statement::file::issued_document(issued.as_bytes()).unwrap();
    assert_eq!(
        rows.len(),
        1 + document.lines.len() + document.totals.providers.len() + 1
    );
    let cents = |cell: &str| cell.replace(',', "").parse::<u64>().unwrap_or(0);
    let summed: u64 = rows[1..].iter().map(|row| cents(&row[11])).sum();
    assert_eq!(summed, document.totals.cents);
    assert_eq!(summed, 1000);
    let last = rows.last().unwrap();
    assert_eq!((last[0].as_str(), last[12].as_str()), ("total", "10,00"));
    // And printable: the PDF holds the paid line as the signed document has it.
    let pdf = browser
        .get(&format!("/console/center/statements/{key}/pdf"))
        .await;
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    assert!(pdf.body.starts_with("%PDF-"));
    let paid = &document.lines[0];
    assert!(
        guichet_print::shows(
            pdf.body.as_bytes(),
            &format!(
                "{:<12}{:<20}{:>10}       10,00 €",
                paid.day,
                paid.kid.to_hex(),
                paid.serial
            )
        ),
        "the paid line in the PDF"
    );
    assert_eq!(
        browser
            .get("/console/center/statements/2001-01/csv")
            .await
            .status,
        404
    );
    assert_eq!(
        browser
            .get("/console/center/statements/2001-01")
            .await
            .status,
        404
    );
    assert_eq!(
        browser
            .get("/console/center/statements/nonsense")
            .await
            .status,
        400
    );

    // An operator account has no center page.
    let auditor = create_account(&store, "alix", Role::Auditor).await;
    let mut operator = Browser::new(&platform.server.url());
    operator.login(&auditor).await;
    assert_eq!(operator.get("/console/center").await.status, 403);
    assert_eq!(operator.get("/console").await.status, 200);
}

/// A center account names an existing center; no other role has one.
async fn a_center_account_belongs_to_exactly_one_existing_center(backend: Backend) {
    let Some(platform) = TestPlatform::start(backend).await else {
        return;
    };
    let audit = AuditEntry {
        at: Timestamp::now().to_string(),
        account: None,
        role: None,
        address: "cli".into(),
        action: "account.create".into(),
        object: "account:x".into(),
        before: None,
        after: None,
    };
    let new = |name: &str, role, center: Option<&str>| NewAccount {
        name: name.to_owned(),
        role,
        password_hash: "unused".into(),
        totp_secret: "unused".into(),
        recovery_hashes: Vec::new(),
        center: center.map(str::to_owned),
    };
    for (account, why) in [
        (new("a", Role::Center, None), "names its center"),
        (new("b", Role::Admin, Some("C1")), "names its center"),
        (new("c", Role::Center, Some("C404")), "no center C404"),
    ] {
        let error = platform
            .store
            .create_account(&account, &audit)
            .await
            .unwrap_err();
        assert!(error.to_string().contains(why), "{error}");
    }
    platform
        .store
        .create_account(&new("d", Role::Center, Some("C1")), &audit)
        .await
        .unwrap();
    let made = platform
        .store
        .console_account_named("d")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (made.role, made.center.as_deref()),
        (Role::Center, Some("C1"))
    );
}

on_both_backends!(
    a_center_member_sees_their_center_and_nothing_else,
    a_center_account_belongs_to_exactly_one_existing_center,
);

/// Migration 11 makes SQLite's accounts table again (to let its role check name `center`):
/// the accounts, recovery codes and sessions of an older database stay, and their foreign
/// keys still hold.
#[tokio::test]
async fn the_migration_to_center_accounts_keeps_accounts_and_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("platform.db");
    let location = db.to_str().unwrap();
    let (store, _) = guichet_platform::Store::open_with(
        location,
        None,
        guichet_platform::db::Schema::MigrateTo(10),
    )
    .await
    .unwrap();
    store.close().await;
    let sqlite = rusqlite::Connection::open(&db).unwrap();
    sqlite
        .execute_batch(
            "INSERT INTO console_accounts (id, name, role, password_hash, totp_secret, \
             totp_last_step, disabled, created_at) VALUES ('a1', 'ines', 'admin', 'h', 's', 7, 0, \
             '2026-01-01T00:00:00Z'); \
             INSERT INTO console_recovery_codes (account, code_hash) VALUES ('a1', 'c'); \
             INSERT INTO console_sessions (token_hash, account, stage, csrf, created_at, \
             last_seen, address) VALUES ('t', 'a1', 'full', 'x', 1, 1, '127.0.0.1');",
        )
        .unwrap();
    drop(sqlite);
    let (store, migrated) =
        guichet_platform::Store::open_with(location, None, guichet_platform::db::Schema::Migrate)
            .await
            .unwrap();
    assert_eq!((migrated.from, migrated.to >= 11), (10, true));
    let ines = store.console_account_named("ines").await.unwrap().unwrap();
    assert_eq!((ines.role, ines.center), (Role::Admin, None));
    assert!(store.console_session("t").await.unwrap().is_some());
    store.close().await;
    let sqlite = rusqlite::Connection::open(&db).unwrap();
    let orphans: i64 = sqlite
        .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(orphans, 0);
    let kept: i64 = sqlite
        .query_row(
            "SELECT (SELECT COUNT(*) FROM console_recovery_codes) + \
             (SELECT COUNT(*) FROM console_sessions) + \
             (SELECT totp_last_step FROM console_accounts WHERE id = 'a1')",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(kept, 1 + 1 + 7);
}
