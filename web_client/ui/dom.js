// Small DOM helpers shared by the pages' modules.

/**
 * A new element with attributes and, optionally, text. `class` sets the class name; an attribute
 * whose value is false, null or undefined is left out, and `true` sets it empty.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string | boolean | null | undefined>} [attrs]
 * @param {string | null} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attrs = {}, text = null) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === "class") e.className = String(v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  if (text !== null) e.textContent = text;
  return e;
}

/**
 * The element with this id, which the page's HTML always has.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found;
}

/**
 * The element with this id, of a known kind.
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} kind  for example HTMLInputElement
 * @returns {T}
 */
export function byIdAs(id, kind) {
  const found = byId(id);
  if (!(found instanceof kind)) throw new Error(`#${id} is not a ${kind.name}`);
  return found;
}

/** Move the keyboard focus to a heading (or any element), without scrolling. @param {HTMLElement | null} target */
export function focusElement(target) {
  if (!target) return;
  if (!target.hasAttribute("tabindex") && !/^(INPUT|SELECT|TEXTAREA|BUTTON|A)$/.test(target.tagName)) {
    target.setAttribute("tabindex", "-1");
  }
  target.focus({ preventScroll: true });
}

/** Attach a stylesheet of a feature (the page's CSP allows same-origin stylesheets). @param {string} href */
export function addStylesheet(href) {
  if (document.querySelector(`link[rel="stylesheet"][href="${CSS.escape(href)}"]`)) return;
  document.head.append(el("link", { rel: "stylesheet", href }));
}
