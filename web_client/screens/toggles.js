// The microphone and camera buttons, on the join screen ("Microphone", pressed = on) and in
// the call ("Mute", pressed = muted), drawn from LocalMedia.

import { byId, byIdAs } from "../ui/dom.js";
import { setIcon } from "../ui/icons.js";
import { initials } from "../features/people/state.js";
import { t } from "../ui/i18n.js";

/**
 * @param {import("../call/local_media.js").LocalMedia} media
 * @param {string} name
 * @param {{audio?: boolean, video?: boolean}} [locks] what a mentor turned off and keeps off
 */
export function renderToggles(media, name, locks = {}) {
  media.applyEnabled();
  const audio = media.has("audio");
  const video = media.has("video");
  renderToggle(byIdAs("preview-mic", HTMLButtonElement), "mic", audio, media.micOn, false);
  renderToggle(byIdAs("preview-cam", HTMLButtonElement), "cam", video, media.camOn, false);
  renderToggle(byIdAs("ctl-mic", HTMLButtonElement), "mic", audio, media.micOn, true);
  renderToggle(byIdAs("ctl-cam", HTMLButtonElement), "cam", video, media.camOn, true);
  byId("preview-tile").classList.toggle("tile-camoff", !video || !media.camOn);
  const avatar = document.querySelector("#preview-avatar span");
  if (avatar) avatar.textContent = name.trim() ? initials(name) : "";
  byId("ctl-mic").hidden = media.observer;
  byId("ctl-cam").hidden = media.observer;
  lockToggle(byIdAs("ctl-mic", HTMLButtonElement), !!locks.audio && !media.micOn, "mic");
  lockToggle(byIdAs("ctl-cam", HTMLButtonElement), !!locks.video && !media.camOn, "cam");
}

/** A mentor keeps this off: the button cannot turn it on, and says why. @param {HTMLButtonElement} button @param {boolean} locked @param {"mic" | "cam"} kind */
function lockToggle(button, locked, kind) {
  if (!locked) return;
  button.disabled = true;
  button.title = kind === "mic" ? t("controls.mic.locked") : t("controls.camera.locked");
}

/**
 * @param {HTMLButtonElement} button
 * @param {"mic" | "cam"} kind
 * @param {boolean} available
 * @param {boolean} on
 * @param {boolean} callStyle
 */
function renderToggle(button, kind, available, on, callStyle) {
  const label = /** @type {HTMLElement} */ (button.querySelector(".control-label"));
  button.disabled = !available;
  button.classList.toggle("control-off", !available || !on);
  setIcon(button, !available || !on ? (kind === "mic" ? "micOff" : "camOff") : kind);
  if (!available && callStyle) {
    // In the call, a missing device shows as off; pressing the button asks for it again.
    button.disabled = false;
    button.setAttribute("aria-label", kind === "mic" ? t("controls.mic.name") : t("controls.camera.name"));
    label.textContent = kind === "mic" ? t("controls.mic.label") : t("controls.camera.label");
    button.setAttribute("aria-pressed", "true");
    button.title = kind === "mic" ? t("controls.mic.missing") : t("controls.camera.missing");
    return;
  }
  if (!available) {
    label.textContent = kind === "mic" ? t("join.mic.none") : t("join.camera.none");
    button.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-label", kind === "mic" ? t("join.mic.none_name") : t("join.camera.none_name"));
    button.title = kind === "mic" ? t("join.mic.none_name") : t("join.camera.none_name");
    return;
  }
  if (callStyle) {
    // Toggle buttons keep one name (containing the visible text); aria-pressed tells the state,
    // and the pressed look (light button, crossed-out icon) and the tooltip show it.
    button.setAttribute("aria-label", kind === "mic" ? t("controls.mic.name") : t("controls.camera.name"));
    label.textContent = kind === "mic" ? t("controls.mic.label") : t("controls.camera.label");
    button.setAttribute("aria-pressed", String(!on));
    button.title =
      kind === "mic"
        ? on ? t("controls.mic.tip_on") : t("controls.mic.tip_off")
        : on ? t("controls.camera.tip_on") : t("controls.camera.tip_off");
  } else {
    // A toggle keeps one name, its visible text (WCAG 2.5.3); aria-pressed, the crossed-out icon,
    // the off look and the tooltip tell on or off.
    label.textContent = kind === "mic" ? t("join.mic.label") : t("join.camera.label");
    button.removeAttribute("aria-label");
    button.title =
      kind === "mic"
        ? on ? t("join.mic.tip_on") : t("join.mic.tip_off")
        : on ? t("join.camera.tip_on") : t("join.camera.tip_off");
    button.setAttribute("aria-pressed", String(on));
  }
}
