//! The keyboard-wedge decoder against the `keydown` events a browser reports for a scanner in
//! one layout typing on a host in another.
//!
//! The tables here are written independently of the decoder's: `scanner_press` is what a
//! scanner in a layout presses for each character of the QR alphanumeric set, `host_key` is the
//! `KeyboardEvent.key` a browser on a host layout reports for a physical key (per the UI Events
//! `code` values and each layout's chart). Real PN1 codes come from the TEST ONLY fixtures.

use guichet_scan::wedge::{alt_code_char, KeyEvent, Layout, WedgeConfig, WedgeDecoder, WedgeScan};

const SCANNER_GAP_MS: f64 = 4.0;

/// The physical key and Shift a scanner in `layout` presses to type `c`.
fn scanner_press(layout: Layout, c: char) -> (String, bool) {
    let letter = |l: char| format!("Key{l}");
    let (code, shift) = match (layout, c) {
        (Layout::Us, '0'..='9') => (format!("Digit{c}"), false),
        (Layout::Us, 'A'..='Z') => (letter(c), true),
        (Layout::Us, '$') => ("Digit4".into(), true),
        (Layout::Us, '%') => ("Digit5".into(), true),
        (Layout::Us, '*') => ("Digit8".into(), true),
        (Layout::Us, '+') => ("Equal".into(), true),
        (Layout::Us, '-') => ("Minus".into(), false),
        (Layout::Us, '.') => ("Period".into(), false),
        (Layout::Us, '/') => ("Slash".into(), false),
        (Layout::Us, ':') => ("Semicolon".into(), true),
        (Layout::FrAzerty, '0'..='9') => (format!("Digit{c}"), true),
        (Layout::FrAzerty, 'A') => ("KeyQ".into(), true),
        (Layout::FrAzerty, 'Q') => ("KeyA".into(), true),
        (Layout::FrAzerty, 'Z') => ("KeyW".into(), true),
        (Layout::FrAzerty, 'W') => ("KeyZ".into(), true),
        (Layout::FrAzerty, 'M') => ("Semicolon".into(), true),
        (Layout::FrAzerty, 'A'..='Z') => (letter(c), true),
        (Layout::FrAzerty, '$') => ("BracketRight".into(), false),
        (Layout::FrAzerty, '%') => ("Quote".into(), true),
        (Layout::FrAzerty, '*') => ("Backslash".into(), false),
        (Layout::FrAzerty, '+') => ("Equal".into(), true),
        (Layout::FrAzerty, '-') => ("Digit6".into(), false),
        (Layout::FrAzerty, '.') => ("Comma".into(), true),
        (Layout::FrAzerty, '/') => ("Period".into(), true),
        (Layout::FrAzerty, ':') => ("Period".into(), false),
        (Layout::DeQwertz, '0'..='9') => (format!("Digit{c}"), false),
        (Layout::DeQwertz, 'Y') => ("KeyZ".into(), true),
        (Layout::DeQwertz, 'Z') => ("KeyY".into(), true),
        (Layout::DeQwertz, 'A'..='Z') => (letter(c), true),
        (Layout::DeQwertz, '$') => ("Digit4".into(), true),
        (Layout::DeQwertz, '%') => ("Digit5".into(), true),
        (Layout::DeQwertz, '*') => ("BracketRight".into(), true),
        (Layout::DeQwertz, '+') => ("BracketRight".into(), false),
        (Layout::DeQwertz, '-') => ("Slash".into(), false),
        (Layout::DeQwertz, '.') => ("Period".into(), false),
        (Layout::DeQwertz, '/') => ("Digit7".into(), true),
        (Layout::DeQwertz, ':') => ("Period".into(), true),
        (_, ' ') => ("Space".into(), false),
        _ => panic!("{c:?} is not in the QR alphanumeric set"),
    };
    (code, shift)
}

