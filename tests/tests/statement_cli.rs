//! `guichet statement verify`, run as a real process on real statement and ledger files: an
//! authentic statement prints its totals; a tampered one or one from another platform is
//! refused with its reason; one that disagrees with the kiosk's ledger is reported line by line.

use std::path::Path;
use std::process::Output;

use ed25519_dalek::SigningKey;
use guichet_core::{Area, Coupon, Scope};
use guichet_e2e::guichet;
use guichet_ledger::{Basket, InputMethod, Ledger, LedgerSettings, Station, Workshop};
use guichet_protocol::fingerprint::root_fingerprint;
use guichet_protocol::statement::{
    seal, CenterRef, StatementDocument, StatementLine, StatementSeal, Totals,
};
use guichet_testdata::world::World;

const REFERENTIAL: &[u8] = include_bytes!("../../fixtures/referential/example-referential.json");

/// A redemption the ledger recorded: entry id, day, kid, serial, cents, provider.
type Recorded = (String, String, String, u64, u32, u32);

/// Four redemptions of kiosk-1 in November 2026, one per checkout.
fn sample_ledger(path: &Path, world: &World) -> Vec<Recorded> {
    let mut ledger = Ledger::open(path, LedgerSettings::default()).unwrap();
    let station = Station {
        center: "center-bordeaux".into(),
        device: "kiosk-1".into(),
        mediator: "Zoé".into(),
    };
    let mut recorded = Vec::new();
    for (serial, provider, at) in [
        (1, 1, "2026-11-03T09:00:00Z"),
        (2, 2, "2026-11-10T09:00:00Z"),
        (3, 1, "2026-11-20T09:00:00Z"),
        (4, 1, "2026-11-30T22:30:00Z"),
    ] {
        let coupon = Coupon {
            kid: world.active.kid(),
            serial,
            value_cents: 1000,
            issued_on: 2400,
            valid_until: 2800,
            provider,
            scope: Scope::ANY,
            zone: 0,
        };
        let mut bytes = coupon.to_payload().to_vec();
        bytes.extend_from_slice(&[0; 64]);
        let mut basket = Basket::new(Workshop {
            area: Area::A1_1,
            service: "S-MAIL".into(),
        });
        basket
            .add(
                guichet_core::code::text_of(&bytes).as_bytes(),
                InputMethod::Scanner,
            )
            .unwrap();
        let receipt = ledger
            .commit_checkout(&station, &basket, at.parse().unwrap())
            .unwrap();
        let redemption = &receipt.redemptions[0];
        recorded.push((
            redemption.id.clone(),
            receipt.local_day.clone(),
            redemption.kid.clone(),
            serial,
            1000,
            provider,
        ));
    }
    recorded
}

fn line(device: &str, recorded: &Recorded) -> StatementLine {
    StatementLine {
        entry: recorded.0.clone(),
        device: device.into(),
        day: recorded.1.clone(),
        kid: recorded.2.parse().unwrap(),
        serial: recorded.3,
        value_cents: u64::from(recorded.4),
        provider: recorded.5,
        provider_name: format!("Financeur {}", recorded.5),
    }
}

/// The platform's statement of `lines`, sealed with the test world's root and a sync key.
fn statement(world: &World, lines: Vec<StatementLine>) -> Vec<u8> {
    let sync = SigningKey::from_bytes(&[7; 32]);
    let mut bundle = world.document_seq1();
    bundle.sync_keys = vec![hex::encode(sync.verifying_key().as_bytes())];
    let bundle = String::from_utf8(world.seal(&bundle)).unwrap();
    let document = StatementDocument {
        center: CenterRef {
            id: "center-bordeaux".into(),
            name: "Centre de Bordeaux".into(),
        },
        month: "2026-11".into(),
        sequence: 1,
        replaces: None,
        issued_at: "2026-12-01T08:00:00Z".into(),
        totals: Totals::of(&lines).unwrap(),
        lines,
    };
    seal(
        &document,
        &StatementSeal {
            roots: &[hex::encode(world.root.public().as_bytes())],
            bundle: &bundle,
            key: &sync,
        },
    )
}

fn verify(file: &Path, fingerprint: &str, extra: &[&str]) -> (Output, String) {
    let output = guichet()
        .args(["statement", "verify"])
        .arg(file)
        .args(["--root-fingerprint", fingerprint])
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    (output, stdout)
}

