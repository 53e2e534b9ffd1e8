// leave.js — kiosk mode: the shell refuses the window manager's close (Alt+F4) and says so
// (`close_refused`); the page then asks for the admin PIN, and the shell decides (`quit`).

import { call, on } from "./api.js";
import { askPin } from "./pin.js";
import { run } from "./task.js";

let asking = false; // a refused close is already asking for the PIN

/** Listens for refused closes. */
export async function startLeave() {
  await on("close_refused", async () => {
    if (asking) return;
    asking = true;
    try {
      if (await askPin(["admin"])) await run(() => call("quit"));
    } finally {
      asking = false;
    }
  });
}
