// review.js — the day review (manager or admin): the query (dates, filters), the totals and
// breakdowns the shell computed, the list with each line's sync state (conflicts explained),
// cancelling a selected line with a reason, and the CSV/PDF export.

import { call } from "./api.js";
import { byId, fillSelect } from "./dom.js";
import { date, dayText, euros, parisDay, parseDay } from "./format.js";
import { currentLang, has, onLangChange, t, text } from "./i18n.js";
import { current } from "./state.js";
import { problemText, run } from "./task.js";

const SYNC_STATES = ["pending", "sent", "accepted", "conflict", "rejected", "held", "unknown", "cancelled"];

const fields = {
  from: byId("review-from"),
  to: byId("review-to"),
  mediator: byId("review-mediator"),
  area: byId("review-area"),
  provider: byId("review-provider"),
  sync: byId("review-sync"),
};
const table = byId("review-table");
const body = byId("review-lines");

let review = null; // the last Review
let reviewQuery = null; // the ReviewQuery it answers
let selectedId = null;
let cancelMessage = null; // the Text of the last cancel_redemption
let exportMessage = null; // what the last export, print or copy said (or why it failed)

function query() {
  const orNull = (select) => select.value || null;
  return {
    from: parseDay(fields.from.value),
    to: parseDay(fields.to.value),
    mediator: orNull(fields.mediator),
    area: orNull(fields.area),
    provider: orNull(fields.provider),
    sync_state: orNull(fields.sync),
  };
}

function areaLabel(code) {
  const area = current()?.referential?.areas.find((a) => a.code === code);
  return area ? `${code} — ${text(area.name)}` : code;
}

function syncLabel(state) {
  return has(`sync.${state}`) ? t(`sync.${state}`) : state;
}

function inputLabel(method) {
  return has(`input.${method}`) ? t(`input.${method}`) : method;
}

function renderFilters() {
  const all = ["", t("review.all")];
  const keep = (select) => select.value;
  fillSelect(fields.mediator, [all, ...(review?.mediators ?? []).map((m) => [m, m])], keep(fields.mediator));
  fillSelect(fields.provider, [all, ...(review?.providers ?? []).map((p) => [p, p])], keep(fields.provider));
  const areas = current()?.referential?.areas ?? [];
  fillSelect(fields.area, [all, ...areas.map((a) => [a.code, areaLabel(a.code)])], keep(fields.area));
  fillSelect(fields.sync, [all, ...SYNC_STATES.map((s) => [s, syncLabel(s)])], keep(fields.sync));
}

function cell(row, content, className = "") {
  const td = document.createElement("td");
  if (className) td.className = className;
  td.append(...[content].flat());
  row.append(td);
  return td;
}

function renderBreakdown(id, tallies, label) {
  const lang = currentLang();
  const rows = Object.entries(tallies ?? {}).map(([key, tally]) => {
    const row = document.createElement("tr");
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = label(key);
    row.append(th);
    cell(row, String(tally.count), "number");
    cell(row, euros(tally.total_cents, lang), "number");
    return row;
  });
  byId(id).tBodies[0].replaceChildren(...rows);
}

function renderSummary() {
  const lang = currentLang();
  const summary = review?.summary;
  byId("review-count").textContent = summary ? String(summary.redeemed.count) : "";
  byId("review-total").textContent = summary ? euros(summary.redeemed.total_cents, lang) : "";
  byId("review-cancelled").textContent = summary
    ? t("review.countAndTotal", { n: summary.cancelled.count, total: euros(summary.cancelled.total_cents, lang) })
    : "";
  byId("review-checkouts").textContent = summary ? String(summary.checkouts) : "";
  byId("review-paid-otherwise").textContent = summary ? euros(summary.paid_otherwise_cents, lang) : "";
  byId("review-day-total").textContent = summary ? euros(summary.day_total_cents, lang) : "";
  renderBreakdown("review-by-mediator", summary?.by_mediator, (name) => name || t("review.noMediator"));
  renderBreakdown("review-by-area", summary?.by_area, areaLabel);
  renderBreakdown("review-by-provider", summary?.by_provider, (name) => name);
  renderBreakdown("review-by-sync", summary?.by_sync_state, syncLabel);
}

