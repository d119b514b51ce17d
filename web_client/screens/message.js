// The three screens (message, join, call) and the one "can't continue / please wait" message.

import { byId, el, focusElement } from "../ui/dom.js";

/** @param {"message" | "join" | "call"} name */
export function showScreen(name) {
  for (const s of ["message", "join", "call"]) byId(`screen-${s}`).hidden = s !== name;
  document.body.dataset.screen = name;
}

/** @param {string} id */
export function focusHeading(id) {
  focusElement(document.getElementById(id));
}

/**
 * @typedef {{label: string, onClick: () => void, primary?: boolean}} Action
 * @param {{title: string, body?: string, code?: string, actions?: Action[]}} message
 */
export function showMessage({ title, body, code, actions = [] }) {
  byId("message-title").textContent = title;
  byId("message-body").textContent = body || "";
  const codeEl = byId("message-code");
  codeEl.hidden = !code;
  codeEl.textContent = code ? `For support: error code ${code}` : "";
  byId("message-actions").replaceChildren(
    ...actions.map((a) => {
      const b = el("button", { type: "button", class: "button " + (a.primary === false ? "button-secondary" : "button-primary") }, a.label);
      b.addEventListener("click", a.onClick);
      return b;
    }),
  );
  showScreen("message");
  document.title = `${title} · Tandem`;
  focusHeading("message-title");
}
