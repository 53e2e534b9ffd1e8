// main.js — the entry point: wires the modules together, listens to the shell's events, shows
// the first Snapshot, then tells the shell the page is ready (`ui_ready`, awaited by the
// end-to-end tests).

import { startAdmin, enterAdmin } from "./js/admin.js";
import { call, callInOrder, on } from "./js/api.js";
import { commit, clearCommitMessage, moveSelection, removeSelected, startBasket, undo } from "./js/basket.js";
import { showPreview, startCounter } from "./js/counter.js";
import { afterPaint, byId, openDialog } from "./js/dom.js";
import { focusCounter, focusField, startFocusGuard } from "./js/focus.js";
import { currentLang, setLang, translatePage } from "./js/i18n.js";
import { startLeave } from "./js/leave.js";
import { enterReview, startReview } from "./js/review.js";
import { currentScreen, lockIfUnlocked, onEnter, openScreen } from "./js/screens.js";
import { bindShortcuts } from "./js/shortcuts.js";
import { resumeOnGesture, warmUp } from "./js/sound.js";
import { onChange, patch, setSnapshot } from "./js/state.js";
import { startStatusBar } from "./js/status.js";
import { clearProblem, run, showProblem } from "./js/task.js";
import { showVerdict } from "./js/verdict.js";
import { startWedge } from "./js/wedge.js";

const SNAPSHOT_RETRY_MS = 3000;

const isCounter = () => currentScreen() === "counter";

/** A ScanResult from any input: the card, the basket, and the counter brought to the front. */
function onScanResult(result, startedAt = null) {
  showVerdict(result, startedAt);
  patch({ basket: result.basket });
  if (result.kind === "accepted") clearCommitMessage();
  if (result.kind !== "ignored" && !isCounter() && !openDialog()) openScreen("counter");
}

async function switchLang() {
  await run(async () => setSnapshot(await call("set_lang", { lang: currentLang() === "fr" ? "en" : "fr" })));
}

function wire() {
  // The language follows the shell's Snapshot (before the screens render with it).
  onChange((snapshot, changed) => {
    if (changed.has("lang")) setLang(snapshot.lang);
  });
  startStatusBar();
  startCounter((result) => onScanResult(result));
  startBasket();
  startReview();
  startAdmin();
  onEnter("review", enterReview);
  onEnter("admin", enterAdmin);
  resumeOnGesture();

  startWedge({
    verify: async (keys, endedAt) => {
      let result = null;
      await run(async () => {
        result = await callInOrder("wedge_burst", { keys });
        onScanResult(result, endedAt);
      });
      return result;
    },
    read: async (keys) => {
      let text;
      await run(async () => {
        text = await callInOrder("wedge_text", { keys });
      });
      return text;
    },
    verifyText: (text) => run(async () => onScanResult(await callInOrder("scan_text", { text, input: "scanner" }))),
    guardKeys: isCounter,
  });
  startFocusGuard(isCounter);
  bindShortcuts({
    commit,
    paidOtherwise: () => focusField(byId("paid-otherwise")),
    undo,
    workshop: () => focusField(byId("workshop-area")),
    mediator: () => focusField(byId("mediator")),
    review: () => openScreen("review"),
    paste: () => focusField(byId("paste-input")),
    admin: () => openScreen("admin"),
    lang: switchLang,
    select: (event) => moveSelection(event.key === "ArrowDown" ? 1 : -1),
    remove: removeSelected,
    back: () => {
      if (isCounter()) {
        clearProblem();
        focusCounter();
      } else {
        openScreen("counter");
      }
    },
  }, isCounter);

  byId("open-review").addEventListener("click", () => openScreen("review"));
  byId("open-admin").addEventListener("click", () => openScreen("admin"));
  byId("lang-toggle").addEventListener("click", switchLang);
  byId("review-back").addEventListener("click", () => openScreen("counter"));
  byId("admin-back").addEventListener("click", () => openScreen("counter"));
}

async function listen() {
  await on("scan", (result) => onScanResult(result));
  await on("preview", showPreview);
  await on("status", (status) => patch({ status }));
  await startLeave();
}

/** Loads the first Snapshot, retrying while the shell cannot give it (the error line says why). */
async function firstSnapshot() {
  for (;;) {
    try {
      setSnapshot(await call("snapshot"));
      return;
    } catch (problem) {
      showProblem(problem);
      if (problem.code === "NO_SHELL") throw problem;
      await new Promise((resolve) => setTimeout(resolve, SNAPSHOT_RETRY_MS));
    }
  }
}

async function start() {
  translatePage();
  wire();
  const listenProblem = await listen().then(() => null, (problem) => problem);
  await firstSnapshot();
  // Without events the page would not see the camera or status changes: keep saying so.
  if (listenProblem) showProblem(listenProblem);
  else clearProblem();
  // A window opens on the counter: nothing stays unlocked from before.
  await lockIfUnlocked();
  focusCounter();
  // The shell answers with the milliseconds since its process started (the cold start).
  afterPaint(() => {
    warmUp();
    call("ui_ready")
      .then((ms) => {
        window.guichetStartMs = ms;
      })
      .catch(showProblem);
  });
}

start().catch((problem) => console.error("guichet: the page could not start", problem));
