//! The rules a bundle document must follow, checked once it is authentic.

use std::collections::{HashMap, HashSet};

use ed25519_dalek::VerifyingKey;

use super::document::{BundleDocument, IssuerKeyEntry, Referential, Revocation};
use super::{BundleError, IssuerKey, TrustBundle};
use crate::area::Area;
use crate::kid::Kid;

fn malformed(reason: impl Into<String>) -> BundleError {
    BundleError::Malformed(reason.into())
}

/// Checks every rule of the format and builds the lookup tables.
pub(super) fn validate(document: BundleDocument) -> Result<TrustBundle, BundleError> {
    if document.expires_at <= document.issued_at {
        return Err(malformed("expires_at must be after issued_at"));
    }
    let rules = &document.rules;
    if rules.minutes_per_coupon == 0 || rules.max_staleness_days == 0 {
        return Err(malformed(
            "rules.minutes_per_coupon and rules.max_staleness_days must be positive",
        ));
    }
    unique("provider id", document.providers.iter().map(|p| p.id))?;
    unique("zone id", document.zones.iter().map(|z| z.id))?;
    if document.zones.iter().any(|z| z.id == 0) {
        return Err(malformed("zone id 0 is reserved for \"anywhere\""));
    }
    check_referential(&document.referential)?;
    let providers: HashSet<u32> = document.providers.iter().map(|p| p.id).collect();
    let mut issuers = HashMap::new();
    for entry in &document.issuer_keys {
        let key = issuer_key(entry)?;
        if !providers.contains(&entry.provider) {
            return Err(malformed(format!(
                "issuer key {} names provider {}, which the bundle does not list",
                entry.kid, entry.provider
            )));
        }
        if issuers.insert(entry.kid, key).is_some() {
            return Err(malformed(format!(
                "issuer key {} is listed twice",
                entry.kid
            )));
        }
    }
    let revoked = revoked_ranges(&document.revocations)?;
    unique("sync key", document.sync_keys.iter())?;
    let sync_keys = document
        .sync_keys
        .iter()
        .map(|hex| strict_key(hex).map_err(|why| malformed(format!("sync key {hex}: {why}"))))
        .collect::<Result<_, _>>()?;
    unique("root key", document.roots.iter())?;
    let roots = document
        .roots
        .iter()
        .map(|hex| strict_key(hex).map_err(|why| malformed(format!("root key {hex}: {why}"))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(TrustBundle {
        roots: (!roots.is_empty()).then_some(roots),
        fresh_as_of: document.issued_at,
        document,
        issuers,
        revoked,
        sync_keys,
    })
}

fn unique<T: Eq + std::hash::Hash + std::fmt::Display>(
    what: &str,
    values: impl IntoIterator<Item = T>,
) -> Result<(), BundleError> {
    let mut seen = HashSet::new();
    for value in values {
        if let Some(duplicate) = seen.replace(value) {
            return Err(malformed(format!("{what} {duplicate} is listed twice")));
        }
    }
    Ok(())
}

/// An issuer key must be a canonical encoding of a point that is not of small order, and its
/// kid must be its hash.
fn issuer_key(entry: &IssuerKeyEntry) -> Result<IssuerKey, BundleError> {
    let kid = entry.kid;
    let mut bytes = [0; 32];
    hex::decode_to_slice(&entry.public_key, &mut bytes)
        .map_err(|_| malformed(format!("issuer key {kid}: public_key is not 64 hex digits")))?;
    if Kid::of_public_key(&bytes) != kid {
        return Err(malformed(format!(
            "issuer key {kid}: kid is not SHA-256(public key)[0..8] ({})",
            Kid::of_public_key(&bytes)
        )));
    }
    let verifying_key = VerifyingKey::from_bytes(&bytes)
        .map_err(|_| malformed(format!("issuer key {kid}: not a point on the curve")))?;
    if verifying_key.to_edwards().compress().to_bytes() != bytes {
        return Err(malformed(format!(
            "issuer key {kid}: not a canonical encoding"
        )));
    }
    if verifying_key.is_weak() {
        return Err(malformed(format!(
            "issuer key {kid}: a point of small order"
        )));
    }
    Ok(IssuerKey {
        verifying_key,
        provider: entry.provider,
        status: entry.status,
    })
}

/// A public key as strict verification needs it: 64 hex digits, a canonical encoding of a
/// point not of small order.
fn strict_key(hex: &str) -> Result<VerifyingKey, &'static str> {
    let mut bytes = [0; 32];
    hex::decode_to_slice(hex, &mut bytes).map_err(|_| "not 64 hex digits")?;
    let key = VerifyingKey::from_bytes(&bytes).map_err(|_| "not a point on the curve")?;
    if key.to_edwards().compress().to_bytes() != bytes {
        return Err("not a canonical encoding");
    }
    if key.is_weak() {
        return Err("a point of small order");
    }
    Ok(key)
}

fn check_referential(referential: &Referential) -> Result<(), BundleError> {
    let mut levels: Vec<u8> = referential.levels.iter().map(|l| l.level).collect();
    levels.sort_unstable();
    if levels != [1, 2, 3] {
        return Err(malformed(
            "the referential must list levels 1, 2 and 3 once each",
        ));
    }
    let mut areas: Vec<Area> = referential.areas.iter().map(|a| a.code).collect();
    areas.sort_unstable();
    if areas != Area::ALL {
        return Err(malformed(
            "the referential must list the nine areas once each",
        ));
    }
    unique(
        "service",
        referential.services.iter().map(|s| s.code.as_str()),
    )?;
    if referential
        .services
        .iter()
        .any(|s| s.code.trim().is_empty())
    {
        return Err(malformed("a service code is empty"));
    }
    Ok(())
}

/// Merges serials and ranges into sorted, disjoint ranges per kid.
fn revoked_ranges(
    revocations: &[Revocation],
) -> Result<HashMap<Kid, Vec<(u64, u64)>>, BundleError> {
    let mut revoked = HashMap::new();
    add_revocations(&mut revoked, revocations)?;
    Ok(revoked)
}

/// Adds `revocations` to `revoked` (sorted, disjoint ranges per kid), keeping it sorted and
/// disjoint. An empty range makes the whole list malformed and leaves `revoked` as it was.
pub(super) fn add_revocations(
    revoked: &mut HashMap<Kid, Vec<(u64, u64)>>,
    revocations: &[Revocation],
) -> Result<(), BundleError> {
    let mut added: HashMap<Kid, Vec<(u64, u64)>> = HashMap::new();
    for revocation in revocations {
        let ranges = added.entry(revocation.kid).or_default();
        ranges.extend(revocation.serials.iter().map(|&serial| (serial, serial)));
        for range in &revocation.ranges {
            if range.first > range.last {
                return Err(malformed(format!(
                    "revocation of {}: range {}..={} is empty",
                    revocation.kid, range.first, range.last
                )));
            }
            ranges.push((range.first, range.last));
        }
    }
    for (kid, new) in added {
        let ranges = revoked.entry(kid).or_default();
        ranges.extend(new);
        ranges.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
        for &(first, last) in ranges.iter() {
            match merged.last_mut() {
                Some(previous) if first <= previous.1.saturating_add(1) => {
                    previous.1 = previous.1.max(last);
                }
                _ => merged.push((first, last)),
            }
        }
        *ranges = merged;
    }
    Ok(())
}