/// `KeyboardEvent.key` on a host with `layout` (Windows/Linux behaviour: Caps Lock inverts
/// Shift on letter keys only; dead keys report `Dead`).
fn host_key(layout: Layout, code: &str, shift: bool, caps_lock: bool) -> String {
    let letter_key = |lower: char| {
        let upper = shift != caps_lock;
        if upper {
            lower.to_ascii_uppercase().to_string()
        } else {
            lower.to_string()
        }
    };
    if code == "Space" {
        return " ".into();
    }
    if let Some(d) = code.strip_prefix("Digit") {
        let d: usize = d.parse().unwrap();
        return match layout {
            Layout::Us => {
                let shifted = [")", "!", "@", "#", "$", "%", "^", "&", "*", "("][d];
                if shift {
                    shifted.to_string()
                } else {
                    d.to_string()
                }
            }
            Layout::FrAzerty => {
                let unshifted = ["à", "&", "é", "\"", "'", "(", "-", "è", "_", "ç"][d];
                if shift {
                    d.to_string()
                } else {
                    unshifted.to_string()
                }
            }
            Layout::DeQwertz => {
                let shifted = ["=", "!", "\"", "§", "$", "%", "&", "/", "(", ")"][d];
                if shift {
                    shifted.to_string()
                } else {
                    d.to_string()
                }
            }
        };
    }
    if let Some(l) = code.strip_prefix("Key") {
        let l = l.chars().next().unwrap().to_ascii_lowercase();
        return match (layout, l) {
            (Layout::FrAzerty, 'a') => letter_key('q'),
            (Layout::FrAzerty, 'q') => letter_key('a'),
            (Layout::FrAzerty, 'w') => letter_key('z'),
            (Layout::FrAzerty, 'z') => letter_key('w'),
            (Layout::FrAzerty, 'm') => if shift { "?" } else { "," }.into(),
            (Layout::DeQwertz, 'y') => letter_key('z'),
            (Layout::DeQwertz, 'z') => letter_key('y'),
            _ => letter_key(l),
        };
    }
    let (plain, shifted) = match (layout, code) {
        (Layout::Us, "Minus") => ("-", "_"),
        (Layout::Us, "Equal") => ("=", "+"),
        (Layout::Us, "BracketRight") => ("]", "}"),
        (Layout::Us, "Backslash") => ("\\", "|"),
        (Layout::Us, "Semicolon") => (";", ":"),
        (Layout::Us, "Quote") => ("'", "\""),
        (Layout::Us, "Comma") => (",", "<"),
        (Layout::Us, "Period") => (".", ">"),
        (Layout::Us, "Slash") => ("/", "?"),
        (Layout::FrAzerty, "Minus") => (")", "°"),
        (Layout::FrAzerty, "Equal") => ("=", "+"),
        (Layout::FrAzerty, "BracketRight") => ("$", "£"),
        (Layout::FrAzerty, "Backslash") => ("*", "µ"),
        (Layout::FrAzerty, "Semicolon") => return letter_key('m'),
        (Layout::FrAzerty, "Quote") => ("ù", "%"),
        (Layout::FrAzerty, "Comma") => (";", "."),
        (Layout::FrAzerty, "Period") => (":", "/"),
        (Layout::FrAzerty, "Slash") => ("!", "§"),
        (Layout::DeQwertz, "Minus") => ("ß", "?"),
        (Layout::DeQwertz, "Equal") => ("Dead", "Dead"),
        (Layout::DeQwertz, "BracketRight") => ("+", "*"),
        (Layout::DeQwertz, "Backslash") => ("#", "'"),
        (Layout::DeQwertz, "Semicolon") => ("ö", "Ö"),
        (Layout::DeQwertz, "Quote") => ("ä", "Ä"),
        (Layout::DeQwertz, "Comma") => (",", ";"),
        (Layout::DeQwertz, "Period") => (".", ":"),
        (Layout::DeQwertz, "Slash") => ("-", "_"),
        _ => panic!("no host key for {code} on {layout:?}"),
    };
    if shift { shifted } else { plain }.into()
}

