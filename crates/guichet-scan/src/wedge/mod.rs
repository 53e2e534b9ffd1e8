//! The keyboard-wedge decoder: USB barcode scanners that type what they read as key presses.
//!
//! A web page sees each key press as a `keydown` event with `code` (the physical key, named
//! after its place on a US keyboard), `key` (what the host's layout made of it), the Shift and
//! Caps Lock states and a timestamp. [`WedgeDecoder::push`] takes those events one by one and
//! returns a [`WedgeScan`] when a scanner burst ends with Enter or Tab.
//!
//! # How the text is recovered
//! A scanner set to a layout (most ship in US mode) types each character by pressing the
//! physical key that gives it **in that layout**. The host's layout (French AZERTY, German
//! QWERTZ…) only changes `key`: a US-mode scanner typing `1` on a French host presses `Digit1`,
//! which the host reads as `&`. So the decoder reads `code` + Shift through the *scanner's*
//! layout and ignores `key` (used only for a key whose `code` is unknown, such as an empty code
//! from a virtual keyboard). The scanner's layout need not be configured: the decoder tries
//! each of [`WedgeConfig::layouts`] in order and keeps the first that reads a PN1 code
//! (`PN1:` prefix), else the first that reads only QR alphanumeric characters, else the first
//! that reads every key.
//!
//! Caps Lock: a scanner that ignores it sends Shift for upper case and the host inverts it; a
//! scanner that compensates for it sends no Shift. Both mean upper case, so **with Caps Lock on,
//! ASCII letters are read as upper case** (the only case a QR alphanumeric code, and so a PN1
//! code, has); with Caps Lock off the case is the scanner's Shift.
//!
//! # Alt codes
//! Some scanners type each character as its Alt code (Left Alt held, its decimal code on the
//! numeric keypad: Alt, `Numpad0`, `Numpad6`, `Numpad5` for `A`), so that no layout is
//! involved. The page sees the Alt `keydown` and the numpad keys (whatever Num Lock made of
//! them); the character ends at the next Alt, at any other key or at the end of the burst, and
//! is read as Windows reads it ([`alt_code_char`]), in every layout. Scanners may mix both
//! ways in one burst.
//!
//! # Scanner or person
//! A scanner types a whole code in a burst, a few milliseconds between keys; a person needs
//! 60 ms or more. But a loaded machine or a slow scanner puts pauses inside a burst (up to
//! 120 ms measured, `docs/scanning.md`), so a single gap says little. The rule, here and only
//! here (the page only collects runs with [`WedgeConfig::max_pause_ms`] and
//! [`WedgeConfig::min_length`], which the shell hands it):
//! - a **run** is a sequence of printable keys (and Alt codes) with no gap longer than
//!   [`WedgeConfig::max_pause_ms`], ended by Enter or Tab within that pause, or by a quiet
//!   gap ([`WedgeDecoder::finish`]);
//! - a run is a **scan** when it has at least [`WedgeConfig::min_length`] characters and its
//!   median gap (the terminator's included) is at most [`WedgeConfig::max_key_gap_ms`]: most
//!   keys came at a scanner's pace, whatever a few pauses did. A person's median gap is 60 ms
//!   or more, even with the odd quick pair of keys.
//!
//! Anything else (typing, a lone Enter, a run broken by Backspace or an arrow) is not a scan:
//! the decoder forgets it and returns nothing. A person always pauses longer than
//! [`WedgeConfig::max_pause_ms`] between typing and picking up the scanner, so what they typed
//! is never part of a scan's run.

mod layout;

pub use layout::Layout;
use serde::{Deserialize, Serialize};

/// One `keydown` event as a browser reports it.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct KeyEvent {
    /// `KeyboardEvent.code`: the physical key (`KeyA`, `Digit1`, `Semicolon`, `Enter`…).
    pub code: String,
    /// `KeyboardEvent.key`: what the host's layout produced (`a`, `&`, `Shift`, `Dead`…).
    pub key: String,
    /// `KeyboardEvent.shiftKey`.
    pub shift: bool,
    /// `KeyboardEvent.getModifierState("CapsLock")`.
    pub caps_lock: bool,
    /// `KeyboardEvent.timeStamp`, in milliseconds.
    pub timestamp_ms: f64,
}

