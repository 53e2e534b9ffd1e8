//! Appending entries to the chain and reading them back: the only code that writes or maps
//! rows of `entries`.

use rusqlite::{params, Connection, Row};

use crate::entry::{
    CancellationFields, ChainedEntry, Entry, EntryBody, InputMethod, RedemptionFields, Role,
};
use crate::ledger::{ChainHead, EntrySigner, HEAD_KEY};
use crate::wire::to_wire;

/// The columns [`entry_from_row`] reads, in its order.
pub(crate) const ENTRY_COLUMNS: &str = "seq, id, kind, occurred_at, local_day, center, device, \
     actor, checkout_id, kid, serial, value_cents, provider, area, service, input_method, \
     cancels, actor_role, reason, prev_hash, hash, code, signature";

/// [`ENTRY_COLUMNS`] for a file older than schema 5, read without migrating (`ledger
/// verify`): its entries have no signature column.
pub(crate) const ENTRY_COLUMNS_UNSIGNED: &str = "seq, id, kind, occurred_at, local_day, \
     center, device, actor, checkout_id, kid, serial, value_cents, provider, area, service, \
     input_method, cancels, actor_role, reason, prev_hash, hash, code, NULL";

/// Appends `entry` after the chain head, with its outbox row (pending), in the caller's
/// transaction. Returns the entry with its links.
///
/// With a `signer` (the device key, installed by the kiosk), the entry is signed as the
/// protocol carries it; an entry that cannot be put on the wire stays unsigned (the sync
/// reports it as unsendable).
pub(crate) fn append(
    tx: &Connection,
    entry: Entry,
    updated_at: &str,
    signer: Option<&EntrySigner>,
) -> Result<ChainedEntry, AppendError> {
    let head = ChainHead::read(tx, HEAD_KEY).map_err(AppendError::BadHead)?;
    let hash = entry.chain_hash(&head.hash);
    let seq = head.seq + 1;
    let mut chained = ChainedEntry {
        seq,
        entry,
        prev_hash: head.hash,
        hash,
        signature: None,
    };
    if let Some(signer) = signer {
        if let Ok(wire) = to_wire(&chained) {
            chained.signature = Some(signer(&guichet_protocol::entry_signature::signed_bytes(
                &wire,
            )));
        }
    }
    let entry = &chained.entry;
    let (redemption, cancellation) = match &entry.body {
        EntryBody::Redemption(r) => (Some(r), None),
        EntryBody::Cancellation(c) => (None, Some(c)),
    };
    tx.prepare_cached(
        "INSERT INTO entries (seq, id, kind, occurred_at, local_day, center, device, actor,
             checkout_id, kid, serial, value_cents, provider, area, service, input_method,
             cancels, actor_role, reason, prev_hash, hash, code, signature)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
             ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
    )?
    .execute(params![
        seq,
        entry.id,
        entry.kind(),
        entry.occurred_at,
        entry.local_day,
        entry.center,
        entry.device,
        entry.actor,
        redemption.map(|r| &r.checkout_id),
        redemption.map(|r| &r.kid),
        redemption.map(|r| serial_to_sql(r.serial)),
        redemption.map(|r| r.value_cents),
        redemption.map(|r| r.provider),
        redemption.map(|r| &r.area),
        redemption.map(|r| &r.service),
        redemption.map(|r| <&str>::from(r.input_method)),
        cancellation.map(|c| &c.cancels),
        cancellation.map(|c| <&str>::from(c.actor_role)),
        cancellation.map(|c| &c.reason),
        &head.hash[..],
        &hash[..],
        redemption.and_then(|r| r.code.as_deref()),
        chained.signature.as_ref().map(|s| &s[..]),
    ])?;
    tx.prepare_cached(
        "INSERT INTO outbox (entry_id, state, updated_at) VALUES (?1, 'pending', ?2)",
    )?
    .execute(params![entry.id, updated_at])?;
    ChainHead { seq, hash }.write(tx, HEAD_KEY)?;
    Ok(chained)
}

/// Why an append failed.
#[derive(Debug)]
pub(crate) enum AppendError {
    /// The stored chain head does not parse.
    BadHead(String),
    /// SQLite refused.
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for AppendError {
    fn from(e: rusqlite::Error) -> Self {
        AppendError::Sqlite(e)
    }
}

/// Serials are 64-bit unsigned; SQLite integers are signed: stored as the same 64 bits.
pub(crate) fn serial_to_sql(serial: u64) -> i64 {
    serial as i64
}

/// The inverse of [`serial_to_sql`].
pub(crate) fn serial_from_sql(stored: i64) -> u64 {
    stored as u64
}

/// Reads one row selected with [`ENTRY_COLUMNS`]; `Err` describes a row that does not read
/// back as the ledger writes it.
pub(crate) fn entry_from_row(row: &Row<'_>) -> rusqlite::Result<Result<ChainedEntry, String>> {
    let seq: i64 = row.get(0)?;
    let kind: String = row.get(2)?;
    let bad = |what: &str| Ok(Err(format!("entry #{seq}: {what}")));
    let body = match kind.as_str() {
        "redemption" => {
            let input: String = row.get::<_, Option<String>>(15)?.unwrap_or_default();
            let Ok(input_method) = input.parse::<InputMethod>() else {
                return bad("unknown input method");
            };
            let (Some(checkout_id), Some(kid), Some(serial), Some(value_cents), Some(provider)) = (
                row.get(8)?,
                row.get(9)?,
                row.get::<_, Option<i64>>(10)?,
                row.get(11)?,
                row.get(12)?,
            ) else {
                return bad("a redemption field is missing");
            };
            let (Some(area), Some(service)) = (row.get(13)?, row.get(14)?) else {
                return bad("the workshop is missing");
            };
            EntryBody::Redemption(RedemptionFields {
                checkout_id,
                kid,
                serial: serial_from_sql(serial),
                value_cents,
                provider,
                area,
                service,
                input_method,
                code: row.get(21)?,
            })
        }
        "cancellation" => {
            let role: String = row.get::<_, Option<String>>(17)?.unwrap_or_default();
            let Ok(actor_role) = role.parse::<Role>() else {
                return bad("unknown role");
            };
            let (Some(cancels), Some(reason)) = (row.get(16)?, row.get(18)?) else {
                return bad("a cancellation field is missing");
            };
            EntryBody::Cancellation(CancellationFields {
                cancels,
                actor_role,
                reason,
            })
        }
        _ => return bad("unknown kind"),
    };
    let (Ok(prev_hash), Ok(hash)) = (
        <[u8; 32]>::try_from(row.get::<_, Vec<u8>>(19)?),
        <[u8; 32]>::try_from(row.get::<_, Vec<u8>>(20)?),
    ) else {
        return bad("a hash is not 32 bytes");
    };
    let signature = match row.get::<_, Option<Vec<u8>>>(22)? {
        None => None,
        Some(bytes) => match <[u8; 64]>::try_from(bytes) {
            Ok(signature) => Some(signature),
            Err(_) => return bad("a signature is not 64 bytes"),
        },
    };
    Ok(Ok(ChainedEntry {
        seq,
        entry: Entry {
            id: row.get(1)?,
            occurred_at: row.get(3)?,
            local_day: row.get(4)?,
            center: row.get(5)?,
            device: row.get(6)?,
            actor: row.get(7)?,
            body,
        },
        prev_hash,
        hash,
        signature,
    }))
}
