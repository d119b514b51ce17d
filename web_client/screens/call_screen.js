// The call screen's own controls: microphone and camera (asking again for a device that was
// missing), the whiteboard button, Leave, the alert line, and the side
// panel's tabs (on narrow screens People and Chat are tabs; on wide screens both are shown).

import { byId, byIdAs } from "../ui/dom.js";
import { setIcon } from "../ui/icons.js";
import { acquireTrack } from "../call/media.js";
import { mediaProblem } from "../ui/wording.js";
import { t } from "../ui/i18n.js";

/** @param {string} text */
export function showCallAlert(text) {
  byId("call-alert-text").textContent = text;
  byId("call-alert").hidden = !text;
}

/**
 * @param {object} ctx
 * @param {import("../call/local_media.js").LocalMedia} ctx.media
 * @param {() => string} ctx.state  the page's state ("call", "reconnecting", ...)
 * @param {() => void} ctx.mediaChanged  my microphone or camera was turned on or off
 * @param {(track: MediaStreamTrack, stream: MediaStream) => Promise<void>} ctx.trackAdded
 * @param {() => void} ctx.leave
 * @param {(text: string) => void} ctx.announce
 */
export function createCallControls({ media, state, mediaChanged, trackAdded, leave, announce }) {
  const mic = byIdAs("ctl-mic", HTMLButtonElement);
  const cam = byIdAs("ctl-cam", HTMLButtonElement);
  const board = byIdAs("ctl-board", HTMLButtonElement);
  const leaveButton = byIdAs("ctl-leave", HTMLButtonElement);
  setIcon(leaveButton, "leave");
  setIcon(board, "board");

  mic.addEventListener("click", () => {
    if (!media.has("audio")) {
      turnOnMissing("audio", mic);
      return;
    }
    media.micOn = !media.micOn;
    mediaChanged();
    announce(media.micOn ? t("controls.mic.said_on") : t("controls.mic.said_muted"));
  });
  cam.addEventListener("click", () => {
    if (!media.has("video")) {
      turnOnMissing("video", cam);
      return;
    }
    media.camOn = !media.camOn;
    mediaChanged();
    announce(media.camOn ? t("controls.camera.said_on") : t("controls.camera.said_off"));
  });
  board.addEventListener("click", () => toggleBoard(false));
  // Opened by the shortcut, the board takes the focus (on its canvas); closed with the focus in
  // it, the focus goes back where it was before, or to the Whiteboard button.
  /** @type {Element | null} */
  let boardOpener = null;
  /** @param {boolean} focusBoard */
  function toggleBoard(focusBoard) {
    const panel = byId("whiteboard");
    const open = panel.hidden;
    const hadFocus = panel.contains(document.activeElement);
    panel.hidden = !open;
    board.setAttribute("aria-pressed", String(open));
    const canvas = panel.querySelector("canvas");
    if (open && focusBoard && canvas) {
      boardOpener = document.activeElement;
      canvas.focus();
    } else if (!open && hadFocus) {
      const back = boardOpener instanceof HTMLElement && boardOpener.isConnected && boardOpener.getClientRects().length ? boardOpener : board;
      back.focus();
    }
    if (!open) boardOpener = null;
  }
  leaveButton.addEventListener("click", () => leave());
  byId("call-alert-close").addEventListener("click", () => showCallAlert(""));

  // Someone joined without a microphone or camera (blocked, missing or busy) and now wants it.
  /** @param {"audio" | "video"} kind @param {HTMLButtonElement} button */
  async function turnOnMissing(kind, button) {
    if (button.dataset.busy === "1") return;
    button.dataset.busy = "1";
    showCallAlert("");
    try {
      const track = await acquireTrack(kind);
      if (state() !== "call" && state() !== "reconnecting") {
        track.stop();
        return;
      }
      const stream = media.addTrack(track);
      await trackAdded(track, stream);
      mediaChanged();
      announce(kind === "audio" ? t("controls.mic.said_on") : t("controls.camera.said_on"));
    } catch (e) {
      showCallAlert(mediaProblem(kind, e));
    } finally {
      delete button.dataset.busy;
    }
  }

  return {
    // What the keyboard shortcuts do (features/shortcuts/): the same as pressing the buttons.
    toggleMic: () => mic.click(),
    toggleCam: () => cam.click(),
    toggleBoard: () => toggleBoard(true),
    /** @param {boolean} busy */
    leaving(busy) {
      leaveButton.disabled = busy;
    },
  };
}

/**
 * The side panel's tabs.
 * @param {{callShown: () => boolean, chatRead: () => void}} ctx
 */
export function createSidebar({ callShown, chatRead }) {
  const narrow = window.matchMedia("(max-width: 820px)");
  let active = "chat";

  function chatVisible() {
    return !byId("panel-chat").hidden && document.visibilityState === "visible" && callShown();
  }

  function render() {
    const isNarrow = narrow.matches;
    for (const [tab, panel, name] of [["tab-people", "panel-people", "people"], ["tab-chat", "panel-chat", "chat"]]) {
      const open = !isNarrow || active === name;
      byId(panel).hidden = !open;
      byId(tab).setAttribute("aria-expanded", String(open));
      byId(tab).classList.toggle("tab-active", isNarrow && open);
    }
    if (chatVisible()) chatRead();
  }

  byId("tab-people").addEventListener("click", () => {
    active = "people";
    render();
  });
  function openChat() {
    active = "chat";
    render();
    byId("chat-input").focus();
  }
  byId("tab-chat").addEventListener("click", openChat);
  narrow.addEventListener("change", render);
  document.addEventListener("visibilitychange", () => chatVisible() && chatRead());
  render();
  return { chatVisible, openChat };
}
