// focus.js — the focus guard of the counter: keeps the keyboard on the counter itself (where
// the scanner is read) rather than in a text field or list someone forgot, and never takes the
// focus away from an open dialog.

import { byId, isFormControl, isTextField, openDialog } from "./dom.js";

// A counter field left alone this long gives the keyboard back to the scanner.
const IDLE_MS = 20_000;

let idleTimer = 0;
let onCounter = () => true;

/** Puts the focus on the counter screen itself (a field loses it), unless a dialog is open. */
export function focusCounter() {
  if (openDialog() || !onCounter()) return;
  const screen = byId("screen-counter");
  if (document.activeElement !== screen) screen.focus({ preventScroll: true });
}

/** Focuses a counter field on purpose (a shortcut); the guard gives it back after Enter/Escape. */
export function focusField(element) {
  element.focus();
  if (element instanceof HTMLInputElement && isTextField(element)) element.select();
}

/** Starts the guard; `isCounterShown()` says whether the counter is the screen shown. */
export function startFocusGuard(isCounterShown) {
  onCounter = isCounterShown;
  const counter = byId("screen-counter");

  // Enter or Escape in a counter field (after the field's own handler) returns to the counter.
  counter.addEventListener("keydown", (event) => {
    if ((event.key === "Enter" || event.key === "Escape") && isFormControl(event.target)) {
      setTimeout(focusCounter);
    }
  });

  // A field left focused and untouched stops catching the scanner after a while.
  counter.addEventListener("focusin", restartIdle);
  counter.addEventListener("input", restartIdle);
  counter.addEventListener("focusout", () => clearTimeout(idleTimer));

  // Coming back to the window: the keyboard goes to the counter.
  window.addEventListener("focus", () => {
    if (isTextField(document.activeElement) || document.activeElement === document.body) focusCounter();
  });
}

function restartIdle(event) {
  clearTimeout(idleTimer);
  if (!isFormControl(event.target)) return;
  idleTimer = setTimeout(() => {
    if (document.activeElement === event.target) focusCounter();
  }, IDLE_MS);
}
