//! Decode + verify of one scanned text: a valid code, and garbage.
//!
//! `cargo bench -p guichet-core --bench verify`; results in `docs/benchmarks.md`.

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use guichet_core::code::{self, Coupon};
use guichet_core::{verify_offline, Area, Context, Kid, Scope};
use jiff::civil::date;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let bundle = common::test_bundle("seq1");
    let issuer = common::test_signing_key("test-only-issuer-active");
    let coupon = Coupon {
        kid: Kid::of_public_key(issuer.verifying_key().as_bytes()),
        serial: 1_000_001,
        value_cents: 1000,
        issued_on: 2252,
        valid_until: 2556,
        provider: 1,
        scope: Scope::ANY,
        zone: 0,
    };
    let valid = code::encode(&coupon, &issuer);
    let garbage: Vec<u8> = (0..154u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let near_miss = valid.replace('A', "a");
    let context = Context {
        bundle: &bundle,
        today: date(2026, 11, 23),
        area: Some(Area::A2_2),
        center_zone: 33,
    };
    assert_eq!(verify_offline(valid.as_bytes(), &context).code(), "OK");
    let mut group = c.benchmark_group("decode_and_verify");
    group.bench_function("valid_code", |b| {
        b.iter(|| verify_offline(black_box(valid.as_bytes()), &context))
    });
    group.bench_function("garbage_154_bytes", |b| {
        b.iter(|| verify_offline(black_box(&garbage), &context))
    });
    group.bench_function("lower_case_body", |b| {
        b.iter(|| verify_offline(black_box(near_miss.as_bytes()), &context))
    });
    group.bench_function("decode_only_valid_code", |b| {
        b.iter(|| code::decode(black_box(valid.as_bytes())))
    });
    // The floor: the one Ed25519 strict verification a valid code needs, measured in the same run.
    let signed = code::decode(valid.as_bytes()).unwrap();
    let signature = ed25519_dalek::Signature::from_bytes(&signed.signature);
    let key = issuer.verifying_key();
    group.bench_function("reference_ed25519_verify_strict", |b| {
        b.iter(|| key.verify_strict(black_box(&signed.signed_message()), &signature))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
