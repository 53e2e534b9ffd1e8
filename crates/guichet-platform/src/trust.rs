//! What the platform believes about issuer keys and revocations when it pays: only what a
//! bundle signed by a platform root says (`schema/sync-api.md`, "What the platform checks").
//!
//! Who is believed, and why: the root keys come from a file the serving account does not
//! write (`guichet-platform --root-public-key-file`, `/etc/guichet-platform/` in the
//! package), never from the database; each published bundle is checked against them over the
//! exact bytes stored (`TrustBundle::open`). The `issuer_keys` and `revocations` tables are
//! only the draft of the next bundle: a database writer who adds an issuer key there, or a
//! bundle signed by anyone else, makes no coupon payable (`tests/attacks.rs`,
//! `a_database_writers_own_issuer_key_pays_nothing`).
//!
//! Restrictions only (revocations, compromised keys) may also come from the platform's own
//! **freshness statements**, signed online by a sync key the bundle they are about lists
//! (`schema/trust-bundle.md`, "Freshness statements"): believed because that bundle's root
//! delegated them, and only to refuse payment, never to grant it. A restriction said online
//! counts from the first statement that said it, in the same way as one a bundle says
//! ([`SignedHistory::revoked`]).
//!
//! Pure: the store reads the bundle files and hands them here.

use std::collections::HashMap;

use ed25519_dalek::VerifyingKey;
use guichet_core::bundle::document::KeyStatus;
use guichet_core::bundle::FreshnessDocument;
use guichet_core::{Kid, TrustBundle};
use jiff::{SignedDuration, Timestamp};

/// A published bundle the platform checked, with the moment it stops being fresh.
#[derive(Clone, Debug)]
pub struct SignedBundle {
    /// The checked bundle.
    pub bundle: TrustBundle,
    /// When a kiosk holding it (and nothing newer) may no longer accept coupons:
    /// `max_staleness_days` after `issued_at`, or `expires_at`, whichever comes first.
    pub stale_from: Timestamp,
}

impl SignedBundle {
    fn of(bundle: TrustBundle) -> SignedBundle {
        let document = bundle.document();
        let staleness =
            SignedDuration::from_hours(24 * i64::from(document.rules.max_staleness_days));
        let stale_from = document
            .issued_at
            .checked_add(staleness)
            .unwrap_or(Timestamp::MAX)
            .min(document.expires_at);
        SignedBundle { bundle, stale_from }
    }

    /// Its sequence.
    pub fn sequence(&self) -> u64 {
        self.bundle.sequence()
    }
}

/// Since which signed bundle a fact (a revocation, a compromised key) has been published: a
/// kiosk could know it from the moment one of its center's kiosks held that bundle or a later
/// one, and every kiosk must know it once that bundle is stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Published {
    /// The first bundle of the run of bundles that say it, up to the latest (for a
    /// restriction said online, the bundle after the statement's, which will say it).
    pub sequence: u64,
    /// For a restriction said online, the first freshness statement that said it: a kiosk
    /// that received it or a later one knows it.
    pub statement: Option<u64>,
    /// When that bundle became stale: from then on, no kiosk may still be ignorant of it.
    pub stale_from: Timestamp,
}

/// An issuer key as the latest signed bundle lists it.
#[derive(Clone, Debug)]
pub struct TrustedIssuer {
    /// Its public half.
    pub key: VerifyingKey,
    /// The provider it mints for.
    pub provider: u32,
    /// Since when it is compromised, if the latest bundle or the latest freshness statement
    /// says it is: by the bundles, by the statements, or both.
    pub compromised: Vec<Published>,
}

/// A freshness statement the platform issued, checked against the bundle it is about.
#[derive(Clone, Debug)]
struct SignedStatement {
    /// Its sequence, in the order the platform issued statements.
    sequence: u64,
    /// The bundle it is about.
    bundle_sequence: u64,
    /// What it says.
    document: FreshnessDocument,
    /// When a kiosk that has not heard from the platform since is stale:
    /// `max_staleness_days` (of its bundle) after the statement.
    stale_from: Timestamp,
}

impl SignedStatement {
    fn revokes(&self, kid: Kid, serial: u64) -> bool {
        self.document.revocations.iter().any(|revocation| {
            revocation.kid == kid
                && (revocation.serials.contains(&serial)
                    || revocation
                        .ranges
                        .iter()
                        .any(|range| range.first <= serial && serial <= range.last))
        })
    }
}

