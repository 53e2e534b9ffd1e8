// counter.js — the counter's own fields: the workshop (area, then service, from the shell's
// referential), the mediator's name, the camera preview with its state, and the "type or paste
// a code" field.

import { call, callInOrder } from "./api.js";
import { byId, fillSelect } from "./dom.js";
import { confirmAction } from "./confirm.js";
import { currentLang, onLangChange, t, text } from "./i18n.js";
import { current, onChange, setSnapshot } from "./state.js";
import { run } from "./task.js";

const areaSelect = byId("workshop-area");
const serviceSelect = byId("workshop-service");
const mediatorInput = byId("mediator");
const preview = byId("camera-preview");
const WORKSHOP_KEYS = new Set(["referential", "workshop"]);

let pendingArea = null; // an area chosen whose service is not chosen yet

function servicesOf(area) {
  return current()?.referential?.services.filter((service) => service.area === area) ?? [];
}

function fillServices(area, selected) {
  const items = servicesOf(area).map((s) => [s.code, `${s.code} — ${text(s.name)}`]);
  fillSelect(serviceSelect, [["", t("counter.choose")], ...items], selected);
  serviceSelect.disabled = !area;
}

function renderWorkshop() {
  const { referential, workshop } = current();
  const note = byId("workshop-note");
  if (!referential) {
    fillSelect(areaSelect, [["", t("counter.noReferential")]], "");
    fillSelect(serviceSelect, [["", t("counter.noReferential")]], "");
    areaSelect.disabled = true;
    serviceSelect.disabled = true;
  } else {
    const areas = referential.areas.map((a) => [a.code, `${a.code} — ${text(a.name)}`]);
    fillSelect(areaSelect, [["", t("counter.choose")], ...areas], pendingArea ?? workshop?.area ?? "");
    areaSelect.disabled = false;
    fillServices(areaSelect.value, workshop?.service ?? "");
  }
  note.hidden = !referential?.example;
  note.textContent = referential?.example ? t("counter.exampleReferential", { version: referential.version }) : "";
  areaSelect.dataset.empty = String(!workshop);
  serviceSelect.dataset.empty = String(!workshop);
}

async function chooseService() {
  const area = areaSelect.value;
  const service = serviceSelect.value;
  const { workshop, basket } = current();
  if (!area || !service || (workshop?.area === area && workshop?.service === service)) return;
  const basketWorkshop = basket.workshop;
  const othersDropped = basket.coupons.length > 0
    && (basketWorkshop?.area !== area || basketWorkshop?.service !== service);
  if (othersDropped && !(await confirmAction(t("counter.changeWorkshopQuestion", { n: basket.coupons.length })))) {
    pendingArea = null;
    renderWorkshop();
    return;
  }
  await run(async () => {
    const snapshot = await callInOrder("set_workshop", { area, service });
    pendingArea = null;
    setSnapshot(snapshot);
  }, { busy: [serviceSelect] });
}

function renderMediator() {
  const { mediator } = current();
  if (document.activeElement !== mediatorInput) mediatorInput.value = mediator;
  mediatorInput.dataset.empty = String(mediator === "");
}

/**
 * Sends the name typed in `#mediator` when it differs from the saved one (Enter, leaving the
 * field, or F2 right after typing it). Resolves false when the shell refused it.
 */
export async function saveMediator() {
  const name = mediatorInput.value.trim();
  if (!current() || name === current().mediator) return true;
  return run(async () => setSnapshot(await call("set_mediator", { name })), { busy: [mediatorInput] });
}

function renderCamera() {
  const { camera } = current().status;
  const box = byId("camera");
  box.dataset.state = camera.state;
  if (camera.state !== "running") preview.hidden = true;
  // The worker's own message (often the driver's English) goes to the tooltip in English only.
  const facts = [t(`camera.${camera.state}`), camera.name].filter(Boolean);
  byId("camera-state").textContent = facts.join(" · ");
  box.title = camera.message && currentLang() === "en" ? camera.message : "";
}

/** Shows a `preview` event's frame (only while the camera runs). */
export function showPreview({ png }) {
  if (current()?.status.camera.state !== "running") return;
  preview.src = png;
  preview.hidden = false;
}

/**
 * Starts the counter fields. `onPasted(result)` receives the ScanResult of a typed or pasted
 * code.
 */
export function startCounter(onPasted) {
  onChange((snapshot, changed) => {
    if ([...changed].some((key) => WORKSHOP_KEYS.has(key))) renderWorkshop();
    if (changed.has("mediator")) renderMediator();
    if (changed.has("status")) renderCamera();
  });
  onLangChange(() => {
    if (!current()) return;
    renderWorkshop();
    renderCamera();
  });

  areaSelect.addEventListener("change", () => {
    pendingArea = areaSelect.value;
    fillServices(areaSelect.value, "");
  });
  // Enter on the area goes on to the service (rather than back to the counter).
  areaSelect.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || serviceSelect.disabled) return;
    event.preventDefault();
    event.stopPropagation();
    serviceSelect.focus();
  });
  serviceSelect.addEventListener("change", chooseService);
  // Enter or leaving the field saves what it shows when it differs from the saved name (not on
  // "change", which a scan's restored text would not fire again); Escape first puts the saved
  // name back.
  mediatorInput.addEventListener("focusout", saveMediator);
  mediatorInput.addEventListener("keydown", (event) => {
    if (event.key === "Escape") mediatorInput.value = current()?.mediator ?? "";
    if (event.key === "Enter") saveMediator();
  });

  byId("paste-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = byId("paste-input");
    const code = input.value.trim();
    if (!code) return;
    await run(async () => {
      const result = await callInOrder("scan_text", { text: code, input: "pasted" });
      input.value = "";
      onPasted(result);
    }, { busy: [byId("paste-button")] });
  });
}
