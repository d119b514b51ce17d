// The join screen: greeting, camera preview with the microphone meter, the name, and "Join".

import { byId, byIdAs } from "../ui/dom.js";
import { MicMeter } from "../call/media.js";
import { mediaProblem, roleSentence } from "../ui/wording.js";
import { renderToggles } from "./toggles.js";
import { focusHeading, showScreen } from "./message.js";

const NAME_MAX = 60;

/**
 * Why this name cannot be used, or null.
 * @param {string} name  trimmed
 * @param {boolean} linkHasName  the join link carries a name
 */
export function nameProblem(name, linkHasName) {
  if (!name && !linkHasName) return "Please type your name, so the others know who you are.";
  if (name.length > NAME_MAX) return "Please use a shorter name (60 characters at most).";
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
    button.textContent = "Joining…";
    submit(name || preview.name || "");
  });

  async function startPreview() {
    button.disabled = true;
    button.textContent = "Starting your camera…";
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
    if (audioError && videoError) text = mediaProblem("both", videoError) + " You can still join to watch, listen and chat.";
    else if (videoError) text = mediaProblem("video", videoError) + " You can join with your microphone only.";
    else if (audioError) text = mediaProblem("audio", audioError) + " You can join with your camera only, and use the chat to talk.";
    byId("media-problem-text").textContent = text;
    byId("media-problem").hidden = !text;
  }

  function updateButton() {
    if (media.observer) button.textContent = preview.role === "captioner" ? "Join to caption" : "Join to watch";
    else if (media.has("audio") && media.has("video")) button.textContent = "Join now";
    else if (media.has("audio")) button.textContent = "Join with microphone only";
    else if (media.has("video")) button.textContent = "Join with camera only";
    else button.textContent = "Join to watch and chat";
  }

  return {
    /**
     * @param {{title?: string | null, name?: string | null, role: string, goal?: string | null}} p  the link's preview
     * @param {string} name  the name to offer
     */
    async show(p, name) {
      preview = p;
      byId("join-title").textContent = p.title || "Mentoring session";
      byId("join-role").textContent = (p.name ? `Hello ${p.name}. ` : "") + roleSentence(p.role);
      const goal = byId("join-goal");
      goal.hidden = !p.goal;
      goal.textContent = p.goal ? `Goal: ${p.goal}` : "";
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
