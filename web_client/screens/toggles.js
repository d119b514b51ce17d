// The microphone and camera buttons, on the join screen ("Microphone", pressed = on) and in
// the call ("Mute", pressed = muted), drawn from LocalMedia.

import { byId, byIdAs } from "../ui/dom.js";
import { setIcon } from "../ui/icons.js";
import { initials } from "../features/people/state.js";

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
  lockToggle(byIdAs("ctl-mic", HTMLButtonElement), !!locks.audio && !media.micOn, "microphone");
  lockToggle(byIdAs("ctl-cam", HTMLButtonElement), !!locks.video && !media.camOn, "camera");
}

/** A mentor keeps this off: the button cannot turn it on, and says why. @param {HTMLButtonElement} button @param {boolean} locked @param {string} noun */
function lockToggle(button, locked, noun) {
  if (!locked) return;
  button.disabled = true;
  button.title = `A mentor turned your ${noun} off; you can turn it on once they allow it`;
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
  const noun = kind === "mic" ? "microphone" : "camera";
  button.disabled = !available;
  button.classList.toggle("control-off", !available || !on);
  setIcon(button, !available || !on ? (kind === "mic" ? "micOff" : "camOff") : kind);
  if (!available && callStyle) {
    // In the call, a missing device shows as off; pressing the button asks for it again.
    button.disabled = false;
    button.setAttribute("aria-label", kind === "mic" ? "Mute microphone" : "Turn camera off");
    label.textContent = kind === "mic" ? "Mute" : "Camera off";
    button.setAttribute("aria-pressed", "true");
    button.title = `Your ${noun} is not in use: press to try to turn it on`;
    return;
  }
  if (!available) {
    label.textContent = kind === "mic" ? "No microphone" : "No camera";
    button.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-label", `No ${noun} available`);
    button.title = `No ${noun} available`;
    return;
  }
  if (callStyle) {
    // Toggle buttons keep one name (containing the visible text); aria-pressed tells the state,
    // and the pressed look (light button, crossed-out icon) and the tooltip show it.
    button.setAttribute("aria-label", kind === "mic" ? "Mute microphone" : "Turn camera off");
    label.textContent = kind === "mic" ? "Mute" : "Camera off";
    button.setAttribute("aria-pressed", String(!on));
    button.title =
      kind === "mic"
        ? on ? "Mute your microphone (M)" : "Your microphone is muted: press to unmute (M)"
        : on ? "Turn your camera off (V)" : "Your camera is off: press to turn it on (V)";
  } else {
    // A toggle keeps one name, its visible text (WCAG 2.5.3); aria-pressed, the crossed-out icon,
    // the off look and the tooltip tell on or off.
    label.textContent = kind === "mic" ? "Microphone" : "Camera";
    button.removeAttribute("aria-label");
    button.title = `${label.textContent} ${on ? "on: press to turn it off" : "off: press to turn it on"}`;
    button.setAttribute("aria-pressed", String(on));
  }
}
