// format.js — how amounts, dates and times are written: euros in French ("10,00 €") or English
// ("€10.00"), times in Europe/Paris, and reading a typed euro amount back into cents.

const ZONE = "Europe/Paris";
const LOCALES = { fr: "fr-FR", en: "en-GB" };
const formatters = new Map();

function formatter(lang, options) {
  const key = `${lang}|${JSON.stringify(options)}`;
  if (!formatters.has(key)) {
    formatters.set(key, new Intl.DateTimeFormat(LOCALES[lang], { timeZone: ZONE, ...options }));
  }
  return formatters.get(key);
}

/** Cents as euros: "1 234,50 €" in French, "€1,234.50" in English (as the shell writes them). */
export function euros(cents, lang) {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(Math.trunc(cents));
  const units = Math.floor(abs / 100);
  const rest = String(abs % 100).padStart(2, "0");
  const grouped = String(units).replace(/\B(?=(\d{3})+(?!\d))/g, lang === "fr" ? " " : ",");
  return lang === "fr" ? `${sign}${grouped},${rest} €` : `${sign}€${grouped}.${rest}`;
}

/**
 * A typed amount in euros ("12", "12,5", "12.50", "12,50 €", "€1,234.50") as cents; "" is 0;
 * anything else (letters, three decimals, a negative amount) is null.
 */
export function parseEuros(typed) {
  let cleaned = typed.replace(/[\s€]/g, "");
  // "1,234.50" (English grouping) or "1234,50" (French decimal comma).
  cleaned = cleaned.includes(".") ? cleaned.replace(/,/g, "") : cleaned.replace(",", ".");
  if (cleaned === "") return 0;
  const match = /^(\d{1,7})(?:\.(\d{0,2}))?$/.exec(cleaned);
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? "").padEnd(2, "0"));
}

/** "14:02" in Paris. */
function time(iso, lang) {
  return formatter(lang, { hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
}

/** "21/11/2026 14:02" in Paris. */
export function dateTime(iso, lang) {
  return formatter(lang, { dateStyle: "short", timeStyle: "short" }).format(new Date(iso));
}

/** "21/11/2026" in Paris. */
export function date(iso, lang) {
  return formatter(lang, { dateStyle: "short" }).format(new Date(iso));
}

/** A day "2026-11-24" as the counter writes it whatever the system's locale: "24/11/2026". */
export function dayText(isoDay) {
  const [year, month, day] = isoDay.split("-");
  return `${day}/${month}/${year}`;
}

/**
 * A typed day ("24/11/2026", "24.11.2026", "24-11-2026", "1/2/2026") as "YYYY-MM-DD", or null
 * when it is not a day of the calendar.
 */
export function parseDay(typed) {
  const match = /^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$/.exec(typed);
  if (!match) return null;
  const [day, month, year] = match.slice(1).map(Number);
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return null;
  return `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/** The Paris calendar day of `instant` (default now) as YYYY-MM-DD. */
export function parisDay(instant = new Date()) {
  const parts = Object.fromEntries(
    formatter("en", { year: "numeric", month: "2-digit", day: "2-digit" })
      .formatToParts(instant)
      .map(({ type, value }) => [type, value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** A time of `iso`, with the date in front when it is not today in Paris. */
export function whenShort(iso, lang) {
  return parisDay(new Date(iso)) === parisDay() ? time(iso, lang) : dateTime(iso, lang);
}

/** Milliseconds as "m:ss" (for the undo countdown). */
export function minutesSeconds(ms) {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}
