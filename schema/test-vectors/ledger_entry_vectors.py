#!/usr/bin/python3
"""Writes the ledger entry vectors: entries, their canonical bytes and their chained hashes,
computed from schema/ledger.md alone (not from the Rust code that the vectors test).

- `v1`: format 1 entries only (no code), as kiosks before format 2 wrote them;
- `v2`: a chain that starts with format 1 entries (recorded before the upgrade) and goes on
  with redemptions that carry their code (format 2) and a cancellation (always format 1).

Run: schema/test-vectors/ledger_entry_vectors.py v1 > schema/test-vectors/ledger-entry-v1.json
     schema/test-vectors/ledger_entry_vectors.py v2 > schema/test-vectors/ledger-entry-v2.json
"""
import hashlib
import json
import sys

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


BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def base45(data):
    """RFC 9285: each 2 bytes as 3 characters, a last single byte as 2, least significant first."""
    out = ""
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        out += BASE45[n % 45] + BASE45[n // 45 % 45] + BASE45[n // 2025]
    if len(data) % 2:
        out += BASE45[data[-1] % 45] + BASE45[data[-1] // 45]
    return out


def code(kid, serial, value_cents, provider):
    """A well-formed PN1 code (schema/voucher-code.md) with a zero signature: the ledger keeps
    the text it read, it does not verify it. Issued on day 2400, valid until 2800, any area,
    no zone."""
    payload = (bytes([1]) + bytes.fromhex(kid) + serial.to_bytes(8, "big")
               + value_cents.to_bytes(4, "big") + (2400).to_bytes(2, "big")
               + (2800).to_bytes(2, "big") + provider.to_bytes(4, "big")
               + (0x01FF).to_bytes(2, "big") + (0).to_bytes(4, "big") + bytes([0]))
    assert len(payload) == 36
    return "PN1:" + base45(payload + bytes(64))


V2_ENTRIES = ENTRIES[:2] + [
    {"id": "01937a2b-1c00-7000-8000-000000000004", "kind": "redemption",
     "occurred_at": "2026-12-01T08:59:59.999Z", "local_day": "2026-12-01",
     "center": "center-bordeaux", "device": "kiosk-1", "actor": "Zoé Lefèvre",
     "checkout_id": "01937a2b-1c00-7000-8000-0000000000c2", "kid": "e93a3e22a692eb03",
     "serial": 1000101, "value_cents": 1000, "provider": 1, "area": "2.2",
     "service": "S-INTERNET", "input_method": "scanner",
     "code": code("e93a3e22a692eb03", 1000101, 1000, 1)},
    {"id": "01937a2b-1c00-7000-8000-000000000005", "kind": "redemption",
     "occurred_at": "2026-12-01T08:59:59.999Z", "local_day": "2026-12-01",
     "center": "center-bordeaux", "device": "kiosk-1", "actor": "Zoé Lefèvre",
     "checkout_id": "01937a2b-1c00-7000-8000-0000000000c2", "kid": "e93a3e22a692eb03",
     "serial": 18446744073709551615, "value_cents": 4294967295, "provider": 4294967295,
     "area": "3.5", "service": "S:12", "input_method": "camera",
     "code": code("e93a3e22a692eb03", 18446744073709551615, 4294967295, 4294967295)},
    {"id": "01937a2b-1c00-7000-8000-000000000006", "kind": "cancellation",
     "occurred_at": "2026-12-01T09:01:00.000Z", "local_day": "2026-12-01",
     "center": "center-bordeaux", "device": "kiosk-1", "actor": "Zoé Lefèvre",
     "cancels": "01937a2b-1c00-7000-8000-000000000004", "actor_role": "mediator",
     "reason": "erreur de saisie"},
]


def canonical(entry):
    fields = COMMON + (REDEMPTION if entry["kind"] == "redemption" else CANCELLATION)
    if entry.get("code") is not None:
        out = b"guichet-ledger-entry-v2\n"
        fields = fields + ["code"]
    else:
        out = b"guichet-ledger-entry-v1\n"
    for name in fields:
        value = str(entry[name]).encode("utf-8")
        out += name.encode() + b":" + str(len(value)).encode() + b":" + value + b"\n"
    return out


def main():
    version = sys.argv[1] if len(sys.argv) > 1 else "v1"
    entries = {"v1": ENTRIES, "v2": V2_ENTRIES}[version]
    prev = bytes(32)
    cases = []
    for entry in entries:
        data = canonical(entry)
        digest = hashlib.sha256(prev + data).digest()
        cases.append({"entry": entry, "prev_hash": prev.hex(),
                      "canonical_bytes_hex": data.hex(), "hash": digest.hex()})
        prev = digest
    description = {
        "v1": "Chained ledger entries (schema/ledger.md)",
        "v2": "Chained ledger entries of format 1 then 2: redemptions with their code use "
              "guichet-ledger-entry-v2 (schema/ledger.md)",
    }[version]
    print(json.dumps({"format": "guichet-ledger-entry-" + version,
                      "description": description,
                      "cases": cases}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
