// status.js — the status bar shown on every screen: center, connection, last sync, pending
// redemptions and those needing attention (conflict, rejected, held), trust bundle, clock and camera, as the shell's Status says.

import { byId } from "./dom.js";
import { whenShort } from "./format.js";
import { currentLang, onLangChange, t } from "./i18n.js";
import { current, onChange } from "./state.js";

const KEYS = new Set(["status", "center"]);

function chip(id, label, state, title = "") {
  const el = byId(id);
  el.textContent = label;
  el.dataset.state = state;
  el.title = title;
}

/**
 * A technical detail as the system wrote it (a network or camera driver's message, in English):
 * shown as is in English; in French, a French pointer to the administration, which shows it.
 */
function detail(raw) {
  if (!raw) return "";
  return currentLang() === "en" ? raw : t("status.detailInAdmin");
}

/**
 * Why the last sync failed, in the page's language (the shell gives a code, issue 26); on an
 * English screen the system's own words follow. Empty when the last sync did not fail.
 */
export function syncProblemText(status) {
  if (!status.sync_problem) return "";
  const words = t(`syncProblem.${status.sync_problem}`);
  return currentLang() === "en" && status.last_error ? `${words} (${status.last_error})` : words;
}

/** Whether the center's name is cut (two lines full, or wider than its box). */
function nameCut(name) {
  return name.scrollHeight > name.clientHeight + 1 || name.scrollWidth > name.clientWidth + 1;
}

/**
 * Keeps the center's name whole: the buttons show only their key while the chips leave the
 * name too little room (the bar's height never changes, issue 15).
 */
function fitCenterName() {
  const bar = byId("status-bar");
  const name = byId("center-name");
  delete bar.dataset.compact;
  if (nameCut(name) || bar.scrollWidth > bar.clientWidth) bar.dataset.compact = "";
}

function render() {
  const snapshot = current();
  if (!snapshot) return;
  const { status, center } = snapshot;
  const lang = currentLang();

  byId("center-name").textContent = center ? t("status.center", { name: center.name }) : t("status.app");
  chip("status-connection", t(`connection.${status.connection}`), status.connection, syncProblemText(status));
  chip(
    "status-last-sync",
    status.last_success ? t("status.lastSync", { when: whenShort(status.last_success, lang) }) : t("status.neverSynced"),
    status.last_success ? "done" : "never",
  );
  chip("status-pending", t("status.pending", { n: status.pending }), status.pending > 0 ? "pending" : "none");
  // Conflicts, rejected and held redemptions all need someone to look (the day review says why).
  chip(
    "status-conflicts",
    t("status.attention", { n: status.attention }),
    status.attention > 0 ? "conflict" : "none",
    t("status.attentionDetail", { conflicts: status.conflicts, rejected: status.rejected, held: status.held }),
  );

  const { bundle } = status;
  chip(
    "status-bundle",
    t(`bundle.${bundle.state}`, { sequence: bundle.sequence ?? "–", n: bundle.age_days ?? 0 }),
    bundle.state,
    bundle.set_aside
      ? t("bundle.setAside", { file: bundle.set_aside, code: bundle.set_aside_code })
      : bundle.sequence != null ? t("bundle.detail", { sequence: bundle.sequence, n: bundle.age_days ?? 0 }) : "",
  );

  const clock = byId("status-clock");
  clock.hidden = status.clock.state !== "behind";
  chip("status-clock", t("status.clockBehind", { n: Math.max(1, Math.round(status.clock.behind_seconds / 60)) }), status.clock.state);

  const { camera } = status;
  chip("status-camera", t(`camera.${camera.state}`), camera.state, camera.message ? detail(camera.message) : camera.name);
  fitCenterName();
}

/** Starts rendering the bar from every Snapshot and `status` event. */
export function startStatusBar() {
  onChange((snapshot, changed) => {
    if ([...changed].some((key) => KEYS.has(key))) render();
  });
  onLangChange(render);
  window.addEventListener("resize", fitCenterName);
  // "14:02" becomes "23/11 14:02" once the day has changed.
  setInterval(render, 60_000);
}
