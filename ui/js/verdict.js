// verdict.js — the big verdict card of the counter: colour, icon, word, amount, serial and the
// shell's reason for the last scan; its sound; and the timing hook the end-to-end harness
// reads (window.guichetTimings, see schema/kiosk-ui.md).

import { afterPaint, byId } from "./dom.js";
import { euros } from "./format.js";
import { currentLang, has, onLangChange, t, text } from "./i18n.js";
import { play } from "./sound.js";
import { current, onChange } from "./state.js";

window.guichetTimings = [];

const ICONS = { idle: "", accepted: "✓", warning: "!", refused: "✗" };
// Verdict codes that share one word: every scope refusal reads "out of scope".
const WORD_ALIASES = { WRONG_AREA: "OUT_OF_SCOPE", WRONG_ZONE: "OUT_OF_SCOPE" };

const card = byId("verdict");
let shown = null; // the ScanResult on the card, null for "ready"
let sequence = 0;

/** The card's colour: green accepted, amber duplicate or warning, red refused. */
function tone(result) {
  if (result.kind === "accepted" || result.kind === "committed") return "accepted";
  if (result.kind === "duplicate" || result.kind === "undone" || result.sound === "warning") return "warning";
  return "refused";
}

function word(result) {
  const key = `verdict.${WORD_ALIASES[result.code] ?? result.code}`;
  if (has(key)) return t(key);
  return t(result.kind === "accepted" ? "verdict.OK" : "verdict.REFUSED");
}

/**
 * Shrinks the word to fit on one line (its CSS size is the largest it may have). Text width is
 * not quite proportional to the font size (hinting), hence the 5 % margin.
 */
function fitWord() {
  const word = byId("verdict-word");
  word.style.fontSize = "";
  const overflow = word.scrollWidth / word.clientWidth;
  if (overflow > 1) word.style.fontSize = `${(0.95 * Number.parseFloat(getComputedStyle(word).fontSize)) / overflow}px`;
}

function render() {
  const wordText = shown ? word(shown) : t("verdict.ready");
  const kind = shown ? tone(shown) : "idle";
  card.dataset.kind = shown?.kind ?? "idle";
  card.dataset.code = shown?.code ?? "";
  card.dataset.tone = kind;
  card.dataset.input = shown?.input ?? "";
  card.dataset.seq = String(sequence);
  byId("verdict-icon").textContent = ICONS[kind];
  byId("verdict-word").textContent = wordText;
  fitWord();
  const lang = currentLang();
  byId("verdict-amount").textContent = shown?.value_cents != null ? euros(shown.value_cents, lang) : "";
  const facts = [];
  if (shown?.serial != null) facts.push(t("verdict.serial", { serial: shown.serial }));
  if (shown?.provider) facts.push(t("verdict.provider", { provider: shown.provider }));
  byId("verdict-serial").textContent = facts.join(" · ");
  byId("verdict-message").textContent = shown ? text(shown.message) : t("verdict.readyHint");
}

function recordTiming(result, startedAt) {
  let start = null;
  let clock = null;
  if (result.input === "scanner" && startedAt != null) {
    start = startedAt;
    clock = () => performance.now();
  } else if (result.input === "camera" && result.captured_at_ms != null) {
    start = result.captured_at_ms;
    clock = () => Date.now();
  }
  if (start === null) return;
  afterPaint(() => window.guichetTimings.push({ input: result.input, ms: clock() - start }));
}

/**
 * Shows a ScanResult (an "ignored" one, human typing, leaves the card as it is). `startedAt`
 * is the scanner's Enter keydown timeStamp, for the timing hook.
 */
export function showVerdict(result, startedAt = null) {
  if (result.kind === "ignored") return;
  shown = result;
  sequence += 1;
  render();
  // A short pulse, so that the same verdict twice in a row is still seen to change.
  card.animate([{ transform: "scale(0.96)" }, { transform: "scale(1)" }], { duration: 160, easing: "ease-out" });
  play(result.sound, current()?.settings.sound);
  recordTiming(result, startedAt);
}

/**
 * Shows that a checkout was recorded (a CommitResult of "Valider": the word "encaissé") or
 * undone (UNDONE: "annulé"), its total and the shell's message, so that it cannot be taken for
 * the last scan's card.
 */
export function showCommitted(result) {
  const undone = result.code === "UNDONE";
  shown = {
    kind: undone ? "undone" : "committed",
    code: undone ? "UNDONE" : "COMMITTED",
    sound: "none",
    input: "",
    message: result.message,
    value_cents: result.last_checkout?.total_cents ?? null,
  };
  sequence += 1;
  render();
}

/**
 * Keeps the card true to the basket: an ACCEPTÉ card whose pass has left the basket (removed,
 * emptied, dropped with a workshop change, or its checkout undone) goes back to "ready".
 */
function followBasket(snapshot, changed) {
  if (!changed.has("basket") || shown?.kind !== "accepted") return;
  const inBasket = snapshot.basket.coupons.some((c) => c.serial === shown.serial);
  if (inBasket) return;
  shown = null;
  sequence += 1;
  render();
}

onChange(followBasket);
onLangChange(render);
new ResizeObserver(fitWord).observe(card);
render();
