//! `schema/test-vectors/voucher-code-v1.json`: PN1 codes and the verdict each must get.
//!
//! Each case states its expected verdict by hand, from the spec; the decoded fields come from
//! the coupon the case was built from, never from the decoder under test.

use guichet_core::code::{self, Coupon, PAYLOAD_LEN, SIGNATURE_LEN};
use guichet_core::{day, Area, Scope};
use jiff::civil::{date, Date};
use serde_json::{json, Value};

use crate::keys::TestKey;
use crate::world::{self, World, CENTER_ZONE, OTHER_ZONE, REVOKED_BOOKLET, REVOKED_IN_SEQ2};

/// One test case.
struct Case {
    name: &'static str,
    description: &'static str,
    input: Vec<u8>,
    bundle: &'static str,
    today: Date,
    area: Option<Area>,
    center_zone: u32,
    ledger: Vec<Value>,
    verdict: &'static str,
    cause: Option<&'static str>,
    decoded: Option<Coupon>,
}

impl Case {
    fn new(name: &'static str, description: &'static str, input: impl Into<Vec<u8>>) -> Case {
        Case {
            name,
            description,
            input: input.into(),
            bundle: "seq1",
            today: world::TODAY,
            area: Some(Area::A2_2),
            center_zone: CENTER_ZONE,
            ledger: Vec::new(),
            verdict: "OK",
            cause: None,
            decoded: None,
        }
    }

    fn expect(mut self, verdict: &'static str, decoded: Coupon) -> Case {
        self.verdict = verdict;
        self.decoded = Some(decoded);
        self
    }

    fn malformed(mut self, cause: &'static str) -> Case {
        self.verdict = "MALFORMED";
        self.cause = Some(cause);
        self
    }

    fn today(mut self, today: Date) -> Case {
        self.today = today;
        self
    }

    fn area(mut self, area: Option<Area>) -> Case {
        self.area = area;
        self
    }

    fn center_zone(mut self, zone: u32) -> Case {
        self.center_zone = zone;
        self
    }

    fn bundle(mut self, bundle: &'static str) -> Case {
        self.bundle = bundle;
        self
    }

    fn ledger(mut self, coupon: &Coupon) -> Case {
        self.ledger.push(json!({
            "kid": coupon.kid.to_hex(),
            "serial": coupon.serial,
            "redeemed_at": "2026-11-20T14:05:00",
            "center": "Médiathèque de Bègles",
            "mediator": "Camille",
        }));
        self
    }

    fn to_json(&self) -> Value {
        let mut case = json!({ "name": self.name, "description": self.description });
        match std::str::from_utf8(&self.input) {
            Ok(text) => case["input"] = json!(text),
            Err(_) => case["input_hex"] = json!(hex::encode(&self.input)),
        }
        case["bundle"] = json!(self.bundle);
        case["today"] = json!(self.today.to_string());
        case["area"] = json!(self.area.map(Area::code));
        case["center_zone"] = json!(self.center_zone);
        case["ledger"] = json!(self.ledger);
        case["expected"] = json!({
            "verdict": self.verdict,
            "cause": self.cause,
            "decoded": self.decoded.map(|c| decoded_json(&c)),
        });
        case
    }
}

fn decoded_json(coupon: &Coupon) -> Value {
    json!({
        "kid": coupon.kid.to_hex(),
        "serial": coupon.serial,
        "value_cents": coupon.value_cents,
        "issued_on": day::date_of(coupon.issued_on).to_string(),
        "valid_until": day::date_of(coupon.valid_until).to_string(),
        "provider": coupon.provider,
        "scope": coupon.scope.0,
        "zone": coupon.zone,
    })
}

/// The code text for a raw payload signed (validly) by `issuer`.
fn signed_raw(payload: &[u8; PAYLOAD_LEN], issuer: &TestKey) -> String {
    let signature = code::sign_payload(payload, &issuer.signing);
    code::text_of(&[&payload[..], &signature[..]].concat())
}

fn with_signature(payload: &[u8; PAYLOAD_LEN], signature: &[u8; SIGNATURE_LEN]) -> String {
    code::text_of(&[&payload[..], &signature[..]].concat())
}

/// The order of the Ed25519 group, little-endian.
const GROUP_ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// The same signature with S replaced by S + L: equal modulo L, but not reduced.
fn unreduced_s(signature: &[u8; SIGNATURE_LEN]) -> [u8; SIGNATURE_LEN] {
    let mut out = *signature;
    let mut carry = 0u16;
    for (i, l) in GROUP_ORDER.iter().enumerate() {
        let sum = u16::from(signature[32 + i]) + u16::from(*l) + carry;
        out[32 + i] = sum as u8;
        carry = sum >> 8;
    }
    out
}

