// "Are you sure?" before a destructive action, as a modal <dialog> of the page (never the
// browser's own confirm(), which screen readers, the page's language and its tests cannot reach):
// a title, what will happen, the action's own button ("Remove Ben", "Clear board") and Cancel.
// The focus goes to Cancel, the safe choice; Escape cancels; afterwards the focus goes back to the
// control that opened it (or, when that control is gone, where the caller says). The words are
// the caller's, from the catalogue.

import { addStylesheet, el } from "./dom.js";

let counter = 0;

/**
 * @param {object} ask
 * @param {string} ask.title  the question ("Clear the whole board?")
 * @param {string} ask.body  what will happen
 * @param {string} ask.confirm  the action's button, named for the action
 * @param {string} ask.cancel
 * @param {() => HTMLElement | null} [ask.returnTo]  where the focus goes when the opener is gone
 * @returns {Promise<boolean>}  true when the action was confirmed
 */
export function confirmDialog({ title, body, confirm, cancel, returnTo }) {
  addStylesheet("/client/ui/confirm_dialog.css");
  counter += 1;
  const id = `confirm-dialog-${counter}`;
  const active = document.activeElement;
  const opener = active instanceof HTMLElement && active !== document.body ? active : null;
  const dialog = el("dialog", { class: "page-dialog confirm-dialog", role: "alertdialog", "aria-modal": "true", "aria-labelledby": `${id}-title`, "aria-describedby": `${id}-body` });
  const heading = el("h2", { id: `${id}-title` }, title);
  const text = el("p", { id: `${id}-body` }, body);
  const actions = el("div", { class: "confirm-dialog-actions" });
  const no = el("button", { type: "button", class: "button button-secondary confirm-dialog-cancel" }, cancel);
  const yes = el("button", { type: "button", class: "button button-danger confirm-dialog-confirm" }, confirm);
  actions.append(no, yes);
  dialog.append(heading, text, actions);
  document.body.append(dialog);

  return new Promise((resolve) => {
    let answer = false;
    no.addEventListener("click", () => dialog.close());
    yes.addEventListener("click", () => {
      answer = true;
      dialog.close();
    });
    // Escape closes a modal dialog by itself ("cancel", then "close").
    dialog.addEventListener("close", () => {
      dialog.remove();
      const back = opener && opener.isConnected ? opener : returnTo ? returnTo() : null;
      if (back) back.focus();
      resolve(answer);
    });
    dialog.showModal();
    no.focus();
  });
}
