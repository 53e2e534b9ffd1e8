#!/usr/bin/python3
"""Checks the JSON Schemas (trust bundle, statement) against the fixtures and the test vectors.

Every fixture bundle (envelope and decoded document) must validate; the bundle vectors whose
fault a schema can see must not. Every statement vector a verifier accepts must validate (file,
document, carried bundle); its malformed one must not. Run by `make test` with Debian's python3-jsonschema.
"""
import base64
import json
import pathlib
import sys

import jsonschema

SCHEMA = pathlib.Path(__file__).resolve().parent
REPO = SCHEMA.parent


def validator(name):
    schema = json.loads((SCHEMA / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


envelope = validator("trust-bundle-envelope.schema.json")
document = validator("trust-bundle-document.schema.json")


def errors_of(raw: bytes):
    try:
        env = json.loads(raw)
    except ValueError as error:
        return [f"not JSON: {error}"]
    errors = [e.message for e in envelope.iter_errors(env)]
    if errors:
        return errors
    try:
        doc = json.loads(base64.b64decode(env["payload"], validate=True))
    except ValueError as error:
        return [f"payload is not base64 JSON: {error}"]
    return [e.message for e in document.iter_errors(doc)]


failures = []
bundles = sorted((REPO / "fixtures" / "bundles").glob("*.json"))
for path in bundles:
    for error in errors_of(path.read_bytes()):
        failures.append(f"{path.relative_to(REPO)}: {error}")

# Faults a schema can see must be refused by it too.
SCHEMA_VISIBLE = {
    "refuse-empty-file", "refuse-not-json", "refuse-unknown-format",
    "refuse-extra-envelope-field", "refuse-payload-not-base64", "refuse-short-signature",
    "refuse-signed-non-json-payload", "refuse-missing-field", "refuse-unknown-key-status",
    "refuse-missing-area", "refuse-unknown-area", "refuse-zone-zero",
}
vectors = json.loads((SCHEMA / "test-vectors" / "trust-bundle-v1.json").read_text())
seen = set()
for case in vectors["cases"]:
    raw = case["offered"].encode() if "offered" in case else bytes.fromhex(case["offered_hex"])
    errors = errors_of(raw)
    if case["name"] in SCHEMA_VISIBLE:
        seen.add(case["name"])
        if not errors:
            failures.append(f"vector {case['name']}: the schemas accept it")
    elif case["expected"] in ("ACCEPTED", "NOT_NEWER", "WRONG_SIGNER") and errors:
        failures.append(f"vector {case['name']}: the schemas refuse it: {errors[0]}")
failures += [f"vector {name} is missing" for name in sorted(SCHEMA_VISIBLE - seen)]

statement_file = validator("statement.schema.json")
statement_document = validator("statement-document.schema.json")


def statement_errors(raw: bytes):
    try:
        file = json.loads(raw)
    except ValueError as error:
        return [f"not JSON: {error}"]
    errors = [e.message for e in statement_file.iter_errors(file)]
    if errors:
        return errors
    try:
        doc = json.loads(base64.b64decode(file["payload"], validate=True))
    except ValueError as error:
        return [f"payload is not base64 JSON: {error}"]
    return [e.message for e in statement_document.iter_errors(doc)] + errors_of(
        file["bundle"].encode()
    )


statements = json.loads((SCHEMA / "test-vectors" / "statement-v1.json").read_text())
accepted = 0
for case in statements["cases"]:
    errors = statement_errors(case["file"].encode())
    if case["expected"] == "ACCEPTED":
        accepted += 1
        failures += [f"statement vector {case['name']}: {error}" for error in errors]
    elif case["expected"] == "MALFORMED" and not errors:
        failures.append(f"statement vector {case['name']}: the schemas accept it")
if accepted == 0:
    failures.append("no accepted statement vector")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"json schemas: {len(bundles)} fixture bundles valid, {len(seen)} bad vectors refused, {accepted} statements valid")
