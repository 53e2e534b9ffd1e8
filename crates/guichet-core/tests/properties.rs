//! Property tests: encode/decode round trips, and no input makes the core panic.

mod common;

use guichet_core::code::{self, Coupon};
use guichet_core::{base45, verify_offline, Area, Context, Kid, Scope, TrustBundle};
use jiff::civil::date;
use proptest::prelude::*;

fn coupons() -> impl Strategy<Value = Coupon> {
    (
        any::<u64>(),
        any::<u32>(),
        any::<u16>(),
        any::<u16>(),
        any::<u32>(),
        0u16..0x200,
        any::<u32>(),
    )
        .prop_map(
            |(serial, value_cents, a, b, provider, scope, zone)| Coupon {
                kid: Kid::of_public_key(
                    common::test_signing_key("test-only-issuer-active")
                        .verifying_key()
                        .as_bytes(),
                ),
                serial,
                value_cents,
                issued_on: a.min(b),
                valid_until: a.max(b),
                provider,
                scope: Scope(scope),
                zone,
            },
        )
}

/// Texts that get past the prefix check: `PN1:` and base45 characters, sometimes another byte.
fn near_codes() -> impl Strategy<Value = Vec<u8>> {
    let alphabet = proptest::sample::select(base45::ALPHABET.to_vec());
    (
        proptest::collection::vec(alphabet, 0..200),
        any::<Option<(usize, u8)>>(),
    )
        .prop_map(|(mut body, stray)| {
            if let Some((at, byte)) = stray {
                if !body.is_empty() {
                    let at = at % body.len();
                    body[at] = byte;
                }
            }
            [b"PN1:".as_slice(), &body].concat()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn encode_then_decode_gives_the_coupon_back(coupon in coupons()) {
        let key = common::test_signing_key("test-only-issuer-active");
        let text = code::encode(&coupon, &key);
        prop_assert_eq!(text.len(), 154);
        let decoded = code::decode(text.as_bytes()).unwrap();
        prop_assert_eq!(decoded.coupon, coupon);
        prop_assert_eq!(code::decode(format!(" {text}\r\n").as_bytes()).unwrap().coupon, coupon);
    }

    #[test]
    fn a_signed_coupon_is_never_refused_for_its_signature(coupon in coupons(), area in 0usize..9) {
        let bundle = common::test_bundle("seq1");
        let text = code::encode(&coupon, &common::test_signing_key("test-only-issuer-active"));
        let context = Context { bundle: &bundle, today: date(2026, 11, 23), area: Some(Area::ALL[area]), center_zone: 33 };
        let verdict = verify_offline(text.as_bytes(), &context);
        prop_assert!(!matches!(verdict.code(), "MALFORMED" | "UNKNOWN_ISSUER" | "BAD_SIGNATURE"), "{:?}", verdict);
    }

    #[test]
    fn base45_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        prop_assert_eq!(base45::decode(base45::encode(&bytes).as_bytes()).unwrap(), bytes);
    }

    #[test]
    fn any_bytes_give_a_verdict(input in proptest::collection::vec(any::<u8>(), 0..400)) {
        let bundle = common::test_bundle("seq1");
        let context = Context { bundle: &bundle, today: date(2026, 11, 23), area: None, center_zone: 0 };
        let verdict = verify_offline(&input, &context);
        prop_assert_eq!(verdict.code(), "MALFORMED");
    }

    #[test]
    fn any_near_code_gives_a_verdict(input in near_codes()) {
        let bundle = common::test_bundle("seq1");
        let context = Context { bundle: &bundle, today: date(2026, 11, 23), area: Some(Area::A2_2), center_zone: 33 };
        let verdict = verify_offline(&input, &context);
        prop_assert_ne!(verdict.code(), "OK");
    }

    #[test]
    fn any_bytes_as_a_bundle_give_an_error(input in proptest::collection::vec(any::<u8>(), 0..600)) {
        prop_assert!(TrustBundle::open(&input, &[common::test_root()]).is_err());
    }
}
