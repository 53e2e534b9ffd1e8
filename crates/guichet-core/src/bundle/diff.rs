//! What a bundle document changes against the last one signed: what a person must read
//! before the root signs it (the offline signer shows it; a console can too).
//!
//! Each change says whether it **widens** trust (a new issuer key, a key back from
//! compromised, a revocation lifted, a new sync key, a longer grace or staleness) or only
//! restricts or renames; widening changes are listed first. A change is a typed item
//! ([`What`]): its [`fmt::Display`] is the signer's English line, and a console words it in its
//! own language from the same fields.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::document::{BundleDocument, KeyStatus};
use crate::kid::Kid;

/// One change between two bundle documents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Whether it makes more coupons payable or more answers believed.
    pub widens: bool,
    /// What changes.
    pub what: What,
}

/// A named list of the bundle: its providers or its zones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Named {
    /// A provider (funder).
    Provider,
    /// A zone.
    Zone,
}

impl Named {
    fn as_str(self) -> &'static str {
        match self {
            Named::Provider => "provider",
            Named::Zone => "zone",
        }
    }
}

/// A rule of the bundle that a change can touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// `grace_days`: days a coupon is still taken after its last valid day.
    GraceDays,
    /// `max_staleness_days`: days a kiosk works offline with its bundle.
    MaxStalenessDays,
    /// `minutes_per_coupon`: the minutes of service one coupon pays.
    MinutesPerCoupon,
}

impl Rule {
    /// Its name in the bundle document (`grace_days`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::GraceDays => "grace_days",
            Rule::MaxStalenessDays => "max_staleness_days",
            Rule::MinutesPerCoupon => "minutes_per_coupon",
        }
    }
}

/// What one change is, with what a person needs to read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum What {
    /// An issuer key not in the previous bundle.
    NewIssuerKey {
        /// The key's id.
        kid: Kid,
        /// Its provider's id.
        provider: u32,
        /// Its status.
        status: KeyStatus,
        /// Its public half (hex).
        public_key: String,
    },
    /// An issuer key whose status or provider changes.
    IssuerKeyChanged {
        /// The key's id.
        kid: Kid,
        /// Status and provider before.
        before: (KeyStatus, u32),
        /// Status and provider after.
        after: (KeyStatus, u32),
    },
    /// An issuer key no longer listed.
    IssuerKeyRemoved {
        /// The key's id.
        kid: Kid,
    },
    /// Serials `first..=last` of key `kid` become revoked.
    Revokes {
        /// The key's id.
        kid: Kid,
        /// The first serial revoked.
        first: u64,
        /// The last one (the same for a single serial).
        last: u64,
    },
    /// The revocation of serials `first..=last` of key `kid` is lifted.
    LiftsRevocation {
        /// The key's id.
        kid: Kid,
        /// The first serial.
        first: u64,
        /// The last one (the same for a single serial).
        last: u64,
    },
    /// A provider or zone not in the previous bundle.
    Added {
        /// Which list.
        list: Named,
        /// Its id.
        id: u32,
        /// Its name.
        name: String,
    },
    /// A provider or zone renamed.
    Renamed {
        /// Which list.
        list: Named,
        /// Its id.
        id: u32,
        /// Its name before.
        before: String,
        /// Its name after.
        after: String,
    },
    /// A provider or zone no longer listed.
    Removed {
        /// Which list.
        list: Named,
        /// Its id.
        id: u32,
        /// Its name.
        name: String,
    },
    /// A sync key not in the previous bundle (kiosks believe its answers).
    NewSyncKey {
        /// The key (as the bundle holds it).
        key: String,
    },
    /// A sync key no longer listed.
    SyncKeyDropped {
        /// The key.
        key: String,
    },
    /// A root rotation: the root keys kiosks pin from this bundle on (hex, as the bundle
    /// lists them).
    Roots {
        /// The keys.
        keys: Vec<String>,
    },
    /// A rule's value changes.
    RuleChanged {
        /// Which rule.
        rule: Rule,
        /// Its value before.
        before: u16,
        /// Its value after.
        after: u16,
    },
    /// The services referential changes.
    Referential {
        /// Version before and after.
        version: (String, String),
        /// How many services before and after.
        services: (usize, usize),
    },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = if self.widens { "WIDENS" } else { "" };
        write!(f, "{mark:>6}  {}", self.what)
    }
}

/// A key status's name in the bundle document (`active`, `retired`, `compromised`).
fn status_name(status: KeyStatus) -> &'static str {
    match status {
        KeyStatus::Active => "active",
        KeyStatus::Retired => "retired",
        KeyStatus::Compromised => "compromised",
    }
}

/// `{kid} serial {first}` or `{kid} serials {first}..={last}`.
fn serials(kid: &Kid, first: u64, last: u64) -> String {
    if first == last {
        format!("{kid} serial {first}")
    } else {
        format!("{kid} serials {first}..={last}")
    }
}

