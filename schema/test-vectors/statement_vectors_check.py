#!/usr/bin/python3
"""Checks the statement vectors (schema/test-vectors/statement-v1.json) from the text of
schema/statement.md alone, not from the Rust code that made them: each case must get its
expected verdict by the verifier's steps, in order (the fingerprint of `roots`; the bundle's
root signature; the signer among the bundle's sync keys; the signature over
"guichet-statement-v1\\n" and the payload; the document's rules; the totals).

Not checked here: a bundle document's own rules (schema/trust-bundle.md), and Ed25519's strict
rules (the `cryptography` module verifies the RFC 8032 way; the vectors use canonical keys).

Run: schema/test-vectors/statement_vectors_check.py   (make test)
"""
import base64
import datetime
import hashlib
import json
import pathlib
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
FILE_MEMBERS = {"format", "roots", "bundle", "signer", "payload", "signature"}


class Refused(Exception):
    def __init__(self, code, why):
        super().__init__(f"{code}: {why}")
        self.code = code


def fingerprint(roots):
    digest = hashlib.sha256(b"guichet-root-fingerprint-v1\n" + "\n".join(sorted(roots)).encode())
    bits = int.from_bytes(digest.digest()[:16], "big") >> 48
    chars = [CROCKFORD[(bits >> (5 * (15 - i))) & 31] for i in range(16)]
    return "-".join("".join(chars[i:i + 4]) for i in range(0, 16, 4))


def verified(key_hex, message, signature_hex):
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(key_hex)).verify(
            bytes.fromhex(signature_hex), message)
        return True
    except (InvalidSignature, ValueError):
        return False


def bundle_sync_keys(text, roots):
    envelope = json.loads(text)
    kids = {hashlib.sha256(bytes.fromhex(root)).hexdigest()[:16]: root for root in roots}
    root = kids.get(envelope["signer"])
    payload = base64.b64decode(envelope["payload"], validate=True)
    if root is None or not verified(root, b"guichet-trust-bundle-v1\n" + payload,
                                    envelope["signature"]):
        raise Refused("BAD_BUNDLE", "not signed by the roots")
    return json.loads(payload).get("sync_keys", [])


def verdict(raw, expected_fingerprint):
    try:
        file = json.loads(raw)
        if not isinstance(file, dict) or set(file) != FILE_MEMBERS:
            raise Refused("MALFORMED", "not the six members")
        if file["format"] != "guichet-statement-v1":
            raise Refused("MALFORMED", "format")
        payload = base64.b64decode(file["payload"], validate=True)
    except (ValueError, TypeError) as error:
        raise Refused("MALFORMED", str(error)) from error
    if fingerprint(file["roots"]) != expected_fingerprint:
        raise Refused("WRONG_ROOT", "another platform's roots")
    if file["signer"] not in bundle_sync_keys(file["bundle"], file["roots"]):
        raise Refused("UNLISTED_SIGNER", file["signer"])
    if not verified(file["signer"], b"guichet-statement-v1\n" + payload, file["signature"]):
        raise Refused("BAD_SIGNATURE", "changed after signing")
    doc = json.loads(payload)
    month = datetime.date.fromisoformat(doc["month"] + "-01")
    if doc["sequence"] < 1 or (doc["replaces"] is None) != (doc["sequence"] == 1):
        raise Refused("INVALID", "sequence")
    if doc["replaces"] is not None and not 1 <= doc["replaces"] < doc["sequence"]:
        raise Refused("INVALID", "replaces")
    entries, coupons = set(), set()
    per, coupons_total, cents_total = {}, 0, 0
    for line in doc["lines"]:
        day = datetime.date.fromisoformat(line["day"])
        if (day.year, day.month) != (month.year, month.month):
            raise Refused("INVALID", f"{line['day']} outside {doc['month']}")
        if line["entry"] in entries or (line["kid"], line["serial"]) in coupons:
            raise Refused("INVALID", "listed twice")
        entries.add(line["entry"])
        coupons.add((line["kid"], line["serial"]))
        total = per.setdefault(line["provider"], [0, 0])
        total[0] += 1
        total[1] += line["value_cents"]
        coupons_total += 1
        cents_total += line["value_cents"]
    stated = [(t["provider"], t["coupons"], t["cents"]) for t in doc["totals"]["providers"]]
    sums = [(provider, n, cents) for provider, (n, cents) in sorted(per.items())]
    if stated != sums or (doc["totals"]["coupons"], doc["totals"]["cents"]) != (
            coupons_total, cents_total):
        raise Refused("BAD_TOTALS", "not the sum of the lines")
    return "ACCEPTED"


def main():
    path = pathlib.Path(__file__).resolve().parent / "statement-v1.json"
    vectors = json.loads(path.read_text())
    failures = []
    for case in vectors["cases"]:
        try:
            got = verdict(case["file"], vectors["root_fingerprint"])
        except Refused as refused:
            got = refused.code
        if got != case["expected"]:
            failures.append(f"{case['name']}: {got}, expected {case['expected']}")
    if fingerprint([vectors["root_public_key"]]) != vectors["root_fingerprint"]:
        failures.append("the root fingerprint is not the root key's")
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"statement vectors: {len(vectors['cases'])} verdicts as expected")


main()
