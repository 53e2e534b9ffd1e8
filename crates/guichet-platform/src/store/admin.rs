//! What admins set up: providers, zones, centers, issuer keys, referential, rules,
//! revocations, and the minting of booklets.

use ed25519_dalek::{SigningKey, VerifyingKey};
use guichet_console::model::{AuditEntry, NewPlace};
use guichet_core::bundle::document::{KeyStatus, Referential, Rules};
use guichet_core::{Kid, Scope};
use jiff::civil::Date;
use jiff::Timestamp;

use super::accounts::audit_if;
use super::{invalid, serial_to_db, stamp, Store};
use crate::db::{self, Mode, Tx, Value};
use crate::error::Error;

/// An issuer key as the platform holds it.
#[derive(Clone, Debug)]
pub struct IssuerKeyRecord {
    /// Its kid.
    pub kid: Kid,
    /// The provider it mints for.
    pub provider: u32,
    /// Active, retired or compromised.
    pub status: KeyStatus,
}

/// What to mint.
#[derive(Clone, Debug)]
pub struct MintRequest {
    /// How many booklets.
    pub booklets: u32,
    /// Coupons per booklet: 5 or 10.
    pub coupons_per_booklet: u32,
    /// Face value of each coupon, in euro cents.
    pub value_cents: u32,
    /// Issue day.
    pub issued_on: Date,
    /// Last valid day.
    pub valid_until: Date,
    /// The provider (funder); its newest active issuer key signs.
    pub provider: u32,
    /// The areas allowed ([`Scope::ANY`] for all).
    pub scope: Scope,
    /// The zone (0 = anywhere).
    pub zone: u32,
}

/// A booklet recorded in the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookletRecord {
    /// The booklet number (printed on it).
    pub number: u64,
    /// The issuer key's kid.
    pub kid: Kid,
    /// Its first coupon's serial; the others follow.
    pub first_serial: u64,
    /// How many coupons.
    pub coupons: u32,
}

fn status_name(status: KeyStatus) -> &'static str {
    match status {
        KeyStatus::Active => "active",
        KeyStatus::Retired => "retired",
        KeyStatus::Compromised => "compromised",
    }
}

pub(super) fn parse_status(text: &str) -> Result<KeyStatus, Error> {
    match text {
        "active" => Ok(KeyStatus::Active),
        "retired" => Ok(KeyStatus::Retired),
        "compromised" => Ok(KeyStatus::Compromised),
        other => Err(Error::Storage(format!("unknown key status {other:?}"))),
    }
}

pub(super) async fn put_setting(tx: &mut Tx, key: &str, value: String) -> Result<(), Error> {
    tx.execute(
        "INSERT INTO settings (key, value) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[key.into(), value.into()],
    )
    .await?;
    Ok(())
}

pub(super) async fn setting(tx: &mut Tx, key: &str) -> Result<Option<String>, Error> {
    tx.value("SELECT value FROM settings WHERE key = $1", &[key.into()])
        .await
}

/// The referential stored in `tx`, if any.
pub(super) async fn stored_referential(tx: &mut Tx) -> Result<Option<Referential>, Error> {
    setting(tx, "referential")
        .await?
        .map(|json| {
            serde_json::from_str(&json)
                .map_err(|e| Error::Storage(format!("the stored referential: {e}")))
        })
        .transpose()
}

impl Store {
    /// Adds a center, zone or provider (renames a zone or provider), with `audit` (if any)
    /// written in the same transaction: the console's form and the `center`, `zone` and
    /// `provider add` commands.
    pub async fn add_place(
        &self,
        place: &NewPlace,
        audit: Option<&AuditEntry>,
    ) -> Result<(), Error> {
        match place {
            NewPlace::Center { id, name, zone } => {
                self.add_center_with(id, name, *zone, audit).await
            }
            NewPlace::Zone { id, name } => self.add_zone_with(*id, name, audit).await,
            NewPlace::Provider { id, name } => self.add_provider_with(*id, name, audit).await,
        }
    }

    /// Adds a provider (funder), or renames it.
    pub async fn add_provider(&self, id: u32, name: &str) -> Result<(), Error> {
        self.add_provider_with(id, name, None).await
    }

