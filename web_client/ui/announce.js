// What the page says: to screen readers (a polite live region), as short toasts, and in the
// connection banner.

import { byId, el } from "./dom.js";

const TOAST_MS = 5000;
const MAX_TOASTS = 3;

/** Read a sentence out (screen readers), even when it is the same as the last one. @param {string} text */
export function announce(text) {
  const a = byId("announcer");
  a.textContent = "";
  // A fresh text node in a later frame makes screen readers read repeated messages too.
  setTimeout(() => {
    a.textContent = text;
  }, 50);
}

/** A short visible note (not read out: the caller decides that). @param {string} text */
export function toast(text) {
  const box = byId("toasts");
  const t = el("div", { class: "toast" }, text);
  box.append(t);
  setTimeout(() => t.remove(), TOAST_MS);
  while (box.children.length > MAX_TOASTS) box.firstElementChild?.remove();
}

/** The banner about the connection ("Reconnecting…"); empty hides it. @param {string} [text] */
export function showBanner(text) {
  const b = byId("connection-banner");
  b.textContent = text || "";
  b.hidden = !text;
}
