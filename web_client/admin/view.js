// DOM pieces every section of the programme console uses: data tables with a caption and
// headers, a section's polite status line, a labelled read-only value with a Copy button, and
// saving an answer fetched with the key as a file. Text only ever goes in through textContent.

import { el, focusElement } from "../ui/dom.js";
import { t } from "../ui/i18n.js";
import { errorText } from "./api.js";

/** @typedef {string | Node} Cell */

/**
 * A table: a caption, column headers, and rows whose first cell is the row's header.
 * @param {{caption: string, columns: string[], rows: Cell[][], className?: string, hideCaption?: boolean}} spec
 * @returns {HTMLTableElement}
 */
export function dataTable(spec) {
  const table = el("table", { class: `data ${spec.className || ""}`.trim() });
  const caption = el("caption", { class: spec.hideCaption ? "visually-hidden" : null }, spec.caption);
  const headRow = el("tr");
  for (const name of spec.columns) headRow.append(el("th", { scope: "col" }, name));
  const thead = el("thead");
  thead.append(headRow);
  const tbody = el("tbody");
  for (const cells of spec.rows) {
    const tr = el("tr");
    cells.forEach((cell, i) => {
      const c = i === 0 ? el("th", { scope: "row" }) : el("td");
      c.append(cell);
      tr.append(c);
    });
    tbody.append(tr);
  }
  table.append(caption, thead, tbody);
  return table;
}

/** A small button. @param {string} text @param {() => void} onClick @param {Record<string, string | boolean | null | undefined>} [attrs] */
export function button(text, onClick, attrs = {}) {
  const b = el("button", { type: "button", class: "button button-secondary", ...attrs }, text);
  b.addEventListener("click", onClick);
  return b;
}

/** A list of short lines (reasons, risks) for a table cell. @param {string[]} lines @param {string} [empty] */
export function lines(lines, empty = "–") {
  if (!lines.length) return document.createTextNode(empty);
  const ul = el("ul", { class: "cell-list" });
  for (const line of lines) ul.append(el("li", {}, line));
  return ul;
}

/**
 * A section's status line (polite live region) and the error place beside it.
 * @param {HTMLElement} statusEl  an element with role="status"
 */
export function statusOf(statusEl) {
  return {
    /** @param {string} text */
    say(text) {
      statusEl.classList.remove("error");
      statusEl.textContent = "";
      // a later frame, so that the same sentence twice is read twice
      setTimeout(() => { statusEl.textContent = text; }, 30);
    },
    /** @param {unknown} err @param {string} [what] */
    fail(err, what = "") {
      statusEl.classList.add("error");
      statusEl.textContent = what ? t("admin.status.failed", { what, error: errorText(err) }) : errorText(err);
    },
    /** @param {string} text  a problem in the page's own words */
    warn(text) {
      statusEl.classList.add("error");
      statusEl.textContent = text;
    },
    clear() {
      statusEl.classList.remove("error");
      statusEl.textContent = "";
    },
  };
}

/**
 * A labelled read-only value (a link, a new key, a secret) with a Copy button that uses the
 * Clipboard API and says "Copied" where it was pressed. Where the browser refuses, the value is
 * selected so that Ctrl+C copies it.
 * @param {{label: string, value: string, copyLabel: string, onCopied?: (ok: boolean) => void}} spec
 */
export function copyField(spec) {
  const wrap = el("span", { class: "copy-field" });
  const id = `copy-${Math.random().toString(36).slice(2, 10)}`;
  const label = el("label", { for: id, class: "visually-hidden" }, spec.label);
  const field = el("input", { id, type: "text", readonly: true, class: "copy-value", value: spec.value });
  const copy = el("button", { type: "button", class: "button button-secondary button-small", "aria-label": spec.copyLabel }, t("admin.copy.button"));
  const done = el("span", { class: "copied", "aria-hidden": "true" });
  copy.addEventListener("click", async () => {
    let ok = true;
    try {
      await navigator.clipboard.writeText(spec.value);
    } catch (err) {
      ok = false;
      field.focus();
      field.select();
    }
    done.textContent = ok ? t("admin.copy.done") : t("admin.copy.press_keys");
    copy.classList.toggle("is-copied", ok);
    setTimeout(() => { done.textContent = ""; copy.classList.remove("is-copied"); }, 4000);
    spec.onCopied?.(ok);
  });
  wrap.append(label, field, copy, done);
  return wrap;
}

/**
 * Fetch with the key and save as a file (a blob link).
 * @param {import("./api.js").Api} api @param {string} path @param {Record<string, string>} query
 * @param {string} filename @param {ReturnType<typeof statusOf>} status
 */
export async function download(api, path, query, filename, status) {
  try {
    const res = await api.request("GET", path, { query });
    const url = URL.createObjectURL(await res.blob());
    const a = el("a", { href: url, download: filename, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    status.say(t("admin.download.done", { filename }));
  } catch (err) {
    status.fail(err, t("admin.download.failed", { filename }));
  }
}

/** Read the named fields of a form as strings (checkboxes as "on" or ""). @param {HTMLFormElement} form */
export function formValues(form) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const e of Array.from(form.elements)) {
    if (!(e instanceof HTMLInputElement || e instanceof HTMLSelectElement || e instanceof HTMLTextAreaElement) || !e.name) continue;
    if (e instanceof HTMLInputElement && e.type === "checkbox") out[e.name] = e.checked ? "on" : "";
    else out[e.name] = e.value;
  }
  return out;
}

/** Move the focus to a heading after an action that replaced what was around it. @param {HTMLElement | null} target */
export const focusOn = (target) => focusElement(target);
