// api.js — the only door to the Tauri shell (schema/kiosk-ui.md): invokes commands, listens to
// events, and turns every failure into a Problem { code, message: {fr, en} }.

const tauri = window.__TAURI__;

/**
 * A failure that did not come from the shell as a Problem (no Tauri, a broken channel): its
 * `message` is null and the error line shows the catalogue's generic text with `detail`.
 */
function unexpected(code, error) {
  return { code, message: null, detail: String(error?.message ?? error ?? "") };
}

function isProblem(value) {
  return Boolean(value) && typeof value.code === "string"
    && (value.message === null || typeof value.message?.fr === "string");
}

/** `error` as a Problem: a Problem stays as is, anything else (a bug, a lost channel) is wrapped. */
export function toProblem(error) {
  if (isProblem(error)) return error;
  console.error("guichet:", error);
  return unexpected("UNEXPECTED", error);
}

/** Invokes a shell command; resolves with its result or rejects with a Problem. */
export async function call(name, args = {}) {
  if (!tauri?.core) throw unexpected("NO_SHELL", "window.__TAURI__");
  try {
    return await tauri.core.invoke(name, args);
  } catch (error) {
    throw toProblem(error);
  }
}

let counterQueue = Promise.resolve();

/**
 * Invokes a command that changes the basket after the previous such command has finished, so
 * that baskets come back in the order the actions were made.
 */
export function callInOrder(name, args = {}) {
  const result = counterQueue.then(() => call(name, args));
  counterQueue = result.catch(() => undefined);
  return result;
}

/** Calls `handler(payload)` for each `name` event; rejects with a Problem if it cannot listen. */
export async function on(name, handler) {
  if (!tauri?.event) throw unexpected("NO_SHELL", "window.__TAURI__.event");
  try {
    await tauri.event.listen(name, (event) => handler(event.payload));
  } catch (error) {
    throw toProblem(error);
  }
}