function lineTime(line) {
  const lang = currentLang();
  return reviewQuery?.from === reviewQuery?.to ? line.local_time : `${date(line.occurred_at, lang)} ${line.local_time}`;
}

function syncCell(line) {
  const parts = [];
  const badge = document.createElement("span");
  badge.className = "badge";
  badge.dataset.state = line.sync_state;
  badge.textContent = syncLabel(line.sync_state);
  parts.push(badge);
  // A rejected or held redemption: the platform's cause in words; else its detail as sent.
  const detailText = line.cause_message ? text(line.cause_message) : line.sync_detail;
  if (detailText) {
    const detail = document.createElement("span");
    detail.className = "lines__detail";
    detail.textContent = detailText;
    parts.push(detail);
  }
  if (line.cancelled) {
    const cancelled = document.createElement("span");
    cancelled.className = "lines__detail";
    cancelled.textContent = t("review.cancelledBy", {
      when: date(line.cancelled.at, currentLang()),
      by: line.cancelled.by,
      reason: line.cancelled.reason,
    });
    parts.push(cancelled);
  }
  return parts;
}

function renderLines() {
  const lang = currentLang();
  const rows = (review?.lines ?? []).map((line) => {
    const row = document.createElement("tr");
    row.id = `review-line-${line.id}`;
    row.dataset.id = String(line.id);
    row.dataset.syncState = line.sync_state;
    row.dataset.cancelled = String(Boolean(line.cancelled));
    cell(row, lineTime(line));
    cell(row, String(line.serial), "number");
    cell(row, euros(line.value_cents, lang), "number");
    // One screen line per pass: long names end with "…", the whole name in the tooltip.
    cell(row, line.provider_name, "lines__clip").title = line.provider_name;
    cell(row, line.mediator, "lines__clip").title = line.mediator;
    const workshop = [line.area, line.service_name ? `${line.service} — ${text(line.service_name)}` : line.service].filter(Boolean).join(" · ");
    cell(row, workshop, "lines__clip").title = workshop;
    cell(row, inputLabel(line.input_method));
    cell(row, syncCell(line), "lines__sync");
    row.addEventListener("click", () => select(line.id));
    return row;
  });
  body.replaceChildren(...rows);
  byId("review-empty").hidden = !review || rows.length > 0;
  if (!review?.lines.some((line) => line.id === selectedId)) selectedId = null;
  renderSelection();
}

function selectedLine() {
  return review?.lines.find((line) => line.id === selectedId) ?? null;
}

function renderSelection() {
  for (const row of body.rows) row.setAttribute("aria-selected", String(row.id === `review-line-${selectedId}`));
  const line = selectedLine();
  if (line) {
    table.setAttribute("aria-activedescendant", `review-line-${line.id}`);
    byId(`review-line-${line.id}`).scrollIntoView({ block: "nearest" });
  } else {
    table.removeAttribute("aria-activedescendant");
  }
  byId("review-selected").textContent = line
    ? t("review.selected", { serial: line.serial, value: euros(line.value_cents, currentLang()), time: lineTime(line) })
    : t("review.noSelection");
  byId("cancel-button").disabled = !line;
}

function renderResults() {
  byId("cancel-result").textContent = cancelMessage ? text(cancelMessage) : "";
  const line = byId("export-result");
  line.textContent = exportMessage ? exportMessage.say() : "";
  line.dataset.kind = exportMessage?.kind ?? "";
}

function render() {
  renderFilters();
  renderSummary();
  renderLines();
  renderResults();
}

function select(id) {
  selectedId = id;
  renderSelection();
}

function moveSelection(step) {
  const lines = review?.lines ?? [];
  if (lines.length === 0) return;
  const index = lines.findIndex((line) => line.id === selectedId);
  const next = index < 0 ? (step > 0 ? 0 : lines.length - 1) : Math.min(lines.length - 1, Math.max(0, index + step));
  select(lines[next].id);
}

/** Asks the shell for the review of the query in the form. */
/**
 * Says under the date fields whether they can be read and marks the bad one (the line keeps its
 * height, so nothing moves); the fields are typed dd/mm/yyyy, one Tab stop each, whatever the
 * locale.
 */
