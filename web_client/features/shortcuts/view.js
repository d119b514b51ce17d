// The call's keyboard shortcuts on the page: one keydown listener, a "Keyboard shortcuts" button in
// the call's header (the call bar is kept for the call's own controls), and the help dialog ("?") that lists them and turns them on or off (kept in
// localStorage). Off means nothing fires, "?" included (single keys can get in the way of speech
// input and of some keyboards); the button still opens the dialog to turn them back on.

import { SHORTCUTS, STORAGE_KEY, enabledFrom, matchShortcut } from "./state.js";
import { addStylesheet, el } from "../../ui/dom.js";

/** @typedef {import("./state.js").ShortcutAction} ShortcutAction */

function readSetting() {
  try {
    return enabledFrom(localStorage.getItem(STORAGE_KEY));
  } catch {
    return true;
  }
}

/** @param {boolean} on */
function keepSetting(on) {
  try {
    localStorage.setItem(STORAGE_KEY, on ? "on" : "off");
  } catch {
    // Storage refused (private mode): the setting lasts as long as the page.
  }
}

/**
 * @param {object} ctx
 * @param {() => boolean} ctx.inCall  shortcuts work only in the call
 * @param {Record<Exclude<ShortcutAction, "help">, () => void>} ctx.actions
 * @param {(text: string) => void} ctx.announce
 */
export function installShortcuts({ inCall, actions, announce }) {
  addStylesheet("/client/features/shortcuts/shortcuts.css");
  let enabled = readSetting();
  /** @type {HTMLElement | null} */
  let opener = null;

  const dialog = el("dialog", { id: "shortcuts-dialog", class: "shortcuts-dialog", "aria-labelledby": "shortcuts-heading" });
  const heading = el("h2", { id: "shortcuts-heading" }, "Keyboard shortcuts");
  const note = el("p", { class: "help" }, "They work anywhere in the call except while you type in a text box.");
  const list = el("dl", { class: "shortcuts-list" });
  for (const s of SHORTCUTS) {
    const term = el("dt");
    term.append(el("kbd", {}, s.label));
    list.append(term, el("dd", {}, s.description));
  }
  const toggle = el("input", { type: "checkbox", id: "shortcuts-on" });
  toggle.checked = enabled;
  const toggleLabel = el("label", { class: "shortcuts-toggle" });
  toggleLabel.append(toggle, " Use keyboard shortcuts");
  const close = el("button", { type: "button", class: "button button-secondary", id: "shortcuts-close" }, "Close");
  dialog.append(heading, note, list, toggleLabel, close);
  document.body.append(dialog);

  const button = el("button", { type: "button", id: "ctl-shortcuts", "aria-haspopup": "dialog" }, "Keyboard shortcuts");

  toggle.addEventListener("change", () => {
    enabled = toggle.checked;
    keepSetting(enabled);
    announce(enabled ? "Keyboard shortcuts on" : "Keyboard shortcuts off");
  });
  close.addEventListener("click", () => dialog.close());
  // Escape closes a modal dialog by itself; either way the focus goes back where it came from.
  dialog.addEventListener("close", () => {
    const back = opener && opener.isConnected ? opener : button;
    opener = null;
    back.focus();
  });

  function openHelp() {
    if (dialog.open) return;
    const active = document.activeElement;
    opener = active instanceof HTMLElement && active !== document.body ? active : button;
    dialog.showModal();
    close.focus();
  }
  button.addEventListener("click", openHelp);

  document.addEventListener("keydown", (e) => {
    if (!inCall() || dialog.open) return;
    const s = matchShortcut(e, enabled);
    if (!s) return;
    e.preventDefault();
    if (s.action === "help") openHelp();
    else actions[s.action]();
  });

  return {
    /** Put the button in the call header's tools. @param {HTMLElement} container */
    mount(container) {
      if (!button.isConnected) container.append(button);
    },
    get enabled() {
      return enabled;
    },
  };
}
