//! Any bytes, as scanned text, through decode and verification: a verdict, never a panic.
#![no_main]

#[path = "fixtures.rs"]
mod fixtures;

use std::sync::OnceLock;

use guichet_core::{verify_offline, Area, Context, TrustBundle};
use libfuzzer_sys::fuzz_target;

static BUNDLE: OnceLock<TrustBundle> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let bundle = BUNDLE.get_or_init(fixtures::bundle);
    let context = Context {
        bundle,
        today: jiff::civil::date(2026, 11, 23),
        area: Some(Area::A2_2),
        center_zone: 33,
    };
    let verdict = verify_offline(data, &context);
    let _ = guichet_core::message::Report::new(&verdict, bundle);
});
