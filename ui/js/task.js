// task.js — runs one shell call the way every screen wants it: progress shown while it runs
// (aria-busy, a disabled button with a spinner, "…" text), the error line cleared before and
// filled with the Problem's message, in the current language, when it fails.

import { toProblem } from "./api.js";
import { byId } from "./dom.js";
import { onLangChange, t, text } from "./i18n.js";

let shownProblem = null;

/** The sentence for a Problem in the current language. */
export function problemText(problem) {
  if (problem.message) return text(problem.message);
  return problem.code === "NO_SHELL" ? t("error.noShell") : t("error.unexpected", { detail: problem.detail });
}

/** Shows `problem` on the error line (under the status bar, on every screen). */
export function showProblem(problem) {
  shownProblem = problem;
  renderErrorLine();
}

/** Empties the error line. */
export function clearProblem() {
  shownProblem = null;
  renderErrorLine();
}

function renderErrorLine() {
  const line = byId("error");
  line.hidden = !shownProblem;
  line.dataset.code = shownProblem?.code ?? "";
  line.textContent = shownProblem ? problemText(shownProblem) : "";
}

onLangChange(renderErrorLine);

/**
 * Runs `work()` (async). While it runs, each element of `busy` has aria-busy="true" (buttons
 * are also disabled) and `progress`, if given, says "…". A rejection (a Problem) goes to
 * `report` (default: the error line). Resolves true when `work` succeeded, false otherwise.
 */
export async function run(work, { busy = [], progress = null, report = showProblem } = {}) {
  if (report === showProblem) clearProblem();
  const marked = busy.filter(Boolean);
  const disabled = marked.filter((el) => el instanceof HTMLButtonElement && !el.disabled);
  for (const el of marked) el.setAttribute("aria-busy", "true");
  for (const button of disabled) button.disabled = true;
  if (progress) progress.textContent = t("common.working");
  try {
    await work();
    return true;
  } catch (error) {
    if (progress) progress.textContent = "";
    report(toProblem(error));
    return false;
  } finally {
    for (const el of marked) el.setAttribute("aria-busy", "false");
    for (const button of disabled) button.disabled = false;
  }
}
