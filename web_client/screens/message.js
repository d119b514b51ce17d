// The three screens (message, join, call) and the one "can't continue / please wait" message.

import { byId, el, focusElement } from "../ui/dom.js";
import { t } from "../ui/i18n.js";

/** @param {"message" | "join" | "call"} name */
export function showScreen(name) {
  for (const s of ["message", "join", "call"]) byId(`screen-${s}`).hidden = s !== name;
  document.body.dataset.screen = name;
}

/** @param {string} id */
export function focusHeading(id) {
  focusElement(document.getElementById(id));
}

/** @type {(() => void)[]} */
let replacedListeners = [];

/** The message screen's card, where a feature may add a form below the message (the rating). */
export function messageCard() {
  return /** @type {HTMLElement} */ (byId("screen-message").querySelector(".card"));
}

/** Call `fn` once, when the message on screen is replaced by another. @param {() => void} fn */
export function onMessageReplaced(fn) {
  replacedListeners.push(fn);
}

/**
 * @typedef {{label: string, onClick: () => void, primary?: boolean}} Action
 * @param {{title: string, body?: string, code?: string, actions?: Action[]}} message
 */
export function showMessage({ title, body, code, actions = [] }) {
  const listeners = replacedListeners;
  replacedListeners = [];
  for (const fn of listeners) fn();
  byId("message-title").textContent = title;
  byId("message-body").textContent = body || "";
  const codeEl = byId("message-code");
  codeEl.hidden = !code;
  codeEl.replaceChildren();
  // The code stays as it is (left to right, in its own isolate) inside the translated sentence.
  if (code) codeEl.append(...withCode(t("message.support_code", { code: "\u0000" }), code));
  byId("message-actions").replaceChildren(
    ...actions.map((a) => {
      const b = el("button", { type: "button", class: "button " + (a.primary === false ? "button-secondary" : "button-primary") }, a.label);
      b.addEventListener("click", a.onClick);
      return b;
    }),
  );
  showScreen("message");
  document.title = t("app.page_title", { title });
  focusHeading("message-title");
}

/**
 * The sentence split around its code, the code in a <bdi dir="ltr"> that is not translated.
 * @param {string} sentence  with U+0000 where the code goes
 * @param {string} code
 * @returns {(string | HTMLElement)[]}
 */
function withCode(sentence, code) {
  const [before, after = ""] = sentence.split("\u0000");
  return [before, el("bdi", { dir: "ltr", translate: "no" }, code), after];
}
