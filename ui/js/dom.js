// dom.js — small DOM helpers shared by the screens: find an element, tell a text field from
// other controls, know whether a dialog is open, wait until a change is on screen.

/** The element with this id (every id the page uses exists in index.html). */
export function byId(id) {
  return document.getElementById(id);
}

const TEXT_INPUT_TYPES = new Set(["text", "password", "search", "number", "url", "date", "email", "tel"]);

/** Whether typing into `element` writes text (the scanner must not be read there). */
export function isTextField(element) {
  if (!(element instanceof Element)) return false;
  if (element.isContentEditable || element.tagName === "TEXTAREA") return true;
  return element.tagName === "INPUT" && TEXT_INPUT_TYPES.has(element.type);
}

/** Whether `element` is a form control with keyboard behaviour of its own (select, checkbox…). */
export function isFormControl(element) {
  return element instanceof Element && element.matches("input, select, textarea");
}

/** The modal dialog currently open, or null. */
export function openDialog() {
  return document.querySelector("dialog[open]");
}

/** Calls `fn` once the current DOM change has been painted (two animation frames). */
export function afterPaint(fn) {
  requestAnimationFrame(() => requestAnimationFrame(fn));
}

/** Replaces the options of a <select>: `items` are [value, label]; keeps `selected` if present. */
export function fillSelect(select, items, selected) {
  const options = items.map(([value, label]) => new Option(label, value));
  select.replaceChildren(...options);
  select.value = items.some(([value]) => value === selected) ? selected : items[0]?.[0] ?? "";
}
