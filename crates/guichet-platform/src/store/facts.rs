//! The platform's records a push's redemptions are checked against ([`crate::proof`]),
//! read inside the push's transaction.

use std::collections::{BTreeSet, HashMap};

use guichet_core::bundle::document::{Referential, Rules};
use guichet_core::Kid;
use guichet_protocol::{EntryEvent, LedgerEntry};
use jiff::Timestamp;

use super::admin::setting;
use super::{serial_from_db, serial_to_db};
use crate::db::{batch, Mode, Tx, Value};
use crate::error::Error;
use crate::proof::{BookletFacts, IssuerFacts, Knowledge, RevocationFacts};

fn storage(e: impl std::fmt::Display) -> Error {
    Error::Storage(e.to_string())
}

fn instant(text: &str) -> Result<Timestamp, Error> {
    text.parse().map_err(storage)
}

/// Everything [`crate::proof::check`] needs for one push, owned.
pub(super) struct PushFacts {
    pub issuers: HashMap<Kid, IssuerFacts>,
    pub booklets: HashMap<(Kid, u64), BookletFacts>,
    pub revocations: HashMap<Kid, Vec<RevocationFacts>>,
    pub center_zone: u32,
    pub referential: Option<Referential>,
    pub grace_days: u32,
    pub knowledge: Knowledge,
    /// The latest plausible time of the device's entries already held.
    pub previous: Option<Timestamp>,
}

/// Reads the facts bearing on the redemptions among `new`, pushed by `device` of `center`.
pub(super) fn gather(
    tx: &mut dyn Tx,
    device: &str,
    center: &str,
    new: &[LedgerEntry],
) -> Result<PushFacts, Error> {
    let coupons: BTreeSet<(Kid, u64)> = new
        .iter()
        .filter_map(|entry| match &entry.event {
            EntryEvent::Redemption(r) => Some((r.kid, r.serial)),
            EntryEvent::Cancellation(_) => None,
        })
        .collect();
    let kids: BTreeSet<Kid> = coupons.iter().map(|(kid, _)| *kid).collect();
    let kid_texts: Vec<String> = kids.iter().map(Kid::to_hex).collect();
    let kid_refs: Vec<&str> = kid_texts.iter().map(String::as_str).collect();

    let mut issuers = HashMap::new();
    for row in batch::query_in(
        tx,
        "SELECT kid, compromised_at FROM issuer_keys WHERE kid IN",
        &kid_refs,
    )? {
        let kid: Kid = row.text(0)?.parse().map_err(storage)?;
        let compromised_at = row.opt_text(1)?.as_deref().map(instant).transpose()?;
        issuers.insert(kid, IssuerFacts { compromised_at });
    }

    let mut revocations: HashMap<Kid, Vec<RevocationFacts>> = HashMap::new();
    for row in batch::query_in(
        tx,
        "SELECT kid, first_serial, last_serial, created_at FROM revocations WHERE kid IN",
        &kid_refs,
    )? {
        revocations
            .entry(row.text(0)?.parse().map_err(storage)?)
            .or_default()
            .push(RevocationFacts {
                first: serial_from_db(row.int(1)?),
                last: serial_from_db(row.int(2)?),
                revoked_at: instant(&row.text(3)?)?,
            });
    }

    let booklets = booklets_of(tx, &coupons)?;
    let center_zone = tx
        .query_opt("SELECT zone FROM centers WHERE id = $1", &[center.into()])?
        .map(|row| row.int(0))
        .transpose()?
        .unwrap_or(0) as u32;
    let referential = setting(tx, "referential")?
        .map(|json| serde_json::from_str(&json).map_err(storage))
        .transpose()?;
    let rules: Rules = setting(tx, "rules")?
        .map(|json| serde_json::from_str(&json).map_err(storage))
        .transpose()?
        .unwrap_or_default();
    let knowledge = knowledge_of(tx, device)?;
    let previous = tx
        .query_one(
            "SELECT last_occurred_us FROM devices WHERE id = $1",
            &[device.into()],
        )?
        .opt_int(0)?
        .map(|us| Timestamp::from_microsecond(us).map_err(storage))
        .transpose()?;
    Ok(PushFacts {
        issuers,
        booklets,
        revocations,
        center_zone,
        referential,
        grace_days: u32::from(rules.grace_days),
        knowledge,
        previous,
    })
}