/// How the scanner handles the host's Caps Lock.
#[derive(Clone, Copy, Debug)]
enum Caps {
    Off,
    /// On, and the scanner still sends Shift for upper case.
    OnIgnored,
    /// On, and the scanner drops Shift on letters to get upper case.
    OnCompensated,
}

/// The `keydown` events a browser on `host` reports while a scanner in `scanner` layout types
/// `text` then Enter, starting at `start_ms`.
fn scanner_events(
    scanner: Layout,
    host: Layout,
    caps: Caps,
    text: &str,
    start_ms: f64,
) -> Vec<KeyEvent> {
    let caps_lock = !matches!(caps, Caps::Off);
    let mut t = start_ms;
    let mut events = Vec::new();
    for c in text.chars() {
        let (code, mut shift) = scanner_press(scanner, c);
        if matches!(caps, Caps::OnCompensated) && c.is_ascii_alphabetic() {
            shift = false;
        }
        if shift {
            events.push(event("ShiftLeft", "Shift", true, caps_lock, t));
            t += 1.0;
        }
        let key = host_key(host, &code, shift, caps_lock);
        events.push(event(&code, &key, shift, caps_lock, t));
        t += SCANNER_GAP_MS;
    }
    events.push(event("Enter", "Enter", false, caps_lock, t));
    events
}

fn event(code: &str, key: &str, shift: bool, caps_lock: bool, timestamp_ms: f64) -> KeyEvent {
    KeyEvent {
        code: code.into(),
        key: key.into(),
        shift,
        caps_lock,
        timestamp_ms,
    }
}

fn feed(decoder: &mut WedgeDecoder, events: &[KeyEvent]) -> Vec<WedgeScan> {
    events.iter().filter_map(|e| decoder.push(e)).collect()
}

fn demo_codes() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/coupons/test-only-demo-codes.txt"
    );
    let codes: Vec<String> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert!(codes.len() >= 6);
    codes
}

/// Every base45 character at least once, plus the PN1 prefix.
const ALL_CHARACTERS: &str = "PN1:0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

#[test]
fn every_scanner_and_host_layout_and_caps_lock_state_gives_the_code_back() {
    let scenarios = [
        (
            "US scanner, French AZERTY host",
            Layout::Us,
            Layout::FrAzerty,
            Caps::Off,
        ),
        (
            "AZERTY scanner, US host",
            Layout::FrAzerty,
            Layout::Us,
            Caps::Off,
        ),
        (
            "US scanner, US host, Caps Lock on",
            Layout::Us,
            Layout::Us,
            Caps::OnIgnored,
        ),
        (
            "US scanner, US host, Caps Lock on, compensated",
            Layout::Us,
            Layout::Us,
            Caps::OnCompensated,
        ),
        (
            "US scanner, AZERTY host, Caps Lock on",
            Layout::Us,
            Layout::FrAzerty,
            Caps::OnIgnored,
        ),
        (
            "AZERTY scanner, AZERTY host, Caps Lock on, compensated",
            Layout::FrAzerty,
            Layout::FrAzerty,
            Caps::OnCompensated,
        ),
        (
            "US scanner, German QWERTZ host",
            Layout::Us,
            Layout::DeQwertz,
            Caps::Off,
        ),
        (
            "QWERTZ scanner, US host",
            Layout::DeQwertz,
            Layout::Us,
            Caps::Off,
        ),
        (
            "QWERTZ scanner, AZERTY host",
            Layout::DeQwertz,
            Layout::FrAzerty,
            Caps::Off,
        ),
        (
            "AZERTY scanner, QWERTZ host",
            Layout::FrAzerty,
            Layout::DeQwertz,
            Caps::Off,
        ),
    ];
    let mut texts = demo_codes();
    texts.push(ALL_CHARACTERS.to_string());
    for (name, scanner, host, caps) in scenarios {
        let mut decoder = WedgeDecoder::default();
        for (i, text) in texts.iter().enumerate() {
            let events = scanner_events(scanner, host, caps, text, 10_000.0 * i as f64);
            let scans = feed(&mut decoder, &events);
            assert_eq!(scans.len(), 1, "{name}: {text}");
            assert_eq!(&scans[0].text, text, "{name}");
            assert_eq!(scans[0].layout, scanner, "{name}: {text}");
        }
    }
}

