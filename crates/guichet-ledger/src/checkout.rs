//! A learner's checkout: the basket of coupons for one workshop, committed all at once.

use guichet_core::{
    code, Area, Coupon, Kid, Malformed, PriorRedemption, RedemptionLookup, Verdict,
};
use guichet_protocol::limits;
use jiff::Timestamp;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::clock::{self, ClockStatus};
use crate::entry::{check_text, check_typed, Entry, EntryBody, InputMethod, RedemptionFields};
use crate::error::LedgerError;
use crate::ledger::Ledger;
use crate::store::{self, serial_to_sql, AppendError};
use crate::time;

/// The workshop being paid for, from the referential.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Workshop {
    /// Its area.
    pub area: Area,
    /// Its service code.
    pub service: String,
}

/// The kiosk and the person at the counter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Station {
    /// The center's id.
    pub center: String,
    /// This kiosk's device id.
    pub device: String,
    /// The mediator at the counter.
    pub mediator: String,
}

/// One coupon in a basket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BasketCoupon {
    /// The coupon, as decoded from `code`.
    pub coupon: Coupon,
    /// How it was read.
    pub input: InputMethod,
    /// The code as read, trimmed (the `PN1:` text that `guichet_core::code::decode` took):
    /// recorded in the entry, so the platform can check the kiosk held the coupon.
    pub code: String,
}

/// Why a coupon cannot join the basket or the basket cannot be committed.
#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    /// The same coupon is already in this basket.
    #[error("coupon {serial} is already in this basket")]
    DuplicateInBasket {
        /// The issuer key id.
        kid: Kid,
        /// The serial.
        serial: u64,
    },
    /// The basket holds no coupon.
    #[error("the basket is empty")]
    EmptyBasket,
    /// The text read is not a well-formed code (the counter adds only verified coupons).
    #[error("the text read is not a coupon code")]
    Malformed(#[source] Malformed),
    /// The basket already holds as many coupons as one checkout may
    /// (`guichet_protocol::limits::MAX_COUPONS_PER_CHECKOUT`).
    #[error("a checkout holds at most {limit} coupons")]
    TooManyCoupons {
        /// The limit.
        limit: usize,
    },
    /// A coupon already has an active redemption (possibly made a moment ago by another
    /// process): nothing of this checkout was recorded.
    #[error("coupon {serial} was already accepted; nothing was recorded")]
    AlreadyRedeemed {
        /// The issuer key id.
        kid: Kid,
        /// The serial.
        serial: u64,
        /// When, where and by whom.
        prior: PriorRedemption,
    },
    /// Coupons that no longer pass the caller's verification, re-run inside the write
    /// transaction at commit ([`Ledger::commit_checkout_verified`]): each with the verdict it
    /// got now. Nothing of this checkout was recorded.
    #[error("{} coupon(s) no longer pass verification; nothing was recorded", .0.len())]
    NoLongerValid(Vec<NoLongerValid>),
    /// The ledger failed; nothing of this checkout was recorded.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// A basket coupon that failed verification when it was run again at commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoLongerValid {
    /// The issuer key id.
    pub kid: Kid,
    /// The serial.
    pub serial: u64,
    /// The verdict it got at commit (not `OK`).
    pub verdict: Verdict,
}

/// The ledger as a write transaction sees it, for a verification re-run inside that
/// transaction ([`Ledger::commit_checkout_verified`]): what it answers cannot change before
/// the commit.
pub struct TxLookup<'t> {
    conn: &'t rusqlite::Connection,
    path: &'t std::path::Path,
}

impl RedemptionLookup for TxLookup<'_> {
    type Error = LedgerError;

    fn active_redemption(
        &self,
        kid: Kid,
        serial: u64,
    ) -> Result<Option<PriorRedemption>, LedgerError> {
        match active_redemption(self.conn, kid, serial)
            .map_err(|e| LedgerError::from_sqlite(self.path, e))?
        {
            Some(row) => Ok(Some(row.into_prior()?)),
            None => Ok(None),
        }
    }
}

/// The coupons of one learner for one workshop, before "Valider".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Basket {
    /// The workshop.
    pub workshop: Workshop,
    coupons: Vec<BasketCoupon>,
    /// What the learner paid otherwise (cash, card), in cents.
    pub paid_otherwise_cents: u32,
}

impl Basket {
    /// An empty basket for a workshop.
    pub fn new(workshop: Workshop) -> Basket {
        Basket {
            workshop,
            coupons: Vec::new(),
            paid_otherwise_cents: 0,
        }
    }