/// The root-signed bundles the platform published, in increasing sequence, and the freshness
/// statements it issued about them, in the order issued.
#[derive(Clone, Debug, Default)]
pub struct SignedHistory {
    bundles: Vec<SignedBundle>,
    statements: Vec<SignedStatement>,
    /// The roots the latest bundle that lists roots names (a root rotation); `None`: the
    /// anchors the platform was installed with are still the roots.
    rotated: Option<Vec<VerifyingKey>>,
}

/// Why a stored bundle cannot be believed.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// Its signature is not a root's, or its document is invalid.
    #[error("the stored bundle {sequence} is not signed by the platform's root: {source}")]
    NotSigned {
        /// The sequence the database gives it.
        sequence: u64,
        /// Why it was refused.
        source: guichet_core::bundle::BundleError,
    },
    /// The database's sequence is not the document's, or goes back.
    #[error("the stored bundle {stored} holds the signed sequence {signed}; bundles must follow each other")]
    OutOfOrder {
        /// The sequence the database gives it.
        stored: u64,
        /// The sequence its signed document says.
        signed: u64,
    },
}

impl SignedHistory {
    /// The highest sequence checked so far (0 for none).
    pub fn latest_sequence(&self) -> u64 {
        self.bundles.last().map_or(0, SignedBundle::sequence)
    }

    /// The bundles checked, oldest first.
    pub fn bundles(&self) -> &[SignedBundle] {
        &self.bundles
    }

    /// Checks the stored bundle `sequence` (its `file`, as stored) against the roots in force
    /// (`anchors`, the root public key file, followed through every bundle that lists roots:
    /// [`SignedHistory::roots`]) and appends it. Sequences must increase; the document must
    /// say the sequence the database gives.
    pub fn push(
        &mut self,
        sequence: u64,
        file: &[u8],
        anchors: &[VerifyingKey],
    ) -> Result<(), HistoryError> {
        let bundle = TrustBundle::open(file, self.roots(anchors))
            .map_err(|source| HistoryError::NotSigned { sequence, source })?;
        if bundle.sequence() != sequence || sequence <= self.latest_sequence() {
            return Err(HistoryError::OutOfOrder {
                stored: sequence,
                signed: bundle.sequence(),
            });
        }
        if let Some(roots) = bundle.roots() {
            self.rotated = Some(roots.to_vec());
        }
        self.bundles.push(SignedBundle::of(bundle));
        Ok(())
    }

    /// The root keys in force after the latest bundle: `anchors` (the root public key file
    /// the platform was installed with), replaced by the roots of each bundle that lists
    /// some, in order (`schema/trust-bundle.md`, "Rotating the root"). What enrollment
    /// serves, what fingerprints are printed from and what statements carry.
    pub fn roots<'a>(&'a self, anchors: &'a [VerifyingKey]) -> &'a [VerifyingKey] {
        self.rotated.as_deref().unwrap_or(anchors)
    }

    /// The bundle a kiosk holding bundle `have` gets next: the first later bundle that lists
    /// other roots than those in force at `have` (a link of a rotation, which it must accept
    /// before it can check anything the new root signed), else the latest.
    pub fn next_for(&self, have: u64, anchors: &[VerifyingKey]) -> Option<u64> {
        let mut in_force = anchors;
        for signed in &self.bundles {
            let Some(roots) = signed.bundle.roots() else {
                continue;
            };
            if signed.sequence() <= have {
                in_force = roots;
            } else if roots != in_force {
                return Some(signed.sequence());
            }
        }
        self.bundles.last().map(SignedBundle::sequence)
    }

    /// Appends a freshness statement the platform issued (`file`, as stored), about the
    /// bundle `bundle_sequence`: believed only if a sync key that bundle lists signed it, about
    /// that bundle. A statement that is not is refused (and never believed).
    pub fn push_statement(
        &mut self,
        sequence: u64,
        bundle_sequence: u64,
        file: &[u8],
    ) -> Result<(), guichet_core::BundleError> {
        let Some(signed) = self
            .bundles
            .iter()
            .find(|signed| signed.sequence() == bundle_sequence)
        else {
            return Err(guichet_core::BundleError::OtherBundle {
                statement: bundle_sequence,
                held: self.latest_sequence(),
            });
        };
        let document = signed.bundle.open_statement(file)?;
        let staleness =
            SignedDuration::from_hours(24 * i64::from(signed.bundle.rules().max_staleness_days));
        let stale_from = document
            .issued_at
            .checked_add(staleness)
            .unwrap_or(Timestamp::MAX);
        self.statements.push(SignedStatement {
            sequence,
            bundle_sequence,
            document,
            stale_from,
        });
        Ok(())
    }