#[test]
fn a_literal_browser_sequence_us_scanner_on_azerty_host() {
    // "PN1:$%*+-./ 0" typed by a US-mode scanner, as Firefox/Chromium report it on a French host.
    let seq: &[(&str, &str, bool)] = &[
        ("ShiftLeft", "Shift", true),
        ("KeyP", "P", true),
        ("ShiftLeft", "Shift", true),
        ("KeyN", "N", true),
        ("Digit1", "&", false),
        ("ShiftLeft", "Shift", true),
        ("Semicolon", "M", true),
        ("ShiftLeft", "Shift", true),
        ("Digit4", "4", true),
        ("ShiftLeft", "Shift", true),
        ("Digit5", "5", true),
        ("ShiftLeft", "Shift", true),
        ("Digit8", "8", true),
        ("ShiftLeft", "Shift", true),
        ("Equal", "+", true),
        ("Minus", ")", false),
        ("Period", ":", false),
        ("Slash", "!", false),
        ("Space", " ", false),
        ("Digit0", "à", false),
        ("Enter", "Enter", false),
    ];
    let events: Vec<KeyEvent> = seq
        .iter()
        .enumerate()
        .map(|(i, (code, key, shift))| event(code, key, *shift, false, 100.0 + 2.0 * i as f64))
        .collect();
    let scans = feed(&mut WedgeDecoder::default(), &events);
    assert_eq!(scans.len(), 1);
    assert_eq!(scans[0].text, "PN1:$%*+-./ 0");
    assert_eq!(scans[0].layout, Layout::Us);
    assert_eq!(scans[0].duration_ms, 38.0); // from the first character key (102 ms) to Enter (140 ms)
}

#[test]
fn a_literal_browser_sequence_azerty_scanner_on_us_host() {
    // "PN1:AZMQW" typed by an AZERTY-mode scanner on a US host, then Tab.
    let seq: &[(&str, &str, bool)] = &[
        ("KeyP", "P", true),
        ("KeyN", "N", true),
        ("Digit1", "!", true),
        ("Period", ".", false),
        ("KeyQ", "Q", true),
        ("KeyW", "W", true),
        ("Semicolon", ":", true),
        ("KeyA", "A", true),
        ("KeyZ", "Z", true),
        ("Tab", "Tab", false),
    ];
    let events: Vec<KeyEvent> = seq
        .iter()
        .enumerate()
        .map(|(i, (code, key, shift))| event(code, key, *shift, false, 5.0 * i as f64))
        .collect();
    let scans = feed(&mut WedgeDecoder::default(), &events);
    assert_eq!(scans.len(), 1);
    assert_eq!(scans[0].text, "PN1:AZMQW");
    assert_eq!(scans[0].layout, Layout::FrAzerty);
}

#[test]
fn the_first_layout_that_reads_a_pn1_code_wins_and_a_single_layout_reads_literally() {
    let code = &demo_codes()[0];
    let events = scanner_events(Layout::FrAzerty, Layout::Us, Caps::Off, code, 0.0);
    let only_us = WedgeConfig {
        layouts: vec![Layout::Us],
        ..WedgeConfig::default()
    };
    let scans = feed(&mut WedgeDecoder::new(only_us), &events);
    assert_eq!(scans.len(), 1);
    assert!(scans[0].text.starts_with("PN!."), "{}", scans[0].text);
    let scans = feed(&mut WedgeDecoder::default(), &events);
    assert_eq!(&scans[0].text, code);
}

