// wedge.js — the USB barcode scanner ("keyboard wedge"): collects every keydown, wherever the
// focus is (the counter, a text field, a list, a filter of the day review), and hands each run
// to the shell when Enter or Tab ends it, or after a quiet gap for a scanner that sends no
// terminator. It decodes nothing: the shell (guichet-scan's WedgeDecoder) tells a scan from
// typing and reads the code. A scan that went into a field gives the field its text back.

import { isFormControl, isTextField, openDialog } from "./dom.js";

const TERMINATORS = new Set(["Enter", "Tab"]);
// How the page guesses, before the shell answers, that a run is a scanner's: at least
// MIN_KEYS printable keys, each at most BURST_GAP_MS after the previous one. The same figures as
// guichet-scan's WedgeConfig (min_length, max_key_gap_ms), which decides.
const MIN_KEYS = 4;
const BURST_GAP_MS = 40;
// A run this long without a key after its last one ends (scanners without a terminator).
const QUIET_MS = 2 * BURST_GAP_MS;
// Memory bound only: a code is at most 1024 keys, the shell drops longer runs anyway.
const MAX_KEYS = 4096;

let keys = [];
let field = null; // { element, value, start, end } of the form control when the run began
let quietTimer = 0;

// A numpad digit counts whatever Num Lock made of it: scanners that type Alt codes (Left Alt,
// then the character's code on the keypad) send nothing else; guichet-scan reads the codes.
function isPrintable(key) {
  return key.key.length === 1 || /^Numpad[0-9]$/.test(key.code);
}

function lastPrintable() {
  for (let i = keys.length - 1; i >= 0; i -= 1) if (isPrintable(keys[i])) return keys[i];
  return null;
}

/** Whether the run so far (printables, maybe ended by `endMs`) looks like a scanner's. */
function looksLikeBurst(run, endMs) {
  const printable = run.filter(isPrintable);
  if (printable.length < MIN_KEYS) return false;
  const times = printable.map((key) => key.timestampMs);
  if (endMs != null) times.push(endMs);
  return times.every((t, i) => i === 0 || (t - times[i - 1] >= 0 && t - times[i - 1] <= BURST_GAP_MS));
}

/** Remembers what the focused control held when a new run starts. */
function rememberField(target) {
  if (!isFormControl(target)) {
    field = null;
    return;
  }
  const text = isTextField(target);
  field = {
    element: target,
    value: target.value,
    start: text ? target.selectionStart : null,
    end: text ? target.selectionEnd : null,
  };
}

/**
 * Gives the field its text (or a list its choice) back after a scan went into it; returns what
 * the scan had made of it, so that `putBack` can undo the restoration if the shell says it was
 * typing after all.
 */
function restoreField() {
  if (!field || !field.element.isConnected) return null;
  const { element, value, start, end } = field;
  const typed = element.value;
  if (typed === value) return null;
  element.value = value;
  if (start != null) {
    try {
      element.setSelectionRange(start, end);
    } catch {
      // Some input types have no selection; the value is what matters.
    }
  }
  if (element.tagName === "SELECT") element.dispatchEvent(new Event("change", { bubbles: true }));
  return { element, typed };
}

/** The shell said "typing, not a scan": the field keeps what was typed. */
function putBack(restored) {
  if (restored && restored.element.isConnected) restored.element.value = restored.typed;
}

/**
 * Starts listening. `onBurst(keys, endTimeStamp)` receives the keys of each run (the Enter or
 * Tab included, when there was one) and the end's `timeStamp`, and resolves with the shell's
 * ScanResult (or nothing). `guardKeys()` says whether printable keys outside text fields should
 * lose their default action (on the counter, so that a scan cannot press a focused button with
 * a space or change a list).
 */
export function startWedge({ onBurst, guardKeys }) {
  const hand = (burst, endMs, restored) => {
    Promise.resolve(onBurst(burst, endMs)).then((result) => {
      if (result?.kind === "ignored") putBack(restored);
    }, () => undefined);
  };

  const endQuietly = () => {
    quietTimer = 0;
    const burst = keys;
    keys = [];
    if (!looksLikeBurst(burst, null)) return;
    const restored = restoreField();
    hand(burst, burst[burst.length - 1].timestampMs, restored);
  };

  document.addEventListener("keydown", (event) => {
    clearTimeout(quietTimer);
    quietTimer = 0;
    if (event.isComposing || openDialog()) {
      keys = [];
      return;
    }
    const key = {
      code: event.code,
      key: event.key,
      shift: event.shiftKey,
      capsLock: event.getModifierState("CapsLock"),
      timestampMs: event.timeStamp,
    };
    const last = lastPrintable();
    if (isPrintable(key) && (!last || event.timeStamp - last.timestampMs > BURST_GAP_MS)) {
      // A new run begins: what the focused field holds now is what a scan must leave in it.
      keys = [];
      rememberField(event.target);
    }
    keys.push(key);
    if (keys.length > MAX_KEYS) keys.shift();
    const inText = isTextField(event.target);
    if (TERMINATORS.has(event.key)) {
      const burst = keys;
      keys = [];
      const scan = looksLikeBurst(burst.slice(0, -1), event.timeStamp);
      if (inText || isFormControl(event.target)) {
        // In a field, a person's Enter or Tab keeps its meaning; a scanner's goes to the scan.
        if (!scan) return;
        event.preventDefault();
        event.stopImmediatePropagation();
        hand(burst, event.timeStamp, restoreField());
        return;
      }
      if (burst.length < 2) return;
      // Enter or Tab right after a character ends a scan: it must not also press a button.
      if (isPrintable(burst[burst.length - 2])) event.preventDefault();
      if (scan) event.stopImmediatePropagation();
      hand(burst, event.timeStamp, null);
    } else if (isPrintable(key)) {
      if (!inText && guardKeys()) event.preventDefault();
      quietTimer = setTimeout(endQuietly, QUIET_MS);
    }
  }, true);
}
