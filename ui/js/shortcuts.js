// shortcuts.js — the keyboard shortcuts: one table (keys, where they work, their help text),
// the key names shown next to buttons ([data-kbd]) and in the help line, and the dispatcher.
// Only function keys, Escape, Delete and the arrows are bound: a scanner types printable keys
// and Enter/Tab, so those stay free on the counter.

import { byId, isFormControl, openDialog } from "./dom.js";
import { onLangChange, t } from "./i18n.js";

// keys: KeyboardEvent.key values; name: catalogue key of the key's name when it is not a
// function key; counter: only on the counter screen; help: catalogue key of the help text.
const TABLE = [
  { action: "commit", keys: ["F2"], counter: true, help: "help.commit" },
  { action: "paidOtherwise", keys: ["F3"], counter: true, help: "help.paidOtherwise" },
  { action: "undo", keys: ["F4"], counter: true, help: "help.undo" },
  { action: "workshop", keys: ["F6"], counter: true, help: "help.workshop" },
  { action: "mediator", keys: ["F7"], counter: true, help: "help.mediator" },
  { action: "review", keys: ["F8"], counter: false, help: "help.review" },
  { action: "paste", keys: ["F9"], counter: true, help: "help.paste" },
  { action: "admin", keys: ["F10"], counter: false, help: "help.admin" },
  { action: "lang", keys: ["F12"], counter: false, help: "help.lang" },
  { action: "select", keys: ["ArrowUp", "ArrowDown"], name: "key.arrows", counter: true, help: "help.select" },
  { action: "remove", keys: ["Delete"], name: "key.delete", counter: true, help: "help.remove" },
  { action: "back", keys: ["Escape"], name: "key.escape", counter: false, help: "help.back" },
];

function keyName(entry) {
  return entry.name ? t(entry.name) : entry.keys.join(" ");
}

/** Writes the key names into [data-kbd] elements and rebuilds the help line. */
function renderKeys() {
  for (const el of document.querySelectorAll("[data-kbd]")) {
    const entry = TABLE.find((item) => item.action === el.dataset.kbd);
    el.textContent = entry ? keyName(entry) : "";
  }
  const items = TABLE.map((entry) => {
    const item = document.createElement("span");
    item.className = "help__item";
    item.dataset.scope = entry.counter ? "counter" : "all";
    const kbd = document.createElement("kbd");
    kbd.textContent = keyName(entry);
    item.append(kbd, ` ${t(entry.help)}`);
    return item;
  });
  byId("help").replaceChildren(...items);
}

/**
 * Starts the dispatcher. `actions[name](event)` runs the action; `isCounterShown()` says
 * whether counter-only keys apply. Keys do nothing while a dialog is open (it handles Escape).
 */
export function bindShortcuts(actions, isCounterShown) {
  renderKeys();
  onLangChange(renderKeys);
  document.addEventListener("keydown", (event) => {
    if (openDialog() || event.ctrlKey || event.altKey || event.metaKey) return;
    const entry = TABLE.find((item) => item.keys.includes(event.key));
    if (!entry) return;
    // Arrows and Delete keep their meaning inside fields and lists.
    if ((entry.action === "select" || entry.action === "remove") && isFormControl(event.target)) return;
    // Escape in a counter field belongs to the focus guard (focus.js).
    if (entry.action === "back" && isCounterShown() && isFormControl(event.target)) return;
    if (entry.counter && !isCounterShown()) return;
    event.preventDefault();
    actions[entry.action](event);
  });
}
