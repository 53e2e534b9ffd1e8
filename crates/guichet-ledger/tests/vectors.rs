//! The hash chain against schema/test-vectors/ledger-entry-v1.json and -v2.json, which a
//! Python script computed from schema/ledger.md alone.

use guichet_ledger::{
    CancellationFields, Entry, EntryBody, InputMethod, RedemptionFields, Role, GENESIS_HASH,
};
use serde_json::Value;

fn text(v: &Value, name: &str) -> String {
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name}"))
        .to_string()
}

fn number(v: &Value, name: &str) -> u64 {
    v[name].as_u64().unwrap_or_else(|| panic!("{name}"))
}

fn entry_of(v: &Value) -> Entry {
    let body = match v["kind"].as_str().unwrap() {
        "redemption" => EntryBody::Redemption(RedemptionFields {
            checkout_id: text(v, "checkout_id"),
            kid: text(v, "kid"),
            serial: number(v, "serial"),
            value_cents: number(v, "value_cents") as u32,
            provider: number(v, "provider") as u32,
            area: text(v, "area"),
            service: text(v, "service"),
            input_method: text(v, "input_method").parse::<InputMethod>().unwrap(),
            code: v["code"].as_str().map(str::to_string),
        }),
        "cancellation" => EntryBody::Cancellation(CancellationFields {
            cancels: text(v, "cancels"),
            actor_role: text(v, "actor_role").parse::<Role>().unwrap(),
            reason: text(v, "reason"),
        }),
        other => panic!("kind {other}"),
    };
    Entry {
        id: text(v, "id"),
        occurred_at: text(v, "occurred_at"),
        local_day: text(v, "local_day"),
        center: text(v, "center"),
        device: text(v, "device"),
        actor: text(v, "actor"),
        body,
    }
}

fn check(file: &str) -> Vec<Entry> {
    let path = format!(
        "{}/../../schema/test-vectors/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let vectors: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = vectors["cases"].as_array().unwrap();
    assert!(cases.len() >= 3);
    let mut prev = GENESIS_HASH;
    let mut entries = Vec::new();
    for case in cases {
        let entry = entry_of(&case["entry"]);
        assert_eq!(hex::encode(prev), text(case, "prev_hash"), "{}", entry.id);
        assert_eq!(
            hex::encode(entry.canonical_bytes()),
            text(case, "canonical_bytes_hex"),
            "{}",
            entry.id
        );
        let hash = entry.chain_hash(&prev);
        assert_eq!(hex::encode(hash), text(case, "hash"), "{}", entry.id);
        prev = hash;
        entries.push(entry);
    }
    entries
}

#[test]
fn canonical_bytes_and_hashes_match_the_vectors() {
    let entries = check("ledger-entry-v1.json");
    assert!(entries.iter().all(|e| e.format_version() == 1));
}

#[test]
fn format_2_entries_carry_their_code_after_format_1_ones_in_one_chain() {
    let entries = check("ledger-entry-v2.json");
    let versions: Vec<u8> = entries.iter().map(Entry::format_version).collect();
    assert!(
        versions.contains(&1) && versions.contains(&2),
        "{versions:?}"
    );
    // The vectors' codes are well formed and carry the entry's coupon.
    for entry in &entries {
        if let EntryBody::Redemption(RedemptionFields {
            code: Some(code),
            kid,
            serial,
            value_cents,
            provider,
            ..
        }) = &entry.body
        {
            let coupon = guichet_core::code::decode(code.as_bytes()).unwrap().coupon;
            assert_eq!(
                (
                    coupon.kid.to_hex(),
                    coupon.serial,
                    coupon.value_cents,
                    coupon.provider
                ),
                (kid.clone(), *serial, *value_cents, *provider)
            );
        }
    }
}
