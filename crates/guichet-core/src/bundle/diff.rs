//! What a bundle document changes against the last one signed: what a person must read
//! before the root signs it (the offline signer shows it; a console can too).
//!
//! Each change says whether it **widens** trust (a new issuer key, a key back from
//! compromised, a revocation lifted, a new sync key, a longer grace or staleness) or only
//! restricts or renames; widening changes are listed first.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::document::{BundleDocument, KeyStatus};
use crate::kid::Kid;

/// One change between two bundle documents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Whether it makes more coupons payable or more answers believed.
    pub widens: bool,
    /// What changes, for a person.
    pub text: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = if self.widens { "WIDENS" } else { "" };
        write!(f, "{mark:>6}  {}", self.text)
    }
}

fn change(widens: bool, text: String) -> Change {
    Change { widens, text }
}

/// What `next` changes against `previous` (None: the first bundle, where everything is new),
/// widening changes first. Dates and the sequence are not listed: the caller shows them.
pub fn changes(previous: Option<&BundleDocument>, next: &BundleDocument) -> Vec<Change> {
    let empty;
    let previous = match previous {
        Some(previous) => previous,
        None => {
            empty = BundleDocument {
                providers: Vec::new(),
                zones: Vec::new(),
                issuer_keys: Vec::new(),
                revocations: Vec::new(),
                roots: Vec::new(),
                sync_keys: Vec::new(),
                ..next.clone()
            };
            &empty
        }
    };
    let mut out = Vec::new();
    issuer_keys(previous, next, &mut out);
    revocations(previous, next, &mut out);
    named(
        "provider",
        &names(&previous.providers),
        &names(&next.providers),
        &mut out,
    );
    named("zone", &zone_names(previous), &zone_names(next), &mut out);
    sync_keys(previous, next, &mut out);
    roots(previous, next, &mut out);
    rules(previous, next, &mut out);
    if previous.referential != next.referential {
        out.push(change(
            false,
            format!(
                "referential {} -> {} ({} -> {} services)",
                previous.referential.version,
                next.referential.version,
                previous.referential.services.len(),
                next.referential.services.len()
            ),
        ));
    }
    out.sort_by_key(|c| !c.widens);
    out
}

fn status_name(status: KeyStatus) -> &'static str {
    match status {
        KeyStatus::Active => "active",
        KeyStatus::Retired => "retired",
        KeyStatus::Compromised => "compromised",
    }
}