/// The booklet holding each coupon, where one does: the last booklet of the kid starting at
/// or before the serial (an index seek on `(kid, first_serial)`), if the serial is within it.
fn booklets_of(
    tx: &mut dyn Tx,
    coupons: &BTreeSet<(Kid, u64)>,
) -> Result<HashMap<(Kid, u64), BookletFacts>, Error> {
    let coupons: Vec<&(Kid, u64)> = coupons.iter().collect();
    let mut booklets = HashMap::new();
    for chunk in batch::chunks(&coupons) {
        let params: Vec<Value> = chunk
            .iter()
            .flat_map(|(kid, serial)| [kid.to_hex().into(), Value::Int(serial_to_db(*serial))])
            .collect();
        let tuples = batch::tuples(chunk.len(), &["CAST({} AS TEXT)", "CAST({} AS BIGINT)"]);
        // `column1` and `column2` are the names both SQLite and PostgreSQL give a VALUES
        // list's columns.
        for row in tx.query(
            &format!(
                "SELECT c.column1, c.column2, b.first_serial, b.coupons, b.value_cents, \
                 b.issued_on, b.valid_until, b.provider, b.scope, b.zone \
                 FROM (VALUES {tuples}) AS c JOIN booklets b ON b.number = \
                 (SELECT b2.number FROM booklets b2 WHERE b2.kid = c.column1 \
                  AND b2.first_serial <= c.column2 ORDER BY b2.first_serial DESC LIMIT 1)"
            ),
            &params,
        )? {
            let kid: Kid = row.text(0)?.parse().map_err(storage)?;
            let serial = row.int(1)?;
            if serial >= row.int(2)? + row.int(3)? {
                continue;
            }
            let day = |text: String| -> Result<u16, Error> {
                let date: jiff::civil::Date = text.parse().map_err(storage)?;
                guichet_core::day::to_day(date)
                    .ok_or_else(|| storage(format!("booklet day {date} out of range")))
            };
            booklets.insert(
                (kid, serial_from_db(serial)),
                BookletFacts {
                    value_cents: row.int(4)? as u32,
                    issued_on: day(row.text(5)?)?,
                    valid_until: day(row.text(6)?)?,
                    provider: row.int(7)? as u32,
                    scope: row.int(8)? as u16,
                    zone: row.int(9)? as u32,
                },
            );
        }
    }
    Ok(booklets)
}

/// When each bundle was published, and from when `device` held each sequence.
fn knowledge_of(tx: &mut dyn Tx, device: &str) -> Result<Knowledge, Error> {
    let published = tx
        .query(
            "SELECT sequence, published_at FROM bundles ORDER BY sequence",
            &[],
        )?
        .iter()
        .map(|row| Ok((row.int(0)? as u64, instant(&row.text(1)?)?)))
        .collect::<Result<_, Error>>()?;
    let held = tx
        .query(
            "SELECT sequence, since_us FROM device_bundles WHERE device = $1",
            &[device.into()],
        )?
        .iter()
        .map(|row| {
            Ok((
                row.int(0)? as u64,
                Timestamp::from_microsecond(row.int(1)?).map_err(storage)?,
            ))
        })
        .collect::<Result<_, Error>>()?;
    Ok(Knowledge { published, held })
}

impl super::Store {
    /// For each entry of a push: whether it is a redemption whose code's signature verifies
    /// (`verify_strict`) with the platform's issuer key of the code's kid. Read in its own
    /// short transaction and computed on every core, outside the push's write transaction:
    /// the signatures are most of a push's cost. A kid names one key for good (it is derived
    /// from the key), so a key read here is the key the push's checks see.
    pub(super) fn verify_signatures(&self, entries: &[LedgerEntry]) -> Result<Vec<bool>, Error> {
        let codes: Vec<Option<&str>> = entries
            .iter()
            .map(|entry| match &entry.event {
                EntryEvent::Redemption(r) => r.code.as_deref(),
                EntryEvent::Cancellation(_) => None,
            })
            .collect();
        let kids: BTreeSet<String> = codes
            .iter()
            .flatten()
            .filter_map(|text| guichet_core::code::decode(text.as_bytes()).ok())
            .map(|signed| signed.coupon.kid.to_hex())
            .collect();
        let kids: Vec<&str> = kids.iter().map(String::as_str).collect();
        let keys: HashMap<Kid, ed25519_dalek::VerifyingKey> = self.run(Mode::Read, |tx| {
            batch::query_in(
                tx,
                "SELECT kid, public_key FROM issuer_keys WHERE kid IN",
                &kids,
            )?
            .iter()
            .map(|row| {
                let mut public = [0; 32];
                hex::decode_to_slice(row.text(1)?, &mut public).map_err(storage)?;
                Ok((
                    row.text(0)?.parse().map_err(storage)?,
                    ed25519_dalek::VerifyingKey::from_bytes(&public).map_err(storage)?,
                ))
            })
            .collect()
        })?;
        let verify = |code: &Option<&str>| {
            code.is_some_and(|text| {
                crate::proof::signature_verifies(text, |kid| keys.get(&kid).copied())
            })
        };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        // Below a few dozen codes a thread costs more than it saves.
        if threads == 1 || codes.len() < 64 {
            return Ok(codes.iter().map(verify).collect());
        }
        let chunk = codes.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let workers: Vec<_> = codes
                .chunks(chunk)
                .map(|part| scope.spawn(|| part.iter().map(verify).collect::<Vec<bool>>()))
                .collect();
            let mut verified = Vec::with_capacity(codes.len());
            for worker in workers {
                verified.extend(
                    worker
                        .join()
                        .map_err(|_| storage("a signature check failed"))?,
                );
            }
            Ok(verified)
        })
    }
}