    /// [`Store::add_provider`], with `audit` (if any) written in the same transaction.
    pub async fn add_provider_with(
        &self,
        id: u32,
        name: &str,
        audit: Option<&AuditEntry>,
    ) -> Result<(), Error> {
        self.run(Mode::Write, async |tx| {
            tx.execute(
                "INSERT INTO providers (id, name) VALUES ($1, $2) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name",
                &[id.into(), name.into()],
            )
            .await?;
            audit_if(tx, audit).await
        })
        .await
    }

    /// A provider's name, if it exists.
    pub async fn provider_name(&self, id: u32) -> Result<Option<String>, Error> {
        self.run(Mode::Read, async |tx| {
            tx.value("SELECT name FROM providers WHERE id = $1", &[id.into()])
                .await
        })
        .await
    }

    /// Adds a zone, or renames it. Zone ids start at 1.
    pub async fn add_zone(&self, id: u32, name: &str) -> Result<(), Error> {
        self.add_zone_with(id, name, None).await
    }

    /// [`Store::add_zone`], with `audit` (if any) written in the same transaction.
    pub async fn add_zone_with(
        &self,
        id: u32,
        name: &str,
        audit: Option<&AuditEntry>,
    ) -> Result<(), Error> {
        if id == 0 {
            return Err(invalid("zone 0 means \"anywhere\"; zone ids start at 1"));
        }
        self.run(Mode::Write, async |tx| {
            tx.execute(
                "INSERT INTO zones (id, name) VALUES ($1, $2) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name",
                &[id.into(), name.into()],
            )
            .await?;
            audit_if(tx, audit).await
        })
        .await
    }

    /// Adds a center in a zone (0 = unknown; otherwise the zone must exist: a mistyped zone
    /// would silently refuse or accept the wrong coupons).
    pub async fn add_center(&self, id: &str, name: &str, zone: u32) -> Result<(), Error> {
        self.add_center_with(id, name, zone, None).await
    }

