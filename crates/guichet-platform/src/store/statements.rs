//! Each center's signed monthly statement (`schema/statement.md`): made when a month is
//! closed, in the closing transaction, from the platform's own records (`paid_cents`,
//! `paid_provider`: the minted coupon's value and provider, never what a kiosk declared),
//! signed by the sync key with the current root-signed bundle (the chain checked once per
//! closing, each document's rules and totals checked as a verifier would), stored, and never
//! changed.

use std::collections::BTreeMap;

use ed25519_dalek::{SigningKey, VerifyingKey};
use guichet_protocol::fingerprint::root_fingerprint;
use guichet_protocol::statement::{
    self, CenterRef, StatementDocument, StatementLine, StatementSeal, Totals,
};
use jiff::civil::Date;
use jiff::Timestamp;

use super::bundle::latest_bundle;
use super::{serial_from_db, stamp, Store};
use crate::db::{self, Mode, Tx, Value};
use crate::error::Error;

/// What signs statements: the platform's sync key, and the root keys whose bundle lists it.
#[derive(Clone)]
pub struct StatementSigner {
    /// The sync key (its public half is in the bundles).
    pub key: SigningKey,
    /// The platform's root public keys (what a verifier's fingerprint names).
    pub roots: Vec<VerifyingKey>,
}

/// An accepted redemption of the month, as the platform recorded it.
#[derive(sqlx::FromRow)]
struct LineRow {
    center: String,
    center_name: String,
    id: String,
    device: String,
    report_day: String,
    kid: String,
    serial: i64,
    paid_cents: i64,
    provider: i64,
    provider_name: Option<String>,
}

/// Issues, in `tx`, the statement of every center with accepted redemptions reported in the
/// month starting on `first` (ending before `next`); returns how many. Statements that would
/// not verify (no bundle, or one that does not list the sync key) stop the closing.
pub(super) async fn issue(
    tx: &mut Tx,
    first: Date,
    next: Date,
    now: Timestamp,
    signer: &StatementSigner,
) -> Result<usize, Error> {
    let month = first.strftime("%Y-%m").to_string();
    let rows: Vec<LineRow> = tx
        .rows(
            "SELECT e.center, c.name AS center_name, e.id, e.device, e.report_day, e.kid, \
             e.serial, e.paid_cents, e.paid_provider AS provider, p.name AS provider_name \
             FROM entries e JOIN centers c ON c.id = e.center \
             LEFT JOIN providers p ON p.id = e.paid_provider \
             WHERE e.kind = 'redemption' AND e.state = 'accepted' \
             AND e.paid_cents IS NOT NULL AND e.paid_provider IS NOT NULL \
             AND e.report_day >= $1 AND e.report_day < $2 \
             ORDER BY e.center, e.report_day, e.id",
            &[first.to_string().into(), next.to_string().into()],
        )
        .await?;
    let mut centers: BTreeMap<String, (String, Vec<StatementLine>)> = BTreeMap::new();
    for row in rows {
        let line = StatementLine {
            entry: row.id,
            device: row.device,
            day: row.report_day,
            kid: row
                .kid
                .parse()
                .map_err(|e| Error::Storage(format!("entry kid {:?}: {e}", row.kid)))?,
            serial: serial_from_db(row.serial),
            value_cents: u64::try_from(row.paid_cents)
                .map_err(|_| Error::Storage(format!("negative paid amount {}", row.paid_cents)))?,
            provider: db::small(row.provider)?,
            provider_name: row.provider_name.unwrap_or_default(),
        };
        centers
            .entry(row.center)
            .or_insert_with(|| (row.center_name, Vec::new()))
            .1
            .push(line);
    }
    if centers.is_empty() {
        return Ok(0);
    }
    let Some((_, bundle)) = latest_bundle(tx).await? else {
        return Err(Error::Invalid(
            "no trust bundle is published: a statement needs one that lists the sync key".into(),
        ));
    };
    let roots: Vec<String> = signer
        .roots
        .iter()
        .map(|key| hex::encode(key.as_bytes()))
        .collect();
    // The chain a verifier will check, once for the month: without a bundle of these roots
    // that lists the sync key, nobody could verify the statements.
    let signer_hex = hex::encode(signer.key.verifying_key().as_bytes());
    statement::check_chain(
        &signer.roots,
        &root_fingerprint(&signer.roots),
        bundle.as_bytes(),
        &signer_hex,
    )
    .map_err(|e| {
        Error::Invalid(format!(
            "the statements of {month} would not verify ({e}): publish a trust bundle that \
             lists the current sync key, then close the month"
        ))
    })?;
    let issued = centers.len();
    for (center, (name, lines)) in centers {
        let previous = tx
            .value::<Option<i64>>(
                "SELECT MAX(sequence) FROM statements WHERE center = $1 AND month = $2",
                &[center.clone().into(), month.clone().into()],
            )
            .await?
            .flatten()
            .map(db::small)
            .transpose()?;
        let sequence = match previous {
            None => 1,
            Some(old) => old
                .checked_add(1)
                .ok_or_else(|| Error::Storage(format!("statement sequence {old} is the last")))?,
        };
        let document = StatementDocument {
            center: CenterRef {
                id: center.clone(),
                name,
            },
            month: month.clone(),
            sequence,
            replaces: previous,
            issued_at: stamp(now),
            totals: Totals::of(&lines).map_err(|e| Error::Storage(e.to_string()))?,
            lines,
        };
        let file = statement::seal(
            &document,
            &StatementSeal {
                roots: &roots,
                bundle: &bundle,
                key: &signer.key,
            },
        );
        document
            .check()
            .map_err(|e| Error::Storage(format!("the statement of center {center}: {e}")))?;
        let file = String::from_utf8(file).map_err(|e| Error::Storage(e.to_string()))?;
        tx.execute(
            "INSERT INTO statements (center, month, sequence, replaces, issued_at, file) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                center.into(),
                month.clone().into(),
                Value::Int(i64::from(sequence)),
                previous.map_or(Value::NullInt, |old| Value::Int(i64::from(old))),
                stamp(now).into(),
                file.into(),
            ],
        )
        .await?;
    }
    Ok(issued)
}

impl Store {
    /// The months (`YYYY-MM`, newest first) `center` has a statement of.
    pub async fn statement_months(&self, center: &str) -> Result<Vec<String>, Error> {
        self.run(Mode::Read, async |tx| {
            tx.rows::<(String,)>(
                "SELECT DISTINCT month FROM statements WHERE center = $1 ORDER BY month DESC",
                &[center.into()],
            )
            .await
            .map(|rows| rows.into_iter().map(|(month,)| month).collect())
        })
        .await
    }

    /// The latest statement file of `center` for the month of `month` (any day of it), as
    /// issued, if there is one.
    pub async fn statement(&self, center: &str, month: Date) -> Result<Option<String>, Error> {
        let key = month.first_of_month().strftime("%Y-%m").to_string();
        self.run(Mode::Read, async |tx| {
            tx.value::<String>(
                "SELECT file FROM statements WHERE center = $1 AND month = $2 \
                 ORDER BY sequence DESC LIMIT 1",
                &[center.into(), key.clone().into()],
            )
            .await
        })
        .await
    }
}