#[test]
fn an_authentic_statement_that_matches_the_ledger_verifies() {
    let world = World::new(REFERENTIAL);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite3");
    let recorded = sample_ledger(&db, &world);
    assert_eq!(
        recorded[3].1, "2026-11-30",
        "22:30 UTC on 30 November is 23:30 in Paris"
    );
    let mut lines: Vec<_> = recorded.iter().map(|r| line("kiosk-1", r)).collect();
    // Another kiosk of the center: not this ledger's business.
    let mut other = line("kiosk-2", &recorded[0]);
    other.entry = "0193a1b2-0000-7000-8000-00000000ffff".into();
    other.serial = 99;
    lines.push(other);
    let file = dir.path().join("statement.json");
    std::fs::write(&file, statement(&world, lines)).unwrap();
    let fingerprint = root_fingerprint(&[world.root.public()]);

    let (output, stdout) = verify(&file, &fingerprint, &[]);
    assert!(output.status.success(), "{output:?}");
    assert!(
        stdout.starts_with("AUTHENTIC: statement 1 of center center-bordeaux"),
        "{stdout}"
    );
    assert!(
        stdout.contains("provider 1 (Financeur 1): 4 coupons, 40,00 €"),
        "{stdout}"
    );
    assert!(stdout.contains("total: 5 coupons, 50,00 €"), "{stdout}");

    let db_arg = db.to_str().unwrap();
    let (output, stdout) = verify(
        &file,
        &fingerprint,
        &["--ledger", db_arg, "--device", "kiosk-1"],
    );
    assert!(output.status.success(), "{output:?}");
    assert!(stdout.contains("AGREES with the ledger"), "{stdout}");
    assert!(
        stdout.contains("4 redemptions of kiosk kiosk-1"),
        "{stdout}"
    );
}

#[test]
fn a_statement_that_disagrees_with_the_ledger_is_reported_line_by_line() {
    let world = World::new(REFERENTIAL);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite3");
    let recorded = sample_ledger(&db, &world);
    let mut conflicting = line("kiosk-1", &recorded[1]);
    conflicting.value_cents = 500;
    let mut extra = line("kiosk-1", &recorded[0]);
    extra.entry = "0193a1b2-0000-7000-8000-00000000eeee".into();
    extra.serial = 77;
    // recorded[2] and recorded[3] are missing.
    let lines = vec![line("kiosk-1", &recorded[0]), conflicting, extra];
    let file = dir.path().join("statement.json");
    std::fs::write(&file, statement(&world, lines)).unwrap();
    let fingerprint = root_fingerprint(&[world.root.public()]);

    let db_arg = db.to_str().unwrap();
    let (output, stdout) = verify(
        &file,
        &fingerprint,
        &["--ledger", db_arg, "--device", "kiosk-1"],
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(stdout.contains("DISAGREES with the ledger"), "{stdout}");
    let reported: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("  ") && !l.contains("coupons,"))
        .collect();
    assert_eq!(reported.len(), 4, "{stdout}");
    let about = |entry: &str| {
        reported
            .iter()
            .find(|l| l.contains(entry))
            .copied()
            .unwrap_or_default()
    };
    assert!(about(&recorded[1].0).contains("CONFLICTING"), "{stdout}");
    assert!(
        about(&recorded[1].0).contains("value_cents differ"),
        "{stdout}"
    );
    assert!(about("00000000eeee").contains("EXTRA"), "{stdout}");
    assert!(about(&recorded[2].0).contains("MISSING"), "{stdout}");
    assert!(about(&recorded[3].0).contains("MISSING"), "{stdout}");
}

#[test]
fn a_tampered_statement_or_another_platform_s_is_refused() {
    let world = World::new(REFERENTIAL);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite3");
    let recorded = sample_ledger(&db, &world);
    let lines: Vec<_> = recorded.iter().map(|r| line("kiosk-1", r)).collect();
    let genuine = statement(&world, lines.clone());
    let fingerprint = root_fingerprint(&[world.root.public()]);

    // One line changed after signing (the payload re-encoded, the signature kept).
    let mut json: serde_json::Value = serde_json::from_slice(&genuine).unwrap();
    let mut changed = lines;
    changed[0].value_cents = 5000;
    let document = StatementDocument {
        center: CenterRef {
            id: "center-bordeaux".into(),
            name: "Centre de Bordeaux".into(),
        },
        month: "2026-11".into(),
        sequence: 1,
        replaces: None,
        issued_at: "2026-12-01T08:00:00Z".into(),
        totals: Totals::of(&changed).unwrap(),
        lines: changed,
    };
    use base64::Engine as _;
    json["payload"] = base64::engine::general_purpose::STANDARD
        .encode(serde_json::to_vec(&document).unwrap())
        .into();
    let file = dir.path().join("tampered.json");
    std::fs::write(&file, serde_json::to_vec(&json).unwrap()).unwrap();
    let (output, stdout) = verify(&file, &fingerprint, &[]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(stdout.starts_with("REFUSED (BAD_SIGNATURE)"), "{stdout}");

    // The genuine statement against another platform's fingerprint.
    let file = dir.path().join("genuine.json");
    std::fs::write(&file, &genuine).unwrap();
    let other = root_fingerprint(&[world.other_root.public()]);
    let (output, stdout) = verify(&file, &other, &[]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(stdout.starts_with("REFUSED (WRONG_ROOT)"), "{stdout}");

    // Not a statement at all, and a missing file.
    std::fs::write(&file, b"\x00\xffnot json").unwrap();
    let (output, stdout) = verify(&file, &fingerprint, &[]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(stdout.starts_with("REFUSED (MALFORMED)"), "{stdout}");
    let (output, _) = verify(&dir.path().join("absent.json"), &fingerprint, &[]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
}
