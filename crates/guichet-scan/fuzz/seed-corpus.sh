#!/bin/sh
# Seeds the fuzz corpora from the fixtures: a few voucher photos (shrunk, so each execution
# stays fast) and QR-bearing PNGs for image_decode. Run from the repository root.
set -eu
here=crates/guichet-scan/fuzz
mkdir -p "$here/corpus/image_decode" "$here/corpus/wedge_keys"
for f in fixtures/scan/vouchers/000-perspective.jpg fixtures/scan/vouchers/071-phone-screen.jpg; do
  convert "$f" -resize 320x180 -quality 60 "$here/corpus/image_decode/$(basename "$f")"
  convert "$f" -resize 320x180 -colorspace gray "$here/corpus/image_decode/$(basename "$f" .jpg).png"
done
printf '\x80\x01\x02\x8f\x01\x02\x02\x00\x02\x06\x05\x01' > "$here/corpus/wedge_keys/pn1-burst"