function renderDateErrors() {
  const bad = ["from", "to"].filter((name) => {
    const unreadable = parseDay(fields[name].value) === null;
    fields[name].setAttribute("aria-invalid", String(unreadable));
    return unreadable;
  });
  byId("review-dates-error").textContent = bad.length ? t(`review.bad.${bad.join("-")}`) : "";
}

async function load() {
  const asked = query();
  renderDateErrors();
  if (!asked.from || !asked.to) return;
  await run(async () => {
    review = await call("review", { query: asked });
    reviewQuery = asked;
    render();
  }, { busy: [byId("review-show"), byId("review-body")] });
}

async function cancelSelected(event) {
  event.preventDefault();
  const line = selectedLine();
  if (!line) return;
  const reason = byId("cancel-reason").value.trim();
  cancelMessage = null;
  renderResults();
  const done = await run(async () => {
    cancelMessage = (await call("cancel_redemption", { id: line.id, reason })).message;
    byId("cancel-reason").value = "";
    renderResults();
  }, { busy: [byId("cancel-button")], progress: byId("cancel-result") });
  if (done) await load();
}

/**
 * Runs an export action (`work` resolves with a function that says what happened, in the
 * current language); its result or its error goes on the line beside the buttons, so that
 * nothing else on the screen moves.
 */
async function exportAction(button, work) {
  exportMessage = null;
  renderResults();
  await run(async () => {
    const say = await work();
    exportMessage = { kind: "done", say };
    renderResults();
  }, {
    busy: [button],
    progress: byId("export-result"),
    report: (problem) => {
      exportMessage = { kind: "error", say: () => problemText(problem) };
      renderResults();
    },
  });
}

const exportFile = async (command) => (await call(command, { query: reviewQuery ?? query() })).path;
const fileName = (path) => String(path).split("/").pop();

function exportAs(command, button) {
  return exportAction(button, async () => {
    const path = await exportFile(command);
    return () => t("review.exported", { path });
  });
}

/** "Imprimer": the printable day report, sent to the system's printer. */
function printReport(button) {
  return exportAction(button, async () => {
    const said = await call("print_export", { path: await exportFile("export_pdf") });
    return () => text(said);
  });
}

/** "Copier sur la clé USB": the CSV and the PDF of the review shown, onto the stick. */
function copyToStick(button) {
  return exportAction(button, async () => {
    const copied = [];
    for (const command of ["export_csv", "export_pdf"]) {
      copied.push((await call("copy_export", { path: await exportFile(command) })).path);
    }
    return () => t("review.copied", { files: copied.map(fileName).join(", ") });
  });
}

/** The review screen was opened: today, no filter, loaded. */
export function enterReview() {
  const today = dayText(parisDay());
  fields.from.value = today;
  fields.to.value = today;
  for (const select of [fields.mediator, fields.area, fields.provider, fields.sync]) select.value = "";
  cancelMessage = null;
  exportMessage = null;
  renderFilters();
  load();
}

/** Starts the review screen's controls. */
export function startReview() {
  renderFilters();
  onLangChange(() => {
    render();
    if (fields.from.getAttribute("aria-invalid") === "true" || fields.to.getAttribute("aria-invalid") === "true") {
      renderDateErrors();
    }
  });
  byId("review-form").addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  byId("review-today").addEventListener("click", () => {
    fields.from.value = dayText(parisDay());
    fields.to.value = dayText(parisDay());
    load();
  });
  byId("cancel-form").addEventListener("submit", cancelSelected);
  byId("export-csv").addEventListener("click", (event) => exportAs("export_csv", event.currentTarget));
  byId("export-pdf").addEventListener("click", (event) => exportAs("export_pdf", event.currentTarget));
  byId("export-print").addEventListener("click", (event) => printReport(event.currentTarget));
  byId("export-usb").addEventListener("click", (event) => copyToStick(event.currentTarget));
  table.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowUp" && event.key !== "ArrowDown") return;
    event.preventDefault();
    moveSelection(event.key === "ArrowDown" ? 1 : -1);
  });
}
