// i18n.js — the page's language: looks strings up in ui/i18n/fr.js and en.js, fills the
// data-i18n* attributes of the page, and tells the screens when the language changes.
//
// Both catalogues must have the same keys. Check (prints the keys missing on either side):
//   cd ui && node --input-type=module -e "import fr from './i18n/fr.js'; import en from './i18n/en.js'; const d = (a, b) => Object.keys(a).filter((k) => !(k in b)); console.log(d(fr, en), d(en, fr))"

import fr from "../i18n/fr.js";
import en from "../i18n/en.js";

const catalogues = { fr, en };
let lang = "fr";
const listeners = [];

/** The language shown: "fr" or "en". */
export function currentLang() {
  return lang;
}

/** Switches the page to `next` (a language without catalogue is ignored). */
export function setLang(next) {
  if (!(next in catalogues) || next === lang) return;
  lang = next;
  translatePage();
  for (const listener of listeners) listener(lang);
}

/** Calls `listener(lang)` after each language change. */
export function onLangChange(listener) {
  listeners.push(listener);
}

/**
 * The text of `key` in the current language, with `{name}` replaced from `params`. An entry
 * that is an object `{one, other}` is chosen with `params.n` (French counts 0 as "one").
 */
export function t(key, params = {}) {
  return lookup(lang, key, params);
}

/** Whether the catalogue has `key` (used for codes that may have no word of their own). */
export function has(key) {
  return key in catalogues[lang];
}

/** The text of `key` in both languages, as the shell's `Text` (for problems the page raises). */
export function bothLangs(key, params = {}) {
  return { fr: lookup("fr", key, params), en: lookup("en", key, params) };
}

/** A shell `Text` ({fr, en}) in the current language. */
export function text(message) {
  return message ? message[lang] ?? message.fr : "";
}

/** Fills data-i18n (text), data-i18n-placeholder and data-i18n-label (aria-label) everywhere. */
export function translatePage() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of document.querySelectorAll("[data-i18n-label]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  }
}

function lookup(language, key, params) {
  let entry = catalogues[language][key];
  if (entry === undefined) {
    console.error(`guichet: no "${key}" in the ${language} catalogue`);
    return key;
  }
  if (typeof entry === "object") {
    entry = entry[new Intl.PluralRules(language).select(params.n ?? 0)] ?? entry.other;
  }
  return entry.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}
