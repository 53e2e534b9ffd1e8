//! Trust bundles: the document built from the database, and the published files.

use std::collections::BTreeMap;

use guichet_core::bundle::document::{
    BundleDocument, IssuerKeyEntry, Provider, Referential, Revocation, Rules, SerialRange, Zone,
};
use jiff::Timestamp;

use super::admin::{parse_status, put_setting, setting};
use super::{invalid, serial_from_db, stamp, Store};
use crate::db::{Mode, Tx, Value};
use crate::error::Error;

/// The setting that lists the sync keys' public halves (JSON array of 64-hex strings), newest
/// first: what bundles tell kiosks to verify answers with.
pub(super) const SYNC_KEYS: &str = "sync_keys";

fn storage(e: impl std::fmt::Display) -> Error {
    Error::Storage(e.to_string())
}

fn document(
    tx: &mut dyn Tx,
    sequence: u64,
    issued_at: Timestamp,
    expires_at: Timestamp,
) -> Result<BundleDocument, Error> {
    let referential: Referential = match setting(tx, "referential")? {
        Some(json) => serde_json::from_str(&json).map_err(storage)?,
        None => return Err(invalid("no referential yet: referential import FILE first")),
    };
    let rules: Rules = match setting(tx, "rules")? {
        Some(json) => serde_json::from_str(&json).map_err(storage)?,
        None => Rules::default(),
    };
    let providers = tx
        .query("SELECT id, name FROM providers ORDER BY id", &[])?
        .iter()
        .map(|row| {
            Ok(Provider {
                id: row.int(0)? as u32,
                name: row.text(1)?,
            })
        })
        .collect::<Result<_, Error>>()?;
    let zones = tx
        .query("SELECT id, name FROM zones ORDER BY id", &[])?
        .iter()
        .map(|row| {
            Ok(Zone {
                id: row.int(0)? as u32,
                name: row.text(1)?,
            })
        })
        .collect::<Result<_, Error>>()?;
    let issuer_keys = tx
        .query(
            "SELECT kid, public_key, provider, status FROM issuer_keys ORDER BY kid",
            &[],
        )?
        .iter()
        .map(|row| {
            Ok(IssuerKeyEntry {
                kid: row.text(0)?.parse().map_err(storage)?,
                public_key: row.text(1)?,
                provider: row.int(2)? as u32,
                status: parse_status(&row.text(3)?)?,
            })
        })
        .collect::<Result<_, Error>>()?;
    let mut revoked: BTreeMap<String, Revocation> = BTreeMap::new();
    for row in tx.query(
        "SELECT kid, first_serial, last_serial FROM revocations ORDER BY kid, id",
        &[],
    )? {
        let kid = row.text(0)?;
        let (first, last) = (serial_from_db(row.int(1)?), serial_from_db(row.int(2)?));
        let revocation = revoked.entry(kid.clone()).or_insert(Revocation {
            kid: kid.parse().map_err(storage)?,
            serials: Vec::new(),
            ranges: Vec::new(),
        });
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
        sync_keys: match setting(tx, SYNC_KEYS)? {
            Some(json) => serde_json::from_str(&json).map_err(storage)?,
            None => Vec::new(),
        },
    })
}

impl Store {
    /// Builds the next bundle document (sequence + 1), lets `seal` sign and check it, and
    /// stores the file; returns its sequence and the file.
    pub fn publish_bundle(
        &self,
        issued_at: Timestamp,
        expires_at: Timestamp,
        seal: impl FnOnce(&BundleDocument) -> Result<Vec<u8>, Error>,
    ) -> Result<(u64, String), Error> {
        self.run(Mode::Write, |tx| {
            // Two publishers would otherwise both take the same next sequence.
            tx.lock(&["bundle".to_owned()])?;
            let last = tx
                .query_one("SELECT COALESCE(MAX(sequence), 0) FROM bundles", &[])?
                .int(0)?;
            let sequence = last as u64 + 1;
            let document = document(tx, sequence, issued_at, expires_at)?;
            let file = String::from_utf8(seal(&document)?)
                .map_err(|_| Error::Storage("a sealed bundle is not UTF-8".into()))?;
            tx.execute(
                "INSERT INTO bundles (sequence, file, published_at) VALUES ($1, $2, $3)",
                &[
                    Value::Int(sequence as i64),
                    file.as_str().into(),
                    stamp(issued_at).into(),
                ],
            )?;
            Ok((sequence, file))
        })
    }

    /// Puts a sync key's public half first in the list bundles publish (the server signs its
    /// answers with it), keeping the one before it so that kiosks holding an older bundle
    /// still trust answers until they pull the next one; older keys are dropped.
    pub fn add_sync_key(&self, public: &ed25519_dalek::VerifyingKey) -> Result<(), Error> {
        let hex = hex::encode(public.as_bytes());
        self.run(Mode::Write, |tx| {
            let mut keys: Vec<String> = match setting(tx, SYNC_KEYS)? {
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
        })
    }

    /// The next bundle's document (sequence + 1), for the signer to sign (`bundle draft`).
    pub fn draft_bundle(
        &self,
        issued_at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<BundleDocument, Error> {
        self.run(Mode::Read, |tx| {
            let last = latest_sequence(tx)?.unwrap_or(0);
            document(tx, last + 1, issued_at, expires_at)
        })
    }

    /// Publishes a bundle the signer signed (`bundle import`): it must open with one of
    /// `roots` and be the next sequence. The issuer keys it lists come into the database with
    /// `issuer-key import`, not from here.
    pub fn import_bundle(
        &self,
        file: &[u8],
        roots: &[ed25519_dalek::VerifyingKey],
    ) -> Result<u64, Error> {
        let bundle = guichet_core::TrustBundle::open(file, roots)
            .map_err(|e| invalid(format!("the bundle is refused: {e}")))?;
        let text = String::from_utf8(file.to_vec())
            .map_err(|_| invalid("the bundle file is not UTF-8"))?;
        let document = bundle.document();
        self.run(Mode::Write, |tx| {
            tx.lock(&["bundle".to_owned()])?;
            let next = latest_sequence(tx)?.unwrap_or(0) + 1;
            if document.sequence != next {
                return Err(invalid(format!(
                    "the bundle has sequence {}; the platform expects {next} (draft a new one)",
                    document.sequence
                )));
            }
            tx.execute(
                "INSERT INTO bundles (sequence, file, published_at) VALUES ($1, $2, $3)",
                &[
                    Value::Int(next as i64),
                    text.as_str().into(),
                    stamp(document.issued_at).into(),
                ],
            )?;
            Ok(next)
        })
    }

    /// The newest published bundle: its sequence and file.
    pub fn latest_bundle(&self) -> Result<Option<(u64, String)>, Error> {
        self.run(Mode::Read, |tx| latest_bundle(tx))
    }
}

pub(super) fn latest_bundle(tx: &mut dyn Tx) -> Result<Option<(u64, String)>, Error> {
    tx.query_opt(
        "SELECT sequence, file FROM bundles ORDER BY sequence DESC LIMIT 1",
        &[],
    )?
    .map(|row| Ok((row.int(0)? as u64, row.text(1)?)))
    .transpose()
}

pub(super) fn latest_sequence(tx: &mut dyn Tx) -> Result<Option<u64>, Error> {
    Ok(tx
        .query_one("SELECT MAX(sequence) FROM bundles", &[])?
        .opt_int(0)?
        .map(|s| s as u64))
}
