// The pages' words in the person's language. Every user-facing string lives in one catalogue per
// language (web_client/i18n/<code>.json: key -> ICU message, plurals and selects included) and is
// formatted with intl-messageformat. English is complete and is the fallback for a key another
// catalogue lacks; Spanish is complete; Arabic covers the join page and the call bar (it proves the
// right-to-left layout). Dates, times and numbers use the chosen language and the device's time zone.
//
// The language comes from `?lang=` in the page's address, then the person's choice (remembered in
// localStorage), then the browser's languages, then English. `en-XA` is a pseudo-language for the
// tests: English with every message in ⟦ ⟧, so that text on screen that did not come from the
// catalogue stands out (tests/e2e/test_languages.py).

import { IntlMessageFormat } from "../vendor/intl-messageformat.bundle.js";

/** @typedef {{code: string, name: string, dir: "ltr" | "rtl"}} Language */

/** The languages a person can choose, each named in itself. @type {readonly Language[]} */
export const LANGUAGES = Object.freeze([
  { code: "en", name: "English", dir: "ltr" },
  { code: "es", name: "Español", dir: "ltr" },
  { code: "ar", name: "العربية", dir: "rtl" },
]);
export const PSEUDO = "en-XA";
export const PSEUDO_OPEN = "⟦";
export const PSEUDO_CLOSE = "⟧";
const STORAGE_KEY = "tandem:language";
const FALLBACK = "en";

/** @typedef {Record<string, string>} Catalogue */

const current = {
  code: FALLBACK,
  /** @type {"ltr" | "rtl"} */ dir: "ltr",
  /** the locale Intl formats with (`en` for the pseudo-language) */ locale: FALLBACK,
  pseudo: false,
  /** @type {Catalogue} */ messages: {},
  /** @type {Catalogue} */ fallback: {},
  /** each key's message, and whether it is English shown on a right-to-left page
   * @type {Map<string, {format: IntlMessageFormat, isolate: boolean}>} */
  formats: new Map(),
};
// Unicode's left-to-right isolate: English shown on a right-to-left page (a key the language
// lacks) keeps its own order inside, so "What do you want?" does not become "?What do you want".
const LRI = "\u2066";
const PDI = "\u2069";

/**
 * Which language to show (pure).
 * @param {{query?: string | null, stored?: string | null, browser?: readonly string[]}} sources
 * @returns {string} a code of LANGUAGES, or PSEUDO
 */
export function chooseLanguage({ query = null, stored = null, browser = [] }) {
  for (const wanted of [query, stored]) {
    if (!wanted) continue;
    if (wanted === PSEUDO) return PSEUDO;
    const known = match(wanted);
    if (known) return known;
  }
  for (const wanted of browser) {
    const known = match(wanted);
    if (known) return known;
  }
  return FALLBACK;
}

/** @param {string} tag  a BCP 47 tag such as "es-MX" @returns {string | null} */
function match(tag) {
  const base = tag.toLowerCase().split("-")[0];
  return LANGUAGES.some((l) => l.code === base) ? base : null;
}

/**
 * Use these catalogues (synchronous: the Node tests load them from disk).
 * @param {string} code  a code of LANGUAGES, or PSEUDO
 * @param {Catalogue} messages  that language's catalogue (English's for PSEUDO)
 * @param {Catalogue} [fallback]  English's, for keys `messages` lacks
 */
export function useCatalogue(code, messages, fallback = messages) {
  const language = LANGUAGES.find((l) => l.code === code);
  current.code = code;
  current.pseudo = code === PSEUDO;
  current.dir = language ? language.dir : "ltr";
  current.locale = language ? code : FALLBACK;
  current.messages = messages;
  current.fallback = fallback;
  current.formats.clear();
}

/**
 * Choose the page's language, load its catalogue (and English's), and mark the document with its
 * `lang` and `dir`. The pages await this before they show anything.
 * @param {{base?: string, fetchJson?: (url: string) => Promise<Catalogue>}} [options]
 */
export async function loadLanguage({ base = "/client/i18n/", fetchJson = getJson } = {}) {
  const code = chooseLanguage({
    query: new URLSearchParams(location.search).get("lang"),
    stored: storedLanguage(),
    browser: navigator.languages || [navigator.language],
  });
  const english = await fetchJson(`${base}${FALLBACK}.json`);
  const own = code === FALLBACK || code === PSEUDO ? english : await fetchJson(`${base}${code}.json`).catch(() => english);
  useCatalogue(code, own, english);
  document.documentElement.lang = current.pseudo ? PSEUDO : current.code;
  document.documentElement.dir = current.dir;
  translatePage(document);
}

