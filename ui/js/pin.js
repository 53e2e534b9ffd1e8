// pin.js — the PIN dialog in front of the review and the administration: the person gives
// their name (recorded with what they do) and the PIN of the role. Whether a PIN is right,
// and how long the door stays shut after wrong ones, is the shell's answer (`unlock` rejects
// with WRONG_PIN, PIN_LOCKED or NO_PIN). PINs are never chosen here: the admin's is chosen
// at enrollment, the manager's by the admin in the administration.

import { call } from "./api.js";
import { byId } from "./dom.js";
import { onLangChange, t } from "./i18n.js";
import { current, setSnapshot } from "./state.js";
import { problemText, run } from "./task.js";

const dialog = byId("pin-dialog");
const nameInput = byId("pin-name");
const input = byId("pin-input");
const errorLine = byId("pin-error");

let pending = null; // { roles, resolve } while the dialog is open
let shownProblem = null;

function chosenRole() {
  const checked = dialog.querySelector('input[name="pin-role"]:checked');
  return checked?.value ?? pending.roles[0];
}

function render() {
  if (!pending) return;
  const role = chosenRole();
  const isSet = Boolean(current()?.pins_set?.[role]);
  dialog.dataset.role = role;
  dialog.dataset.pinSet = String(isSet);
  byId("pin-roles").hidden = pending.roles.length < 2;
  byId("pin-title").textContent = t(`pin.title.${role}`);
  byId("pin-hint").textContent = t(isSet ? "pin.hintEnter" : `pin.none.${role}`);
  byId("pin-submit").disabled = !isSet;
  errorLine.dataset.code = shownProblem?.code ?? "";
  errorLine.textContent = shownProblem ? problemText(shownProblem) : "";
}

function report(problem) {
  shownProblem = problem;
  render();
  input.value = "";
  (nameInput.value.trim() ? input : nameInput).focus();
}

function finish(unlocked) {
  const { resolve } = pending;
  pending = null;
  dialog.close();
  resolve(unlocked);
}

async function submit(event) {
  event.preventDefault();
  if (!pending) return;
  const role = chosenRole();
  const name = nameInput.value;
  const pin = input.value;
  shownProblem = null;
  render();
  const done = await run(async () => setSnapshot(await call("unlock", { role, name, pin })), {
    busy: [byId("pin-submit"), dialog],
    report,
  });
  if (done) finish(true);
}

byId("pin-form").addEventListener("submit", submit);
byId("pin-cancel").addEventListener("click", () => finish(false));
dialog.addEventListener("cancel", (event) => {
  event.preventDefault();
  if (pending) finish(false);
});
for (const radio of dialog.querySelectorAll('input[name="pin-role"]')) {
  radio.addEventListener("change", () => {
    shownProblem = null;
    render();
    input.focus();
  });
}
onLangChange(render);

/**
 * Asks for the name and PIN of one of `roles` (the first is preselected; with two, a choice is
 * shown). Resolves true once the shell has unlocked it, false if the dialog was closed.
 */
export function askPin(roles) {
  return new Promise((resolve) => {
    pending = { roles, resolve };
    shownProblem = null;
    byId(`pin-role-${roles[0]}`).checked = true;
    input.value = "";
    render();
    dialog.showModal();
    (nameInput.value.trim() ? input : nameInput).focus();
  });
}
