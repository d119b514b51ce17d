// The DOM of the device choice: three labelled selects (camera, microphone, speaker) used on the
// join screen and in the call's "Devices" panel, the "Stop incoming video" switch, and the bar
// that says incoming video is paused, with "Turn video back on".

import { el } from "../../ui/dom.js";
import { KINDS } from "./state.js";
import { t } from "../../ui/i18n.js";

/** @typedef {import("./state.js").DeviceKind} DeviceKind */
/** @typedef {import("./state.js").DeviceLists} DeviceLists */
/** @typedef {import("./state.js").DeviceChoice} DeviceChoice */

const SLUG = { videoinput: "camera", audioinput: "microphone", audiooutput: "speaker" };

// Icons as inline SVG, decorative: the button has a text label.
const SETTINGS_ICON =
  '<svg viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" focusable="false"><path d="M4 21v-7"/><path d="M4 10V3"/><path d="M12 21v-9"/><path d="M12 8V3"/><path d="M20 21v-5"/><path d="M20 12V3"/><path d="M1 14h6"/><path d="M9 8h6"/><path d="M17 16h6"/></svg>';

/**
 * Three labelled selects. `render` fills them; a select with nothing to choose is hidden.
 * @param {string} prefix  for the element ids ("join-devices", "call-devices")
 * @param {(kind: DeviceKind, id: string) => void} onChoose
 */
export function createPicker(prefix, onChoose) {
  const element = el("div", { class: "device-picker", id: prefix });
  /** @type {Map<DeviceKind, {field: HTMLElement, select: HTMLSelectElement}>} */
  const fields = new Map();
  for (const kind of KINDS) {
    const id = `${prefix}-${SLUG[kind]}`;
    const field = el("div", { class: "device-field" });
    const select = el("select", { id, name: SLUG[kind] });
    field.append(el("label", { for: id }, t("devices.label", { kind })), select);
    select.addEventListener("change", () => onChoose(kind, select.value));
    fields.set(kind, { field, select });
    element.append(field);
  }

  return {
    element,
    /**
     * @param {DeviceLists} lists
     * @param {DeviceChoice} shown  the option each select shows
     * @param {{inputs: boolean, speaker: boolean, busy: DeviceKind | null}} options
     *   inputs: camera and microphone can be chosen (not for observers); speaker: the browser
     *   can route sound to a chosen output (HTMLMediaElement.setSinkId); busy: a switch is under way
     */
    render(lists, shown, { inputs, speaker, busy }) {
      let any = false;
      for (const kind of KINDS) {
        const { field, select } = /** @type {{field: HTMLElement, select: HTMLSelectElement}} */ (fields.get(kind));
        const list = lists[kind];
        const allowed = kind === "audiooutput" ? speaker : inputs;
        field.hidden = !allowed || list.length === 0;
        if (field.hidden) continue;
        any = true;
        const same = select.options.length === list.length && list.every((o, i) => select.options[i].value === o.id && select.options[i].text === o.label);
        if (!same) {
          // A device's name is the system's (or its maker's), not the page's: not translated.
          select.replaceChildren(...list.map((o) => el("option", { value: o.id, translate: "no" }, o.label)));
        }
        if (select.value !== shown[kind]) select.value = shown[kind];
        select.disabled = busy === kind;
        select.setAttribute("aria-busy", String(busy === kind));
      }
      element.hidden = !any;
    },
  };
}

/**
 * The call bar's "Devices" button and its panel: the selects, "Stop incoming video", Close.
 * @param {object} opts
 * @param {HTMLElement} opts.picker  the picker's element
 * @param {(on: boolean) => void} opts.receiveVideo  the switch was turned (on = video wanted)
 */
export function createDevicesPanel({ picker, receiveVideo }) {
  const button = el("button", {
    type: "button", id: "ctl-devices", class: "control control-devices",
    "aria-expanded": "false", "aria-controls": "devices-panel",
  });
  const icon = el("span", { class: "icon", "aria-hidden": "true" });
  icon.innerHTML = SETTINGS_ICON;
  button.append(icon, el("span", { class: "control-label" }, t("controls.devices")));

  const panel = el("section", { id: "devices-panel", class: "call-panel devices-panel", "aria-labelledby": "devices-heading", hidden: true });
  const heading = el("h2", { id: "devices-heading" }, t("devices.heading"));
  const toggle = el("input", { type: "checkbox", id: "receive-video-off", "aria-describedby": "receive-video-help" });
  const toggleLabel = el("label", { for: "receive-video-off", class: "devices-check" });
  toggleLabel.append(toggle, " ", t("devices.incoming.stop"));
  const help = el(
    "p",
    { id: "receive-video-help", class: "help" },
    t("devices.incoming.help"),
  );
  const close = el("button", { type: "button", class: "button button-secondary devices-close" }, t("devices.close"));
  panel.append(heading, picker, toggleLabel, help, close);

  function setOpen(/** @type {boolean} */ open, focusButton = false) {
    panel.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open) {
      const first = /** @type {HTMLElement | null} */ (panel.querySelector("select:not([disabled]), input"));
      (first || close).focus();
    } else if (focusButton) {
      button.focus();
    }
  }
  button.addEventListener("click", () => setOpen(panel.hidden));
  close.addEventListener("click", () => setOpen(false, true));
  panel.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      setOpen(false, true);
    }
  });
  toggle.addEventListener("change", () => receiveVideo(!toggle.checked));

  return {
    button,
    panel,
    /** @param {boolean} on  incoming video is on */
    showReceiveVideo(on) {
      toggle.checked = !on;
    },
    close: () => setOpen(false),
  };
}

/**
 * The line above the call bar while incoming video is off, with "Turn video back on".
 * @param {() => void} turnOn
 */
export function createPausedBar(turnOn) {
  const bar = el("div", { id: "video-paused", class: "video-paused", hidden: true });
  const text = el("p", {}, "");
  const button = el("button", { type: "button", class: "button button-primary" }, t("devices.incoming.turn_on"));
  button.addEventListener("click", () => turnOn());
  bar.append(text, button);
  return {
    element: bar,
    /** @param {string} message  empty hides the bar */
    show(message) {
      text.textContent = message;
      bar.hidden = !message;
    },
  };
}
