#!/usr/bin/python3
"""Writes ledger-entry-v1.json: ledger entries, their canonical bytes and their chained
hashes, computed from schema/ledger.md alone (not from the Rust code that the vectors test).

Run: schema/test-vectors/ledger_entry_vectors.py > schema/test-vectors/ledger-entry-v1.json
"""
import hashlib
import json

COMMON = ["id", "kind", "occurred_at", "local_day", "center", "device", "actor"]
REDEMPTION = ["checkout_id", "kid", "serial", "value_cents", "provider", "area", "service",
              "input_method"]
CANCELLATION = ["cancels", "actor_role", "reason"]

ENTRIES = [
    {"id": "01937a2b-1c00-7000-8000-000000000001", "kind": "redemption",
     "occurred_at": "2026-11-23T09:00:00.000Z", "local_day": "2026-11-23",
     "center": "center-bordeaux", "device": "kiosk-1", "actor": "Amine",
     "checkout_id": "01937a2b-1c00-7000-8000-0000000000c1", "kid": "e93a3e22a692eb03",
     "serial": 1000100, "value_cents": 1000, "provider": 1, "area": "1.1",
     "service": "S-BUREAUTIQUE", "input_method": "camera"},
    {"id": "01937a2b-1c00-7000-8000-000000000002", "kind": "redemption",
     "occurred_at": "2026-11-23T09:00:00.000Z", "local_day": "2026-11-23",
     "center": "center-bordeaux", "device": "kiosk-1", "actor": "Zoé Lefèvre",
     "checkout_id": "01937a2b-1c00-7000-8000-0000000000c1", "kid": "e93a3e22a692eb03",
     "serial": 18446744073709551615, "value_cents": 1000, "provider": 4294967295,
     "area": "3.5", "service": "S:12\nodd", "input_method": "scanner"},
    {"id": "01937a2b-1c00-7000-8000-000000000003", "kind": "cancellation",
     "occurred_at": "2026-11-23T23:30:00.120Z", "local_day": "2026-11-24",
     "center": "center-bordeaux", "device": "kiosk-1", "actor": "Chloé",
     "cancels": "01937a2b-1c00-7000-8000-000000000001", "actor_role": "manager",
     "reason": "coupon photocopié ; 2:3"},
]


def canonical(entry):
    fields = COMMON + (REDEMPTION if entry["kind"] == "redemption" else CANCELLATION)
    out = b"guichet-ledger-entry-v1\n"
    for name in fields:
        value = str(entry[name]).encode("utf-8")
        out += name.encode() + b":" + str(len(value)).encode() + b":" + value + b"\n"
    return out


def main():
    prev = bytes(32)
    cases = []
    for entry in ENTRIES:
        data = canonical(entry)
        digest = hashlib.sha256(prev + data).digest()
        cases.append({"entry": entry, "prev_hash": prev.hex(),
                      "canonical_bytes_hex": data.hex(), "hash": digest.hex()})
        prev = digest
    print(json.dumps({"format": "guichet-ledger-entry-v1",
                      "description": "Chained ledger entries (schema/ledger.md)",
                      "cases": cases}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
