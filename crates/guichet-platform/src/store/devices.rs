//! Enrollment codes, devices and their nonces.

use ed25519_dalek::VerifyingKey;
use guichet_console::model::AuditEntry;
use guichet_protocol::limits::MAX_LABEL_CHARS;
use guichet_protocol::signing::parse_public_key;
use guichet_protocol::{CenterInfo, ChainHash, DeviceStatus, ErrorCode};
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::bundle::latest_sequence;
use super::{invalid, stamp, Store};
use crate::db::{self, Mode, Tx, Value};
use crate::error::Error;

/// What a device can be recorded as holding: a bundle or a freshness statement.
#[derive(Clone, Copy, Debug)]
pub(super) enum Held {
    /// A published bundle (`device_bundles`).
    Bundle,
    /// A freshness statement (`device_freshness`).
    Statement,
}

/// An enrolled device, as the request checks need it.
#[derive(Clone, Debug)]
pub struct DeviceRecord {
    /// Its id.
    pub id: String,
    /// Its public key.
    pub public_key: VerifyingKey,
    /// Its center's id.
    pub center: String,
    /// Whether an admin disabled it.
    pub disabled: bool,
}

/// A device as admins list it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceSummary {
    /// Its id.
    pub id: String,
    /// Its center's id.
    pub center: String,
    /// The label given at enrollment.
    pub label: Option<String>,
    /// Whether it is disabled.
    pub disabled: bool,
    /// How many of its entries the platform holds.
    pub entries: u64,
    /// When it enrolled (RFC 3339).
    pub enrolled_at: String,
    /// Its latest signed request (unix seconds), if any.
    pub last_seen: Option<i64>,
}

/// The code alphabet: no 0/O, 1/I/L, so it reads and types without mistakes.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const CODE_LENGTH: usize = 12;

/// The canonical form of a code as typed: upper case, without spaces and dashes.
fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

fn code_hash(code: &str) -> String {
    hex::encode(Sha256::digest(normalise(code).as_bytes()))
}

/// A new random code, `XXXX-XXXX-XXXX` (about 59 bits).
fn new_code() -> Result<String, Error> {
    let mut random = [0u8; CODE_LENGTH];
    getrandom::fill(&mut random).map_err(|e| Error::Io(format!("no random source: {e}")))?;
    let mut code = String::new();
    for (i, byte) in random.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            code.push('-');
        }
        // 256 = 8 × 31 + 8: the bias toward the first 8 characters is negligible here.
        code.push(CODE_ALPHABET[*byte as usize % CODE_ALPHABET.len()] as char);
    }
    Ok(code)
}

pub(super) async fn center_info(tx: &mut Tx, id: &str) -> Result<CenterInfo, Error> {
    let (name, zone) = tx
        .row::<(String, i64)>("SELECT name, zone FROM centers WHERE id = $1", &[id.into()])
        .await?
        .ok_or_else(|| Error::Storage(format!("center {id} is missing")))?;
    Ok(CenterInfo {
        id: id.to_owned(),
        name,
        zone: db::small(zone)?,
    })
}

fn refused(code: ErrorCode, message: impl Into<String>) -> Error {
    Error::refused(code, message)
}

/// An enrollment code as stored.
#[derive(sqlx::FromRow)]
struct EnrollCodeRow {
    center: String,
    expires_at: i64,
    used_at: Option<String>,
    device: Option<String>,
}

/// A device as the request checks read it.
#[derive(sqlx::FromRow)]
struct DeviceRow {
    public_key: String,
    center: String,
    disabled: i64,
}

/// A device as admins list it.
#[derive(sqlx::FromRow)]
struct DeviceListRow {
    id: String,
    center: String,
    label: Option<String>,
    disabled: i64,
    entry_count: i64,
    enrolled_at: String,
    last_seen: Option<i64>,
}

/// A sequence as stored (sequences above `i64::MAX` are never published).
fn sequence_value(sequence: u64) -> Value {
    Value::Int(i64::try_from(sequence).unwrap_or(i64::MAX))
}