#[test]
fn a_person_typing_is_not_a_scan() {
    let mut decoder = WedgeDecoder::default();
    // "PN1:ABCD" then Enter at a fast typist's 80 ms per key.
    let mut events = scanner_events(Layout::Us, Layout::Us, Caps::Off, "PN1:ABCD", 0.0);
    for (i, e) in events.iter_mut().enumerate() {
        e.timestamp_ms = 80.0 * i as f64;
    }
    assert!(feed(&mut decoder, &events).is_empty());
    // A lone Enter, and a short fast burst (two keys) are not scans either.
    assert!(feed(
        &mut decoder,
        &[event("Enter", "Enter", false, false, 10_000.0)]
    )
    .is_empty());
    let short = scanner_events(Layout::Us, Layout::Us, Caps::Off, "OK", 20_000.0);
    assert!(feed(&mut decoder, &short).is_empty());
}

#[test]
fn typing_before_a_scan_and_a_gap_inside_a_burst_are_dropped() {
    let code = &demo_codes()[1];
    let mut decoder = WedgeDecoder::default();
    let mut events: Vec<KeyEvent> = "abc"
        .chars()
        .enumerate()
        .map(|(i, c)| {
            event(
                &format!("Key{}", c.to_ascii_uppercase()),
                &c.to_string(),
                false,
                false,
                150.0 * i as f64,
            )
        })
        .collect();
    events.extend(scanner_events(
        Layout::Us,
        Layout::Us,
        Caps::Off,
        code,
        1_000.0,
    ));
    let scans = feed(&mut decoder, &events);
    assert_eq!(scans.len(), 1);
    assert_eq!(&scans[0].text, code);

    // A 200 ms pause after the prefix: only what follows the pause is one burst.
    let mut events = scanner_events(Layout::Us, Layout::Us, Caps::Off, code, 50_000.0);
    for e in events.iter_mut().skip(8) {
        e.timestamp_ms += 200.0;
    }
    let scans = feed(&mut decoder, &events);
    assert_eq!(scans.len(), 1);
    assert!(!scans[0].text.starts_with("PN1:"));
    assert!(code.ends_with(&scans[0].text));
}

#[test]
fn backspace_or_arrows_break_a_burst_and_time_going_back_too() {
    let mut decoder = WedgeDecoder::default();
    let mut events = scanner_events(Layout::Us, Layout::Us, Caps::Off, "PN1:ABCDEF", 0.0);
    let enter = events.pop().unwrap();
    events.push(event(
        "Backspace",
        "Backspace",
        false,
        false,
        enter.timestamp_ms - 1.0,
    ));
    events.push(enter);
    assert!(feed(&mut decoder, &events).is_empty());

    let mut events = scanner_events(Layout::Us, Layout::Us, Caps::Off, "PN1:ABCDEF", 1_000.0);
    events[6].timestamp_ms = 0.0;
    let scans = feed(&mut decoder, &events);
    assert!(scans.iter().all(|s| s.text != "PN1:ABCDEF"));
}

#[test]
fn a_stuck_key_never_grows_the_buffer_past_the_limit() {
    let config = WedgeConfig {
        max_length: 16,
        ..WedgeConfig::default()
    };
    let mut decoder = WedgeDecoder::new(config);
    let events: Vec<KeyEvent> = (0..1000)
        .map(|i| event("KeyA", "a", false, false, i as f64))
        .collect();
    assert!(feed(&mut decoder, &events).is_empty());
    // After the stuck key, a real scan still reads.
    let scans = feed(
        &mut decoder,
        &scanner_events(Layout::Us, Layout::Us, Caps::Off, "PN1:XYZ", 5_000.0),
    );
    assert_eq!(scans[0].text, "PN1:XYZ");
}

