// confirm.js — a yes/no question in a modal dialog, for actions that drop coupons from the
// basket. Enter answers yes (the focused button), Escape answers no.

import { byId } from "./dom.js";

/** Asks `question`; resolves true for yes, false for no or Escape. */
export function confirmAction(question) {
  const dialog = byId("confirm-dialog");
  byId("confirm-message").textContent = question;
  return new Promise((resolve) => {
    const answer = (yes) => {
      byId("confirm-yes").removeEventListener("click", onYes);
      byId("confirm-no").removeEventListener("click", onNo);
      dialog.removeEventListener("cancel", onCancel);
      dialog.close();
      resolve(yes);
    };
    const onYes = () => answer(true);
    const onNo = () => answer(false);
    const onCancel = (event) => {
      event.preventDefault();
      answer(false);
    };
    byId("confirm-yes").addEventListener("click", onYes);
    byId("confirm-no").addEventListener("click", onNo);
    dialog.addEventListener("cancel", onCancel);
    dialog.showModal();
    byId("confirm-yes").focus();
  });
}
