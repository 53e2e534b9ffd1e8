// admin.js — the administration screen (admin PIN): enrolment with the platform, import of a
// signed update file with what it changed, the issuer keys, "sync now", the settings form and
// PIN changes. Every decision (is the update newer, is the signature good) is the shell's.

import { call } from "./api.js";
import { byId, fillSelect } from "./dom.js";
import { dateTime } from "./format.js";
import { bothLangs, currentLang, onLangChange, t, text } from "./i18n.js";
import { current, onChange, setSnapshot } from "./state.js";
import { syncProblemText } from "./status.js";
import { run, showProblem } from "./task.js";

const CAMERA_KINDS = ["none", "device", "replay"];
const SERIAL_KINDS = ["off", "auto", "port"];
const LAYOUTS = ["auto", "us", "fr", "de", "uk", "be", "ch"];
const LANGS = ["fr", "en"];
const ROLES = ["manager", "admin"];
const FACTS = ["sequence", "issued_at", "expires_at", "referential_version", "keys", "revoked_keys", "revoked_serials"];

let updateFiles = [];
let summary = null; // the last UpdateSummary
let keys = null; // the last [IssuerKeyView]
let results = {}; // element id → catalogue key of the last success message
let doctorReport = null; // the last report of `guichet doctor` (the `doctor` command)

function renderEnrollment() {
  const { enrolled, center, device_id: device, root_fingerprint: fingerprint } = current();
  byId("enroll-state").textContent = enrolled && center
    ? t("admin.enroll.enrolled", { center: center.name, id: center.id, device: device ?? "–", fingerprint: fingerprint ?? "–" })
    : t("admin.enroll.notEnrolled");
  // The platform of the configuration (kiosk.toml's platform_url), unless someone typed one.
  const url = byId("enroll-url");
  if (!url.value && document.activeElement !== url) url.value = current().platform_url ?? "";
}

function renderSync() {
  const { status } = current();
  const lang = currentLang();
  const facts = [t(`connection.${status.connection}`)];
  facts.push(status.last_success ? t("status.lastSync", { when: dateTime(status.last_success, lang) }) : t("status.neverSynced"));
  if (status.sync_problem) facts.push(t("admin.sync.lastError", { error: syncProblemText(status) }));
  byId("sync-facts").textContent = facts.join(" · ");
}

function renderFiles() {
  const select = byId("import-files");
  const options = updateFiles.map((path) => new Option(path, path));
  if (options.length === 0) {
    const none = new Option(t("admin.import.noFiles"), "");
    none.disabled = true;
    options.push(none);
  }
  select.replaceChildren(...options);
  select.dataset.count = String(updateFiles.length);
}

/** The doctor's report: one line per check (the shell's words), then its summary. */
function renderDoctor() {
  const lines = (doctorReport?.checks ?? []).map((check) => {
    const line = document.createElement("li");
    line.className = `doctor-line doctor-line--${check.level}`;
    line.dataset.id = check.id;
    line.dataset.level = check.level;
    line.textContent = t("admin.doctor.line", { mark: t(`admin.doctor.${check.level}`), label: text(check.label), message: text(check.message) });
    return line;
  });
  byId("doctor-lines").replaceChildren(...lines);
  byId("doctor-summary").textContent = doctorReport ? text(doctorReport.summary) : "";
}

async function runDoctor() {
  await run(async () => {
    doctorReport = await call("doctor");
    renderDoctor();
  }, { busy: [byId("doctor-run")] });
}

function factValue(name, facts) {
  if (!facts) return "–";
  const value = facts[name];
  if (value == null) return "–";
  return name.endsWith("_at") ? dateTime(value, currentLang()) : String(value);
}

function listBlock(titleKey, items) {
  const block = document.createElement("p");
  block.className = "import-result__list";
  block.textContent = t(titleKey, { n: items.length, items: items.join(", ") || "–" });
  return block;
}

function renderSummary() {
  const box = byId("import-result");
  box.dataset.code = summary?.code ?? "";
  box.dataset.accepted = summary ? String(summary.accepted) : "";
  if (!summary) {
    box.replaceChildren();
    return;
  }
  const head = document.createElement("p");
  head.className = "import-result__head";
  head.textContent = `${summary.accepted ? "✓" : "✗"} ${text(summary.message)}`;
  const parts = [head];
  if (summary.before || summary.after) {
    const tableEl = document.createElement("table");
    tableEl.className = "facts";
    tableEl.id = "import-facts";
    const headRow = tableEl.createTHead().insertRow();
    for (const label of ["", t("admin.import.before"), t("admin.import.after")]) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = label;
      headRow.append(th);
    }
    const tbody = tableEl.createTBody();
    for (const name of FACTS) {
      const row = tbody.insertRow();
      row.dataset.fact = name;
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = t(`admin.import.fact.${name}`);
      row.append(th);
      row.insertCell().textContent = factValue(name, summary.before);
      row.insertCell().textContent = factValue(name, summary.after);
    }
    parts.push(tableEl);
  }
  if (summary.accepted) {
    parts.push(
      listBlock("admin.import.keysAdded", summary.keys_added),
      listBlock("admin.import.keysRevoked", summary.keys_revoked),
      listBlock("admin.import.keysRetired", summary.keys_retired),
    );
    const revocations = document.createElement("p");
    revocations.className = "import-result__list";
    revocations.textContent = t("admin.import.revocationsAdded", { n: summary.revocations_added });
    parts.push(revocations);
  }
  box.replaceChildren(...parts);
  box.scrollIntoView({ block: "nearest" });
}

