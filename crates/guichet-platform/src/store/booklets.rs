//! A minted booklet as the console's booklet page reads it: the booklet's record, and for
//! each of its coupons the revocations that cover it and every redemption of it; the booklet
//! that holds a coupon.

use guichet_console::model::AuditEntry;
use guichet_core::Kid;
use jiff::Timestamp;

use super::review::contenders;
use super::{serial_to_db, Redemption, Store};
use crate::db::{self, Mode, Value};
use crate::error::Error;

/// A minted booklet and the state of each of its coupons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookletDetail {
    /// Its number (printed on it).
    pub number: u64,
    /// Its issuer key's kid.
    pub kid: Kid,
    /// Face value of each coupon, in cents.
    pub value_cents: i64,
    /// Its provider's id and name (empty if unknown).
    pub provider: (u32, String),
    /// Issue day and last valid day.
    pub valid: (String, String),
    /// Its coupons, in serial order.
    pub coupons: Vec<CouponDetail>,
}

/// One coupon of a booklet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CouponDetail {
    /// Its serial.
    pub serial: u64,
    /// The revocations that cover it: reason and when (RFC 3339).
    pub revoked: Vec<(String, String)>,
    /// Every redemption of it, first received first.
    pub redemptions: Vec<Redemption>,
}

/// A booklet's row.
#[derive(sqlx::FromRow)]
struct DetailRow {
    number: i64,
    kid: String,
    first_serial: i64,
    coupons: i64,
    value_cents: i64,
    provider: i64,
    provider_name: Option<String>,
    issued_on: String,
    valid_until: String,
}

/// A revocation covering a serial.
#[derive(sqlx::FromRow)]
struct RevokedRow {
    reason: String,
    created_at: String,
}

impl Store {
    /// Booklet `number` with the state of each coupon, if it was minted.
    pub async fn booklet_detail(&self, number: u64) -> Result<Option<BookletDetail>, Error> {
        let Ok(number) = i64::try_from(number) else {
            return Ok(None);
        };
        self.run(Mode::Read, async |tx| {
            let Some(row) = tx
                .row::<DetailRow>(
                    "SELECT b.number, b.kid, b.first_serial, b.coupons, b.value_cents, \
                     b.provider, p.name AS provider_name, b.issued_on, b.valid_until \
                     FROM booklets b LEFT JOIN providers p ON p.id = b.provider \
                     WHERE b.number = $1",
                    &[Value::Int(number)],
                )
                .await?
            else {
                return Ok(None);
            };
            let first = db::count(row.first_serial)?;
            let mut coupons = Vec::new();
            for serial in first..first + db::count(row.coupons)? {
                let revoked = tx
                    .rows::<RevokedRow>(
                        "SELECT reason, created_at FROM revocations \
                         WHERE kid = $1 AND first_serial <= $2 AND last_serial >= $2 \
                         ORDER BY id",
                        &[row.kid.as_str().into(), Value::Int(serial_to_db(serial))],
                    )
                    .await?
                    .into_iter()
                    .map(|r| (r.reason, r.created_at))
                    .collect();
                let coupon = (row.kid.clone(), serial_to_db(serial));
                coupons.push(CouponDetail {
                    serial,
                    revoked,
                    redemptions: contenders(tx, &coupon, "").await?,
                });
            }
            Ok(Some(BookletDetail {
                number: db::count(row.number)?,
                kid: row
                    .kid
                    .parse()
                    .map_err(|e| Error::Storage(format!("{e}")))?,
                value_cents: row.value_cents,
                provider: (
                    db::small(row.provider)?,
                    row.provider_name.unwrap_or_default(),
                ),
                valid: (row.issued_on, row.valid_until),
                coupons,
            }))
        })
        .await
    }

    /// The number of the booklet that holds coupon `serial` of `kid`, if one does.
    pub async fn booklet_holding(&self, kid: Kid, serial: u64) -> Result<Option<u64>, Error> {
        let Ok(serial) = i64::try_from(serial) else {
            return Ok(None);
        };
        self.run(Mode::Read, async |tx| {
            tx.value::<i64>(
                "SELECT number FROM booklets WHERE kid = $1 AND first_serial <= $2 \
                 AND first_serial + coupons > $2",
                &[kid.to_hex().into(), Value::Int(serial)],
            )
            .await?
            .map(db::count)
            .transpose()
        })
        .await
    }

    /// [`Store::revoke`], with the audit entry of the console's account that revoked written
    /// in the same transaction.
    pub async fn revoke_audited(
        &self,
        kid: Kid,
        range: (u64, u64),
        reason: &str,
        now: Timestamp,
        audit: &AuditEntry,
    ) -> Result<(), Error> {
        self.revoke_with(kid, range.0, range.1, reason, now, Some(audit))
            .await
    }
}