fn issuer_keys(previous: &BundleDocument, next: &BundleDocument, out: &mut Vec<Change>) {
    let before: BTreeMap<Kid, _> = previous.issuer_keys.iter().map(|k| (k.kid, k)).collect();
    let after: BTreeMap<Kid, _> = next.issuer_keys.iter().map(|k| (k.kid, k)).collect();
    for (kid, key) in &after {
        match before.get(kid) {
            None => out.push(change(
                true,
                format!(
                    "new issuer key {kid} for provider {} ({}), public key {}",
                    key.provider,
                    status_name(key.status),
                    key.public_key
                ),
            )),
            Some(old) if old.status != key.status || old.provider != key.provider => {
                out.push(change(
                    old.status == KeyStatus::Compromised || old.provider != key.provider,
                    format!(
                        "issuer key {kid}: {} for provider {} -> {} for provider {}",
                        status_name(old.status),
                        old.provider,
                        status_name(key.status),
                        key.provider
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    for kid in before.keys().filter(|kid| !after.contains_key(kid)) {
        out.push(change(false, format!("issuer key {kid} removed")));
    }
}

/// Every revoked (kid, first, last) range of a document, singles as one-serial ranges.
fn revoked(document: &BundleDocument) -> BTreeSet<(Kid, u64, u64)> {
    document
        .revocations
        .iter()
        .flat_map(|r| {
            r.serials.iter().map(move |&s| (r.kid, s, s)).chain(
                r.ranges
                    .iter()
                    .map(move |range| (r.kid, range.first, range.last)),
            )
        })
        .collect()
}

fn revocations(previous: &BundleDocument, next: &BundleDocument, out: &mut Vec<Change>) {
    let (before, after) = (revoked(previous), revoked(next));
    let serials = |&(kid, first, last): &(Kid, u64, u64)| {
        if first == last {
            format!("{kid} serial {first}")
        } else {
            format!("{kid} serials {first}..={last}")
        }
    };
    for range in after.difference(&before) {
        out.push(change(false, format!("revokes {}", serials(range))));
    }
    for range in before.difference(&after) {
        out.push(change(
            true,
            format!("lifts the revocation of {}", serials(range)),
        ));
    }
}

fn names(providers: &[super::document::Provider]) -> BTreeMap<u32, String> {
    providers.iter().map(|p| (p.id, p.name.clone())).collect()
}

fn zone_names(document: &BundleDocument) -> BTreeMap<u32, String> {
    document
        .zones
        .iter()
        .map(|z| (z.id, z.name.clone()))
        .collect()
}

fn named(
    what: &str,
    before: &BTreeMap<u32, String>,
    after: &BTreeMap<u32, String>,
    out: &mut Vec<Change>,
) {
    for (id, name) in after {
        match before.get(id) {
            None => out.push(change(false, format!("new {what} {id} {name:?}"))),
            Some(old) if old != name => out.push(change(
                false,
                format!("{what} {id} renamed {old:?} -> {name:?}"),
            )),
            Some(_) => {}
        }
    }
    for (id, name) in before.iter().filter(|(id, _)| !after.contains_key(id)) {
        out.push(change(false, format!("{what} {id} {name:?} removed")));
    }
}

fn sync_keys(previous: &BundleDocument, next: &BundleDocument, out: &mut Vec<Change>) {
    let before: BTreeSet<&String> = previous.sync_keys.iter().collect();
    let after: BTreeSet<&String> = next.sync_keys.iter().collect();
    for key in after.difference(&before) {
        out.push(change(true, format!("new sync key {key}")));
    }
    for key in before.difference(&after) {
        out.push(change(false, format!("sync key {key} dropped")));
    }
}

/// A root rotation: the roots kiosks pin from `next` on. A key the previous bundle did not
/// list counts as widening (the previous may list none: roots are listed only when they
/// change).
fn roots(previous: &BundleDocument, next: &BundleDocument, out: &mut Vec<Change>) {
    if next.roots.is_empty() || next.roots == previous.roots {
        return;
    }
    let widens = next.roots.iter().any(|key| !previous.roots.contains(key));
    out.push(change(
        widens,
        format!(
            "kiosks pin the root keys {} from this bundle on",
            next.roots.join(", ")
        ),
    ));
}

fn rules(previous: &BundleDocument, next: &BundleDocument, out: &mut Vec<Change>) {
    let (a, b) = (&previous.rules, &next.rules);
    for (name, old, new, wider_when_larger) in [
        ("grace_days", a.grace_days, b.grace_days, true),
        (
            "max_staleness_days",
            a.max_staleness_days,
            b.max_staleness_days,
            true,
        ),
        (
            "minutes_per_coupon",
            a.minutes_per_coupon,
            b.minutes_per_coupon,
            false,
        ),
    ] {
        if old != new {
            out.push(change(
                wider_when_larger && new > old,
                format!("rule {name}: {old} -> {new}"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::document::{IssuerKeyEntry, Revocation, SerialRange};

    fn document() -> BundleDocument {
        let text = include_str!("../../../../fixtures/bundles/test-only-bundle-seq1.json");
        // The fixture is an envelope; its payload is the document.
        let envelope: serde_json::Value = serde_json::from_str(text).unwrap();
        let payload = envelope["payload"].as_str().unwrap();
        let bytes = base64_decode(payload);
        serde_json::from_slice(&bytes).unwrap()
    }

    fn base64_decode(text: &str) -> Vec<u8> {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .unwrap()
    }

    #[test]
    fn the_same_document_changes_nothing() {
        let document = document();
        assert!(changes(Some(&document), &document).is_empty());
    }

    #[test]
    fn a_new_key_and_a_lifted_revocation_widen_and_come_first() {
        let before = document();
        let mut after = before.clone();
        let kid = Kid([7; 8]);
        after.revocations.push(Revocation {
            kid,
            serials: vec![],
            ranges: vec![SerialRange { first: 1, last: 10 }],
        });
        after.issuer_keys.push(IssuerKeyEntry {
            kid: Kid([9; 8]),
            public_key: "ab".repeat(32),
            provider: 7,
            status: KeyStatus::Active,
        });
        after.rules.grace_days += 1;
        let listed = changes(Some(&before), &after);
        let texts: Vec<String> = listed.iter().map(ToString::to_string).collect();
        assert!(listed[0].widens && listed[1].widens, "{texts:#?}");
        assert!(texts
            .iter()
            .any(|t| t.contains("new issuer key 0909090909090909")));
        assert!(texts.iter().any(|t| t.contains("rule grace_days")));
        assert!(texts
            .iter()
            .any(|t| t.contains("revokes 0707070707070707 serials 1..=10")));
        // And back: lifting it widens.
        let back = changes(Some(&after), &before);
        assert!(back
            .iter()
            .any(|c| c.widens && c.text.starts_with("lifts the revocation")));
    }
}
