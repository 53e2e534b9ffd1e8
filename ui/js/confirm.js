// confirm.js — a yes/no question in a modal dialog, for actions that drop coupons from the
// basket or undo a checkout. Only deliberate keys answer: F1 is yes, Escape is no. No button
// has the focus and every other key is swallowed, so a scanner (printable keys, Enter, Tab,
// Space) can answer nothing; its pass waits for the answer (wedge.js). The buttons still work
// with a click.

import { byId } from "./dom.js";

/** The key that answers yes (`KeyboardEvent.key`); no scanner sends function keys. */
export const YES_KEY = "F1";

/** Asks `question`; resolves true for yes (F1 or a click), false for no or Escape. */
export function confirmAction(question) {
  const dialog = byId("confirm-dialog");
  byId("confirm-message").textContent = question;
  return new Promise((resolve) => {
    const answer = (yes) => {
      byId("confirm-yes").removeEventListener("click", onYes);
      byId("confirm-no").removeEventListener("click", onNo);
      dialog.removeEventListener("cancel", onCancel);
      dialog.removeEventListener("keydown", onKey);
      dialog.close();
      resolve(yes);
    };
    const onYes = () => answer(true);
    const onNo = () => answer(false);
    const onCancel = (event) => {
      event.preventDefault();
      answer(false);
    };
    const onKey = (event) => {
      if (event.key === "Escape") return; // the dialog's own cancel
      event.preventDefault();
      event.stopPropagation();
      if (event.key === YES_KEY && !event.repeat && !event.ctrlKey && !event.altKey) answer(true);
    };
    byId("confirm-yes").addEventListener("click", onYes);
    byId("confirm-no").addEventListener("click", onNo);
    dialog.addEventListener("cancel", onCancel);
    dialog.addEventListener("keydown", onKey);
    dialog.showModal();
    // The question itself has the focus, not a button a Space or an Enter would press.
    byId("confirm-message").focus();
  });
}
