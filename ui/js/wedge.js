// wedge.js — the USB barcode scanner ("keyboard wedge"): collects every keydown, wherever the
// focus is (the counter, a text field, a list, a review filter, a dialog), cuts them into runs
// and hands each run that might be a scan to the shell. It decides nothing: whether a run is a
// scan, and what it reads, is guichet-scan's WedgeDecoder's answer alone; the page only cuts
// runs with the figures the shell gives in `Snapshot.wedge_runs` (the longest pause inside a
// run, the fewest characters worth asking about).
//
// What a scan leaves behind: nothing. The field it went into gets back the text, caret and
// selection it had when the run began (its pending change too: the savers compare with what
// was saved, not on "change" events); its Enter or Tab does nothing else. While a dialog is
// open (a question, the PIN), a scan answers nothing and types nothing: its text waits here and
// is verified once the dialog is closed, in order. A field marked `data-scan="text"` (the
// enrollment ticket) receives the scanned text itself (a `scan-text` event).
//
// When the shell says a run was typing, its Enter or Tab is played again, so that a person's
// Enter submits and their Tab moves on as if nothing had been in between.

import { isFormControl, isTextField, openDialog } from "./dom.js";
import { t } from "./i18n.js";
import { current } from "./state.js";

// Memory bound only: a code is at most 1024 keys, the shell drops longer runs anyway.
const MAX_KEYS = 4096;
// The quiet gap that ends a run without Enter or Tab waits this much longer than the longest
// pause, so that a timer firing late never cuts a run the shell would read as one.
const QUIET_MARGIN_MS = 30;

let keys = [];
let lastAt = -Infinity; // timeStamp of the run's last printable key
let field = null; // { element, value, start, end } of the form control when the run began
let quietTimer = 0;
let asking = null; // the control state of the run the shell is being asked about
const waiting = []; // texts scanned while a dialog was open, oldest first

/** The figures the shell gives (null before the first Snapshot: nothing is a scan yet). */
function figures() {
  return current()?.wedge_runs ?? null;
}

// A numpad digit counts whatever Num Lock made of it: scanners that type Alt codes (Left Alt,
// then the character's code on the keypad) send nothing else; guichet-scan reads the codes. A
// dead key (a scanner's key the host keeps for an accent) is a character for the decoder too.
function isPrintable(key) {
  return key.key.length === 1 || key.key === "Dead" || /^Numpad[0-9]$/.test(key.code);
}

function isTerminator(event) {
  return event.key === "Enter" || event.key === "Tab";
}

/** What the focused control holds when a run begins. */
function remember(target) {
  if (!isFormControl(target)) return null;
  const text = isTextField(target);
  return {
    element: target,
    value: target.value,
    start: text ? target.selectionStart : null,
    end: text ? target.selectionEnd : null,
  };
}

/** Gives the control the text (and caret) or the choice it had before a scan went into it. */
function restore(state) {
  if (!state || !state.element.isConnected || state.element.value === state.value) return;
  const { element, value, start, end } = state;
  element.value = value;
  if (start != null) {
    try {
      element.setSelectionRange(start, end);
    } catch {
      // Some input types have no selection; the value is what matters.
    }
  }
  if (element.tagName === "SELECT") element.dispatchEvent(new Event("change", { bubbles: true }));
}

/** The elements Tab goes through in `scope`, in order. */
function tabStops(scope) {
  return [...scope.querySelectorAll("input, select, textarea, button, a[href], [tabindex]")]
    .filter((el) => el.tabIndex >= 0 && !el.disabled && el.getClientRects().length > 0);
}

/**
 * A person's Enter or Tab that waited for the shell's answer, done now: the page's own Enter
 * handlers (a synthetic keydown, which the wedge ignores), then a form's submission; Tab
 * moves the focus as it would have.
 */
function replay(terminator, target) {
  if (!target?.isConnected || !isFormControl(target)) return;
  if (terminator.key === "Tab") {
    const stops = tabStops(openDialog() ?? document);
    const at = stops.indexOf(target);
    const step = terminator.shift ? -1 : 1;
    stops[(at + step + stops.length) % stops.length]?.focus();
    return;
  }
  const again = new KeyboardEvent("keydown", {
    key: "Enter",
    code: terminator.code,
    bubbles: true,
    cancelable: true,
  });
  if (!target.dispatchEvent(again) || !isTextField(target) || !target.form) return;
  // Implicit submission, as a real Enter does it: not when the form's button is disabled.
  const button = target.form.querySelector('button[type="submit"], input[type="submit"]');
  if (!button) target.form.requestSubmit();
  else if (!button.disabled) target.form.requestSubmit(button);
}