impl Store {
    /// Makes a one-time enrollment code for a center, valid until `expires_at`.
    pub async fn create_enroll_code(
        &self,
        center: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<String, Error> {
        self.create_enroll_code_with(center, expires_at, now, None)
            .await
    }

    /// [`Store::create_enroll_code`], with `audit` (if any) written in the same transaction.
    pub(super) async fn create_enroll_code_with(
        &self,
        center: &str,
        expires_at: Timestamp,
        now: Timestamp,
        audit: Option<&AuditEntry>,
    ) -> Result<String, Error> {
        let code = new_code()?;
        self.run(Mode::Write, async |tx| {
            if !tx
                .exists("SELECT 1 FROM centers WHERE id = $1", &[center.into()])
                .await?
            {
                return Err(invalid(format!("center {center} does not exist")));
            }
            tx.execute(
                "INSERT INTO enroll_codes (code_hash, center, expires_at, created_at) \
                 VALUES ($1, $2, $3, $4)",
                &[
                    code_hash(&code).into(),
                    center.into(),
                    Value::Int(expires_at.as_second()),
                    stamp(now).into(),
                ],
            )
            .await?;
            super::accounts::audit_if(tx, audit).await
        })
        .await?;
        Ok(code)
    }

    /// Enrolls a device with a one-time code; returns its new id and center. The code is
    /// single-use, except that the device that used it may ask again with the same key and
    /// gets the same answer: a kiosk that died before keeping the answer can finish.
    pub async fn enroll(
        &self,
        code: &str,
        device_public_key: &str,
        label: Option<&str>,
        now: Timestamp,
    ) -> Result<(String, CenterInfo), Error> {
        if let Some(label) = label {
            guichet_protocol::limits::check_text("label", label, MAX_LABEL_CHARS)
                .map_err(|e| refused(ErrorCode::MalformedBody, e.to_string()))?;
        }
        let key = parse_public_key(device_public_key)
            .map_err(|e| refused(ErrorCode::MalformedBody, format!("device_public_key: {e}")))?;
        let hash = code_hash(code);
        let device_id = Uuid::now_v7().to_string();
        self.run(Mode::Write, async |tx| {
            let row: EnrollCodeRow = tx
                .row(
                    "SELECT center, expires_at, used_at, device FROM enroll_codes \
                     WHERE code_hash = $1",
                    &[hash.as_str().into()],
                )
                .await?
                .ok_or_else(|| refused(ErrorCode::EnrollCodeInvalid, "unknown enrollment code"))?;
            let center = row.center;
            let public_hex = hex::encode(key.as_bytes());
            if let Some(device) = row.device {
                // The same kiosk again (it died before keeping the answer): the same device.
                let same_key = tx
                    .exists(
                        "SELECT 1 FROM devices WHERE id = $1 AND public_key = $2",
                        &[device.as_str().into(), public_hex.as_str().into()],
                    )
                    .await?;
                if same_key {
                    return Ok((device, center_info(tx, &center).await?));
                }
            }
            if row.used_at.is_some() {
                return Err(refused(
                    ErrorCode::EnrollCodeInvalid,
                    "this enrollment code was already used",
                ));
            }
            if row.expires_at <= now.as_second() {
                return Err(refused(
                    ErrorCode::EnrollCodeInvalid,
                    "this enrollment code expired",
                ));
            }
            if tx
                .exists(
                    "SELECT 1 FROM devices WHERE public_key = $1",
                    &[public_hex.as_str().into()],
                )
                .await?
            {
                return Err(refused(
                    ErrorCode::DeviceKeyTaken,
                    "this device key is already enrolled",
                ));
            }
            // The guarded update makes the code single-use even against a concurrent enroll.
            let claimed = tx
                .execute(
                    "UPDATE enroll_codes SET used_at = $1, device = $2 \
                     WHERE code_hash = $3 AND used_at IS NULL",
                    &[
                        stamp(now).into(),
                        device_id.as_str().into(),
                        hash.as_str().into(),
                    ],
                )
                .await?;
            if claimed != 1 {
                return Err(refused(
                    ErrorCode::EnrollCodeInvalid,
                    "this enrollment code was already used",
                ));
            }
            tx.execute(
                "INSERT INTO devices (id, public_key, center, label, enrolled_at, disabled, \
                 chain_head, entry_count) VALUES ($1, $2, $3, $4, $5, 0, $6, 0)",
                &[
                    device_id.as_str().into(),
                    public_hex.into(),
                    center.as_str().into(),
                    label.into(),
                    stamp(now).into(),
                    ChainHash::GENESIS.to_hex().into(),
                ],
            )
            .await?;
            Ok((device_id.clone(), center_info(tx, &center).await?))
        })
        .await
    }

    /// A center's id, name and zone.
    pub async fn center(&self, id: &str) -> Result<CenterInfo, Error> {
        self.run(Mode::Read, async |tx| center_info(tx, id).await)
            .await
    }

    /// Records that `device` holds bundle `sequence` from `now` on (the first time only): the
    /// platform sent it (enrollment, bundle pull), or the kiosk said it holds it (`have`). A
    /// kiosk claiming a bundle it lacks only makes what it could know earlier, never later,
    /// so that claim is believed. Used to tell what a kiosk could know of a revocation or a
    /// compromised key ([`crate::proof`]). A sequence never published is ignored.
    pub async fn record_bundle_held(
        &self,
        device: &str,
        sequence: u64,
        now: Timestamp,
    ) -> Result<(), Error> {
        self.record_first_held(Held::Bundle, device, sequence, now)
            .await
    }

    /// Records that `device` holds the bundle or statement `sequence` from `now` on, the first
    /// time only (`device_bundles`, `device_freshness`); one never issued is ignored.
    pub(super) async fn record_first_held(
        &self,
        held: Held,
        device: &str,
        sequence: u64,
        now: Timestamp,
    ) -> Result<(), Error> {
        let (table, column, issued) = match held {
            Held::Bundle => ("device_bundles", "sequence", "bundles"),
            Held::Statement => ("device_freshness", "statement", "freshness_statements"),
        };
        // Most requests find it recorded: a read, not a write (a write transaction waits for
        // its fsync).
        let known = self
            .run(Mode::Read, async |tx| {
                tx.exists(
                    &format!("SELECT 1 FROM {table} WHERE device = $1 AND {column} = $2"),
                    &[device.into(), sequence_value(sequence)],
                )
                .await
            })
            .await?;
        if known {
            return Ok(());
        }
        self.run(Mode::Write, async |tx| {
            tx.execute(
                &format!(
                    "INSERT INTO {table} (device, {column}, since_us) \
                     SELECT $1, sequence, $3 FROM {issued} WHERE sequence = $2 \
                     ON CONFLICT (device, {column}) DO NOTHING"
                ),
                &[
                    device.into(),
                    sequence_value(sequence),
                    Value::Int(now.as_microsecond()),
                ],
            )
            .await?;
            Ok(())
        })
        .await
    }

    /// The device with this id, if enrolled.
    pub async fn device(&self, id: &str) -> Result<Option<DeviceRecord>, Error> {
        self.run(Mode::Read, async |tx| {
            tx.row::<DeviceRow>(
                "SELECT public_key, center, disabled FROM devices WHERE id = $1",
                &[id.into()],
            )
            .await?
            .map(|row| {
                Ok(DeviceRecord {
                    id: id.to_owned(),
                    public_key: parse_public_key(&row.public_key)
                        .map_err(|e| Error::Storage(e.to_string()))?,
                    center: row.center,
                    disabled: row.disabled != 0,
                })
            })
            .transpose()
        })
        .await
    }

    /// Disables (or re-enables) a device: its requests are refused with `DEVICE_DISABLED`.
    pub async fn set_device_disabled(&self, id: &str, disabled: bool) -> Result<(), Error> {
        self.run(Mode::Write, async |tx| {
            let changed = tx
                .execute(
                    "UPDATE devices SET disabled = $1 WHERE id = $2",
                    &[Value::Int(disabled.into()), id.into()],
                )
                .await?;
            if changed == 0 {
                return Err(invalid(format!("no device {id}")));
            }
            Ok(())
        })
        .await
    }

    /// Every enrolled device.
    pub async fn devices(&self) -> Result<Vec<DeviceSummary>, Error> {
        self.run(Mode::Read, async |tx| {
            tx.rows::<DeviceListRow>(
                "SELECT d.id, d.center, d.label, d.disabled, d.entry_count, d.enrolled_at, \
                 COALESCE((SELECT MAX(n.seen_at) FROM nonces n WHERE n.device = d.id), \
                          d.last_seen_at) AS last_seen \
                 FROM devices d ORDER BY d.enrolled_at, d.id",
                &[],
            )
            .await?
            .into_iter()
            .map(|row| {
                Ok(DeviceSummary {
                    id: row.id,
                    center: row.center,
                    label: row.label,
                    disabled: row.disabled != 0,
                    entries: db::count(row.entry_count)?,
                    enrolled_at: row.enrolled_at,
                    last_seen: row.last_seen,
                })
            })
            .collect()
        })
        .await
    }

    /// Records a device's nonce; false if the device used it before (a replay).
    pub async fn record_nonce(
        &self,
        device: &str,
        nonce: &str,
        now: Timestamp,
    ) -> Result<bool, Error> {
        // Every signed request writes one, without waiting for the disk (`Mode::Unsynced`):
        // a nonce lost at a power cut only lets a request made just before it be replayed,
        // and every request is harmless to replay (reads, idempotent pushes).
        self.run(Mode::Unsynced, async |tx| {
            let added = tx
                .execute(
                    "INSERT INTO nonces (device, nonce, seen_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (device, nonce) DO NOTHING",
                    &[device.into(), nonce.into(), Value::Int(now.as_second())],
                )
                .await?;
            Ok(added == 1)
        })
        .await
    }

    /// Forgets nonces seen before `before` (unix seconds); returns how many.
    pub async fn prune_nonces(&self, before: i64) -> Result<u64, Error> {
        self.run(Mode::Write, async |tx| {
            // What the nonces say of when each device was last seen is kept before they go.
            tx.execute(
                "UPDATE devices SET last_seen_at = \
                 (SELECT MAX(n.seen_at) FROM nonces n WHERE n.device = devices.id) \
                 WHERE id IN (SELECT device FROM nonces WHERE seen_at < $1)",
                &[Value::Int(before)],
            )
            .await?;
            tx.execute(
                "DELETE FROM nonces WHERE seen_at < $1",
                &[Value::Int(before)],
            )
            .await
        })
        .await
    }

    /// The device's latest state version (0 before its first change): no cursor a kiosk
    /// holds can be above it.
    pub async fn latest_state_version(&self, device: &str) -> Result<u64, Error> {
        self.run(Mode::Read, async |tx| {
            let version: i64 = tx
                .value(
                    "SELECT state_version FROM devices WHERE id = $1",
                    &[device.into()],
                )
                .await?
                .ok_or_else(|| refused(ErrorCode::UnknownDevice, "unknown device"))?;
            db::count(version.max(0))
        })
        .await
    }

    /// What the platform holds for a device.
    pub async fn device_status(&self, device: &str, now: Timestamp) -> Result<DeviceStatus, Error> {
        self.run(Mode::Read, async |tx| {
            let (center, chain_head, entries) = tx
                .row::<(String, String, i64)>(
                    "SELECT center, chain_head, entry_count FROM devices WHERE id = $1",
                    &[device.into()],
                )
                .await?
                .ok_or_else(|| refused(ErrorCode::UnknownDevice, "unknown device"))?;
            Ok(DeviceStatus {
                device_id: device.to_owned(),
                center: center_info(tx, &center).await?,
                chain_head: chain_head
                    .parse()
                    .map_err(|e| Error::Storage(format!("{e}")))?,
                entries: db::count(entries)?,
                bundle_sequence: latest_sequence(tx).await?,
                server_time: now,
            })
        })
        .await
    }
}