/// A code read from a scanner burst.
#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct WedgeScan {
    /// The scanned text, as the scanner meant it.
    pub text: String,
    /// The scanner layout the text was read with.
    pub layout: Layout,
    /// How long the burst took, first key to Enter/Tab, in milliseconds.
    pub duration_ms: f64,
}

/// How bursts are told apart from typing, and which scanner layouts are tried.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct WedgeConfig {
    /// Scanner layouts to try, in order (at least one; an empty list means [`Layout::Us`]).
    pub layouts: Vec<Layout>,
    /// The longest median gap between the keys of a scan, in milliseconds.
    pub max_key_gap_ms: f64,
    /// The longest pause inside one run, in milliseconds: a longer one starts a new run.
    pub max_pause_ms: f64,
    /// The fewest characters a burst must have to be a scan.
    pub min_length: usize,
    /// The most characters kept; a longer burst (a stuck key) is dropped.
    pub max_length: usize,
}

impl Default for WedgeConfig {
    /// All layouts, a median of 40 ms between keys, pauses up to 150 ms, 4 to 1024
    /// characters.
    fn default() -> Self {
        WedgeConfig {
            layouts: Layout::ALL.to_vec(),
            max_key_gap_ms: 40.0,
            max_pause_ms: 150.0,
            min_length: 4,
            max_length: 1024,
        }
    }
}

/// Turns `keydown` events into scanned texts (see the module documentation).
#[derive(Clone, Debug)]
pub struct WedgeDecoder {
    config: WedgeConfig,
    burst: Vec<PressedKey>,
    burst_start_ms: f64,
    last_key_ms: f64,
    /// The gaps between the keys of the run so far, in milliseconds.
    gaps: Vec<f64>,
    /// The numpad digits typed since Left Alt went down (an Alt code in progress).
    alt_digits: Option<String>,
}

/// One printable key of the current burst.
#[derive(Clone, Debug)]
struct PressedKey {
    /// A character typed as an Alt code ([`alt_code_char`]): read as it is in every layout.
    alt_code: Option<char>,
    code: String,
    /// `key` when it is one character (used only when `code` is unknown).
    host_char: Option<char>,
    shift: bool,
    caps_lock: bool,
}

impl WedgeDecoder {
    /// A decoder with the given settings.
    pub fn new(mut config: WedgeConfig) -> Self {
        if config.layouts.is_empty() {
            config.layouts.push(Layout::Us);
        }
        WedgeDecoder {
            config,
            burst: Vec::new(),
            burst_start_ms: 0.0,
            last_key_ms: 0.0,
            gaps: Vec::new(),
            alt_digits: None,
        }
    }

    /// The settings it decodes with.
    pub fn config(&self) -> &WedgeConfig {
        &self.config
    }

    /// Feeds one `keydown` event; returns the scan it completes, if any.
    pub fn push(&mut self, event: &KeyEvent) -> Option<WedgeScan> {
        let alt_down = event.code == "AltLeft" || (event.code.is_empty() && event.key == "Alt");
        if is_modifier(event) && !alt_down {
            return None;
        }
        let gap = event.timestamp_ms - self.last_key_ms;
        // A long gap, time going backwards or a NaN timestamp all end the burst.
        let started = !self.burst.is_empty() || self.alt_digits.is_some();
        let in_burst = started && (0.0..=self.config.max_pause_ms).contains(&gap);
        if in_burst {
            self.gaps.push(gap);
        } else {
            self.forget();
        }
        if alt_down {
            // Left Alt pressed: the numpad digits that follow are one character's Alt code,
            // which ends at the next Alt, at any other key or at the end of the burst.
            self.end_alt_code();
            if self.burst.is_empty() {
                self.burst_start_ms = event.timestamp_ms;
            }
            self.alt_digits = Some(String::new());
            self.last_key_ms = event.timestamp_ms;
            return None;
        }
        if let (Some(digits), Some(digit)) = (self.alt_digits.as_mut(), numpad_digit(&event.code)) {
            digits.push(digit);
            self.last_key_ms = event.timestamp_ms;
            return None;
        }
        self.end_alt_code();
        if matches!(event.code.as_str(), "Enter" | "NumpadEnter" | "Tab") {
            let scan =
                (in_burst && self.at_scanner_pace()).then(|| self.read_burst(event.timestamp_ms));
            self.forget();
            return scan;
        }
        let printable = single_char(&event.key).is_some()
            || Layout::ALL
                .iter()
                .any(|layout| layout.char_for(&event.code, event.shift).is_some());
        if !printable || self.burst.len() >= self.config.max_length {
            // Backspace, arrows, function keys… are typing, not scanning; a burst longer than
            // any code is a stuck key.
            self.forget();
            return None;
        }
        if self.burst.is_empty() {
            self.burst_start_ms = event.timestamp_ms;
        }
        self.burst.push(PressedKey {
            alt_code: None,
            code: event.code.clone(),
            host_char: single_char(&event.key),
            shift: event.shift,
            caps_lock: event.caps_lock,
        });
        self.last_key_ms = event.timestamp_ms;
        None
    }