/** Says in the open dialog how many passes wait for it to close. */
function renderWaiting() {
  for (const line of document.querySelectorAll("[data-waiting]")) {
    line.hidden = waiting.length === 0;
    line.dataset.count = String(waiting.length);
    line.textContent = waiting.length ? t("wedge.waiting", { n: waiting.length }) : "";
  }
}

/**
 * Starts listening.
 * - `verify(keys, endMs)`: the run goes to `wedge_burst` (decoded, verified, shown); resolves
 *   with the ScanResult, or null when the call failed.
 * - `read(keys)`: the run goes to `wedge_text` (decoded only); resolves with the text, null for
 *   typing, undefined when the call failed.
 * - `verifyText(text)`: a text scanned while a dialog was open, verified once it is closed.
 * - `guardKeys()`: whether printable keys outside text fields lose their default action (on
 *   the counter, so that a scan cannot press a focused button with a space or change a list).
 */
export function startWedge({ verify, read, verifyText, guardKeys }) {
  const flush = () => {
    if (openDialog()) return;
    const texts = waiting.splice(0);
    renderWaiting();
    for (const text of texts) verifyText(text);
  };
  for (const dialog of document.querySelectorAll("dialog")) {
    dialog.addEventListener("close", () => setTimeout(flush));
  }

  /** Asks the shell about one run; `end` is its Enter/Tab (or null after a quiet gap). */
  const hand = async (run, endMs, state, end) => {
    asking = state;
    try {
      await answer(run, endMs, state, end);
    } finally {
      if (asking === state) asking = null;
    }
  };

  const answer = async (run, endMs, state, end) => {
    const target = state?.element ?? end?.target ?? null;
    const intoText = !openDialog() && target?.dataset?.scan === "text";
    if (openDialog() || intoText) {
      const text = await read(run);
      if (text === null) {
        if (end) replay(end, end.target);
        return;
      }
      restore(state);
      if (text === undefined) return;
      if (intoText) {
        target.dispatchEvent(new CustomEvent("scan-text", { detail: text, bubbles: true }));
      } else {
        waiting.push(text);
        renderWaiting();
        flush(); // the dialog may have closed while the shell read it
      }
      return;
    }
    const result = await verify(run, endMs);
    if (result?.kind === "ignored") {
      if (end) replay(end, end.target);
      return;
    }
    restore(state);
  };

  // Ends the run without a terminator: after a quiet gap, or when the next run begins first
  // (a busy page may run the quiet timer after the keys that follow the pause).
  const endQuietly = () => {
    clearTimeout(quietTimer);
    quietTimer = 0;
    const run = keys;
    keys = [];
    const figs = figures();
    if (!figs || run.filter(isPrintable).length < figs.min_length) return;
    hand(run, run.findLast(isPrintable).timestampMs, field, null);
  };

  document.addEventListener("keydown", (event) => {
    if (!event.isTrusted) return; // a replayed Enter
    const figs = figures();
    if (!figs || event.isComposing) {
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
    const gap = event.timeStamp - lastAt;
    if (isPrintable(key)) {
      if (!(gap >= 0 && gap <= figs.max_pause_ms)) {
        // A new run begins: the one before goes to the shell if the quiet timer has not sent
        // it yet. What the focused control holds now is what a scan must leave, unless the run
        // before (in the same control) still waits for the shell's answer: the second half of
        // a scan cut by a long pause must not keep the first half.
        endQuietly();
        field = asking?.element === event.target ? asking : remember(event.target);
      }
      lastAt = event.timeStamp;
    }
    clearTimeout(quietTimer);
    quietTimer = 0;
    keys.push(key);
    if (keys.length > MAX_KEYS) keys.shift();
    const inText = isTextField(event.target);
    if (isTerminator(event)) {
      const run = keys;
      keys = [];
      lastAt = -Infinity;
      const candidate = gap >= 0 && gap <= figs.max_pause_ms
        && run.filter(isPrintable).length >= figs.min_length;
      if (!candidate) return; // a person's Enter or Tab keeps its meaning at once
      // It may be a scanner's: it must not submit, move the focus or press a button before
      // the shell has said (a person's is played again then).
      event.preventDefault();
      event.stopImmediatePropagation();
      hand(run, event.timeStamp, field, { key: event.key, code: event.code, shift: event.shiftKey, target: event.target });
    } else if (isPrintable(key)) {
      if (!inText && (guardKeys() || openDialog())) event.preventDefault();
      quietTimer = setTimeout(endQuietly, figs.max_pause_ms + QUIET_MARGIN_MS);
    }
  }, true);
}
