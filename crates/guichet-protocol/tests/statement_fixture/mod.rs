//! What the statement tests share: a platform (the test world's root, a sync key, a bundle
//! listing it) and a center's statement for November 2026.

#![allow(dead_code)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::SigningKey;
use guichet_protocol::fingerprint::root_fingerprint;
use guichet_protocol::statement::{
    seal, CenterRef, LedgerLine, StatementDocument, StatementLine, StatementSeal, Totals,
};
use guichet_testdata::world::World;

pub const REFERENTIAL: &[u8] =
    include_bytes!("../../../../fixtures/referential/example-referential.json");

/// The platform: its root (from the test world), its sync key, the bundle listing that key.
pub struct Platform {
    pub world: World,
    pub sync: SigningKey,
    pub roots: Vec<String>,
    pub bundle: String,
}

impl Platform {
    pub fn new() -> Platform {
        let world = World::new(REFERENTIAL);
        let sync = SigningKey::from_bytes(&[7; 32]);
        let mut document = world.document_seq1();
        document.sync_keys = vec![hex::encode(sync.verifying_key().as_bytes())];
        let bundle = String::from_utf8(world.seal(&document)).expect("a bundle is UTF-8");
        let roots = vec![hex::encode(world.root.public().as_bytes())];
        Platform {
            world,
            sync,
            roots,
            bundle,
        }
    }

    pub fn fingerprint(&self) -> String {
        root_fingerprint(&[self.world.root.public()])
    }

    pub fn seal(&self, document: &StatementDocument) -> Vec<u8> {
        seal(
            document,
            &StatementSeal {
                roots: &self.roots,
                bundle: &self.bundle,
                key: &self.sync,
            },
        )
    }
}

pub fn line(
    entry: &str,
    device: &str,
    day: &str,
    serial: u64,
    cents: u64,
    provider: u32,
) -> StatementLine {
    StatementLine {
        entry: entry.into(),
        device: device.into(),
        day: day.into(),
        kid: World::new(REFERENTIAL).active.kid(),
        serial,
        value_cents: cents,
        provider,
        provider_name: format!("provider {provider}"),
    }
}

pub fn document() -> StatementDocument {
    let lines = vec![
        line("e1", "kiosk-a", "2026-11-03", 10, 2000, 1),
        line("e2", "kiosk-a", "2026-11-04", 11, 1000, 2),
        line("e3", "kiosk-b", "2026-11-05", 12, 2000, 1),
    ];
    StatementDocument {
        center: CenterRef {
            id: "c1".into(),
            name: "Centre social (exemple)".into(),
        },
        month: "2026-11".into(),
        sequence: 1,
        replaces: None,
        issued_at: "2026-12-01T08:00:00Z".into(),
        totals: Totals::of(&lines).expect("totals"),
        lines,
    }
}

/// The file's JSON with its payload replaced by `document`'s bytes, the signature kept.
pub fn with_payload(file: &[u8], document: &StatementDocument) -> Vec<u8> {
    let mut json: serde_json::Value = serde_json::from_slice(file).expect("a statement is JSON");
    json["payload"] = STANDARD
        .encode(serde_json::to_vec(document).expect("serialises"))
        .into();
    serde_json::to_vec(&json).expect("serialises")
}

pub fn ledger_line(entry: &str, day: &str, serial: u64, cents: u64, provider: u32) -> LedgerLine {
    LedgerLine {
        entry: entry.into(),
        day: day.into(),
        kid: World::new(REFERENTIAL).active.kid(),
        serial,
        value_cents: cents,
        provider,
    }
}
