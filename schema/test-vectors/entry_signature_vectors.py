#!/usr/bin/python3
"""The ledger entry signature vectors (schema/sync-api.md, "Entry signatures"), computed from
the text of the rule alone (not from the Rust code the vectors test): the signed bytes are
"guichet-ledger-entry-signature-v1\\n" followed by the entry's compact JSON, members in the
order of the protocol's LedgerEntry, without `signature`, `occurred_at` with the fewest
fraction digits (09:00:00.12Z, 09:05:00Z); the signature is Ed25519 by the device key.

Run: schema/test-vectors/entry_signature_vectors.py > schema/test-vectors/entry-signature-v1.json
     schema/test-vectors/entry_signature_vectors.py --check   (make test: the file still holds)
"""
import json
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

CONTEXT = b"guichet-ledger-entry-signature-v1\n"
SEED = bytes([42] * 32)  # TEST ONLY device key

ENTRIES = [
    {
        "id": "0193a1b2-0000-7000-8000-000000000001",
        "occurred_at": "2026-11-23T09:00:00.12Z",  # the fewest fraction digits
        "local_day": "2026-11-23",
        "center": "center-bordeaux",
        "device": "kiosk-1",
        "actor": "Zoé",
        "kind": "redemption",
        "checkout_id": "0193a1b2-0000-7000-8000-0000000000c1",
        "kid": "0102030405060708",
        "serial": 1000001,
        "value_cents": 1000,
        "provider": 1,
        "area": "1.1",
        "service": "1.1.01",
        "input_method": "scanner",
        "code": "PN1:TEST-ONLY",
        "prev_hash": "00" * 32,
        "hash": "11" * 32,
    },
    {
        "id": "0193a1b2-0000-7000-8000-000000000002",
        "occurred_at": "2026-11-23T09:05:00Z",
        "local_day": "2026-11-23",
        "center": "center-bordeaux",
        "device": "kiosk-1",
        "actor": "Chloé \"la responsable\"",
        "kind": "cancellation",
        "cancels": "0193a1b2-0000-7000-8000-000000000001",
        "actor_role": "manager",
        "reason": "erreur de saisie / doublon",
        "prev_hash": "11" * 32,
        "hash": "22" * 32,
    },
]


def signed_bytes(entry):
    return CONTEXT + json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode()


def vectors():
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    out = []
    for entry in ENTRIES:
        data = signed_bytes(entry)
        out.append({
            "entry": entry,
            "signed_bytes": data.decode(),
            "signature": key.sign(data).hex(),
        })
    return {"device_key_seed": SEED.hex(), "device_public_key": public, "vectors": out}


def main():
    path = "schema/test-vectors/entry-signature-v1.json"
    if sys.argv[1:] == ["--check"]:
        with open(path, encoding="utf-8") as f:
            stored = json.load(f)
        if stored != vectors():
            sys.exit(f"{path} differs from what the rule gives: regenerate it")
        print(f"{path}: {len(stored['vectors'])} entry signatures hold")
    else:
        json.dump(vectors(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")


if __name__ == "__main__":
    main()
