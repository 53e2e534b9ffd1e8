// leave.js — kiosk mode: the shell refuses the window manager's close (Alt+F4) and says so
// (`close_refused`); the page then asks for the admin PIN, and the shell decides (`quit`).

import { call, on } from "./api.js";
import { askPin } from "./pin.js";
import { run } from "./task.js";

/** Listens for refused closes. */
export async function startLeave() {
  await on("close_refused", async () => {
    if (!(await askPin(["admin"]))) return;
    await run(() => call("quit"));
  });
}