function renderKeys() {
  const rows = (keys ?? []).map((key) => {
    const row = document.createElement("tr");
    row.dataset.kid = key.kid;
    row.dataset.status = key.status;
    const kid = row.insertCell();
    kid.className = "mono";
    kid.textContent = key.kid;
    row.insertCell().textContent = key.provider;
    row.insertCell().textContent = t(`keyStatus.${key.status}`);
    return row;
  });
  byId("issuer-keys-body").replaceChildren(...rows);
  byId("issuer-keys-empty").hidden = keys === null || rows.length > 0;
}

function renderSettingsChoices() {
  const keep = (id) => byId(id).value;
  fillSelect(byId("settings-camera-kind"), CAMERA_KINDS.map((k) => [k, t(`cameraKind.${k}`)]), keep("settings-camera-kind"));
  fillSelect(byId("settings-serial-kind"), SERIAL_KINDS.map((k) => [k, t(`serialKind.${k}`)]), keep("settings-serial-kind"));
  fillSelect(byId("settings-scanner-layout"), LAYOUTS.map((l) => [l, t(`layout.${l}`)]), keep("settings-scanner-layout"));
  fillSelect(byId("settings-lang"), LANGS.map((l) => [l, t(`langName.${l}`)]), keep("settings-lang"));
  fillSelect(byId("pin-change-role"), ROLES.map((r) => [r, t(`role.${r}`)]), keep("pin-change-role"));
}

/** Puts the shell's settings into the form. */
function fillSettings() {
  const { settings } = current();
  byId("settings-camera-kind").value = settings.camera.kind;
  byId("settings-camera-index").value = String(settings.camera.index);
  byId("settings-camera-folder").value = settings.camera.folder;
  byId("settings-scanner-layout").value = settings.scanner_layout;
  byId("settings-serial-kind").value = settings.serial_scanner.kind;
  byId("settings-serial-port").value = settings.serial_scanner.port;
  byId("settings-lang").value = settings.lang;
  byId("settings-sound").checked = settings.sound;
  byId("settings-fullscreen").checked = settings.fullscreen;
  byId("settings-autostart").checked = settings.autostart;
  byId("settings-lock-after").value = String(settings.lock_after_minutes);
}

function renderResults() {
  for (const id of ["enroll-result", "sync-result", "settings-result", "pin-change-result"]) {
    byId(id).textContent = results[id] ? t(results[id]) : "";
  }
}

function render() {
  if (!current()) return;
  renderEnrollment();
  renderSync();
  renderDoctor();
  renderFiles();
  renderSummary();
  renderKeys();
  renderSettingsChoices();
  renderResults();
}

/** Runs `work` for the panel whose result line is `resultId`; on success shows `doneKey`. */
async function act(resultId, doneKey, work, busy) {
  results[resultId] = null;
  const done = await run(work, { busy, progress: byId(resultId) });
  if (done) results[resultId] = doneKey;
  renderResults();
  return done;
}

async function loadFiles() {
  await run(async () => {
    updateFiles = await call("update_files");
    renderFiles();
  }, { busy: [byId("import-refresh"), byId("import-files")] });
}

async function loadKeys() {
  await run(async () => {
    keys = await call("issuer_keys");
    renderKeys();
  }, { busy: [byId("issuer-keys")] });
}

async function enroll(event) {
  event.preventDefault();
  const url = byId("enroll-url").value.trim();
  const code = byId("enroll-code").value.trim();
  const fingerprint = byId("enroll-fingerprint").value.trim();
  // The admin PIN is chosen here, typed twice; the shell keeps it before calling the platform.
  const adminName = byId("enroll-name").value;
  const adminPin = byId("enroll-pin").value;
  if (adminPin !== byId("enroll-pin-confirm").value) {
    showProblem({ code: "PIN_MISMATCH", message: bothLangs("pin.mismatch") });
    return;
  }
  const done = await act("enroll-result", "admin.enroll.done", async () => setSnapshot(await call("enroll", { url, code, fingerprint, adminName, adminPin })), [
    byId("enroll-button"),
    byId("enroll-form"),
  ]);
  for (const id of ["enroll-pin", "enroll-pin-confirm"]) byId(id).value = "";
  if (done) {
    byId("enroll-code").value = "";
    byId("enroll-fingerprint").value = "";
  }
}