#[test]
fn unknown_codes_fall_back_to_the_host_key() {
    // A virtual keyboard or remote desktop may send an empty `code`.
    let events: Vec<KeyEvent> = "PN1:AB"
        .chars()
        .enumerate()
        .map(|(i, c)| event("", &c.to_string(), false, false, i as f64))
        .chain([event("Enter", "Enter", false, false, 10.0)])
        .collect();
    let scans = feed(&mut WedgeDecoder::default(), &events);
    assert_eq!(scans[0].text, "PN1:AB");
}

/// Scanners that end with Tab, with nothing at all (the page hands the burst over after a quiet
/// gap: `finish`), or that wait 15 to 20 ms between keys, still give the code.
#[test]
fn tab_no_terminator_and_slow_scanners_give_the_code() {
    let code = &demo_codes()[0];
    for gap_ms in [SCANNER_GAP_MS, 15.0, 20.0] {
        let mut events = scanner_events(Layout::Us, Layout::FrAzerty, Caps::Off, code, 0.0);
        for (i, e) in events.iter_mut().enumerate() {
            e.timestamp_ms = gap_ms * i as f64;
        }
        let last = events.len() - 1;
        // Tab.
        let mut tab = events.clone();
        tab[last].code = "Tab".into();
        tab[last].key = "Tab".into();
        let scans = feed(&mut WedgeDecoder::default(), &tab);
        assert_eq!(scans.len(), 1, "Tab, {gap_ms} ms");
        assert_eq!(&scans[0].text, code);
        // No terminator: nothing until the burst is finished.
        let mut decoder = WedgeDecoder::default();
        assert!(feed(&mut decoder, &events[..last]).is_empty());
        let scan = decoder.finish().expect("a burst without terminator");
        assert_eq!(&scan.text, code, "no terminator, {gap_ms} ms");
        assert!(decoder.finish().is_none(), "finish forgets the burst");
    }
    // A person's slow typing finished by a quiet gap is not a scan.
    let mut decoder = WedgeDecoder::default();
    let mut typing = scanner_events(Layout::Us, Layout::Us, Caps::Off, "PN1:ABCD", 0.0);
    typing.pop();
    for (i, e) in typing.iter_mut().enumerate() {
        e.timestamp_ms = 90.0 * i as f64;
    }
    assert!(feed(&mut decoder, &typing).is_empty());
    assert!(decoder.finish().is_none());
}

/// A scan typed into a text field leaves the host's characters there (`PN&M…` for a US
/// scanner on an AZERTY host): every scanner × host × Caps Lock combination is recognised as a
/// code, and names are not.
#[test]
fn a_scan_typed_into_a_field_looks_like_a_code_and_names_do_not() {
    use guichet_scan::wedge::looks_like_code;
    let code = &demo_codes()[0];
    for scanner in Layout::ALL {
        for host in Layout::ALL {
            for caps in [Caps::Off, Caps::OnIgnored, Caps::OnCompensated] {
                let typed: String = scanner_events(scanner, host, caps, code, 0.0)
                    .iter()
                    .filter(|e| e.key.chars().count() == 1)
                    .map(|e| e.key.clone())
                    .collect();
                assert!(
                    looks_like_code(&typed),
                    "{scanner:?} scanner on {host:?} host, {caps:?}: {typed}"
                );
            }
        }
    }
    for name in [
        "Zoé",
        "Jean-Paul",
        "Pnina",
        "PN",
        "P. Nicolas",
        "Anne-Marie Dupont",
        "pn 1",
        "",
    ] {
        assert!(!looks_like_code(name), "{name}");
    }
}

