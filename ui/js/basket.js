// basket.js — the basket column of the counter: its coupons (select with the arrows, remove
// with Delete), the amount paid otherwise, the total the shell computed, "Valider", and the
// undo of the last checkout while its window is open (with a countdown).

import { callInOrder } from "./api.js";
import { byId } from "./dom.js";
import { euros, minutesSeconds, parseEuros } from "./format.js";
import { bothLangs, currentLang, onLangChange, t, text } from "./i18n.js";
import { confirmAction } from "./confirm.js";
import { saveMediator } from "./counter.js";
import { play } from "./sound.js";
import { current, onChange, patch } from "./state.js";
import { run, showProblem } from "./task.js";
import { showCommitted } from "./verdict.js";

const list = byId("basket-list");
const paidInput = byId("paid-otherwise");
const KEYS = new Set(["basket", "last_checkout"]);

let selected = null; // { kid, serial } of the selected coupon
let lastResult = null; // the last CommitResult, for its message
let countdownTimer = 0;

function coupons() {
  return current()?.basket.coupons ?? [];
}

function selectedIndex() {
  return coupons().findIndex((c) => c.kid === selected?.kid && c.serial === selected?.serial);
}

function renderList() {
  const lang = currentLang();
  const items = coupons().map((coupon, index) => {
    const item = document.createElement("li");
    item.className = "basket__item";
    item.id = `basket-item-${index}`;
    item.setAttribute("role", "option");
    item.dataset.kid = coupon.kid;
    item.dataset.serial = String(coupon.serial);
    item.dataset.input = coupon.input;
    const serial = document.createElement("span");
    serial.className = "basket__serial";
    serial.textContent = t("basket.serial", { serial: coupon.serial });
    const provider = document.createElement("span");
    provider.className = "basket__provider";
    provider.textContent = coupon.provider;
    const value = document.createElement("span");
    value.className = "basket__value";
    value.textContent = euros(coupon.value_cents, lang);
    item.append(serial, provider, value);
    item.addEventListener("click", () => select(index));
    return item;
  });
  list.replaceChildren(...items);
  if (selectedIndex() < 0) selected = null;
  renderSelection();
}

function renderSelection() {
  const index = selectedIndex();
  for (const item of list.children) item.setAttribute("aria-selected", String(item.id === `basket-item-${index}`));
  if (index >= 0) {
    list.setAttribute("aria-activedescendant", `basket-item-${index}`);
    list.children[index].scrollIntoView({ block: "nearest" });
  } else {
    list.removeAttribute("aria-activedescendant");
  }
  byId("basket-remove").disabled = index < 0;
}

function select(index) {
  const coupon = coupons()[index];
  selected = coupon ? { kid: coupon.kid, serial: coupon.serial } : null;
  renderSelection();
}

/** The basket's amount paid otherwise as the field shows it ("" for none). */
function paidText() {
  const cents = current()?.basket.paid_otherwise_cents ?? 0;
  return cents ? euros(cents, currentLang()) : "";
}

function renderTotals() {
  const { basket } = current();
  const lang = currentLang();
  const count = basket.coupons.length;
  byId("basket-count").textContent = t("basket.count", { n: count });
  byId("basket-empty").hidden = count > 0;
  byId("basket-coupons-total").textContent = euros(basket.coupons_total_cents, lang);
  byId("basket-total").textContent = euros(basket.total_cents, lang);
  if (document.activeElement !== paidInput) paidInput.value = paidText();
  byId("basket-clear").disabled = count === 0 && basket.paid_otherwise_cents === 0;
}

/** The last checkout's message, else what the shell says about the basket itself (restored
 * after a restart, not saved to disk). */
function renderMessage() {
  const line = byId("basket-message");
  const notice = current()?.basket.notice;
  line.textContent = lastResult ? text(lastResult.message) : notice ? text(notice) : "";
  line.dataset.code = lastResult?.code ?? (notice ? "BASKET_NOTICE" : "");
  line.dataset.kind = lastResult?.kind ?? "";
}

function undoRemainingMs() {
  const until = current()?.last_checkout?.undo_until;
  return until ? Date.parse(until) - Date.now() : 0;
}

function renderUndo() {
  const remaining = undoRemainingMs();
  const undo = byId("undo");
  undo.hidden = remaining <= 0;
  byId("undo-countdown").textContent = remaining > 0 ? minutesSeconds(remaining) : "";
  if (remaining > 0 && !countdownTimer) countdownTimer = setInterval(renderUndo, 250);
  if (remaining <= 0 && countdownTimer) {
    clearInterval(countdownTimer);
    countdownTimer = 0;
  }
}

function render() {
  if (!current()) return;
  renderList();
  renderTotals();
  renderUndo();
  renderMessage();
}