    /// Adds the coupon of a code the counter read and verified (`read` as it came, the
    /// ledger keeps it trimmed) and returns it. The coupon is the one the code carries, so
    /// the entry's fields and its code always agree. Refused: a text that is not a code,
    /// the same coupon twice, more coupons than a checkout may hold.
    pub fn add(&mut self, read: &[u8], input: InputMethod) -> Result<Coupon, CheckoutError> {
        let coupon = code::decode(read).map_err(CheckoutError::Malformed)?.coupon;
        if self.contains(coupon.kid, coupon.serial) {
            return Err(CheckoutError::DuplicateInBasket {
                kid: coupon.kid,
                serial: coupon.serial,
            });
        }
        if self.coupons.len() >= limits::MAX_COUPONS_PER_CHECKOUT {
            return Err(CheckoutError::TooManyCoupons {
                limit: limits::MAX_COUPONS_PER_CHECKOUT,
            });
        }
        // A decoded code is "PN1:" and base45 characters: ASCII.
        let code = String::from_utf8_lossy(code::trim(read)).into_owned();
        self.coupons.push(BasketCoupon {
            coupon,
            input,
            code,
        });
        Ok(coupon)
    }

    /// Removes a coupon; `false` when it was not there.
    pub fn remove(&mut self, kid: Kid, serial: u64) -> bool {
        let before = self.coupons.len();
        self.coupons
            .retain(|c| (c.coupon.kid, c.coupon.serial) != (kid, serial));
        self.coupons.len() != before
    }

    /// Whether the coupon is in the basket.
    pub fn contains(&self, kid: Kid, serial: u64) -> bool {
        self.coupons
            .iter()
            .any(|c| (c.coupon.kid, c.coupon.serial) == (kid, serial))
    }

    /// The coupons, in the order they were added.
    pub fn coupons(&self) -> &[BasketCoupon] {
        &self.coupons
    }

    /// The coupons' face value, in cents.
    pub fn coupons_total_cents(&self) -> u64 {
        self.coupons
            .iter()
            .map(|c| u64::from(c.coupon.value_cents))
            .sum()
    }
}

/// One redemption recorded by a checkout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordedRedemption {
    /// The entry id (UUIDv7).
    pub id: String,
    /// The issuer key id, hex.
    pub kid: String,
    /// The serial.
    pub serial: u64,
    /// Face value in cents.
    pub value_cents: u32,
}

/// What a committed checkout recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// The checkout's id (UUIDv7).
    pub checkout_id: String,
    /// Its redemptions, in basket order.
    pub redemptions: Vec<RecordedRedemption>,
    /// The moment recorded, UTC.
    pub occurred_at: String,
    /// The Europe/Paris day.
    pub local_day: String,
    /// Whether the kiosk's clock is behind a time it already trusted.
    pub clock: ClockStatus,
}

impl Ledger {
    /// Records all the basket's coupons in one transaction, or none of them.
    ///
    /// The check against active redemptions happens inside the write lock, so two
    /// processes committing the same coupon at once get one success and one
    /// [`CheckoutError::AlreadyRedeemed`].
    pub fn commit_checkout(
        &mut self,
        station: &Station,
        basket: &Basket,
        now: Timestamp,
    ) -> Result<Receipt, CheckoutError> {
        self.commit_checkout_verified(station, basket, now, |_, _| Ok(None))
    }