/// The `keydown` events of a scanner typing `text` as Alt codes (Left Alt, then the code's
/// digits on the numeric keypad), Num Lock on or off (`key` of a numpad key is then its digit
/// or its navigation function), with or without the leading zero. The host's layout changes
/// none of these keys.
fn alt_code_events(text: &str, num_lock: bool, leading_zero: bool) -> Vec<KeyEvent> {
    const NAVIGATION: [&str; 10] = [
        "Insert",
        "End",
        "ArrowDown",
        "PageDown",
        "ArrowLeft",
        "Clear",
        "ArrowRight",
        "Home",
        "ArrowUp",
        "PageUp",
    ];
    let mut events = Vec::new();
    let mut t = 1000.0;
    for c in text.chars() {
        events.push(event("AltLeft", "Alt", false, false, t));
        t += SCANNER_GAP_MS;
        let code = u32::from(c);
        let digits = if leading_zero {
            format!("{code:04}")
        } else {
            code.to_string()
        };
        for d in digits.chars() {
            let n = d.to_digit(10).unwrap() as usize;
            let key = if num_lock {
                d.to_string()
            } else {
                NAVIGATION[n].to_string()
            };
            events.push(event(&format!("Numpad{d}"), &key, false, false, t));
            t += SCANNER_GAP_MS;
        }
    }
    events.push(event("Enter", "Enter", false, false, t));
    events
}

#[test]
fn alt_codes_give_the_code_back_whatever_the_layout_and_num_lock() {
    for code in demo_codes()
        .iter()
        .map(String::as_str)
        .chain([ALL_CHARACTERS])
    {
        for (num_lock, leading_zero) in [(true, true), (true, false), (false, true), (false, false)]
        {
            let events = alt_code_events(code, num_lock, leading_zero);
            for layouts in [Layout::ALL.to_vec(), vec![Layout::DeQwertz]] {
                let config = WedgeConfig {
                    layouts,
                    ..WedgeConfig::default()
                };
                let scans = feed(&mut WedgeDecoder::new(config), &events);
                assert_eq!(scans.len(), 1, "num lock {num_lock}");
                assert_eq!(
                    scans[0].text, code,
                    "num lock {num_lock}, leading zero {leading_zero}"
                );
            }
        }
    }
}

#[test]
fn alt_codes_mixed_with_keys_without_terminator_and_out_of_range() {
    // "PN1:" as keys of a US scanner, the rest as Alt codes, no Enter: the page's quiet gap.
    let code = &demo_codes()[0];
    let mut events = scanner_events(Layout::Us, Layout::FrAzerty, Caps::Off, "PN1:", 0.0);
    events.pop(); // no Enter
    let t = events.last().unwrap().timestamp_ms + SCANNER_GAP_MS;
    for mut e in alt_code_events(&code[4..], true, true) {
        if e.code != "Enter" {
            e.timestamp_ms += t - 1000.0;
            events.push(e);
        }
    }
    let mut decoder = WedgeDecoder::default();
    assert!(feed(&mut decoder, &events).is_empty());
    assert_eq!(decoder.finish().unwrap().text, *code);

    // A control character, a code of the OEM page above 127 and garbage become U+FFFD, which
    // the verifier refuses; codes wrap modulo 256 as Windows does (Alt+321 is A).
    assert_eq!(alt_code_char("0065"), Some('A'));
    assert_eq!(alt_code_char("65"), Some('A'));
    assert_eq!(alt_code_char("321"), Some('A'));
    assert_eq!(alt_code_char("0233"), Some('é'));
    assert_eq!(alt_code_char("233"), None);
    assert_eq!(alt_code_char("0009"), None);
    assert_eq!(alt_code_char(""), None);
    assert_eq!(alt_code_char("999999"), None);
    let mut events = alt_code_events("PN1", true, true);
    events.insert(
        events.len() - 1,
        event("AltLeft", "Alt", false, false, 1090.0),
    );
    events.insert(
        events.len() - 1,
        event("Numpad9", "9", false, false, 1094.0),
    );
    let last = events.len() - 1;
    events[last].timestamp_ms = 1098.0;
    let scans = feed(&mut WedgeDecoder::default(), &events);
    assert_eq!(scans[0].text, "PN1\u{fffd}");
}

