#!/usr/bin/python3
"""Checks real answers of the platform against the OpenAPI description of the sync API.

Usage: check_openapi_answers.py ANSWERS.json
ANSWERS.json is a list of {"schema": NAME, "body": ANSWER}: each ANSWER (a response body the
server really sent, collected by crates/guichet-platform/tests/openapi.rs) must validate
against components.schemas.NAME of sync-api.openapi.yaml (OpenAPI 3.1 schemas are JSON Schema
2020-12). Exit status 0 when all do, 1 (with each failure printed) otherwise. Uses Debian's
python3-yaml and python3-jsonschema.
"""
import json
import pathlib
import sys

import jsonschema
import yaml

SPEC = pathlib.Path(__file__).resolve().parent / "sync-api.openapi.yaml"


def main(path):
    spec = yaml.safe_load(SPEC.read_text())
    failures = 0
    answers = json.loads(pathlib.Path(path).read_text())
    for answer in answers:
        name = answer["schema"]
        if name not in spec["components"]["schemas"]:
            print(f"{name}: no such schema in {SPEC.name}")
            failures += 1
            continue
        # The whole document is the schema's root, so "#/components/schemas/…" references
        # resolve; the keywords of OpenAPI itself are unknown to JSON Schema and ignored.
        schema = dict(spec, **{"$ref": f"#/components/schemas/{name}"})
        validator = jsonschema.Draft202012Validator(schema)
        for error in validator.iter_errors(answer["body"]):
            print(f"{name}: {error.json_path}: {error.message}")
            failures += 1
    print(f"{len(answers)} answers, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
