#!/usr/bin/python3
"""Known-answer check of the PN1 byte layout: decodes every case of voucher-code-v1.json
following the spec alone (../shared/spec/voucher-code-v1.md, restated in
schema/voucher-code.md), independently of the Rust codec that made and reads the vectors.

For each case it checks:
- a MALFORMED case fails here with the same cause (PREFIX, ALPHABET, BASE45, LENGTH, VERSION,
  FLAGS, SCOPE_BITS, DATES, in the spec's order);
- every other case decodes, and the fields read at the spec's offsets equal the case's
  `decoded` (kid, serial, value_cents, issued_on and valid_until as calendar days, provider,
  scope, zone);
- a case whose verdict comes after the date checks (NOT_YET_VALID, EXPIRED, and those that
  passed them) agrees with issued_on <= today <= valid_until + the bundle's grace days.

The signature is not checked here (strict Ed25519 is the Rust tests' job). Exit 0 when every
case agrees, 1 otherwise. Run by `make test`.
"""
import base64
import datetime
import json
import os
import sys

VECTORS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "voucher-code-v1.json")

BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
# Leading and trailing ASCII whitespace the reader ignores: space, Tab, LF, VT, FF, CR.
WHITESPACE = b" \t\n\x0b\x0c\r"
EPOCH = datetime.date(2020, 1, 1)
AFTER_DATES = {"NOT_YET_VALID", "EXPIRED"}
PASSED_DATES = {"OK", "REVOKED", "OUT_OF_SCOPE", "ALREADY_REDEEMED"}


class Malformed(Exception):
    """The text is not a PN1 code; args[0] is the cause."""


def base45_decode(text):
    """RFC 9285: 3 characters give 2 bytes (c + 45 d + 2025 e, at most 65535), a last pair
    gives 1 byte (c + 45 d, at most 255); a length of 1 mod 3 is an error."""
    if len(text) % 3 == 1:
        raise Malformed("BASE45")
    values = [BASE45.index(ch) for ch in text]
    out = bytearray()
    for i in range(0, len(values) - 2, 3):
        n = values[i] + 45 * values[i + 1] + 2025 * values[i + 2]
        if n > 0xFFFF:
            raise Malformed("BASE45")
        out += n.to_bytes(2, "big")
    if len(values) % 3 == 2:
        n = values[-2] + 45 * values[-1]
        if n > 0xFF:
            raise Malformed("BASE45")
        out.append(n)
    return bytes(out)


def decode(raw):
    """The spec's decoding of `raw` (bytes): the payload's fields, or Malformed(cause)."""
    start, end = 0, len(raw)
    while start < end and raw[start] in WHITESPACE:
        start += 1
    while end > start and raw[end - 1] in WHITESPACE:
        end -= 1
    text = raw[start:end]
    if not text.startswith(b"PN1:"):
        raise Malformed("PREFIX")
    body = text[4:]
    if any(b >= 0x80 or chr(b) not in BASE45 for b in body):
        raise Malformed("ALPHABET")
    data = base45_decode(body.decode("ascii"))
    if len(data) != 100:
        raise Malformed("LENGTH")
    payload = data[:36]

    def u(offset, size):
        return int.from_bytes(payload[offset:offset + size], "big")

    if u(0, 1) != 1:
        raise Malformed("VERSION")
    if u(35, 1) != 0:
        raise Malformed("FLAGS")
    scope = u(29, 2)
    if scope >> 9:
        raise Malformed("SCOPE_BITS")
    issued_on, valid_until = u(21, 2), u(23, 2)
    if valid_until < issued_on:
        raise Malformed("DATES")
    return {
        "kid": payload[1:9].hex(),
        "serial": u(9, 8),
        "value_cents": u(17, 4),
        "issued_on": issued_on,
        "valid_until": valid_until,
        "provider": u(25, 4),
        "scope": scope,
        "zone": u(31, 4),
    }


def day(number):
    """A day number (days since 2020-01-01) as YYYY-MM-DD."""
    return (EPOCH + datetime.timedelta(days=number)).isoformat()


def day_number(text):
    return (datetime.date.fromisoformat(text) - EPOCH).days


def grace_days(bundle):
    """The bundle's grace days (31 when the rule is absent), read from its payload."""
    document = json.loads(base64.b64decode(bundle["payload"], validate=True))
    return document.get("rules", {}).get("grace_days", 31)


def check(case, bundles):
    """The problems with one case: an empty list when it agrees."""
    raw = (bytes.fromhex(case["input_hex"]) if "input_hex" in case
           else case["input"].encode("utf-8"))
    expected = case["expected"]
    try:
        fields = decode(raw)
    except Malformed as malformed:
        cause = malformed.args[0]
        if expected["verdict"] == "MALFORMED" and expected["cause"] == cause:
            return []
        return [f"decodes as MALFORMED {cause}, expected {expected['verdict']} "
                f"{expected['cause'] or ''}".rstrip()]
    if expected["verdict"] == "MALFORMED":
        return [f"decodes, expected MALFORMED {expected['cause']}"]
    shown = dict(fields, issued_on=day(fields["issued_on"]),
                 valid_until=day(fields["valid_until"]))
    problems = [f"{name}: read {shown[name]!r}, expected {value!r}"
                for name, value in sorted(expected["decoded"].items())
                if shown.get(name) != value]
    if set(expected["decoded"]) != set(shown):
        problems.append(f"fields {sorted(expected['decoded'])}, read {sorted(shown)}")
    today = day_number(case["today"])
    grace = grace_days(bundles[case["bundle"]])
    if today < fields["issued_on"]:
        dates = "NOT_YET_VALID"
    elif today > fields["valid_until"] + grace:
        dates = "EXPIRED"
    else:
        dates = None
    verdict = expected["verdict"]
    if verdict in AFTER_DATES and dates != verdict:
        problems.append(f"dates give {dates}, expected {verdict}")
    if verdict in PASSED_DATES and dates is not None:
        problems.append(f"dates give {dates}, expected {verdict}")
    return problems


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else VECTORS
    with open(path, encoding="utf-8") as f:
        vectors = json.load(f)
    cases = vectors["cases"]
    failed = 0
    for case in cases:
        for problem in check(case, vectors["bundles"]):
            print(f"{case['name']}: {problem}")
            failed += 1
    if not cases:
        print("no cases")
        return 1
    print(f"voucher code vectors: {len(cases)} cases, {failed} problems")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