fn cases(w: &World) -> Vec<Case> {
    let active = &w.active;
    let base = w.coupon(1_000_001);
    let code = |coupon: &Coupon| w.code(active, coupon);
    let valid = code(&base);
    let payload = base.to_payload();
    let signature = code::sign_payload(&payload, &active.signing);
    let patched = |at: usize, bytes: &[u8]| {
        let mut p = payload;
        p[at..at + bytes.len()].copy_from_slice(bytes);
        p
    };
    let scoped = Coupon {
        scope: Scope::of(&[Area::A2_2, Area::A3_1]),
        ..w.coupon(1_000_003)
    };
    let zoned = Coupon {
        zone: CENTER_ZONE,
        ..w.coupon(1_000_004)
    };
    let other_zone = Coupon {
        zone: OTHER_ZONE,
        ..w.coupon(1_000_005)
    };
    let retired = w.coupon_of(&w.retired, 2_000_001);
    let compromised = w.coupon_of(&w.compromised, 3_000_001);
    let unlisted = w.coupon_of(&w.unlisted, 4_000_001);
    let unknown_provider = Coupon {
        provider: 99,
        ..w.coupon(1_000_006)
    };
    let five_euros = Coupon {
        value_cents: 500,
        ..w.coupon(1_000_007)
    };
    let revoked = w.coupon(world::REVOKED_SERIAL);
    let booklet_first = w.coupon(REVOKED_BOOKLET.first);
    let booklet_middle = w.coupon(REVOKED_BOOKLET.first + 4);
    let booklet_last = w.coupon(REVOKED_BOOKLET.last);
    let before_booklet = w.coupon(REVOKED_BOOKLET.first - 1);
    let after_booklet = w.coupon(REVOKED_BOOKLET.last + 1);
    let seq2_booklet = w.coupon(REVOKED_IN_SEQ2.first + 2);
    let revoked_scoped = Coupon {
        scope: Scope::of(&[Area::A1_1]),
        ..w.coupon(world::REVOKED_SERIAL)
    };
    let narrow = Coupon {
        scope: Scope::of(&[Area::A1_1, Area::A1_2]),
        ..w.coupon(1_000_008)
    };
    let narrow_other_zone = Coupon {
        zone: OTHER_ZONE,
        ..narrow
    };
    let issued_today = Coupon {
        issued_on: day::to_day(world::TODAY).expect("PN1 day"),
        ..w.coupon(1_000_009)
    };
    let max_fields = Coupon {
        serial: u64::MAX,
        value_cents: u32::MAX,
        issued_on: 0,
        valid_until: u16::MAX,
        provider: u32::MAX,
        scope: Scope(0x1ff),
        zone: 0,
        ..w.coupon(0)
    };
    let grace_last = date(2027, 1, 31);
    let trimmed = valid.as_bytes();
    let mut altered_serial = payload;
    altered_serial[16] ^= 1;
    let mut flipped = signature;
    flipped[5] ^= 0x40;
    let forged = code::sign_payload(&payload, &w.unlisted.signing);
    let scope_bit9 = patched(29, &[0x02, 0x00]);
    let scope_bit15 = patched(29, &[0x80, 0x00]);
    let reversed_dates = {
        let mut c = base;
        c.valid_until = c.issued_on - 1;
        c.to_payload()
    };
    let drop_last = |n: usize| valid[..valid.len() - n].to_owned();
    let replace_tail = |tail: &str| format!("{}{tail}", &valid[..valid.len() - tail.len()]);
    vec![
        Case::new(
            "ok-basic",
            "a valid €10 coupon, any area, any zone",
            valid.clone(),
        )
        .expect("OK", base),
        Case::new(
            "ok-no-workshop-area",
            "no workshop chosen yet: the area check is skipped",
            valid.clone(),
        )
        .area(None)
        .expect("OK", base),
        Case::new(
            "ok-scope-includes-area",
            "scope 2.2 + 3.1, workshop 2.2",
            code(&scoped),
        )
        .expect("OK", scoped),
        Case::new(
            "ok-scope-without-area-given",
            "restricted scope, no workshop area given",
            code(&narrow),
        )
        .area(None)
        .expect("OK", narrow),
        Case::new(
            "ok-zone-matches",
            "coupon zone 33 at a center of zone 33",
            code(&zoned),
        )
        .expect("OK", zoned),
        Case::new(
            "ok-center-zone-unknown",
            "coupon zone 75, center zone 0 (unknown): zone check skipped",
            code(&other_zone),
        )
        .center_zone(0)
        .expect("OK", other_zone),
        Case::new(
            "ok-retired-issuer",
            "a retired key's coupons stay valid",
            w.code(&w.retired, &retired),
        )
        .expect("OK", retired),
        Case::new(
            "ok-unknown-provider",
            "a provider missing from the bundle changes no verdict",
            code(&unknown_provider),
        )
        .expect("OK", unknown_provider),
        Case::new("ok-five-euros", "face value 500 cents", code(&five_euros))
            .expect("OK", five_euros),
        Case::new(
            "ok-issue-day",
            "today is the issue day",
            code(&issued_today),
        )
        .expect("OK", issued_today),
        Case::new("ok-last-valid-day", "today is valid_until", valid.clone())
            .today(world::VALID_UNTIL)
            .expect("OK", base),
        Case::new(
            "ok-last-grace-day",
            "today is valid_until + 31 grace days",
            valid.clone(),
        )
        .today(grace_last)
        .expect("OK", base),
        Case::new(
            "ok-surrounding-whitespace",
            "leading and trailing space, Tab, CR, LF, VT, FF are ignored",
            format!(" \t\x0b\x0c{valid}\r\n"),
        )
        .expect("OK", base),
        Case::new(
            "ok-next-to-revoked-booklet-before",
            "the serial just before a revoked range",
            code(&before_booklet),
        )
        .expect("OK", before_booklet),
        Case::new(
            "ok-next-to-revoked-booklet-after",
            "the serial just after a revoked range",
            code(&after_booklet),
        )
        .expect("OK", after_booklet),
        Case::new(
            "ok-ledger-holds-another-serial",
            "the ledger holds a different coupon",
            valid.clone(),
        )
        .ledger(&w.coupon(1_000_002))
        .expect("OK", base),
        Case::new(
            "ok-extreme-field-values",
            "every field at its limit (scope 0x1ff, serial 2^64-1)",
            code(&max_fields),
        )
        .area(Some(Area::A3_5))
        .expect("OK", max_fields),
        Case::new(
            "ok-seq1-booklet-revoked-only-in-seq2",
            "a booklet revoked in sequence 2, checked against sequence 1",
            code(&seq2_booklet),
        )
        .expect("OK", seq2_booklet),
        Case::new("malformed-prefix-empty", "empty input", "").malformed("PREFIX"),
        Case::new(
            "malformed-prefix-whitespace-only",
            "only whitespace",
            " \r\n\t",
        )
        .malformed("PREFIX"),
        Case::new(
            "malformed-prefix-lower-case",
            "pn1: in lower case",
            valid.replacen("PN1:", "pn1:", 1),
        )
        .malformed("PREFIX"),
        Case::new(
            "malformed-prefix-other-scheme",
            "a different prefix",
            valid.replacen("PN1:", "PN2:", 1),
        )
        .malformed("PREFIX"),
        Case::new(
            "malformed-prefix-no-colon",
            "PN1 without its colon",
            valid.replacen("PN1:", "PN1", 1),
        )
        .malformed("PREFIX"),
        Case::new(
            "malformed-prefix-url",
            "some other QR code",
            "https://example.org/",
        )
        .malformed("PREFIX"),
        Case::new(
            "malformed-alphabet-lower-case",
            "a lower-case letter in the body",
            replace_tail("a"),
        )
        .malformed("ALPHABET"),
        Case::new(
            "malformed-alphabet-non-ascii",
            "a non-ASCII character in the body",
            format!("{}É", drop_last(2)),
        )
        .malformed("ALPHABET"),
        Case::new(
            "malformed-alphabet-not-utf8",
            "a byte that is not UTF-8",
            [trimmed, b"\xff"].concat(),
        )
        .malformed("ALPHABET"),
        Case::new(
            "malformed-alphabet-inner-tab",
            "a Tab inside the body is not ignored",
            format!("{}\t{}", &valid[..50], &valid[50..]),
        )
        .malformed("ALPHABET"),
        Case::new(
            "malformed-alphabet-nul",
            "a NUL byte",
            [&trimmed[..30], b"\0", &trimmed[30..]].concat(),
        )
        .malformed("ALPHABET"),
        Case::new(
            "malformed-alphabet-before-base45",
            "a bad character and a bad length: ALPHABET wins",
            format!("{}a", drop_last(3)),
        )
        .malformed("ALPHABET"),
        Case::new(
            "malformed-base45-length",
            "148 body characters (≡ 1 mod 3)",
            drop_last(2),
        )
        .malformed("BASE45"),
        Case::new(
            "malformed-base45-triplet-overflow",
            "a last triplet above 65535 (GGW)",
            replace_tail("GGW"),
        )
        .malformed("BASE45"),
        Case::new(
            "malformed-base45-pair-overflow",
            "a final pair above 255 (:6)",
            format!("{valid}:6"),
        )
        .malformed("BASE45"),
        Case::new(
            "malformed-length-empty-body",
            "PN1: and nothing else",
            "PN1:",
        )
        .malformed("LENGTH"),
        Case::new(
            "malformed-length-99-bytes",
            "one byte short",
            code::text_of(&[&payload[..], &signature[..63]].concat()),
        )
        .malformed("LENGTH"),
        Case::new(
            "malformed-length-101-bytes",
            "one byte too many",
            code::text_of(&[&payload[..], &signature[..], &[0]].concat()),
        )
        .malformed("LENGTH"),
        Case::new(
            "malformed-length-payload-only",
            "36 bytes, no signature",
            code::text_of(&payload),
        )
        .malformed("LENGTH"),
        Case::new(
            "malformed-version-0",
            "version 0, validly signed",
            signed_raw(&patched(0, &[0]), active),
        )
        .malformed("VERSION"),
        Case::new(
            "malformed-version-2-and-flags",
            "version 2 and flags 1: VERSION wins",
            signed_raw(&patched(0, &[2]).map_last(1), active),
        )
        .malformed("VERSION"),
        Case::new(
            "malformed-flags",
            "flags 1, validly signed",
            signed_raw(&payload.map_last(1), active),
        )
        .malformed("FLAGS"),
        Case::new(
            "malformed-flags-and-scope-bits",
            "flags 0x80 and scope bit 9: FLAGS wins",
            signed_raw(&scope_bit9.map_last(0x80), active),
        )
        .malformed("FLAGS"),
        Case::new(
            "malformed-scope-bit-9",
            "scope bit 9 set",
            signed_raw(&scope_bit9, active),
        )
        .malformed("SCOPE_BITS"),
        Case::new(
            "malformed-scope-bit-15",
            "scope bit 15 set",
            signed_raw(&scope_bit15, active),
        )
        .malformed("SCOPE_BITS"),
        Case::new(
            "malformed-dates",
            "valid_until one day before issued_on",
            signed_raw(&reversed_dates, active),
        )
        .malformed("DATES"),
        Case::new(
            "unknown-issuer",
            "signed by a key no bundle lists",
            w.code(&w.unlisted, &unlisted),
        )
        .expect("UNKNOWN_ISSUER", unlisted),
        Case::new(
            "unknown-issuer-before-expiry",
            "unlisted and long expired: UNKNOWN_ISSUER wins",
            w.code(&w.unlisted, &unlisted),
        )
        .today(date(2028, 6, 1))
        .expect("UNKNOWN_ISSUER", unlisted),
        Case::new(
            "bad-signature-bit-flipped",
            "one signature bit flipped",
            with_signature(&payload, &flipped),
        )
        .expect("BAD_SIGNATURE", base),
        Case::new(
            "bad-signature-serial-altered",
            "the serial changed after signing",
            with_signature(&altered_serial, &signature),
        )
        .expect(
            "BAD_SIGNATURE",
            Coupon {
                serial: base.serial ^ 1,
                ..base
            },
        ),
        Case::new(
            "bad-signature-forged",
            "the active key's kid, signed by another key",
            with_signature(&payload, &forged),
        )
        .expect("BAD_SIGNATURE", base),
        Case::new(
            "bad-signature-s-not-reduced",
            "S replaced by S + L (strict verification refuses it)",
            with_signature(&payload, &unreduced_s(&signature)),
        )
        .expect("BAD_SIGNATURE", base),
        Case::new(
            "bad-signature-zero",
            "an all-zero signature (small-order R)",
            with_signature(&payload, &[0; SIGNATURE_LEN]),
        )
        .expect("BAD_SIGNATURE", base),
        Case::new(
            "issuer-revoked",
            "signed by a compromised key",
            w.code(&w.compromised, &compromised),
        )
        .expect("ISSUER_REVOKED", compromised),
        Case::new(
            "issuer-revoked-before-expiry",
            "compromised and expired: ISSUER_REVOKED wins",
            w.code(&w.compromised, &compromised),
        )
        .today(date(2028, 6, 1))
        .expect("ISSUER_REVOKED", compromised),
        Case::new(
            "issuer-revoked-in-seq2",
            "the key retired in sequence 1 is compromised in sequence 2",
            w.code(&w.retired, &retired),
        )
        .bundle("seq2")
        .expect("ISSUER_REVOKED", retired),
        Case::new(
            "not-yet-valid",
            "today is the day before the issue day",
            valid.clone(),
        )
        .today(date(2026, 3, 1))
        .expect("NOT_YET_VALID", base),
        Case::new("expired", "the day after the grace period", valid.clone())
            .today(date(2027, 2, 1))
            .expect("EXPIRED", base),
        Case::new(
            "expired-before-revoked",
            "expired and revoked: EXPIRED wins",
            code(&revoked),
        )
        .today(date(2027, 6, 1))
        .expect("EXPIRED", revoked),
        Case::new(
            "revoked-serial",
            "a serial revoked one by one",
            code(&revoked),
        )
        .expect("REVOKED", revoked),
        Case::new(
            "revoked-booklet-first",
            "the first serial of a revoked booklet",
            code(&booklet_first),
        )
        .expect("REVOKED", booklet_first),
        Case::new(
            "revoked-booklet-middle",
            "inside a revoked booklet",
            code(&booklet_middle),
        )
        .expect("REVOKED", booklet_middle),
        Case::new(
            "revoked-booklet-last",
            "the last serial of a revoked booklet",
            code(&booklet_last),
        )
        .expect("REVOKED", booklet_last),
        Case::new(
            "revoked-in-seq2",
            "a booklet revoked in sequence 2",
            code(&seq2_booklet),
        )
        .bundle("seq2")
        .expect("REVOKED", seq2_booklet),
        Case::new(
            "revoked-before-out-of-scope",
            "revoked and out of scope: REVOKED wins",
            code(&revoked_scoped),
        )
        .expect("REVOKED", revoked_scoped),
        Case::new(
            "out-of-scope-area",
            "scope 1.1 + 1.2, workshop 2.2",
            code(&narrow),
        )
        .expect("OUT_OF_SCOPE", narrow),
        Case::new(
            "out-of-scope-zone",
            "coupon zone 75 at a center of zone 33",
            code(&other_zone),
        )
        .expect("OUT_OF_SCOPE", other_zone),
        Case::new(
            "out-of-scope-zone-no-area",
            "wrong zone, no workshop area given",
            code(&narrow_other_zone),
        )
        .area(None)
        .expect("OUT_OF_SCOPE", narrow_other_zone),
        Case::new(
            "out-of-scope-before-already-redeemed",
            "out of scope and in the ledger: OUT_OF_SCOPE wins",
            code(&narrow),
        )
        .ledger(&narrow)
        .expect("OUT_OF_SCOPE", narrow),
        Case::new(
            "already-redeemed",
            "the ledger holds an active redemption",
            valid.clone(),
        )
        .ledger(&base)
        .expect("ALREADY_REDEEMED", base),
        Case::new(
            "already-redeemed-retired-issuer",
            "a retired key's coupon already used",
            w.code(&w.retired, &retired),
        )
        .ledger(&retired)
        .expect("ALREADY_REDEEMED", retired),
    ]
}

