// The call's keyboard shortcuts on the page: one keydown listener, a "Keyboard shortcuts" button in
// the call's header (the call bar is kept for the call's own controls), and the help dialog ("?") that lists them and turns them on or off (kept in
// localStorage). Off means nothing fires, "?" included (single keys can get in the way of speech
// input and of some keyboards); the button still opens the dialog to turn them back on.

import { SHORTCUTS, STORAGE_KEY, enabledFrom, matchShortcut } from "./state.js";
import { addStylesheet, el } from "../../ui/dom.js";
import { t } from "../../ui/i18n.js";

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

  const dialog = el("dialog", { id: "shortcuts-dialog", class: "page-dialog shortcuts-dialog", "aria-labelledby": "shortcuts-heading" });
  const heading = el("h2", { id: "shortcuts-heading" }, t("shortcuts.heading"));
  const note = el("p", { class: "help" }, t("shortcuts.note"));
  const list = el("dl", { class: "shortcuts-list" });
  for (const s of SHORTCUTS) {
    const term = el("dt");
    // Key names stay as printed on keyboards, left to right.
    term.append(el("kbd", { translate: "no", dir: "ltr" }, s.label));
    list.append(term, el("dd", {}, t(s.description.replace(/^i18n:/, ""))));
  }
  const toggle = el("input", { type: "checkbox", id: "shortcuts-on" });
  toggle.checked = enabled;
  const toggleLabel = el("label", { class: "shortcuts-toggle" });
  toggleLabel.append(toggle, " ", t("shortcuts.use"));
  const close = el("button", { type: "button", class: "button button-secondary", id: "shortcuts-close" }, t("shortcuts.close"));
  dialog.append(heading, note, list, toggleLabel, close);
  document.body.append(dialog);

  const button = el("button", { type: "button", id: "ctl-shortcuts", "aria-haspopup": "dialog" }, t("shortcuts.heading"));

  toggle.addEventListener("change", () => {
    enabled = toggle.checked;
    keepSetting(enabled);
    announce(enabled ? t("shortcuts.said_on") : t("shortcuts.said_off"));
  });
  close.addEventListener("click", () => dialog.close());
  // Escape closes a modal dialog by itself; either way the focus goes back where it came from.
  // The "close" event comes a moment after the dialog closed: a shortcut pressed at once (the
  // reactions' menu opened) keeps the focus it took.
  dialog.addEventListener("close", () => {
    const back = opener && opener.isConnected ? opener : button;
    opener = null;
    const now = document.activeElement;
    if (now instanceof HTMLElement && now !== document.body && now !== back && !dialog.contains(now)) return;
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