    /// The issuer key `kid` as the latest signed bundle lists it; None if it does not (a key
    /// no root ever signed, or one dropped since).
    pub fn issuer(&self, kid: Kid) -> Option<TrustedIssuer> {
        let latest = self.bundles.last()?;
        let issuer = latest.bundle.issuer(kid)?;
        let in_bundle = |bundle: &TrustBundle| {
            bundle
                .issuer(kid)
                .is_some_and(|key| key.status == KeyStatus::Compromised)
        };
        let compromised = self.said(in_bundle, |statement| {
            statement.document.compromised_keys.contains(&kid)
        });
        Some(TrustedIssuer {
            key: issuer.verifying_key,
            provider: issuer.provider,
            compromised,
        })
    }

    /// Since when the coupon (kid, serial) is revoked, if the latest signed bundle or the
    /// latest freshness statement says so: by the bundles, the statements, or both.
    pub fn revoked(&self, kid: Kid, serial: u64) -> Vec<Published> {
        self.said(
            |bundle| bundle.is_revoked(kid, serial),
            |statement| statement.revokes(kid, serial),
        )
    }

    /// Since when a restriction holds that the latest bundle (`in_bundle`) or the latest
    /// statement about it (`in_statement`) says: from the first bundle of the latest run of
    /// bundles that say it, and from the first statement that said it since the latest
    /// bundle that did not. A restriction said online is carried by the next bundle (the
    /// platform drafts bundles from the same records), so a kiosk of a center that held that
    /// bundle knows it, and every kiosk does once that statement is stale.
    fn said(
        &self,
        in_bundle: impl Fn(&TrustBundle) -> bool,
        in_statement: impl Fn(&SignedStatement) -> bool,
    ) -> Vec<Published> {
        let Some(latest) = self.bundles.last() else {
            return Vec::new();
        };
        let said_now = in_bundle(&latest.bundle)
            || self
                .statements
                .last()
                .is_some_and(|s| s.bundle_sequence == latest.sequence() && in_statement(s));
        if !said_now {
            return Vec::new();
        }
        let mut published: Vec<Published> = self.since(&in_bundle).into_iter().collect();
        let not_saying = self
            .bundles
            .iter()
            .rev()
            .find(|signed| !in_bundle(&signed.bundle))
            .map_or(0, SignedBundle::sequence);
        let online = self
            .statements
            .iter()
            .find(|s| s.bundle_sequence >= not_saying && in_statement(s));
        published.extend(online.map(|statement| Published {
            sequence: statement.bundle_sequence + 1,
            statement: Some(statement.sequence),
            stale_from: statement.stale_from,
        }));
        published
    }

