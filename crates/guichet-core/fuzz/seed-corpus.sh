#!/usr/bin/env bash
# Seeds the fuzz corpora (gitignored) from the fixtures: the demo codes, every test-vector
# input, the fixture bundles and their decoded payloads. Run from anywhere.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
mkdir -p "$here"/corpus/{decode_verify,bundle_open,bundle_document}
i=0
while IFS= read -r code; do
  printf '%s' "$code" > "$here/corpus/decode_verify/demo-$((i++))"
done < "$repo/fixtures/coupons/test-only-demo-codes.txt"
python3 - "$repo" "$here/corpus" <<'PY'
import base64, json, sys
repo, corpus = sys.argv[1], sys.argv[2]
vectors = json.load(open(f"{repo}/schema/test-vectors/voucher-code-v1.json"))
for n, case in enumerate(vectors["cases"]):
    data = case["input"].encode() if "input" in case else bytes.fromhex(case["input_hex"])
    open(f"{corpus}/decode_verify/vector-{n}", "wb").write(data)
for name in ("seq1", "seq2"):
    raw = open(f"{repo}/fixtures/bundles/test-only-bundle-{name}.json", "rb").read()
    open(f"{corpus}/bundle_open/{name}", "wb").write(raw)
    payload = base64.b64decode(json.loads(raw)["payload"])
    open(f"{corpus}/bundle_document/{name}", "wb").write(payload)
PY
