//! State versions: each device counts the state changes of its own entries, and a kiosk's
//! cursor (`GET /v1/redemptions/states?since=`) is a number of that count.
//!
//! A push reads the counters of every device whose entries it may change while holding their
//! `versions:` locks, hands out the next numbers in memory, and writes the counters back before
//! it commits. Another push changing the same device's entries waits for the lock, so one
//! device's versions are committed in increasing order and a cursor never skips a change that
//! commits later.

use std::collections::{BTreeMap, BTreeSet};

use crate::db::{batch, Tx, Value};
use crate::error::Error;

/// The state-version counters of the devices a push may touch.
pub(super) struct Versions {
    read: BTreeMap<String, i64>,
    last: BTreeMap<String, i64>,
}

impl Versions {
    /// Locks the counters of `devices` and reads them.
    pub(super) async fn lock(tx: &mut Tx, devices: &BTreeSet<String>) -> Result<Versions, Error> {
        let names: Vec<String> = devices.iter().map(|d| format!("versions:{d}")).collect();
        tx.lock(&names).await?;
        let devices: Vec<&str> = devices.iter().map(String::as_str).collect();
        let last: BTreeMap<String, i64> = batch::query_in::<(String, i64)>(
            tx,
            "SELECT id, state_version FROM devices WHERE id IN",
            &devices,
        )
        .await?
        .into_iter()
        .collect();
        Ok(Versions {
            read: last.clone(),
            last,
        })
    }

    /// The next version of a change to one of `device`'s entries.
    pub(super) fn next(&mut self, device: &str) -> Result<i64, Error> {
        let last = self.last.get_mut(device).ok_or_else(|| {
            Error::Storage(format!(
                "the state versions of device {device} were not locked"
            ))
        })?;
        *last += 1;
        Ok(*last)
    }

    /// Writes back the counters that moved (each still locked until the transaction ends).
    pub(super) async fn store(self, tx: &mut Tx) -> Result<(), Error> {
        for (device, last) in self.last {
            if self.read.get(&device) != Some(&last) {
                tx.execute(
                    "UPDATE devices SET state_version = $1 WHERE id = $2",
                    &[Value::Int(last), device.into()],
                )
                .await?;
            }
        }
        Ok(())
    }
}
