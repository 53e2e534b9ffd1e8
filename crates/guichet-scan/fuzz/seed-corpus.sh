#!/bin/sh
# Seeds the fuzz corpora from the fixtures: a few voucher photos (shrunk, so each execution
# stays fast) and QR-bearing PNGs for image_decode; crops of the photos as raw frames for
# binarize. Run from the repository root.
set -eu
here=crates/guichet-scan/fuzz
mkdir -p "$here/corpus/image_decode" "$here/corpus/wedge_keys" "$here/corpus/binarize"
for f in fixtures/scan/vouchers/000-perspective.jpg fixtures/scan/vouchers/071-phone-screen.jpg; do
  convert "$f" -resize 320x180 -quality 60 "$here/corpus/image_decode/$(basename "$f")"
  convert "$f" -resize 320x180 -colorspace gray "$here/corpus/image_decode/$(basename "$f" .jpg).png"
done
printf '\x80\x01\x02\x8f\x01\x02\x02\x00\x02\x06\x05\x01' > "$here/corpus/wedge_keys/pn1-burst"
# binarize: one byte for the width, then rows of gray pixels (widths around multiples of 8).
for w in 40 41 63 64 65 127 200 255; do
  h=$((38000 / w)); [ "$h" -gt 150 ] && h=150
  for f in fixtures/scan/vouchers/000-perspective.jpg fixtures/scan/vouchers/070-phone-screen.jpg \
      fixtures/scan/no-code/002-noise.jpg; do
    { printf "\\$(printf '%03o' "$w")"
      convert "$f" -colorspace gray -crop "${w}x${h}+400+250" +repage -depth 8 gray:-
    } > "$here/corpus/binarize/$w-$(basename "$f" .jpg)"
  done
done