    /// [`Store::add_center`], with `audit` (if any) written in the same transaction.
    pub async fn add_center_with(
        &self,
        id: &str,
        name: &str,
        zone: u32,
        audit: Option<&AuditEntry>,
    ) -> Result<(), Error> {
        if id.trim().is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(
                "a center id is 1 to 64 printable ASCII characters without spaces",
            ));
        }
        self.run(Mode::Write, async |tx| {
            if zone != 0
                && !tx
                    .exists("SELECT 1 FROM zones WHERE id = $1", &[zone.into()])
                    .await?
            {
                return Err(invalid(format!(
                    "zone {zone} does not exist (zone add {zone} NAME first)"
                )));
            }
            let added = tx
                .execute(
                    "INSERT INTO centers (id, name, zone) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO NOTHING",
                    &[id.into(), name.into(), zone.into()],
                )
                .await?;
            if added == 0 {
                return Err(invalid(format!("center {id} already exists")));
            }
            audit_if(tx, audit).await
        })
        .await
    }

    /// Records a new issuer key's public half for a provider (its private half stays with the
    /// signer); returns its kid.
    pub async fn add_issuer_key(
        &self,
        provider: u32,
        public: &VerifyingKey,
        now: Timestamp,
    ) -> Result<Kid, Error> {
        self.add_issuer_key_with(provider, public, now, None).await
    }

    /// [`Store::add_issuer_key`], with `audit` (if any) written in the same transaction.
    pub async fn add_issuer_key_with(
        &self,
        provider: u32,
        public: &VerifyingKey,
        now: Timestamp,
        audit: Option<&AuditEntry>,
    ) -> Result<Kid, Error> {
        let kid = Kid::of_public_key(public.as_bytes());
        self.run(Mode::Write, async |tx| {
            if !tx
                .exists("SELECT 1 FROM providers WHERE id = $1", &[provider.into()])
                .await?
            {
                return Err(invalid(format!(
                    "provider {provider} does not exist (add it first: provider add)"
                )));
            }
            tx.execute(
                "INSERT INTO issuer_keys (kid, public_key, secret_key, provider, status, \
                 created_at, next_serial) VALUES ($1, $2, $3, $4, 'active', $5, $6)",
                &[
                    kid.to_hex().into(),
                    hex::encode(public.as_bytes()).into(),
                    // The private half lives in the signer directory, never here.
                    "".into(),
                    provider.into(),
                    stamp(now).into(),
                    Value::Int(1),
                ],
            )
            .await?;
            audit_if(tx, audit).await?;
            Ok(kid)
        })
        .await
    }

    /// Sets an issuer key's status: retired (no more minting; its coupons stay valid) or
    /// compromised (its coupons are refused). A compromised key cannot come back.
    pub async fn set_issuer_status(
        &self,
        kid: Kid,
        status: KeyStatus,
        now: Timestamp,
    ) -> Result<(), Error> {
        self.set_issuer_status_with(kid, status, now, None).await
    }

    /// [`Store::set_issuer_status`], with `audit` (if any) written in the same transaction.
    pub async fn set_issuer_status_with(
        &self,
        kid: Kid,
        status: KeyStatus,
        now: Timestamp,
        audit: Option<&AuditEntry>,
    ) -> Result<(), Error> {
        self.run(Mode::Write, async |tx| {
            let held: String = tx
                .value(
                    "SELECT status FROM issuer_keys WHERE kid = $1",
                    &[kid.to_hex().into()],
                )
                .await?
                .ok_or_else(|| invalid(format!("no issuer key {kid}")))?;
            if parse_status(&held)? == KeyStatus::Compromised && status != KeyStatus::Compromised {
                return Err(invalid(format!("issuer key {kid} is compromised for good")));
            }
            // The first time a key is marked compromised is when kiosks may learn it (the next
            // bundle); redemptions are judged against that moment.
            tx.execute(
                "UPDATE issuer_keys SET status = $1, compromised_at = CASE \
                 WHEN $1 = 'compromised' THEN COALESCE(compromised_at, $2) END WHERE kid = $3",
                &[
                    status_name(status).into(),
                    stamp(now).into(),
                    kid.to_hex().into(),
                ],
            )
            .await?;
            audit_if(tx, audit).await
        })
        .await
    }

    /// Every issuer key.
    pub async fn issuer_keys(&self) -> Result<Vec<IssuerKeyRecord>, Error> {
        self.run(Mode::Read, async |tx| {
            tx.rows::<(String, i64, String)>(
                "SELECT kid, provider, status FROM issuer_keys ORDER BY created_at, kid",
                &[],
            )
            .await?
            .into_iter()
            .map(|(kid, provider, status)| {
                Ok(IssuerKeyRecord {
                    kid: kid.parse().map_err(|e| Error::Storage(format!("{e}")))?,
                    provider: db::small(provider)?,
                    status: parse_status(&status)?,
                })
            })
            .collect()
        })
        .await
    }

    /// Replaces the referential (checked: 3 levels, 9 areas, unique service codes).
    pub async fn set_referential(&self, referential: &Referential) -> Result<(), Error> {
        self.set_referential_audited(referential, |_| None).await
    }

    /// [`Store::set_referential`], with the audit entry `audit` makes of the referential it
    /// replaces (None: the first) written in the same transaction (the console's imports).
    pub async fn set_referential_audited(
        &self,
        referential: &Referential,
        audit: impl FnOnce(Option<&Referential>) -> Option<AuditEntry>,
    ) -> Result<(), Error> {
        crate::bundle::check_referential(referential)?;
        let json = serde_json::to_string(referential).map_err(|e| invalid(e.to_string()))?;
        self.run(Mode::Write, async |tx| {
            let before = stored_referential(tx).await?;
            put_setting(tx, "referential", json).await?;
            audit_if(tx, audit(before.as_ref()).as_ref()).await
        })
        .await
    }

    /// The referential in force, if one was imported.
    pub async fn referential(&self) -> Result<Option<Referential>, Error> {
        self.run(Mode::Read, async |tx| stored_referential(tx).await)
            .await
    }

    /// Replaces the rules.
    pub async fn set_rules(&self, rules: &Rules) -> Result<(), Error> {
        self.set_rules_with(rules, None).await
    }

    /// [`Store::set_rules`], with `audit` (if any) written in the same transaction.
    pub async fn set_rules_with(
        &self,
        rules: &Rules,
        audit: Option<&AuditEntry>,
    ) -> Result<(), Error> {
        if rules.minutes_per_coupon == 0 || rules.max_staleness_days == 0 {
            return Err(invalid(
                "minutes per coupon and max staleness days must be positive",
            ));
        }
        let json = serde_json::to_string(rules).map_err(|e| invalid(e.to_string()))?;
        self.run(Mode::Write, async |tx| {
            put_setting(tx, "rules", json).await?;
            audit_if(tx, audit).await
        })
        .await
    }

    /// The rules in force (the defaults until set).
    pub async fn rules(&self) -> Result<Rules, Error> {
        self.run(Mode::Read, async |tx| match setting(tx, "rules").await? {
            Some(json) => serde_json::from_str(&json).map_err(|e| Error::Storage(e.to_string())),
            None => Ok(Rules::default()),
        })
        .await
    }

    /// Revokes the inclusive serial range `first..=last` of an issuer key (a single serial
    /// when equal); kiosks learn it from the next freshness statement (`store::freshness`),
    /// and it goes into the next published bundle.
    pub async fn revoke(
        &self,
        kid: Kid,
        first: u64,
        last: u64,
        reason: &str,
        now: Timestamp,
    ) -> Result<(), Error> {
        self.revoke_with(kid, first, last, reason, now, None).await
    }

    /// [`Store::revoke`], with `audit` (if any) written in the same transaction.
    pub(super) async fn revoke_with(
        &self,
        kid: Kid,
        first: u64,
        last: u64,
        reason: &str,
        now: Timestamp,
        audit: Option<&AuditEntry>,
    ) -> Result<(), Error> {
        if first > last {
            return Err(invalid(format!("empty range {first}..={last}")));
        }
        self.run(Mode::Write, async |tx| {
            if !tx
                .exists(
                    "SELECT 1 FROM issuer_keys WHERE kid = $1",
                    &[kid.to_hex().into()],
                )
                .await?
            {
                return Err(invalid(format!("no issuer key {kid}")));
            }
            tx.execute(
                "INSERT INTO revocations (kid, first_serial, last_serial, reason, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    kid.to_hex().into(),
                    Value::Int(serial_to_db(first)),
                    Value::Int(serial_to_db(last)),
                    reason.into(),
                    stamp(now).into(),
                ],
            )
            .await?;
            audit_if(tx, audit).await
        })
        .await
    }

    /// A booklet by number.
    pub async fn booklet(&self, number: u64) -> Result<Option<BookletRecord>, Error> {
        self.run(Mode::Read, async |tx| {
            tx.row::<BookletRow>(
                "SELECT number, kid, first_serial, coupons FROM booklets WHERE number = $1",
                &[Value::Int(i64::try_from(number).unwrap_or(i64::MAX))],
            )
            .await?
            .map(BookletRow::record)
            .transpose()
        })
        .await
    }

    /// Allocates booklet numbers and serials for a mint and records the booklets; returns
    /// them (their issuer key is the provider's newest active one; the signer signs the codes).
    pub async fn record_mint(
        &self,
        request: &MintRequest,
        now: Timestamp,
    ) -> Result<Vec<BookletRecord>, Error> {
        self.record_mint_with(request, now, |_| None).await
    }

    /// [`Store::record_mint`], with the audit entry `audit` makes of the booklets recorded
    /// (if any) written in the same transaction.
    pub async fn record_mint_with(
        &self,
        request: &MintRequest,
        now: Timestamp,
        audit: impl FnOnce(&[BookletRecord]) -> Option<AuditEntry>,
    ) -> Result<Vec<BookletRecord>, Error> {
        if request.value_cents == 0 {
            return Err(invalid("a coupon is worth more than 0 cents"));
        }
        if !matches!(request.coupons_per_booklet, 5 | 10) {
            return Err(invalid("a booklet has 5 or 10 coupons"));
        }
        if request.booklets == 0 || request.booklets > 10_000 {
            return Err(invalid("mint 1 to 10000 booklets at a time"));
        }
        if request.valid_until < request.issued_on {
            return Err(invalid("the validity ends before the issue day"));
        }
        if request.scope.has_unknown_bits() {
            return Err(invalid("scope bits 9 to 15 name no area"));
        }
        let day = |date: Date| {
            guichet_core::day::to_day(date)
                .ok_or_else(|| invalid(format!("{date} cannot be carried by a coupon")))
        };
        day(request.issued_on)?;
        day(request.valid_until)?;
        self.run(Mode::Write, async |tx| {
            let kid: String = tx
                .value(
                    "SELECT kid FROM issuer_keys WHERE provider = $1 \
                     AND status = 'active' ORDER BY created_at DESC, kid LIMIT 1",
                    &[request.provider.into()],
                )
                .await?
                .ok_or_else(|| {
                    invalid(format!(
                        "provider {} has no active issuer key (issuer-key add --provider {})",
                        request.provider, request.provider
                    ))
                })?;
            if request.zone != 0
                && !tx
                    .exists("SELECT 1 FROM zones WHERE id = $1", &[request.zone.into()])
                    .await?
            {
                return Err(invalid(format!("zone {} does not exist", request.zone)));
            }
            let total = i64::from(request.booklets) * i64::from(request.coupons_per_booklet);
            let next_serial: i64 = tx
                .one::<(i64,)>(
                    "UPDATE issuer_keys SET next_serial = next_serial + $1 WHERE kid = $2 \
                     RETURNING next_serial",
                    &[Value::Int(total), kid.as_str().into()],
                )
                .await?
                .0;
            let last_number: i64 = tx
                .one::<(i64,)>(
                    "UPDATE counters SET value = value + $1 WHERE name = 'booklet' RETURNING value",
                    &[Value::Int(request.booklets.into())],
                )
                .await?
                .0;
            let first_serial = next_serial - total;
            let first_number = last_number - i64::from(request.booklets) + 1;
            let mut booklets = Vec::new();
            for i in 0..i64::from(request.booklets) {
                let number = first_number + i;
                let first = first_serial + i * i64::from(request.coupons_per_booklet);
                tx.execute(
                    "INSERT INTO booklets (number, kid, first_serial, coupons, value_cents, \
                     issued_on, valid_until, provider, scope, zone, minted_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    &[
                        Value::Int(number),
                        kid.as_str().into(),
                        Value::Int(first),
                        request.coupons_per_booklet.into(),
                        request.value_cents.into(),
                        request.issued_on.to_string().into(),
                        request.valid_until.to_string().into(),
                        request.provider.into(),
                        Value::Int(request.scope.0.into()),
                        request.zone.into(),
                        stamp(now).into(),
                    ],
                )
                .await?;
                booklets.push(BookletRecord {
                    number: db::count(number)?,
                    kid: kid.parse().map_err(|e| Error::Storage(format!("{e}")))?,
                    first_serial: db::count(first)?,
                    coupons: request.coupons_per_booklet,
                });
            }
            audit_if(tx, audit(&booklets).as_ref()).await?;
            Ok(booklets)
        })
        .await
    }

    /// The issuer secret keys an older platform kept in its database (to move them to the
    /// signer directory, then [`forget_issuer_secret`](Self::forget_issuer_secret)).
    pub async fn take_legacy_issuer_secrets(&self) -> Result<Vec<(Kid, SigningKey)>, Error> {
        self.run(Mode::Read, async |tx| {
            tx.rows::<(String, String)>(
                "SELECT kid, secret_key FROM issuer_keys WHERE secret_key <> ''",
                &[],
            )
            .await?
            .into_iter()
            .map(|(kid, secret_hex)| {
                let mut secret = [0; 32];
                hex::decode_to_slice(secret_hex, &mut secret).map_err(|_| {
                    Error::Storage("an issuer secret key is not 64 hex digits".into())
                })?;
                Ok((
                    kid.parse().map_err(|e| Error::Storage(format!("{e}")))?,
                    SigningKey::from_bytes(&secret),
                ))
            })
            .collect()
        })
        .await
    }

    /// Blanks an issuer key's private half in the database (it was moved to the signer).
    pub async fn forget_issuer_secret(&self, kid: Kid) -> Result<(), Error> {
        self.run(Mode::Write, async |tx| {
            tx.execute(
                "UPDATE issuer_keys SET secret_key = '' WHERE kid = $1",
                &[kid.to_hex().into()],
            )
            .await?;
            Ok(())
        })
        .await
    }
}

/// A booklet as stored.
#[derive(sqlx::FromRow)]
struct BookletRow {
    number: i64,
    kid: String,
    first_serial: i64,
    coupons: i64,
}

impl BookletRow {
    fn record(self) -> Result<BookletRecord, Error> {
        Ok(BookletRecord {
            number: db::count(self.number)?,
            kid: self
                .kid
                .parse()
                .map_err(|e| Error::Storage(format!("{e}")))?,
            first_serial: db::count(self.first_serial)?,
            coupons: db::small(self.coupons)?,
        })
    }
}