/** @param {string} url @returns {Promise<Catalogue>} */
async function getJson(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

/** The person's remembered choice. @returns {string | null} */
function storedLanguage() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

/**
 * Remember the person's choice and show the page in it (the page loads again: every part of it
 * is built in one language).
 * @param {string} code
 */
export function chooseAndReload(code) {
  try {
    localStorage.setItem(STORAGE_KEY, code);
  } catch {
    // Private windows may refuse storage: the choice then lasts for this address only.
  }
  const url = new URL(location.href);
  if (url.searchParams.has("lang")) url.searchParams.set("lang", code);
  // The same address (a join link differs only by its #token) would only move to its fragment.
  if (url.toString() === location.href) location.reload();
  else location.replace(url.toString());
}

/** The chosen language's code (PSEUDO in the tests' pseudo-language). */
export function languageCode() {
  return current.code;
}

/** The locale for Intl formatting. */
export function locale() {
  return current.locale;
}

/** "ltr" or "rtl". */
export function direction() {
  return current.dir;
}

/**
 * The message `key` in the chosen language, formatted with `values` (ICU: `{name}`,
 * `{count, plural, one {…} other {…}}`, `{role, select, …}`). A key missing from every catalogue
 * is a bug (the catalogue test finds it); the key itself is shown rather than nothing.
 * @param {string} key
 * @param {Record<string, string | number | Date | boolean | null | undefined>} [values]
 * @returns {string}
 */
export function t(key, values) {
  let entry = current.formats.get(key);
  if (!entry) {
    const source = current.messages[key] ?? current.fallback[key];
    if (source === undefined) {
      console.error(`i18n: no message "${key}"`);
      return key;
    }
    const inOwn = current.messages[key] !== undefined;
    entry = {
      format: new IntlMessageFormat(source, inOwn ? current.locale : FALLBACK),
      isolate: !inOwn && current.dir === "rtl",
    };
    current.formats.set(key, entry);
  }
  const text = String(entry.format.format(/** @type {any} */ (values)));
  return marked(entry.isolate ? LRI + text + PDI : text);
}

/** In the pseudo-language, text that came through this module in ⟦ ⟧. @param {string} text */
function marked(text) {
  return current.pseudo ? PSEUDO_OPEN + text + PSEUDO_CLOSE : text;
}

/** Whether the chosen catalogue (or English's) has `key`. @param {string} key */
export function hasMessage(key) {
  return key in current.messages || key in current.fallback;
}

/**
 * Put the catalogue's words into the static HTML under `root`:
 * `data-i18n="key"` sets the element's text; `data-i18n-attr="aria-label:key; title:key2"` sets
 * attributes.
 * @param {ParentNode} root
 */
export function translatePage(root) {
  for (const node of root.querySelectorAll("[data-i18n]")) {
    node.textContent = t(/** @type {string} */ (node.getAttribute("data-i18n")));
  }
  for (const node of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of (node.getAttribute("data-i18n-attr") || "").split(";")) {
      const [attr, key] = pair.split(":").map((s) => s.trim());
      if (attr && key) node.setAttribute(attr, t(key));
    }
  }
}

/**
 * A date and time in the person's language and time zone.
 * @param {number | Date} when  epoch milliseconds or a Date
 * @param {Intl.DateTimeFormatOptions} [options]
 */
export function formatDateTime(when, options = { dateStyle: "medium", timeStyle: "short" }) {
  return marked(new Intl.DateTimeFormat(current.locale, options).format(when));
}

/** A time of day, hours and minutes. @param {number | Date} when */
export function formatTime(when) {
  return formatDateTime(when, { hour: "numeric", minute: "2-digit" });
}

/** A date. @param {number | Date} when */
export function formatDate(when) {
  return formatDateTime(when, { dateStyle: "medium" });
}

/** A number. @param {number} n @param {Intl.NumberFormatOptions} [options] */
export function formatNumber(n, options) {
  return marked(new Intl.NumberFormat(current.locale, options).format(n));
}

/** A list ("a, b and c"). @param {string[]} items @param {"conjunction" | "disjunction"} [type] */
export function formatList(items, type = "conjunction") {
  return marked(new Intl.ListFormat(current.locale, { style: "long", type }).format(items));
}