async function importUpdate(event) {
  event.preventDefault();
  const path = byId("import-path").value.trim();
  if (!path) {
    showProblem({ code: "NO_PATH", message: bothLangs("admin.import.noPath") });
    return;
  }
  summary = null;
  renderSummary();
  const done = await run(async () => {
    summary = await call("import_update", { path });
    renderSummary();
  }, { busy: [byId("import-button"), byId("import-result")], progress: byId("import-result") });
  if (done && summary.accepted) {
    // The bundle, referential and keys changed: show them as the shell now sees them.
    await run(async () => setSnapshot(await call("snapshot")));
    await loadKeys();
  }
}

async function syncNow() {
  await act("sync-result", "admin.sync.done", async () => {
    await call("sync_now");
    setSnapshot(await call("snapshot"));
  }, [byId("sync-now")]);
}

async function saveSettings(event) {
  event.preventDefault();
  const index = Number.parseInt(byId("settings-camera-index").value, 10);
  if (!Number.isInteger(index) || index < 0) {
    showProblem({ code: "BAD_CAMERA_INDEX", message: bothLangs("admin.settings.badIndex") });
    return;
  }
  const { settings } = current();
  const next = {
    ...settings,
    lang: byId("settings-lang").value,
    sound: byId("settings-sound").checked,
    scanner_layout: byId("settings-scanner-layout").value,
    serial_scanner: { kind: byId("settings-serial-kind").value, port: byId("settings-serial-port").value.trim() },
    camera: { ...settings.camera, kind: byId("settings-camera-kind").value, index, folder: byId("settings-camera-folder").value.trim() },
    fullscreen: byId("settings-fullscreen").checked,
    autostart: byId("settings-autostart").checked,
    lock_after_minutes: Number.parseInt(byId("settings-lock-after").value, 10) || 0,
  };
  const done = await act("settings-result", "admin.settings.done", async () => setSnapshot(await call("save_settings", { settings: next })), [
    byId("settings-save"),
    byId("settings-form"),
  ]);
  if (done) fillSettings();
}

async function changePin(event) {
  event.preventDefault();
  const role = byId("pin-change-role").value;
  const pin = byId("pin-change-new").value;
  if (pin !== byId("pin-change-confirm").value) {
    showProblem({ code: "PIN_MISMATCH", message: bothLangs("pin.mismatch") });
    return;
  }
  const done = await act("pin-change-result", "admin.pins.done", async () => setSnapshot(await call("set_pin", { role, pin })), [
    byId("pin-change-button"),
  ]);
  if (done) {
    byId("pin-change-new").value = "";
    byId("pin-change-confirm").value = "";
  }
}

/** The admin screen was opened: fresh files, keys and settings. */
export function enterAdmin() {
  summary = null;
  results = {};
  doctorReport = null;
  render();
  fillSettings();
  loadFiles();
  loadKeys();
}

/** Starts the admin screen's controls. */
export function startAdmin() {
  onChange((snapshot, changed) => {
    if (changed.has("status") || changed.has("center") || changed.has("enrolled")) {
      renderEnrollment();
      renderSync();
    }
  });
  onLangChange(render);
  byId("enroll-form").addEventListener("submit", enroll);
  // A USB scanner reading the enrollment sheet's QR code (the ticket CODE/FINGERPRINT) into
  // one of its fields fills both; any other scanned text goes into the field as it is.
  byId("enroll-form").addEventListener("scan-text", (event) => {
    const ticket = /^\s*([^/\s]+)\/([^/\s]+)\s*$/.exec(event.detail);
    if (ticket) {
      byId("enroll-code").value = ticket[1];
      byId("enroll-fingerprint").value = ticket[2];
      byId(byId("enroll-name").value ? "enroll-pin" : "enroll-name").focus();
    } else {
      event.target.value = event.detail;
    }
  });
  byId("import-form").addEventListener("submit", importUpdate);
  byId("import-refresh").addEventListener("click", loadFiles);
  byId("import-files").addEventListener("change", (event) => {
    byId("import-path").value = event.target.value;
  });
  byId("sync-now").addEventListener("click", syncNow);
  byId("doctor-run").addEventListener("click", runDoctor);
  byId("settings-form").addEventListener("submit", saveSettings);
  byId("pin-change-form").addEventListener("submit", changePin);
}
