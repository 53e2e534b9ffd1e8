// screens.js — which screen is shown (counter, review, admin), the PIN gate in front of the
// protected ones, and locking the shell again when the protected area is left.

import { call } from "./api.js";
import { byId } from "./dom.js";
import { focusCounter } from "./focus.js";
import { askPin } from "./pin.js";
import { current, onChange, patch, setSnapshot } from "./state.js";
import { run } from "./task.js";

// The roles whose unlock opens each protected screen (the shell enforces it on every call).
const ROLES = { review: ["manager", "admin"], admin: ["admin"] };
const SCREENS = ["counter", "review", "admin"];
// How often a protected screen asks whether its role is still unlocked.
const IDLE_CHECK_MS = 15_000;

let shown = "counter";
const enterHandlers = {};

/** The screen shown: "counter", "review" or "admin". */
export function currentScreen() {
  return shown;
}

/** Calls `handler()` each time the screen `name` is opened. */
export function onEnter(name, handler) {
  enterHandlers[name] = handler;
}

/** Asks the shell to lock if a role is unlocked. */
export async function lockIfUnlocked() {
  if (!current()?.unlocked) return;
  await run(async () => setSnapshot(await call("lock")));
}

/**
 * Opens the screen `name`. A protected screen first needs an unlocked role that opens it (the
 * PIN dialog asks); going back to the counter locks.
 */
export async function openScreen(name) {
  if (name === shown) return;
  if (name === "counter") {
    display("counter");
    focusCounter();
    await lockIfUnlocked();
    return;
  }
  if (!current()) return; // the first Snapshot (with pins_set) has not come yet
  if (!ROLES[name].includes(current().unlocked) && !firstEnrollment(name)) {
    const unlocked = await askPin(ROLES[name]);
    if (!unlocked) return;
  }
  display(name);
  byId(`screen-${name}`).focus({ preventScroll: true });
  enterHandlers[name]?.();
}

/**
 * A kiosk neither enrolled nor with an admin PIN opens its administration without one: the only
 * thing to do there is to enroll, which chooses the admin PIN.
 */
function firstEnrollment(name) {
  const { enrolled, pins_set: pins } = current();
  return name === "admin" && !enrolled && !pins.admin;
}

/**
 * The shell locks a role left idle (`lock_after_minutes`): a protected screen whose role is
 * gone goes back to the counter. Snapshots are asked for while such a screen is shown.
 */
function leaveIfLocked(snapshot) {
  if (shown === "counter" || ROLES[shown].includes(snapshot.unlocked) || firstEnrollment(shown)) return;
  display("counter");
  focusCounter();
}
onChange((snapshot) => leaveIfLocked(snapshot));
setInterval(async () => {
  if (shown === "counter") return;
  // Only the lock's keys: a whole Snapshot would redraw forms being filled in.
  await run(async () => {
    const { unlocked, unlocked_by: unlockedBy, pins_set: pins } = await call("snapshot");
    patch({ unlocked, unlocked_by: unlockedBy, pins_set: pins });
  }, { report: () => {} });
}, IDLE_CHECK_MS);

function display(name) {
  shown = name;
  document.body.dataset.screen = name;
  for (const screen of SCREENS) byId(`screen-${screen}`).hidden = screen !== name;
  // A screen opens at its top, not where it was left.
  byId(`screen-${name}`).scrollTop = 0;
}