#[test]
fn a_person_typing_an_alt_code_is_not_a_scan() {
    // Alt held, then 0, 0, 6, 5 a person's 150 ms apart, then Enter.
    let mut events = vec![event("AltLeft", "Alt", false, false, 0.0)];
    for (i, d) in "00650065".chars().enumerate() {
        if i == 4 {
            events.push(event("AltLeft", "Alt", false, false, 600.0));
        }
        events.push(event(
            &format!("Numpad{d}"),
            &d.to_string(),
            false,
            false,
            150.0 * (i + 1) as f64,
        ));
    }
    events.push(event("Enter", "Enter", false, false, 1400.0));
    assert!(feed(&mut WedgeDecoder::default(), &events).is_empty());
    // A lone Alt (a menu shortcut) adds nothing to a burst.
    let mut events = scanner_events(Layout::Us, Layout::Us, Caps::Off, "PN1:ABC", 0.0);
    events.insert(
        3,
        event("AltLeft", "Alt", false, false, events[2].timestamp_ms + 1.0),
    );
    let scans = feed(&mut WedgeDecoder::default(), &events);
    assert_eq!(scans[0].text, "PN1:ABC");
}

/// Issue 26 (point 3): a loaded machine or a slow scanner puts pauses of up to 120 ms inside a
/// scan (one in ten keys here, at every place, the first and the last gap included): still one
/// scan with the whole code, with Enter and with no terminator. A pause longer than the
/// longest a run holds still cuts it.
#[test]
fn pauses_up_to_120_ms_inside_a_scan_still_give_one_scan() {
    let code = &demo_codes()[2];
    let config = WedgeConfig::default();
    for pause_ms in [41.0, 80.0, 120.0, config.max_pause_ms - 10.0] {
        for first in 0..10 {
            let mut events = scanner_events(Layout::Us, Layout::FrAzerty, Caps::Off, code, 0.0);
            let mut t = 0.0;
            for (i, e) in events.iter_mut().enumerate() {
                t += if i % 10 == first { pause_ms } else { 3.0 };
                e.timestamp_ms = t;
            }
            let scans = feed(&mut WedgeDecoder::default(), &events);
            assert_eq!(scans.len(), 1, "{pause_ms} ms from key {first}");
            assert_eq!(&scans[0].text, code, "{pause_ms} ms from key {first}");
            let mut decoder = WedgeDecoder::default();
            let last = events.len() - 1;
            assert!(feed(&mut decoder, &events[..last]).is_empty());
            assert_eq!(decoder.finish().map(|s| s.text).as_ref(), Some(code));
        }
    }
    let mut events = scanner_events(Layout::Us, Layout::Us, Caps::Off, code, 0.0);
    for e in events.iter_mut().skip(20) {
        e.timestamp_ms += config.max_pause_ms + 1.0;
    }
    let scans = feed(&mut WedgeDecoder::default(), &events);
    assert!(scans.iter().all(|s| &s.text != code), "{scans:?}");
}

/// Issue 26 (point 3): a person is never a scanner, even a fast one whose keys sometimes come
/// in quick pairs (rollover), typing a name or a PIN then Enter: the median gap says so.
#[test]
fn a_fast_typist_with_quick_pairs_is_not_a_scan() {
    for text in ["LUCAS", "246810", "PN1:ABCDEF"] {
        let mut events = scanner_events(Layout::Us, Layout::Us, Caps::Off, text, 0.0);
        let mut t = 0.0;
        for (i, e) in events.iter_mut().enumerate() {
            // 65 ms, then a 15 ms pair, in turn: a 300-words-a-minute burst.
            t += if i % 2 == 0 { 65.0 } else { 15.0 };
            e.timestamp_ms = t;
        }
        let mut decoder = WedgeDecoder::default();
        assert!(feed(&mut decoder, &events).is_empty(), "{text}");
    }
}
