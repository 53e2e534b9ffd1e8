//! The fixture world: its keys, providers, zones, dates, trust bundles and coupons.

use guichet_core::bundle::document::{
    BundleDocument, IssuerKeyEntry, Provider, Referential, Revocation, SerialRange, Zone,
};
use guichet_core::bundle::{KeyStatus, Rules};
use guichet_core::code::{self, Coupon};
use guichet_core::{day, Scope, TrustBundle};
use jiff::civil::{date, Date};
use jiff::Timestamp;

use crate::keys::{self, TestKey};

/// The day most vectors are checked on.
pub const TODAY: Date = date(2026, 11, 23);
/// Issue day of the standard coupon.
pub const ISSUED_ON: Date = date(2026, 3, 2);
/// Last valid day of the standard coupon.
pub const VALID_UNTIL: Date = date(2026, 12, 31);
/// Zone of the fixture center.
pub const CENTER_ZONE: u32 = 33;
/// Another zone.
pub const OTHER_ZONE: u32 = 75;
/// A serial revoked one by one in every bundle.
pub const REVOKED_SERIAL: u64 = 1_000_013;
/// A booklet of ten revoked in every bundle.
pub const REVOKED_BOOKLET: SerialRange = SerialRange {
    first: 1_000_100,
    last: 1_000_109,
};
/// A booklet of five revoked from sequence 2 on.
pub const REVOKED_IN_SEQ2: SerialRange = SerialRange {
    first: 1_000_200,
    last: 1_000_204,
};

/// Everything the vectors are built from.
pub struct World {
    /// The pinned platform root.
    pub root: TestKey,
    /// A root nobody pins.
    pub other_root: TestKey,
    /// Active issuer key (provider 1).
    pub active: TestKey,
    /// Retired issuer key (provider 2).
    pub retired: TestKey,
    /// Compromised issuer key (provider 1).
    pub compromised: TestKey,
    /// Issuer key no bundle lists.
    pub unlisted: TestKey,
    referential: Referential,
}

fn timestamp(text: &str) -> Timestamp {
    text.parse().expect("fixture timestamps are valid")
}

impl World {
    /// The world, with the example referential read from its file's bytes.
    pub fn new(example_referential: &[u8]) -> World {
        World {
            root: TestKey::named(keys::ROOT),
            other_root: TestKey::named(keys::OTHER_ROOT),
            active: TestKey::named(keys::ISSUER_ACTIVE),
            retired: TestKey::named(keys::ISSUER_RETIRED),
            compromised: TestKey::named(keys::ISSUER_COMPROMISED),
            unlisted: TestKey::named(keys::ISSUER_UNLISTED),
            referential: serde_json::from_slice(example_referential)
                .expect("fixtures/referential/example-referential.json is a referential"),
        }
    }

    fn issuer_entry(key: &TestKey, provider: u32, status: KeyStatus) -> IssuerKeyEntry {
        IssuerKeyEntry {
            kid: key.kid(),
            public_key: hex::encode(key.public().as_bytes()),
            provider,
            status,
        }
    }

    /// The document of bundle sequence 1, the fixtures' baseline.
    pub fn document_seq1(&self) -> BundleDocument {
        BundleDocument {
            sequence: 1,
            issued_at: timestamp("2026-11-01T08:00:00Z"),
            expires_at: timestamp("2027-11-01T08:00:00Z"),
            rules: Rules::default(),
            providers: vec![
                Provider {
                    id: 1,
                    name: "Département de la Gironde (exemple)".into(),
                },
                Provider {
                    id: 2,
                    name: "Caisse d'allocations familiales (exemple)".into(),
                },
            ],
            zones: vec![
                Zone {
                    id: CENTER_ZONE,
                    name: "Gironde".into(),
                },
                Zone {
                    id: OTHER_ZONE,
                    name: "Paris".into(),
                },
            ],
            issuer_keys: vec![
                Self::issuer_entry(&self.active, 1, KeyStatus::Active),
                Self::issuer_entry(&self.retired, 2, KeyStatus::Retired),
                Self::issuer_entry(&self.compromised, 1, KeyStatus::Compromised),
            ],
            referential: self.referential.clone(),
            revocations: vec![Revocation {
                kid: self.active.kid(),
                serials: vec![REVOKED_SERIAL],
                ranges: vec![REVOKED_BOOKLET],
            }],
            roots: Vec::new(),
            sync_keys: Vec::new(),
        }
    }

    /// Sequence 2: one more revoked booklet, and the retired key now compromised.
    pub fn document_seq2(&self) -> BundleDocument {
        let mut document = self.document_seq1();
        document.sequence = 2;
        document.issued_at = timestamp("2026-11-20T08:00:00Z");
        document.expires_at = timestamp("2027-11-20T08:00:00Z");
        document.issuer_keys[1].status = KeyStatus::Compromised;
        document.revocations[0].ranges.push(REVOKED_IN_SEQ2);
        document
    }

    /// A bundle document sealed by the pinned root.
    pub fn seal(&self, document: &BundleDocument) -> Vec<u8> {
        TrustBundle::seal(document, &self.root.signing)
    }

    /// Opens fixture bundle bytes against the pinned root.
    pub fn open(&self, bytes: &[u8]) -> TrustBundle {
        TrustBundle::open(bytes, &[self.root.public()]).expect("fixture bundles are valid")
    }

    /// The bundle files under `fixtures/bundles/`, by name.
    pub fn bundle_files(&self) -> Vec<(&'static str, Vec<u8>)> {
        vec![
            ("test-only-bundle-seq1", self.seal(&self.document_seq1())),
            ("test-only-bundle-seq2", self.seal(&self.document_seq2())),
        ]
    }

    /// The standard coupon of the active key: €10, scope any, zone any.
    pub fn coupon(&self, serial: u64) -> Coupon {
        Coupon {
            kid: self.active.kid(),
            serial,
            value_cents: 1000,
            issued_on: day::to_day(ISSUED_ON).expect("2026 is a PN1 day"),
            valid_until: day::to_day(VALID_UNTIL).expect("2026 is a PN1 day"),
            provider: 1,
            scope: Scope::ANY,
            zone: 0,
        }
    }

    /// A coupon of `issuer`, with its kid.
    pub fn coupon_of(&self, issuer: &TestKey, serial: u64) -> Coupon {
        Coupon {
            kid: issuer.kid(),
            ..self.coupon(serial)
        }
    }

    /// The code text of a coupon signed by `issuer`.
    pub fn code(&self, issuer: &TestKey, coupon: &Coupon) -> String {
        code::encode(coupon, &issuer.signing)
    }

    /// Codes for the README's example and the demo, in the order
    /// `fixtures/coupons/README.md` describes.
    pub fn demo_codes(&self) -> Vec<String> {
        let active = &self.active;
        vec![
            self.code(active, &self.coupon(1_000_001)),
            self.code(active, &self.coupon(1_000_002)),
            self.code(active, &self.coupon(REVOKED_SERIAL)),
            self.code(&self.retired, &self.coupon_of(&self.retired, 2_000_001)),
            self.code(
                &self.compromised,
                &self.coupon_of(&self.compromised, 3_000_001),
            ),
            self.code(&self.unlisted, &self.coupon_of(&self.unlisted, 4_000_001)),
        ]
    }
}
