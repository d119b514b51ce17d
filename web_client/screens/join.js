// The join screen: greeting, camera preview with the microphone meter, the name, and "Join".

import { byId, byIdAs, el } from "../ui/dom.js";
import { MicMeter } from "../call/media.js";
import { mediaProblem, roleSentence, withTyped } from "../ui/wording.js";
import { t } from "../ui/i18n.js";
import { languagePicker } from "../ui/language_picker.js";
import { renderToggles } from "./toggles.js";
import { focusHeading, showScreen } from "./message.js";

const NAME_MAX = 60;

/**
 * Why this name cannot be used, or null.
 * @param {string} name  trimmed
 * @param {boolean} linkHasName  the join link carries a name
 */
export function nameProblem(name, linkHasName) {
  if (!name && !linkHasName) return t("join.name.missing");
  if (name.length > NAME_MAX) return t("join.name.too_long", { max: NAME_MAX });
  return null;
}

/**
 * @param {object} ctx
 * @param {import("../call/local_media.js").LocalMedia} ctx.media
 * @param {{preferred: () => {audio?: string, video?: string}, mediaStarted: () => Promise<void>,
 *          mountJoin: (container: HTMLElement) => void}} ctx.devices  the device choice (features/devices/)
 * @param {(name: string) => void} ctx.submit  the person pressed Join with this name
 */
export function createJoinScreen({ media, devices, submit }) {
  const meter = new MicMeter(byId("mic-meter"));
  const button = byIdAs("join-button", HTMLButtonElement);
  const nameInput = byIdAs("name-input", HTMLInputElement);
  /** @type {{name?: string | null, role?: string}} */
  let preview = {};
  devices.mountJoin(byId("join-devices-slot"));
  byId("join-language-slot").append(languagePicker("join-language"));

  const toggles = () => renderToggles(media, nameInput.value || "");
  byId("preview-mic").addEventListener("click", () => {
    media.micOn = !media.micOn;
    toggles();
  });
  byId("preview-cam").addEventListener("click", () => {
    media.camOn = !media.camOn;
    toggles();
  });
  byId("media-retry").addEventListener("click", () => startPreview());
  nameInput.addEventListener("input", () => {
    byId("name-error").hidden = true;
    nameInput.removeAttribute("aria-invalid");
    toggles();
  });
  byIdAs("join-form", HTMLFormElement).addEventListener("submit", (e) => {
    e.preventDefault();
    const name = nameInput.value.trim();
    const problem = nameProblem(name, !!preview.name);
    if (problem) {
      const error = byId("name-error");
      error.textContent = problem;
      error.hidden = false;
      nameInput.setAttribute("aria-invalid", "true");
      nameInput.focus();
      return;
    }
    meter.stop();
    button.disabled = true;
    button.textContent = t("join.button.joining");
    submit(name || preview.name || "");
  });

  async function startPreview() {
    button.disabled = true;
    button.textContent = t("join.button.starting");
    meter.stop();
    await media.acquire(devices.preferred());
    showLocal();
    renderMediaProblem();
    button.disabled = false;
    updateButton();
    await devices.mediaStarted();
  }

  /** The preview and the meter follow the tracks in use (after a start or a device switch). */
  function showLocal() {
    const video = byIdAs("preview-video", HTMLVideoElement);
    video.srcObject = null; // re-attach, so that a track put in the same stream shows
    video.srcObject = media.stream;
    toggles();
    if (media.has("audio") && media.stream) meter.start(media.stream);
    else meter.stop();
    updateButton();
  }

  function renderMediaProblem() {
    const { audioError, videoError } = media;
    let text = "";
    if (audioError && videoError) text = mediaProblem("both", videoError) + " " + t("join.media.join_to_watch");
    else if (videoError) text = mediaProblem("video", videoError) + " " + t("join.media.join_with_mic");
    else if (audioError) text = mediaProblem("audio", audioError) + " " + t("join.media.join_with_camera");
    byId("media-problem-text").textContent = text;
    byId("media-problem").hidden = !text;
  }

  function updateButton() {
    if (media.observer) button.textContent = preview.role === "captioner" ? t("join.button.caption") : t("join.button.watch");
    else if (media.has("audio") && media.has("video")) button.textContent = t("join.button.join");
    else if (media.has("audio")) button.textContent = t("join.button.mic_only");
    else if (media.has("video")) button.textContent = t("join.button.camera_only");
    else button.textContent = t("join.button.watch_and_chat");
  }

  return {
    /**
     * @param {{title?: string | null, name?: string | null, role: string, goal?: string | null}} p  the link's preview
     * @param {string} name  the name to offer
     */
    async show(p, name) {
      preview = p;
      byId("join-title").replaceChildren(p.title ? el("bdi", {}, p.title) : t("join.default_title"));
      byId("join-role").replaceChildren(...(p.name ? [...withTyped((v) => t("join.hello", v), { name: p.name }), " "] : []), roleSentence(p.role));
      const goal = byId("join-goal");
      goal.hidden = !p.goal;
      goal.replaceChildren(...(p.goal ? withTyped((v) => t("join.goal", v), { goal: p.goal }) : []));
      nameInput.value = name;
      byId("join-error").hidden = true;
      showScreen("join");
      focusHeading("join-title");
      document.querySelector(".join-layout")?.classList.toggle("no-preview", media.observer);
      /** @type {HTMLElement} */ (document.querySelector(".join-preview")).hidden = media.observer;
      if (media.observer) {
        byId("media-problem").hidden = true;
        updateButton();
        return;
      }
      await startPreview();
    },
    /** Joining failed with a reason the person can fix here. @param {string} text */
    failed(text) {
      const error = byId("join-error");
      error.textContent = text;
      error.hidden = false;
      button.disabled = false;
      updateButton();
    },
    /** Joining waits for the network. @param {string} text */
    waiting(text) {
      const error = byId("join-error");
      error.textContent = text;
      error.hidden = false;
    },
    get visible() {
      return !byId("screen-join").hidden;
    },
    stopMeter: () => meter.stop(),
    /** Another camera or microphone was chosen on this screen. */
    localChanged() {
      if (!byId("screen-join").hidden && !button.disabled) showLocal(); // not while joining
    },
  };
}