/** Applies a CommitResult (from "Valider" or undo): basket, last checkout, message, sound. */
function applyCommitResult(result) {
  lastResult = result;
  patch({ basket: result.basket, last_checkout: result.last_checkout });
  renderMessage();
  const committed = result.kind === "committed";
  play(committed ? "accepted" : "warning", current().settings.sound);
  if (committed && (result.code === "COMMITTED" || result.code === "UNDONE")) showCommitted(result);
}

/** "Valider": records the basket as one checkout (the shell decides whether it may). */
export async function commit() {
  // What was typed and not yet saved counts: the name asked for by NO_MEDIATOR, the amount.
  if (!(await saveMediator()) || !(await savePaidOtherwise())) return;
  await run(async () => {
    const result = await callInOrder("basket_commit");
    applyCommitResult(result);
    if (result.code === "NO_MEDIATOR") byId("mediator").focus();
    if (result.code === "NO_WORKSHOP") byId("workshop-area").focus();
  }, { busy: [byId("commit"), byId("basket")] });
}

/**
 * Undoes the last checkout once the mediator has confirmed what it is (its time, passes and
 * amount, and that a basket in progress stays as it is); the shell answers WINDOW_PASSED when
 * it is too late.
 */
export async function undo() {
  const last = current()?.last_checkout;
  if (byId("undo").hidden || !last) {
    // Said, not silent: the window passed, the kiosk restarted since, or nothing was paid.
    lastResult = { kind: "refused", code: "NOTHING_TO_UNDO", message: bothLangs("basket.nothingToUndo") };
    renderMessage();
    play("warning", current()?.settings.sound);
    return;
  }
  const open = coupons().length;
  const question = [
    t("basket.undoQuestion", { what: text(last.summary) }),
    open > 0 ? t("basket.undoBasketOpen", { n: open }) : "",
  ].filter(Boolean).join(" ");
  if (!(await confirmAction(question))) return;
  await run(async () => applyCommitResult(await callInOrder("undo_last_checkout")), {
    busy: [byId("undo"), byId("basket")],
  });
}

/** Moves the selection up (-1) or down (+1); with nothing selected, starts at an end. */
export function moveSelection(step) {
  const count = coupons().length;
  if (count === 0) return;
  const index = selectedIndex();
  select(index < 0 ? (step > 0 ? 0 : count - 1) : Math.min(count - 1, Math.max(0, index + step)));
}

/** Removes the selected coupon from the basket. */
export async function removeSelected() {
  const index = selectedIndex();
  if (index < 0) return;
  const { kid, serial } = coupons()[index];
  await run(async () => {
    const basket = await callInOrder("basket_remove", { kid, serial });
    // Keep a selection in place so that Delete can be pressed again.
    const next = basket.coupons[Math.min(index, basket.coupons.length - 1)];
    selected = next ? { kid: next.kid, serial: next.serial } : null;
    patch({ basket });
  }, { busy: [byId("basket-remove"), list] });
}

/**
 * Sends the amount typed in "paid otherwise" when it differs from the basket's. Resolves false
 * when the amount cannot be read or the shell refused it.
 */
async function savePaidOtherwise() {
  if (!current()) return false;
  const cents = parseEuros(paidInput.value);
  if (cents === null) {
    showProblem({ code: "BAD_AMOUNT", message: bothLangs("basket.badAmount") });
    return false;
  }
  if (cents === current().basket.paid_otherwise_cents) return true;
  return run(async () => patch({ basket: await callInOrder("basket_paid_otherwise", { cents }) }), {
    busy: [paidInput],
  });
}

async function clearBasket() {
  if (coupons().length > 0 && !(await confirmAction(t("basket.clearQuestion", { n: coupons().length })))) return;
  await run(async () => patch({ basket: await callInOrder("basket_clear") }), { busy: [byId("basket-clear")] });
}

/** Forgets the last checkout message (a new learner's first coupon was scanned). */
export function clearCommitMessage() {
  lastResult = null;
  renderMessage();
}

/** Starts the basket column. */
export function startBasket() {
  onChange((snapshot, changed) => {
    if ([...changed].some((key) => KEYS.has(key))) render();
  });
  onLangChange(render);
  byId("commit").addEventListener("click", commit);
  byId("undo").addEventListener("click", undo);
  byId("basket-remove").addEventListener("click", removeSelected);
  byId("basket-clear").addEventListener("click", clearBasket);
  // Enter or leaving the field saves what it shows when it differs from the basket's amount
  // (not on "change", which a scan's restored text would not fire again); Escape first puts
  // the basket's amount back.
  paidInput.addEventListener("focusout", async () => {
    // Saved (now or already): the field shows the amount as the basket has it ("7,00 €").
    if ((await savePaidOtherwise()) && document.activeElement !== paidInput) paidInput.value = paidText();
  });
  paidInput.addEventListener("keydown", (event) => {
    if (event.key === "Escape") paidInput.value = paidText();
    if (event.key === "Enter") savePaidOtherwise();
  });
}
