//! A ledger entry as the sync protocol carries it (`guichet_protocol::LedgerEntry`): what the
//! kiosk pushes, and what its device key signs when the entry is recorded
//! (`guichet_protocol::entry_signature`).

use guichet_core::{Area, Kid};
use guichet_protocol::{CancellationEvent, ChainHash, EntryEvent, LedgerEntry, RedemptionEvent};

use crate::entry::{ChainedEntry, EntryBody};

/// An entry as the sync protocol carries it, with its signature if it has one; `Err` says why
/// an entry cannot be put on the wire (a field that does not parse as the protocol's type).
pub fn to_wire(chained: &ChainedEntry) -> Result<LedgerEntry, String> {
    let entry = &chained.entry;
    let unsendable = |reason: String| reason;
    let uuid =
        |text: &str| uuid::Uuid::parse_str(text).map_err(|e| unsendable(format!("id {text}: {e}")));
    let event = match &entry.body {
        EntryBody::Redemption(r) => EntryEvent::Redemption(RedemptionEvent {
            checkout_id: uuid(&r.checkout_id)?,
            kid: r
                .kid
                .parse::<Kid>()
                .map_err(|e| unsendable(e.to_string()))?,
            serial: r.serial,
            value_cents: r.value_cents,
            provider: r.provider,
            area: r
                .area
                .parse::<Area>()
                .map_err(|e| unsendable(e.to_string()))?,
            service: r.service.clone(),
            input_method: r.input_method,
            // None for an entry recorded before kiosks kept codes (ledger format 1).
            code: r.code.clone(),
        }),
        EntryBody::Cancellation(c) => EntryEvent::Cancellation(CancellationEvent {
            cancels: uuid(&c.cancels)?,
            actor_role: c.actor_role,
            reason: c.reason.clone(),
        }),
    };
    Ok(LedgerEntry {
        id: uuid(&entry.id)?,
        occurred_at: entry
            .occurred_at
            .parse()
            .map_err(|e| unsendable(format!("occurred_at: {e}")))?,
        local_day: entry
            .local_day
            .parse()
            .map_err(|e| unsendable(format!("local_day: {e}")))?,
        center: entry.center.clone(),
        device: entry.device.clone(),
        actor: entry.actor.clone(),
        event,
        prev_hash: ChainHash(chained.prev_hash),
        hash: ChainHash(chained.hash),
        signature: chained.signature.map(hex::encode),
    })
}