    /// The public halves of the issuer keys of the latest bundle, by kid.
    pub fn issuer_keys(&self) -> HashMap<Kid, VerifyingKey> {
        self.bundles
            .last()
            .map(|latest| {
                latest
                    .bundle
                    .document()
                    .issuer_keys
                    .iter()
                    .filter_map(|entry| {
                        latest
                            .bundle
                            .issuer(entry.kid)
                            .map(|key| (entry.kid, key.verifying_key))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first bundle of the latest run of bundles for which `says` holds, if the latest
    /// bundle says it.
    fn since(&self, says: &impl Fn(&TrustBundle) -> bool) -> Option<Published> {
        let run = self
            .bundles
            .iter()
            .rev()
            .take_while(|signed| says(&signed.bundle))
            .last()?;
        Some(Published {
            sequence: run.sequence(),
            statement: None,
            stale_from: run.stale_from,
        })
    }
}

/// What a center's kiosks could know: since when any of them first held each bundle
/// sequence (`device_bundles`, kept by the platform when it sends or confirms a bundle) and
/// first received each freshness statement (`device_freshness`).
#[derive(Clone, Debug, Default)]
pub struct Knowledge {
    /// (sequence, since when a kiosk of the center held it), any order.
    pub held: Vec<(u64, Timestamp)>,
    /// (statement sequence, since when a kiosk of the center received it), any order.
    pub statements: Vec<(u64, Timestamp)>,
}

impl Knowledge {
    /// From when the center is held to a fact `published` in a bundle or a statement: the
    /// first moment one of its kiosks held that bundle or a later one (or received that
    /// statement or a later one: each says every restriction since its bundle), and at the
    /// latest when that bundle or statement went stale (pulled or not: a kiosk past it may
    /// accept nothing).
    pub fn known_since(&self, published: Published) -> Timestamp {
        let by_bundle = self
            .held
            .iter()
            .filter(|(sequence, _)| *sequence >= published.sequence)
            .map(|(_, since)| *since);
        let by_statement = published.statement.into_iter().flat_map(|first| {
            self.statements
                .iter()
                .filter(move |(sequence, _)| *sequence >= first)
                .map(|(_, since)| *since)
        });
        by_bundle
            .chain(by_statement)
            .min()
            .map_or(published.stale_from, |held| held.min(published.stale_from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;
    use guichet_core::bundle::document::{
        BundleDocument, IssuerKeyEntry, Provider, Referential, Revocation, Rules, SerialRange,
    };

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn document(sequence: u64, issued: &str, status: KeyStatus, revoked: bool) -> BundleDocument {
        let issuer = key(7).verifying_key();
        let kid = Kid::of_public_key(issuer.as_bytes());
        BundleDocument {
            sequence,
            issued_at: at(issued),
            expires_at: at(issued) + SignedDuration::from_hours(24 * 30),
            rules: Rules::default(),
            providers: vec![Provider {
                id: 7,
                name: "Département test".into(),
            }],
            zones: vec![],
            issuer_keys: vec![IssuerKeyEntry {
                kid,
                public_key: hex::encode(issuer.as_bytes()),
                provider: 7,
                status,
            }],
            referential: referential(),
            revocations: if revoked {
                vec![Revocation {
                    kid,
                    serials: vec![],
                    ranges: vec![SerialRange { first: 5, last: 9 }],
                }]
            } else {
                vec![]
            },
            roots: Vec::new(),
            sync_keys: vec![],
        }
    }

    fn referential() -> Referential {
        let text = include_str!("../../../fixtures/referential/example-referential.json");
        serde_json::from_str(text).unwrap()
    }

    fn history(documents: &[BundleDocument], root: &SigningKey) -> SignedHistory {
        let mut history = SignedHistory::default();
        for document in documents {
            let file = TrustBundle::seal(document, root);
            history
                .push(document.sequence, &file, &[root.verifying_key()])
                .unwrap();
        }
        history
    }

    #[test]
    fn only_bundles_signed_by_a_root_are_believed() {
        let root = key(1);
        let stranger = key(2);
        let mut history = SignedHistory::default();
        let file = TrustBundle::seal(
            &document(1, "2026-01-01T00:00:00Z", KeyStatus::Active, false),
            &stranger,
        );
        let refused = history.push(1, &file, &[root.verifying_key()]);
        assert!(matches!(refused, Err(HistoryError::NotSigned { .. })));
        assert!(history.issuer_keys().is_empty());
        // The database cannot renumber a signed bundle, nor go back.
        let file = TrustBundle::seal(
            &document(1, "2026-01-01T00:00:00Z", KeyStatus::Active, false),
            &root,
        );
        let renumbered = history.push(2, &file, &[root.verifying_key()]);
        assert!(matches!(renumbered, Err(HistoryError::OutOfOrder { .. })));
        history.push(1, &file, &[root.verifying_key()]).unwrap();
        let again = history.push(1, &file, &[root.verifying_key()]);
        assert!(matches!(again, Err(HistoryError::OutOfOrder { .. })));
        assert_eq!(history.issuer_keys().len(), 1);
    }

    #[test]
    fn a_fact_counts_from_the_first_bundle_of_its_latest_run() {
        let root = key(1);
        let history = history(
            &[
                document(1, "2026-01-01T00:00:00Z", KeyStatus::Active, false),
                document(2, "2026-01-08T00:00:00Z", KeyStatus::Compromised, true),
                document(3, "2026-01-15T00:00:00Z", KeyStatus::Compromised, true),
            ],
            &root,
        );
        let kid = Kid::of_public_key(key(7).verifying_key().as_bytes());
        let issuer = history.issuer(kid).unwrap();
        let [since] = issuer.compromised[..] else {
            panic!("said by the bundles only: {:?}", issuer.compromised)
        };
        assert_eq!(since.sequence, 2);
        // Seven days of staleness (the default rules) before the 30-day expiry.
        assert_eq!(since.stale_from, at("2026-01-15T00:00:00Z"));
        assert_eq!(history.revoked(kid, 7), [since]);
        assert_eq!(history.revoked(kid, 4), []);
        // Lifted in the latest bundle: no longer held against anyone.
        let lifted = super::tests::history(
            &[
                document(1, "2026-01-01T00:00:00Z", KeyStatus::Compromised, true),
                document(2, "2026-01-08T00:00:00Z", KeyStatus::Active, false),
            ],
            &root,
        );
        assert!(lifted.issuer(kid).unwrap().compromised.is_empty());
        assert!(lifted.revoked(kid, 7).is_empty());
    }

    #[test]
    fn knowledge_is_the_centers_first_holding_or_the_staleness_bound() {
        let published = Published {
            sequence: 2,
            statement: None,
            stale_from: at("2026-01-15T00:00:00Z"),
        };
        let never = Knowledge::default();
        assert_eq!(never.known_since(published), published.stale_from);
        let held = Knowledge {
            held: vec![
                (1, at("2026-01-02T00:00:00Z")),
                (3, at("2026-01-10T00:00:00Z")),
                (2, at("2026-01-09T00:00:00Z")),
            ],
            statements: vec![(9, at("2026-01-03T00:00:00Z"))],
        };
        // A statement counts only for a restriction said online.
        assert_eq!(held.known_since(published), at("2026-01-09T00:00:00Z"));
        let late = Knowledge {
            held: vec![(4, at("2026-02-01T00:00:00Z"))],
            statements: Vec::new(),
        };
        assert_eq!(late.known_since(published), published.stale_from);
        // Said online in statement 5: the center's kiosk that received statement 6 (which
        // says every restriction since its bundle) knows it; statement 4 is older.
        let online = Published {
            statement: Some(5),
            ..published
        };
        let received = Knowledge {
            held: Vec::new(),
            statements: vec![
                (4, at("2026-01-04T00:00:00Z")),
                (6, at("2026-01-06T00:00:00Z")),
            ],
        };
        assert_eq!(received.known_since(online), at("2026-01-06T00:00:00Z"));
    }

    #[test]
    fn a_restriction_said_online_counts_from_the_first_statement_saying_it() {
        let root = key(1);
        let sync = key(9);
        let mut documents = [document(
            1,
            "2026-01-01T00:00:00Z",
            KeyStatus::Active,
            false,
        )];
        documents[0].sync_keys = vec![hex::encode(sync.verifying_key().as_bytes())];
        let mut history = history(&documents, &root);
        let kid = Kid::of_public_key(key(7).verifying_key().as_bytes());
        let statement = |sequence_at: &str, revoked: bool, compromised: bool| {
            FreshnessDocument {
                bundle_sequence: 1,
                issued_at: at(sequence_at),
                revocations: if revoked {
                    vec![Revocation {
                        kid,
                        serials: vec![7],
                        ranges: Vec::new(),
                    }]
                } else {
                    Vec::new()
                },
                compromised_keys: if compromised { vec![kid] } else { Vec::new() },
            }
            .seal(&sync)
        };
        history
            .push_statement(1, 1, &statement("2026-01-02T00:00:00Z", false, false))
            .unwrap();
        history
            .push_statement(2, 1, &statement("2026-01-03T00:00:00Z", true, false))
            .unwrap();
        history
            .push_statement(3, 1, &statement("2026-01-04T00:00:00Z", true, true))
            .unwrap();
        let expected = |statement, day: &str| Published {
            sequence: 2,
            statement: Some(statement),
            stale_from: at(day),
        };
        assert_eq!(
            history.revoked(kid, 7),
            [expected(2, "2026-01-10T00:00:00Z")]
        );
        assert_eq!(history.revoked(kid, 8), []);
        assert_eq!(
            history.issuer(kid).unwrap().compromised,
            [expected(3, "2026-01-11T00:00:00Z")]
        );
        // Signed by the root, not a sync key, or about a bundle never published: refused.
        let forged = FreshnessDocument {
            bundle_sequence: 1,
            issued_at: at("2026-01-05T00:00:00Z"),
            revocations: Vec::new(),
            compromised_keys: Vec::new(),
        };
        assert!(history.push_statement(4, 1, &forged.seal(&root)).is_err());
        assert!(history
            .push_statement(4, 2, &statement("2026-01-05T00:00:00Z", true, true))
            .is_err());
        // The latest statement no longer says it (the operator lifted it): nothing is held.
        history
            .push_statement(4, 1, &statement("2026-01-06T00:00:00Z", false, false))
            .unwrap();
        assert_eq!(history.revoked(kid, 7), []);
    }
}