    /// Ends the burst in progress without a terminator (a scanner set to send none: the page
    /// saw a quiet gap after its last key): returns its scan if it is long enough and reads as
    /// a code, and forgets it either way. Slow typing never reaches here as a burst, since each
    /// long gap already started a new one in [`WedgeDecoder::push`]; fast typing into a field
    /// (a pasted path, a test driver) does, and is not a scan.
    pub fn finish(&mut self) -> Option<WedgeScan> {
        self.end_alt_code();
        let scan = self
            .at_scanner_pace()
            .then(|| self.read_burst(self.last_key_ms))
            .filter(|scan| looks_like_code(&scan.text));
        self.forget();
        scan
    }

    /// Forgets a burst in progress.
    pub fn reset(&mut self) {
        self.forget();
    }

    /// Whether the run so far is a scan's: long enough, and its median gap at a scanner's
    /// pace (see the module documentation).
    fn at_scanner_pace(&self) -> bool {
        if self.burst.len() < self.config.min_length || self.gaps.is_empty() {
            return false;
        }
        let mut gaps = self.gaps.clone();
        gaps.sort_by(f64::total_cmp);
        gaps[gaps.len() / 2] <= self.config.max_key_gap_ms
    }

    fn forget(&mut self) {
        self.burst.clear();
        self.gaps.clear();
        self.alt_digits = None;
    }

    /// Adds the character of the Alt code being typed, if any, to the burst (an Alt code
    /// that is not a character gives U+FFFD, which no code holds: the verifier refuses it).
    fn end_alt_code(&mut self) {
        let Some(digits) = self.alt_digits.take() else {
            return;
        };
        if digits.is_empty() || self.burst.len() >= self.config.max_length {
            return;
        }
        self.burst.push(PressedKey {
            alt_code: Some(alt_code_char(&digits).unwrap_or(char::REPLACEMENT_CHARACTER)),
            code: String::new(),
            host_char: None,
            shift: false,
            caps_lock: false,
        });
    }

    /// Reads the current burst with the best-fitting scanner layout.
    fn read_burst(&self, end_ms: f64) -> WedgeScan {
        let readings: Vec<(Layout, Reading)> = self
            .config
            .layouts
            .iter()
            .map(|&layout| (layout, read_with(layout, &self.burst)))
            .collect();
        let best = readings
            .iter()
            .find(|(_, r)| r.complete && r.text.starts_with("PN1:"))
            .or_else(|| {
                readings
                    .iter()
                    .find(|(_, r)| r.complete && r.text.chars().all(is_qr_alphanumeric))
            })
            .or_else(|| readings.iter().find(|(_, r)| r.complete))
            .unwrap_or(&readings[0]);
        WedgeScan {
            text: best.1.text.clone(),
            layout: best.0,
            duration_ms: end_ms - self.burst_start_ms,
        }
    }
}

impl Default for WedgeDecoder {
    fn default() -> Self {
        WedgeDecoder::new(WedgeConfig::default())
    }
}

/// A burst read through one layout.
struct Reading {
    text: String,
    /// Every key was known to the layout.
    complete: bool,
}

