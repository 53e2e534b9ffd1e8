//! Trust bundles: the document built from the database, and the published files.

use std::collections::BTreeMap;

use guichet_console::model::AuditEntry;
use guichet_core::bundle::document::{
    BundleDocument, IssuerKeyEntry, Provider, Referential, Revocation, Rules, SerialRange, Zone,
};
use jiff::Timestamp;

use super::admin::{parse_status, put_setting, setting};
use super::{invalid, serial_from_db, stamp, Store};
use crate::db::{self, Mode, Tx, Value};
use crate::error::Error;

/// The setting that lists the sync keys' public halves (JSON array of 64-hex strings), newest
/// first: what bundles tell kiosks to verify answers with.
pub(super) const SYNC_KEYS: &str = "sync_keys";

fn storage(e: impl std::fmt::Display) -> Error {
    Error::Storage(e.to_string())
}

/// The bundle document the database's records make, as sequence `sequence`.
async fn document(
    tx: &mut Tx,
    sequence: u64,
    issued_at: Timestamp,
    expires_at: Timestamp,
) -> Result<BundleDocument, Error> {
    let referential: Referential = match setting(tx, "referential").await? {
        Some(json) => serde_json::from_str(&json).map_err(storage)?,
        None => return Err(invalid("no referential yet: referential import FILE first")),
    };
    let rules: Rules = match setting(tx, "rules").await? {
        Some(json) => serde_json::from_str(&json).map_err(storage)?,
        None => Rules::default(),
    };
    let providers = tx
        .rows::<(i64, String)>("SELECT id, name FROM providers ORDER BY id", &[])
        .await?
        .into_iter()
        .map(|(id, name)| {
            Ok(Provider {
                id: db::small(id)?,
                name,
            })
        })
        .collect::<Result<_, Error>>()?;
    let zones = tx
        .rows::<(i64, String)>("SELECT id, name FROM zones ORDER BY id", &[])
        .await?
        .into_iter()
        .map(|(id, name)| {
            Ok(Zone {
                id: db::small(id)?,
                name,
            })
        })
        .collect::<Result<_, Error>>()?;
    let issuer_keys = tx
        .rows::<IssuerKeyRow>(
            "SELECT kid, public_key, provider, status FROM issuer_keys ORDER BY kid",
            &[],
        )
        .await?
        .into_iter()
        .map(|row| {
            Ok(IssuerKeyEntry {
                kid: row.kid.parse().map_err(storage)?,
                public_key: row.public_key,
                provider: db::small(row.provider)?,
                status: parse_status(&row.status)?,
            })
        })
        .collect::<Result<_, Error>>()?;
    let mut revoked: BTreeMap<String, Revocation> = BTreeMap::new();
    let ranges: Vec<(String, i64, i64)> = tx
        .rows(
            "SELECT kid, first_serial, last_serial FROM revocations ORDER BY kid, id",
            &[],
        )
        .await?;
    for (kid, first, last) in ranges {
        let (first, last) = (serial_from_db(first), serial_from_db(last));
        let revocation = match revoked.entry(kid) {
            std::collections::btree_map::Entry::Occupied(held) => held.into_mut(),
            std::collections::btree_map::Entry::Vacant(new) => {
                let kid = new.key().parse().map_err(storage)?;
                new.insert(Revocation {
                    kid,
                    serials: Vec::new(),
                    ranges: Vec::new(),
                })
            }
        };
        if first == last {
            revocation.serials.push(first);
        } else {
            revocation.ranges.push(SerialRange { first, last });
        }
    }
    Ok(BundleDocument {
        sequence,
        issued_at,
        expires_at,
        rules,
        providers,
        zones,
        issuer_keys,
        referential,
        revocations: revoked.into_values().collect(),
        roots: Vec::new(),
        sync_keys: match setting(tx, SYNC_KEYS).await? {
            Some(json) => serde_json::from_str(&json).map_err(storage)?,
            None => Vec::new(),
        },
    })
}

/// An issuer key as stored.
#[derive(sqlx::FromRow)]
struct IssuerKeyRow {
    kid: String,
    public_key: String,
    provider: i64,
    status: String,
}

