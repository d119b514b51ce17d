// Display preferences on the page: applies them to <html> (data-contrast="more",
// data-motion="reduce", styled by display.css) from the person's choice or the device's setting,
// follows the device when it changes, and offers the two choices as checkboxes (the join page and
// the admin page show them in a "Display" section; the call has them in a dialog).

import { STORAGE_KEY, choose, effective, parsePrefs, serialisePrefs } from "./state.js";
import { addStylesheet, el } from "../../ui/dom.js";
import { t } from "../../ui/i18n.js";

/** @typedef {import("./state.js").DisplayPrefs} DisplayPrefs */

const contrastQuery = () => window.matchMedia("(prefers-contrast: more)");
const motionQuery = () => window.matchMedia("(prefers-reduced-motion: reduce)");
/** @type {Set<() => void>} boxes to bring up to date when the preferences change */
const listeners = new Set();

function device() {
  return { moreContrast: contrastQuery().matches, reduceMotion: motionQuery().matches };
}

/** @returns {DisplayPrefs} */
function readPrefs() {
  try {
    return parsePrefs(localStorage.getItem(STORAGE_KEY));
  } catch {
    return parsePrefs(null);
  }
}

/** @param {DisplayPrefs} prefs */
function keepPrefs(prefs) {
  try {
    localStorage.setItem(STORAGE_KEY, serialisePrefs(prefs));
  } catch {
    // Storage refused (private mode): the choice lasts as long as the page.
    current = prefs;
  }
}

/** @type {DisplayPrefs | null} the choice when storage refuses it */
let current = null;

function apply() {
  const shown = effective(current || readPrefs(), device());
  const root = document.documentElement;
  if (shown.contrast) root.dataset.contrast = "more";
  else delete root.dataset.contrast;
  if (shown.motion) root.dataset.motion = "reduce";
  else delete root.dataset.motion;
  for (const update of listeners) update();
}

/** Apply the preferences now and whenever the device's settings change. Call once, early. */
export function applyDisplay() {
  addStylesheet("/client/features/display/display.css");
  apply();
  contrastQuery().addEventListener("change", apply);
  motionQuery().addEventListener("change", apply);
}

/**
 * The two choices as labelled checkboxes, each with a line of help; ids start with `prefix`.
 * @param {string} prefix
 * @returns {HTMLElement[]}
 */
function choices(prefix) {
  const out = [];
  for (const which of /** @type {const} */ (["contrast", "motion"])) {
    const box = el("input", { type: "checkbox", id: `${prefix}-${which}`, "aria-describedby": `${prefix}-${which}-help` });
    const label = el("label", { for: box.id });
    label.append(box, " ", which === "contrast" ? t("display.contrast") : t("display.motion"));
    const help = el("p", { id: `${prefix}-${which}-help`, class: "help" },
      which === "contrast" ? t("display.contrast_help") : t("display.motion_help"));
    const update = () => {
      box.checked = which === "contrast" ? document.documentElement.dataset.contrast === "more" : document.documentElement.dataset.motion === "reduce";
    };
    update();
    listeners.add(update);
    box.addEventListener("change", () => {
      const deviceSays = which === "contrast" ? device().moreContrast : device().reduceMotion;
      const next = choose(current || readPrefs(), which, box.checked, deviceSays);
      keepPrefs(next);
      apply();
    });
    out.push(label, help);
  }
  return out;
}

/**
 * A collapsed "Display" section with the choices (the join page, the admin page).
 * @param {string} prefix  ids of the checkboxes start with it
 */
export function displayOptions(prefix) {
  const details = el("details", { class: "display-options" });
  details.append(el("summary", {}, t("display.title")), ...choices(prefix));
  return details;
}

/**
 * The call's "Display" button and its dialog. `mount(container)` puts the button there.
 */
export function installDisplayDialog() {
  const dialog = el("dialog", { id: "display-dialog", class: "page-dialog display-dialog", "aria-labelledby": "display-heading" });
  const close = el("button", { type: "button", class: "button button-secondary", id: "display-close" }, t("display.close"));
  dialog.append(el("h2", { id: "display-heading" }, t("display.title")), ...choices("display-call"), close);
  document.body.append(dialog);
  const button = el("button", { type: "button", id: "ctl-display", "aria-haspopup": "dialog" }, t("display.open"));
  button.addEventListener("click", () => {
    dialog.showModal();
    close.focus();
  });
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => button.focus());
  return {
    /** @param {HTMLElement} container */
    mount(container) {
      if (!button.isConnected) container.append(button);
    },
  };
}