fn read_with(layout: Layout, burst: &[PressedKey]) -> Reading {
    let mut text = String::with_capacity(burst.len());
    let mut complete = true;
    for key in burst {
        if let Some(c) = key.alt_code {
            text.push(c);
            continue;
        }
        match layout.char_for(&key.code, key.shift) {
            Some(c) if key.caps_lock && c.is_ascii_alphabetic() => {
                text.push(c.to_ascii_uppercase())
            }
            Some(c) => text.push(c),
            None => {
                complete = false;
                text.extend(key.host_char);
            }
        }
    }
    Reading { text, complete }
}

/// Whether `text`, typed into a text field, is a PN1 code as some scanner layout on some host
/// layout makes of it (`PN1:…` itself, or `PN&M…` from a US scanner on an AZERTY host): the text
/// is put back onto the host's keys and read through each scanner layout, Caps Lock ignored. A
/// name field uses it to refuse a scan that landed in it.
pub fn looks_like_code(text: &str) -> bool {
    const PREFIX: &str = "PN1:";
    let head: Vec<char> = text.trim_start().chars().take(PREFIX.len()).collect();
    if head.len() < PREFIX.len() {
        return false;
    }
    // Caps Lock on the host flips the case of its letters (the `m` of AZERTY's `;` key too),
    // so a letter may come from its key with or without Shift.
    let keys_of = |host: Layout, c: char| -> Vec<(String, bool)> {
        let mut keys: Vec<(String, bool)> = host.key_for(c).into_iter().collect();
        if c.is_alphabetic() {
            keys.extend(
                c.to_uppercase()
                    .chain(c.to_lowercase())
                    .filter_map(|other| host.key_for(other)),
            );
        }
        keys
    };
    Layout::ALL.iter().any(|&host| {
        Layout::ALL.iter().any(|&scanner| {
            head.iter().zip(PREFIX.chars()).all(|(&typed, wanted)| {
                keys_of(host, typed).iter().any(|(code, shift)| {
                    scanner
                        .char_for(code, *shift)
                        .is_some_and(|read| read.eq_ignore_ascii_case(&wanted))
                })
            })
        })
    })
}

/// Whether a PN1 code begins anywhere in `text` ([`looks_like_code`] from some character
/// on): a name with a scan's fragment after what was typed (`LucasPN&MRQ…`) is no name.
pub fn contains_code(text: &str) -> bool {
    text.char_indices()
        .any(|(at, _)| looks_like_code(&text[at..]))
}

/// The QR alphanumeric set, which is also base45's alphabet plus nothing else.
pub fn is_qr_alphanumeric(c: char) -> bool {
    c.is_ascii_digit() || c.is_ascii_uppercase() || " $%*+-./:".contains(c)
}

fn is_modifier(event: &KeyEvent) -> bool {
    const MODIFIER_CODES: [&str; 6] = ["Shift", "Control", "Alt", "Meta", "OS", "CapsLock"];
    const MODIFIER_KEYS: [&str; 7] = [
        "Shift", "Control", "Alt", "AltGraph", "Meta", "CapsLock", "NumLock",
    ];
    MODIFIER_CODES.iter().any(|m| event.code.starts_with(m))
        || MODIFIER_KEYS.contains(&event.key.as_str())
        || event.code == "NumLock"
}

/// The digit of a numeric keypad key (`Numpad0`…`Numpad9`), whatever Num Lock made of it.
fn numpad_digit(code: &str) -> Option<char> {
    let digit = code.strip_prefix("Numpad")?;
    let mut chars = digit.chars();
    chars
        .next()
        .filter(|c| c.is_ascii_digit() && chars.next().is_none())
}

/// The character an Alt code stands for, as Windows reads it: with a leading zero, a code of
/// the ANSI code page (Windows-1252; here its ASCII and Latin-1 parts, 32–126 and 160–255);
/// without, of the OEM code page (437; here its ASCII part, 32–126). Codes above 255 wrap
/// around modulo 256. `None` for a control character or a part not covered.
pub fn alt_code_char(digits: &str) -> Option<char> {
    if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value = (digits.parse::<u32>().ok()? % 256) as u8;
    match value {
        32..=126 => Some(char::from(value)),
        160..=255 if digits.starts_with('0') => Some(char::from(value)),
        _ => None,
    }
}

fn single_char(key: &str) -> Option<char> {
    let mut chars = key.chars();
    chars.next().filter(|_| chars.next().is_none())
}