fn sequence_to_db(sequence: u64) -> Result<i64, Error> {
    i64::try_from(sequence).map_err(storage)
}

impl Store {
    /// Builds the next bundle document (sequence + 1), lets `seal` sign and check it, and
    /// stores the file; returns its sequence and the file.
    pub async fn publish_bundle(
        &self,
        issued_at: Timestamp,
        expires_at: Timestamp,
        seal: impl FnOnce(&BundleDocument) -> Result<Vec<u8>, Error>,
    ) -> Result<(u64, String), Error> {
        self.publish_bundle_with(issued_at, expires_at, seal, |_| None)
            .await
    }

    /// [`Store::publish_bundle`], with the audit entry `audit` makes of the published
    /// sequence (if any) written in the same transaction.
    pub async fn publish_bundle_with(
        &self,
        issued_at: Timestamp,
        expires_at: Timestamp,
        seal: impl FnOnce(&BundleDocument) -> Result<Vec<u8>, Error>,
        audit: impl FnOnce(u64) -> Option<AuditEntry>,
    ) -> Result<(u64, String), Error> {
        self.run(Mode::Write, async |tx| {
            // Two publishers would otherwise both take the same next sequence.
            tx.lock(&["bundle".to_owned()]).await?;
            let sequence = latest_sequence(tx).await?.unwrap_or(0) + 1;
            let document = document(tx, sequence, issued_at, expires_at).await?;
            let file = String::from_utf8(seal(&document)?)
                .map_err(|_| Error::Storage("a sealed bundle is not UTF-8".into()))?;
            tx.execute(
                "INSERT INTO bundles (sequence, file, published_at) VALUES ($1, $2, $3)",
                &[
                    Value::Int(sequence_to_db(sequence)?),
                    file.as_str().into(),
                    stamp(issued_at).into(),
                ],
            )
            .await?;
            super::accounts::audit_if(tx, audit(sequence).as_ref()).await?;
            Ok((sequence, file))
        })
        .await
    }

    /// Puts a sync key's public half first in the list bundles publish (the server signs its
    /// answers with it), keeping the one before it so that kiosks holding an older bundle
    /// still trust answers until they pull the next one; older keys are dropped.
    pub async fn add_sync_key(&self, public: &ed25519_dalek::VerifyingKey) -> Result<(), Error> {
        self.add_sync_key_with(public, None).await
    }

    /// [`Store::add_sync_key`], with `audit` (if any) written in the same transaction.
    pub async fn add_sync_key_with(
        &self,
        public: &ed25519_dalek::VerifyingKey,
        audit: Option<&AuditEntry>,
    ) -> Result<(), Error> {
        let hex = hex::encode(public.as_bytes());
        self.run(Mode::Write, async |tx| {
            let mut keys: Vec<String> = match setting(tx, SYNC_KEYS).await? {
                Some(json) => serde_json::from_str(&json).map_err(storage)?,
                None => Vec::new(),
            };
            if keys.first() == Some(&hex) {
                return Ok(());
            }
            keys.retain(|key| *key != hex);
            keys.insert(0, hex);
            keys.truncate(2);
            put_setting(
                tx,
                SYNC_KEYS,
                serde_json::to_string(&keys).map_err(storage)?,
            )
            .await?;
            super::accounts::audit_if(tx, audit).await
        })
        .await
    }

