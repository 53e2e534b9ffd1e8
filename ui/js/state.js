// state.js — the latest Snapshot the shell sent (or parts of it a command returned), and who
// to tell when it changes.

let snapshot = null;
const listeners = [];

/** The latest Snapshot, or null before the first one. */
export function current() {
  return snapshot;
}

/** Calls `listener(snapshot, changedKeys)` after each change; `changedKeys` is a Set. */
export function onChange(listener) {
  listeners.push(listener);
}

/** Replaces the whole Snapshot (every key counts as changed). */
export function setSnapshot(next) {
  snapshot = next;
  notify(new Set(Object.keys(next)));
}

/** Replaces some top-level keys (e.g. `{ basket }` from a scan); ignored before the first Snapshot. */
export function patch(part) {
  if (!snapshot) return;
  snapshot = { ...snapshot, ...part };
  notify(new Set(Object.keys(part)));
}

function notify(changed) {
  for (const listener of listeners) listener(snapshot, changed);
}
