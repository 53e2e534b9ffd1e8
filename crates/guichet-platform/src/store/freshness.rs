//! Freshness statements (`schema/trust-bundle.md`, "Freshness statements"): what the platform
//! says online, with its sync key, between two bundles the offline root signs.
//!
//! A statement names the latest root-signed bundle, the time, and the restrictions decided
//! since that bundle: revocations and compromised issuer keys recorded in the database but
//! not yet in a signed bundle. A new one is issued when those change, when a new bundle is
//! published, or when the latest is older than [`REISSUE_AFTER`]; otherwise every kiosk gets
//! the same stored statement (a read, not a write). Each one issued is kept, append-only
//! (migration 9): when the platform pays, a restriction counts from the first statement that
//! said it ([`crate::trust::SignedHistory::push_statement`]).

use guichet_core::bundle::document::{KeyStatus, Revocation, SerialRange};
use guichet_core::bundle::FreshnessDocument;
use guichet_core::{Kid, TrustBundle};
use jiff::{SignedDuration, Timestamp};

use super::{serial_from_db, Store};
use crate::db::{self, Mode, Tx, Value};
use crate::error::Error;

/// How old the latest statement may be before a kiosk's request makes a new one: kiosks
/// stay current to within this (far below the rules' `max_staleness_days`).
pub const REISSUE_AFTER: SignedDuration = SignedDuration::from_hours(1);

fn storage(e: impl std::fmt::Display) -> Error {
    Error::Storage(e.to_string())
}

/// A statement as stored.
#[derive(sqlx::FromRow)]
struct StatementRow {
    sequence: i64,
    issued_at_us: i64,
    file: String,
}

/// The restrictions the database holds that `bundle` does not say yet.
async fn restrictions(
    tx: &mut Tx,
    bundle: &TrustBundle,
) -> Result<(Vec<Revocation>, Vec<Kid>), Error> {
    let ranges: Vec<(String, i64, i64)> = tx
        .rows(
            "SELECT kid, first_serial, last_serial FROM revocations ORDER BY kid, first_serial, id",
            &[],
        )
        .await?;
    let mut revocations: Vec<Revocation> = Vec::new();
    for (kid, first, last) in ranges {
        let kid: Kid = kid.parse().map_err(storage)?;
        let range = SerialRange {
            first: serial_from_db(first),
            last: serial_from_db(last),
        };
        if bundle.revokes_all(kid, range.first, range.last) {
            continue;
        }
        match revocations.last_mut() {
            Some(last) if last.kid == kid => last.ranges.push(range),
            _ => revocations.push(Revocation {
                kid,
                serials: Vec::new(),
                ranges: vec![range],
            }),
        }
    }
    let compromised = tx
        .rows::<(String,)>(
            "SELECT kid FROM issuer_keys WHERE status = 'compromised' ORDER BY kid",
            &[],
        )
        .await?
        .into_iter()
        .map(|(kid,)| kid.parse::<Kid>().map_err(storage))
        .filter(|kid| {
            kid.as_ref().map_or(true, |kid| {
                bundle
                    .issuer(*kid)
                    .is_some_and(|issuer| issuer.status != KeyStatus::Compromised)
            })
        })
        .collect::<Result<_, _>>()?;
    Ok((revocations, compromised))
}

async fn latest(tx: &mut Tx) -> Result<Option<StatementRow>, Error> {
    tx.row(
        "SELECT sequence, issued_at_us, file FROM freshness_statements \
         ORDER BY sequence DESC LIMIT 1",
        &[],
    )
    .await
}

impl Store {
    /// The freshness statement kiosks get now: the latest issued if it still says everything
    /// (same bundle, same restrictions, younger than [`REISSUE_AFTER`]), else a new one that
    /// `sign` seals with the sync key, stored before it is served. `None` before a bundle the
    /// platform's roots signed is published.
    ///
    /// Returns the statement's sequence and file.
    pub async fn freshness_statement(
        &self,
        now: Timestamp,
        sign: impl Fn(&FreshnessDocument) -> Vec<u8>,
    ) -> Result<Option<(u64, String)>, Error> {
        let history = self.signed_history().await?;
        let Some(latest_bundle) = history.bundles().last() else {
            return Ok(None);
        };
        let bundle = &latest_bundle.bundle;
        let current = self
            .run(Mode::Read, async |tx| {
                let said = restrictions(tx, bundle).await?;
                Ok((said, latest(tx).await?))
            })
            .await?;
        let ((revocations, compromised_keys), stored) = current;
        let mut issued_at = now;
        if let Some(stored) = &stored {
            let previous = Timestamp::from_microsecond(stored.issued_at_us).map_err(storage)?;
            let same = bundle
                .open_statement(stored.file.as_bytes())
                .is_ok_and(|said| {
                    said.revocations == revocations && said.compromised_keys == compromised_keys
                });
            if same && now.duration_since(previous) < REISSUE_AFTER {
                return Ok(Some((db::count(stored.sequence)?, stored.file.clone())));
            }
            // Each statement newer than the last: kiosks refuse one that is not.
            issued_at = issued_at.max(previous + SignedDuration::from_micros(1));
        }
        // Whole microseconds, as stored.
        let issued_at = Timestamp::from_microsecond(issued_at.as_microsecond()).map_err(storage)?;
        let document = FreshnessDocument {
            bundle_sequence: bundle.sequence(),
            issued_at,
            revocations,
            compromised_keys,
        };
        let file = String::from_utf8(sign(&document)).map_err(storage)?;
        let next = stored.as_ref().map_or(1, |row| row.sequence + 1);
        self.run(Mode::Write, async |tx| {
            let inserted = tx
                .execute(
                    "INSERT INTO freshness_statements \
                     (sequence, bundle_sequence, issued_at_us, file) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (sequence) DO NOTHING",
                    &[
                        Value::Int(next),
                        Value::Int(i64::try_from(bundle.sequence()).map_err(storage)?),
                        Value::Int(issued_at.as_microsecond()),
                        file.clone().into(),
                    ],
                )
                .await?;
            if inserted == 1 {
                return Ok(Some((db::count(next)?, file.clone())));
            }
            // Another instance issued this sequence first: serve its statement.
            latest(tx)
                .await?
                .map(|row| Ok((db::count(row.sequence)?, row.file)))
                .transpose()
        })
        .await
    }

    /// Records that `device` received statement `sequence` at `now` (the first time only): a
    /// kiosk of its center could know what the statement says from then on ([`crate::proof`]).
    /// Most requests find it recorded: a read, not a write.
    pub async fn record_statement_held(
        &self,
        device: &str,
        sequence: u64,
        now: Timestamp,
    ) -> Result<(), Error> {
        self.record_first_held(super::devices::Held::Statement, device, sequence, now)
            .await
    }

    /// Every freshness statement issued, in order: `(bundle sequence, file)`.
    pub(super) async fn issued_statements(
        tx: &mut Tx,
        after: u64,
    ) -> Result<Vec<(u64, u64, String)>, Error> {
        tx.rows::<(i64, i64, String)>(
            "SELECT sequence, bundle_sequence, file FROM freshness_statements \
             WHERE sequence > $1 ORDER BY sequence",
            &[Value::Int(i64::try_from(after).unwrap_or(i64::MAX))],
        )
        .await?
        .into_iter()
        .map(|(sequence, bundle, file)| Ok((db::count(sequence)?, db::count(bundle)?, file)))
        .collect()
    }
}