    /// The next bundle's document (sequence + 1), for the signer to sign (`bundle draft`).
    pub async fn draft_bundle(
        &self,
        issued_at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<BundleDocument, Error> {
        self.run(Mode::Read, async |tx| {
            let last = latest_sequence(tx).await?.unwrap_or(0);
            document(tx, last + 1, issued_at, expires_at).await
        })
        .await
    }

    /// Publishes a bundle the signer signed (`bundle import`): it must open with one of the
    /// roots in force (`roots`, the anchors, followed through the bundles that rotated them)
    /// and be the next sequence. The issuer keys it lists come into the database with
    /// `issuer-key import`, not from here.
    pub async fn import_bundle(
        &self,
        file: &[u8],
        roots: &[ed25519_dalek::VerifyingKey],
    ) -> Result<u64, Error> {
        self.import_bundle_audited(file, roots, |_| None).await
    }

    /// [`Store::import_bundle`], with the audit entry `audit` makes of the published sequence
    /// written in the same transaction (the console's imports).
    pub async fn import_bundle_audited(
        &self,
        file: &[u8],
        roots: &[ed25519_dalek::VerifyingKey],
        audit: impl FnOnce(u64) -> Option<AuditEntry>,
    ) -> Result<u64, Error> {
        // Checked against the roots in force: `roots` (the anchors) followed through the
        // bundles that rotated them.
        let history = self.history_from(roots).await?;
        let bundle = guichet_core::TrustBundle::open(file, history.roots(roots))
            .map_err(|e| invalid(format!("the bundle is refused: {e}")))?;
        let text = String::from_utf8(file.to_vec())
            .map_err(|_| invalid("the bundle file is not UTF-8"))?;
        let document = bundle.document();
        self.run(Mode::Write, async |tx| {
            tx.lock(&["bundle".to_owned()]).await?;
            let next = latest_sequence(tx).await?.unwrap_or(0) + 1;
            if document.sequence != next {
                return Err(invalid(format!(
                    "the bundle has sequence {}; the platform expects {next} (draft a new one)",
                    document.sequence
                )));
            }
            tx.execute(
                "INSERT INTO bundles (sequence, file, published_at) VALUES ($1, $2, $3)",
                &[
                    Value::Int(sequence_to_db(next)?),
                    text.as_str().into(),
                    stamp(document.issued_at).into(),
                ],
            )
            .await?;
            super::accounts::audit_if(tx, audit(next).as_ref()).await?;
            Ok(next)
        })
        .await
    }

    /// The root keys in force: `anchors` (the root public key file) followed through every
    /// published bundle that lists roots ([`crate::trust::SignedHistory::roots`]).
    pub async fn roots_in_force(
        &self,
        anchors: &[ed25519_dalek::VerifyingKey],
    ) -> Result<Vec<ed25519_dalek::VerifyingKey>, Error> {
        Ok(self.history_from(anchors).await?.roots(anchors).to_vec())
    }

    /// The bundle a kiosk holding `have` is sent: the next link of a root rotation it has not
    /// followed, else the newest ([`crate::trust::SignedHistory::next_for`]); its sequence and
    /// file.
    pub async fn bundle_for(
        &self,
        have: u64,
        anchors: &[ed25519_dalek::VerifyingKey],
    ) -> Result<Option<(u64, String)>, Error> {
        let Some(sequence) = self.history_from(anchors).await?.next_for(have, anchors) else {
            return self.latest_bundle().await;
        };
        let file = self
            .run(Mode::Read, async |tx| {
                tx.value::<String>(
                    "SELECT file FROM bundles WHERE sequence = $1",
                    &[Value::Int(sequence_to_db(sequence)?)],
                )
                .await
            })
            .await?;
        Ok(file.map(|file| (sequence, file)))
    }

    /// The newest published bundle: its sequence and file.
    pub async fn latest_bundle(&self) -> Result<Option<(u64, String)>, Error> {
        self.run(Mode::Read, async |tx| latest_bundle(tx).await)
            .await
    }
}

/// The newest published bundle in `tx`: its sequence and file.
pub(super) async fn latest_bundle(tx: &mut Tx) -> Result<Option<(u64, String)>, Error> {
    tx.row::<(i64, String)>(
        "SELECT sequence, file FROM bundles ORDER BY sequence DESC LIMIT 1",
        &[],
    )
    .await?
    .map(|(sequence, file)| Ok((db::count(sequence)?, file)))
    .transpose()
}

/// The newest published bundle's sequence in `tx`, if any.
pub(super) async fn latest_sequence(tx: &mut Tx) -> Result<Option<u64>, Error> {
    tx.value::<Option<i64>>("SELECT MAX(sequence) FROM bundles", &[])
        .await?
        .flatten()
        .map(db::count)
        .transpose()
}