    /// [`commit_checkout`](Self::commit_checkout), with the caller's verification run again
    /// for every coupon inside the write transaction, just before anything is written:
    /// `recheck` gets the coupon and the ledger as this transaction sees it, and answers
    /// `Some(verdict)` for a coupon that no longer passes (a bundle update or midnight since
    /// the scan). Then nothing is recorded and [`CheckoutError::NoLongerValid`] lists every
    /// such coupon with its verdict; the caller removes them and the rest of the basket is
    /// kept. The ledger decides no verdict: it only asks.
    pub fn commit_checkout_verified(
        &mut self,
        station: &Station,
        basket: &Basket,
        now: Timestamp,
        mut recheck: impl FnMut(&BasketCoupon, &TxLookup<'_>) -> Result<Option<Verdict>, LedgerError>,
    ) -> Result<Receipt, CheckoutError> {
        check_text("center", &station.center)?;
        check_text("device", &station.device)?;
        check_typed("actor", &station.mediator, limits::MAX_ACTOR_CHARS)?;
        check_typed(
            "service",
            &basket.workshop.service,
            limits::MAX_SERVICE_CHARS,
        )?;
        if basket.coupons.is_empty() {
            return Err(CheckoutError::EmptyBasket);
        }
        if basket.coupons.len() > limits::MAX_COUPONS_PER_CHECKOUT {
            return Err(CheckoutError::TooManyCoupons {
                limit: limits::MAX_COUPONS_PER_CHECKOUT,
            });
        }
        let occurred_at = time::utc_text(now);
        let local_day = guichet_core::day::paris_day(now).to_string();
        let checkout_id = new_id(now);
        let path = self.path.clone();
        let sqlite = |e| LedgerError::from_sqlite(&path, e);
        let signer = self.signer.clone();
        let tx = self.write()?;
        for item in &basket.coupons {
            if let Some(prior) =
                active_redemption(&tx, item.coupon.kid, item.coupon.serial).map_err(&sqlite)?
            {
                return Err(CheckoutError::AlreadyRedeemed {
                    kid: item.coupon.kid,
                    serial: item.coupon.serial,
                    prior: prior.into_prior()?,
                });
            }
        }
        let lookup = TxLookup {
            conn: &tx,
            path: &path,
        };
        let mut failed = Vec::new();
        for item in &basket.coupons {
            if let Some(verdict) = recheck(item, &lookup)? {
                failed.push(NoLongerValid {
                    kid: item.coupon.kid,
                    serial: item.coupon.serial,
                    verdict,
                });
            }
        }
        if !failed.is_empty() {
            return Err(CheckoutError::NoLongerValid(failed));
        }
        let clock = clock::observe(&tx, now).map_err(&sqlite)?;
        tx.prepare_cached(
            "INSERT INTO checkouts (id, occurred_at, local_day, mediator, area, service,
                 coupon_count, paid_otherwise_cents)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .and_then(|mut s| {
            s.execute(params![
                checkout_id,
                occurred_at,
                local_day,
                station.mediator,
                basket.workshop.area.code(),
                basket.workshop.service,
                basket.coupons.len() as i64,
                basket.paid_otherwise_cents,
            ])
        })
        .map_err(&sqlite)?;
        let mut redemptions = Vec::with_capacity(basket.coupons.len());
        for item in &basket.coupons {
            let coupon = item.coupon;
            let entry = Entry {
                id: new_id(now),
                occurred_at: occurred_at.clone(),
                local_day: local_day.clone(),
                center: station.center.clone(),
                device: station.device.clone(),
                actor: station.mediator.clone(),
                body: EntryBody::Redemption(RedemptionFields {
                    checkout_id: checkout_id.clone(),
                    kid: coupon.kid.to_hex(),
                    serial: coupon.serial,
                    value_cents: coupon.value_cents,
                    provider: coupon.provider,
                    area: basket.workshop.area.code().to_string(),
                    service: basket.workshop.service.clone(),
                    input_method: item.input,
                    code: Some(item.code.clone()),
                }),
            };
            let chained =
                store::append(&tx, entry, &occurred_at, signer.as_ref()).map_err(|e| match e {
                    AppendError::BadHead(detail) => LedgerError::BadRow(detail),
                    AppendError::Sqlite(e) => sqlite(e),
                })?;
            tx.prepare_cached(
                "INSERT INTO active_coupons (kid, serial, redemption_id, occurred_at, center,
                     mediator)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    coupon.kid.to_hex(),
                    serial_to_sql(coupon.serial),
                    chained.entry.id,
                    occurred_at,
                    station.center,
                    station.mediator,
                ])
            })
            .map_err(&sqlite)?;
            redemptions.push(RecordedRedemption {
                id: chained.entry.id,
                kid: coupon.kid.to_hex(),
                serial: coupon.serial,
                value_cents: coupon.value_cents,
            });
        }
        tx.commit().map_err(&sqlite)?;
        Ok(Receipt {
            checkout_id,
            redemptions,
            occurred_at,
            local_day,
            clock,
        })
    }
}

/// A fresh UUIDv7 for `now` (its random bits come from the system's generator).
pub(crate) fn new_id(now: Timestamp) -> String {
    let millis = time::to_millis(now);
    let seconds = u64::try_from(millis.as_second()).unwrap_or(0);
    let nanos = u32::try_from(millis.subsec_nanosecond()).unwrap_or(0);
    let stamp = uuid::Timestamp::from_unix(uuid::NoContext, seconds, nanos);
    uuid::Uuid::new_v7(stamp).to_string()
}

/// The `active_coupons` row of a coupon, as stored.
pub(crate) struct ActiveRow {
    occurred_at: String,
    center: String,
    mediator: String,
}

impl ActiveRow {
    /// When (Europe/Paris), where and by whom.
    pub(crate) fn into_prior(self) -> Result<PriorRedemption, LedgerError> {
        Ok(PriorRedemption {
            redeemed_at: guichet_core::day::paris_time(time::parse_utc(&self.occurred_at)?),
            center: self.center,
            mediator: self.mediator,
        })
    }
}

/// The active redemption of a coupon, if any.
pub(crate) fn active_redemption(
    conn: &rusqlite::Connection,
    kid: Kid,
    serial: u64,
) -> rusqlite::Result<Option<ActiveRow>> {
    conn.prepare_cached(
        "SELECT occurred_at, center, mediator FROM active_coupons WHERE kid = ?1 AND serial = ?2",
    )?
    .query_row(params![kid.to_hex(), serial_to_sql(serial)], |r| {
        Ok(ActiveRow {
            occurred_at: r.get(0)?,
            center: r.get(1)?,
            mediator: r.get(2)?,
        })
    })
    .optional()
}
