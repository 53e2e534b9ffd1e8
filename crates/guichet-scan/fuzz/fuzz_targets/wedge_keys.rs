//! Any sequence of key events into the keyboard-wedge decoder: no panic, and every scan it
//! returns is within the configured length.
#![no_main]

use guichet_scan::wedge::{KeyEvent, WedgeConfig, WedgeDecoder};
use libfuzzer_sys::fuzz_target;

/// Codes and keys the bytes pick from (real ones and odd ones).
const CODES: [&str; 16] = [
    "KeyA",
    "KeyQ",
    "Digit1",
    "Semicolon",
    "Period",
    "Space",
    "Enter",
    "Tab",
    "ShiftLeft",
    "Backspace",
    "",
    "Numpad5",
    "BracketRight",
    "IntlBackslash",
    "KeyZ",
    "Unidentified",
];
const KEYS: [&str; 8] = ["a", "Q", "&", "Dead", "Shift", "Enter", "", "é"];

fuzz_target!(|data: &[u8]| {
    let config = WedgeConfig {
        max_length: 64,
        ..WedgeConfig::default()
    };
    let mut decoder = WedgeDecoder::new(config);
    let mut timestamp = 0.0f64;
    for chunk in data.chunks(3) {
        let [code, key, timing] = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        // Mostly small steps, sometimes a jump back or a NaN.
        timestamp = match timing {
            255 => f64::NAN,
            254 => timestamp - 1000.0,
            t => timestamp + f64::from(t & 0x3f),
        };
        let event = KeyEvent {
            code: CODES[usize::from(code) % CODES.len()].to_string(),
            key: KEYS[usize::from(key) % KEYS.len()].to_string(),
            shift: code & 0x80 != 0,
            caps_lock: key & 0x80 != 0,
            timestamp_ms: timestamp,
        };
        if let Some(scan) = decoder.push(&event) {
            assert!(scan.text.chars().count() <= 64);
        }
    }
});
