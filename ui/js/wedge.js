// wedge.js — the USB barcode scanner ("keyboard wedge"): collects every keydown made while no
// text field is focused and hands the run to the shell when Enter or Tab ends it. It decodes
// nothing: the shell (guichet-scan's WedgeDecoder) tells a scan from typing and reads the code.

import { isTextField, openDialog } from "./dom.js";

const TERMINATORS = new Set(["Enter", "Tab"]);
// Memory bound only: a code is at most 1024 keys, the shell drops longer runs anyway.
const MAX_KEYS = 4096;

let keys = [];

/**
 * Starts listening. `onBurst(keys, endTimeStamp)` receives the keys of each run (the Enter or
 * Tab included) and the terminator's `timeStamp`. `guardKeys()` says whether printable keys
 * should lose their default action (on the counter, so that a scan cannot press a focused button
 * with a space or change a list).
 */
export function startWedge({ onBurst, guardKeys }) {
  document.addEventListener("keydown", (event) => {
    if (event.isComposing || openDialog() || isTextField(event.target)) {
      keys = [];
      return;
    }
    keys.push({
      code: event.code,
      key: event.key,
      shift: event.shiftKey,
      capsLock: event.getModifierState("CapsLock"),
      timestampMs: event.timeStamp,
    });
    if (keys.length > MAX_KEYS) keys.shift();
    const printable = event.key.length === 1;
    if (TERMINATORS.has(event.key)) {
      const burst = keys;
      keys = [];
      if (burst.length < 2) return;
      // Enter or Tab right after a character ends a scan: it must not also press a button.
      if (burst[burst.length - 2].key.length === 1) event.preventDefault();
      onBurst(burst, event.timeStamp);
    } else if (printable && guardKeys()) {
      event.preventDefault();
    }
  }, true);
}