trait MapLast {
    fn map_last(self, flags: u8) -> Self;
}

impl MapLast for [u8; PAYLOAD_LEN] {
    /// The payload with its flags byte set.
    fn map_last(mut self, flags: u8) -> Self {
        self[PAYLOAD_LEN - 1] = flags;
        self
    }
}

/// The whole vectors document.
pub fn document(w: &World) -> Value {
    let bundles: serde_json::Map<String, Value> = w
        .bundle_files()
        .into_iter()
        .map(|(name, bytes)| {
            let short = name.trim_start_matches("test-only-bundle-").to_owned();
            let envelope: Value = serde_json::from_slice(&bytes).expect("bundles are JSON");
            (short, envelope)
        })
        .collect();
    json!({
        "description": "Test vectors for the PN1 voucher code (schema/voucher-code.md). Each case: the scanned input (text, or input_hex when it is not UTF-8), the bundle it is checked against (a key of `bundles`, signed by `pinned_root_public_key`), today (Europe/Paris calendar day), the workshop area (null = not chosen yet), the center zone (0 = unknown), the ledger's active redemptions, and the expected verdict, MALFORMED cause and decoded fields (null for MALFORMED). TEST ONLY keys: fixtures/keys/.",
        "generator": "cargo run -p guichet-testdata",
        "pinned_root_public_key": hex::encode(w.root.public().as_bytes()),
        "bundles": bundles,
        "cases": cases(w).iter().map(Case::to_json).collect::<Vec<_>>(),
    })
}
