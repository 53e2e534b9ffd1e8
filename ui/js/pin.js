// pin.js — the PIN dialog in front of the review and the administration: unlocks a role with
// its PIN, or has a first PIN chosen (typed twice) when the role has none yet. Whether a PIN
// is right is the shell's answer (`unlock` rejects with WRONG_PIN).

import { call } from "./api.js";
import { byId } from "./dom.js";
import { bothLangs, onLangChange, t } from "./i18n.js";
import { current, setSnapshot } from "./state.js";
import { problemText, run } from "./task.js";

const dialog = byId("pin-dialog");
const input = byId("pin-input");
const confirmInput = byId("pin-confirm");
const errorLine = byId("pin-error");

let pending = null; // { roles, resolve } while the dialog is open
let shownProblem = null;

function chosenRole() {
  const checked = dialog.querySelector('input[name="pin-role"]:checked');
  return checked?.value ?? pending.roles[0];
}

/** "choose" when the role has no PIN yet, else "enter". */
function mode() {
  return current().pins_set[chosenRole()] ? "enter" : "choose";
}

function render() {
  if (!pending) return;
  const role = chosenRole();
  const choosing = mode() === "choose";
  dialog.dataset.mode = mode();
  dialog.dataset.role = role;
  byId("pin-roles").hidden = pending.roles.length < 2;
  byId("pin-title").textContent = t(`pin.title.${role}`);
  byId("pin-hint").textContent = t(choosing ? "pin.hintChoose" : "pin.hintEnter");
  byId("pin-input-label").textContent = t(choosing ? "pin.new" : "pin.label");
  byId("pin-confirm-field").hidden = !choosing;
  byId("pin-submit").textContent = t(choosing ? "pin.submitChoose" : "pin.submitEnter");
  errorLine.dataset.code = shownProblem?.code ?? "";
  errorLine.textContent = shownProblem ? problemText(shownProblem) : "";
}

function report(problem) {
  shownProblem = problem;
  render();
  input.value = "";
  confirmInput.value = "";
  input.focus();
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
  const pin = input.value;
  shownProblem = null;
  render();
  if (mode() === "choose" && pin !== confirmInput.value) {
    report({ code: "PIN_MISMATCH", message: bothLangs("pin.mismatch") });
    return;
  }
  const choosing = mode() === "choose";
  const done = await run(async () => {
    let snapshot = choosing ? await call("set_pin", { role, pin }) : await call("unlock", { role, pin });
    if (choosing && snapshot.unlocked !== role) snapshot = await call("unlock", { role, pin });
    setSnapshot(snapshot);
  }, { busy: [byId("pin-submit"), dialog], report });
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
 * Asks for the PIN of one of `roles` (the first is preselected; with two, a choice is shown).
 * Resolves true once the shell has unlocked it, false if the dialog was closed.
 */
export function askPin(roles) {
  return new Promise((resolve) => {
    pending = { roles, resolve };
    shownProblem = null;
    byId(`pin-role-${roles[0]}`).checked = true;
    input.value = "";
    confirmInput.value = "";
    render();
    dialog.showModal();
    input.focus();
  });
}