/// The signer's English line.
impl fmt::Display for What {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            What::NewIssuerKey {
                kid,
                provider,
                status,
                public_key,
            } => write!(
                f,
                "new issuer key {kid} for provider {provider} ({}), public key {public_key}",
                status_name(*status)
            ),
            What::IssuerKeyChanged { kid, before, after } => write!(
                f,
                "issuer key {kid}: {} for provider {} -> {} for provider {}",
                status_name(before.0),
                before.1,
                status_name(after.0),
                after.1
            ),
            What::IssuerKeyRemoved { kid } => write!(f, "issuer key {kid} removed"),
            What::Revokes { kid, first, last } => {
                write!(f, "revokes {}", serials(kid, *first, *last))
            }
            What::LiftsRevocation { kid, first, last } => {
                write!(f, "lifts the revocation of {}", serials(kid, *first, *last))
            }
            What::Added { list, id, name } => write!(f, "new {} {id} {name:?}", list.as_str()),
            What::Renamed {
                list,
                id,
                before,
                after,
            } => write!(f, "{} {id} renamed {before:?} -> {after:?}", list.as_str()),
            What::Removed { list, id, name } => {
                write!(f, "{} {id} {name:?} removed", list.as_str())
            }
            What::NewSyncKey { key } => write!(f, "new sync key {key}"),
            What::SyncKeyDropped { key } => write!(f, "sync key {key} dropped"),
            What::Roots { keys } => write!(
                f,
                "kiosks pin the root keys {} from this bundle on",
                keys.join(", ")
            ),
            What::RuleChanged {
                rule,
                before,
                after,
            } => write!(f, "rule {}: {before} -> {after}", rule.as_str()),
            What::Referential { version, services } => write!(
                f,
                "referential {} -> {} ({} -> {} services)",
                version.0, version.1, services.0, services.1
            ),
        }
    }
}

fn change(widens: bool, what: What) -> Change {
    Change { widens, what }
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
        Named::Provider,
        &names(&previous.providers),
        &names(&next.providers),
        &mut out,
    );
    named(
        Named::Zone,
        &zone_names(previous),
        &zone_names(next),
        &mut out,
    );
    sync_keys(previous, next, &mut out);
    roots(previous, next, &mut out);
    rules(previous, next, &mut out);
    if previous.referential != next.referential {
        out.push(change(
            false,
            What::Referential {
                version: (
                    previous.referential.version.clone(),
                    next.referential.version.clone(),
                ),
                services: (
                    previous.referential.services.len(),
                    next.referential.services.len(),
                ),
            },
        ));
    }
    out.sort_by_key(|c| !c.widens);
    out
}

fn issuer_keys(previous: &BundleDocument, next: &BundleDocument, out: &mut Vec<Change>) {
    let before: BTreeMap<Kid, _> = previous.issuer_keys.iter().map(|k| (k.kid, k)).collect();
    let after: BTreeMap<Kid, _> = next.issuer_keys.iter().map(|k| (k.kid, k)).collect();
    for (kid, key) in &after {
        match before.get(kid) {
            None => out.push(change(
                true,
                What::NewIssuerKey {
                    kid: *kid,
                    provider: key.provider,
                    status: key.status,
                    public_key: key.public_key.clone(),
                },
            )),
            Some(old) if old.status != key.status || old.provider != key.provider => {
                out.push(change(
                    old.status == KeyStatus::Compromised || old.provider != key.provider,
                    What::IssuerKeyChanged {
                        kid: *kid,
                        before: (old.status, old.provider),
                        after: (key.status, key.provider),
                    },
                ))
            }
            Some(_) => {}
        }
    }
    for kid in before.keys().filter(|kid| !after.contains_key(kid)) {
        out.push(change(false, What::IssuerKeyRemoved { kid: *kid }));
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
    for &(kid, first, last) in after.difference(&before) {
        out.push(change(false, What::Revokes { kid, first, last }));
    }
    for &(kid, first, last) in before.difference(&after) {
        out.push(change(true, What::LiftsRevocation { kid, first, last }));
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
    list: Named,
    before: &BTreeMap<u32, String>,
    after: &BTreeMap<u32, String>,
    out: &mut Vec<Change>,
) {
    for (&id, name) in after {
        match before.get(&id) {
            None => out.push(change(
                false,
                What::Added {
                    list,
                    id,
                    name: name.clone(),
                },
            )),
            Some(old) if old != name => out.push(change(
                false,
                What::Renamed {
                    list,
                    id,
                    before: old.clone(),
                    after: name.clone(),
                },
            )),
            Some(_) => {}
        }
    }
    for (&id, name) in before.iter().filter(|(id, _)| !after.contains_key(id)) {
        out.push(change(
            false,
            What::Removed {
                list,
                id,
                name: name.clone(),
            },
        ));
    }
}

fn sync_keys(previous: &BundleDocument, next: &BundleDocument, out: &mut Vec<Change>) {
    let before: BTreeSet<&String> = previous.sync_keys.iter().collect();
    let after: BTreeSet<&String> = next.sync_keys.iter().collect();
    for key in after.difference(&before) {
        out.push(change(
            true,
            What::NewSyncKey {
                key: (*key).clone(),
            },
        ));
    }
    for key in before.difference(&after) {
        out.push(change(
            false,
            What::SyncKeyDropped {
                key: (*key).clone(),
            },
        ));
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
        What::Roots {
            keys: next.roots.clone(),
        },
    ));
}

fn rules(previous: &BundleDocument, next: &BundleDocument, out: &mut Vec<Change>) {
    let (a, b) = (&previous.rules, &next.rules);
    for (rule, before, after, wider_when_larger) in [
        (Rule::GraceDays, a.grace_days, b.grace_days, true),
        (
            Rule::MaxStalenessDays,
            a.max_staleness_days,
            b.max_staleness_days,
            true,
        ),
        (
            Rule::MinutesPerCoupon,
            a.minutes_per_coupon,
            b.minutes_per_coupon,
            false,
        ),
    ] {
        if before != after {
            out.push(change(
                wider_when_larger && after > before,
                What::RuleChanged {
                    rule,
                    before,
                    after,
                },
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
            .any(|c| c.widens && c.what.to_string().starts_with("lifts the revocation")));
    }
}
