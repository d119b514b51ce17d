// Screen sharing in the call page: the "Share screen" button (getDisplayMedia), the stage above
// the grid that shows every share in my room large, with who shares it, a mentor's "Stop share"
// on someone else's share and their "Several can share" switch. The media goes out through the
// call (peer to peer or through the server, call/media_routes.js).

import { SERVER_EVENTS } from "../../core/events.js";
import { addStylesheet, byId, byIdAs, el } from "../../ui/dom.js";
import { setIcon } from "../../ui/icons.js";
import { t } from "../../ui/i18n.js";
import { screenCommands } from "./commands.js";
import { busyNotice, mayModerateShares, mayShare, shareCaption, sharersHere } from "./state.js";
import { refusedWords } from "../../ui/wording.js";

/** @typedef {import("../../core/types.js").Participant} Participant */

/**
 * @param {object} ctx
 * @param {import("../../core/store.js").Store} ctx.store
 * @param {import("../../core/dispatcher.js").Dispatcher} ctx.dispatcher
 * @param {import("../../core/transport.js").Transport} ctx.transport
 * @param {{setScreen: (track: MediaStreamTrack | null) => Promise<void>, screenOf: (id: string) => MediaStream | null}} ctx.call
 * @param {(text: string, about?: string[]) => void} ctx.notice  visible and spoken (about: the
 *   participants it names)
 * @param {(text: string) => void} ctx.announce
 * @param {(text: string) => void} ctx.alert
 */
export function installScreenShare({ store, dispatcher, transport, call, notice, announce, alert }) {
  addStylesheet("/client/features/screen/screen.css");
  const commands = screenCommands(transport);
  const button = byIdAs("ctl-screen", HTMLButtonElement);
  const policy = byIdAs("ctl-screen-policy", HTMLButtonElement);
  const stage = byId("screen-stage");
  const list = byId("screen-list");
  setIcon(button, "screen");
  setIcon(policy, "screens");
  const canCapture = !!(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);

  /** @type {MediaStreamTrack | null} my share */
  let track = null;
  let busy = false;
  let many = false;
  /** @type {Map<string, HTMLLIElement>} sharer id -> their item on the stage */
  const items = new Map();
  let made = 0;

  function renderControls() {
    const role = store.me.role;
    button.hidden = !canCapture || !mayShare(role);
    button.disabled = busy;
    const label = track ? t("screen.stop_sharing") : t("screen.share");
    /** @type {HTMLElement} */ (button.querySelector(".control-label")).textContent = label;
    button.classList.toggle("control-active", !!track);
    button.title = track ? t("screen.stop_sharing_title") : t("screen.share_title");
    policy.hidden = !mayModerateShares(role);
    policy.setAttribute("aria-pressed", String(many));
    /** @type {HTMLElement} */ (policy.querySelector(".control-label")).textContent = t("screen.policy.label");
    policy.title = many ? t("screen.policy.many_title") : t("screen.policy.one_title");
  }

  function renderStage() {
    const selfId = store.me.id;
    const sharers = sharersHere(store.participants.values(), (p) => store.inMyRoom(p));
    const keep = new Set(sharers.map((p) => p.id));
    for (const [id, item] of items) {
      if (keep.has(id)) continue;
      const video = item.querySelector("video");
      if (video) video.srcObject = null;
      item.remove();
      items.delete(id);
    }
    for (const p of sharers) {
      const item = items.get(p.id) || createItem(p);
      list.append(item); // re-append keeps the order
      renderItem(item, p, selfId);
    }
    stage.hidden = sharers.length === 0;
    stage.dataset.count = String(sharers.length);
    stage.parentElement?.classList.toggle("stage-sharing", sharers.length > 0);
  }

  /** @param {Participant} p */
  function createItem(p) {
    made += 1;
    const captionId = `screen-caption-${made}`;
    const video = el("video", { autoplay: true, playsinline: true, "aria-hidden": "true" });
    video.muted = true; // a share carries no sound here
    const caption = el("p", { class: "screen-caption", id: captionId });
    const stop = el("button", { type: "button", class: "button button-secondary screen-stop", "aria-describedby": captionId }, t("screen.stop_share"));
    stop.addEventListener("click", async () => {
      stop.disabled = true;
      const ack = await commands.stop(p.id);
      stop.disabled = false;
      if (ack.ok) announce(t("screen.stopped_other", { name: store.name(p.id) }));
      else alert(refusedWords(ack.error, "screen.stop_failed"));
    });
    const item = el("li", { class: "screen-item" });
    item.dataset.id = p.id;
    item.append(video, caption, stop);
    items.set(p.id, item);
    return item;
  }

  /** @param {HTMLLIElement} item @param {Participant} p @param {string | null} selfId */
  function renderItem(item, p, selfId) {
    const self = p.id === selfId;
    /** @type {HTMLElement} */ (item.querySelector(".screen-caption")).textContent = shareCaption(p, selfId);
    /** @type {HTMLElement} */ (item.querySelector(".screen-stop")).hidden = self || !mayModerateShares(store.me.role);
    const video = /** @type {HTMLVideoElement} */ (item.querySelector("video"));
    // My own screen is not shown back to me (a picture of the screen inside the screen).
    const stream = self ? null : call.screenOf(p.id);
    video.hidden = self;
    item.classList.toggle("screen-item-self", self);
    if (video.srcObject !== stream) {
      video.srcObject = stream;
      if (stream) video.play().catch(() => {});
    }
  }

  async function start() {
    busy = true;
    renderControls();
    /** @type {MediaStreamTrack | null} */
    let captured = null;
    try {
      const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
      captured = stream.getVideoTracks()[0] || null;
    } catch (e) {
      // Cancelled in the browser's picker, or refused: nothing to say beyond the button's state.
      announce(t("screen.not_started"));
    }
    if (!captured) {
      busy = false;
      renderControls();
      return;
    }
    if ("contentHint" in captured) captured.contentHint = "detail";
    const ack = await commands.share(true);
    if (!ack.ok) {
      captured.stop();
      busy = false;
      renderControls();
      if (ack.error.code === "screen_busy") {
        const sharers = sharersHere(store.participants.values(), (p) => store.inMyRoom(p));
        notice(busyNotice(sharers, store.me.id), sharers.map((p) => p.id));
      } else alert(refusedWords(ack.error, "screen.share_failed"));
      return;
    }
    track = captured;
    // The browser's own "Stop sharing" bar ends the track.
    captured.addEventListener("ended", () => {
      if (track === captured) stop(true);
    });
    await call.setScreen(captured);
    busy = false;
    renderControls();
    announce(t("screen.sharing_self"));
  }

  /** @param {boolean} tellServer */
  async function stop(tellServer) {
    const was = track;
    if (!was) return;
    track = null;
    was.stop();
    renderControls();
    await call.setScreen(null);
    if (tellServer) {
      const ack = await commands.share(false);
      if (!ack.ok && ack.error.code !== "timeout") console.warn("screen_share", ack.error);
    }
  }

  button.addEventListener("click", () => {
    if (busy) return;
    if (track) stop(true).then(() => announce(t("screen.stopped_self")));
    else start();
  });
  policy.addEventListener("click", async () => {
    const next = !many;
    policy.disabled = true;
    const ack = await commands.policy(next);
    policy.disabled = false;
    if (!ack.ok) {
      alert(refusedWords(ack.error, "screen.policy.failed"));
      return;
    }
    many = next;
    renderControls();
    announce(many ? t("screen.policy.many") : t("screen.policy.one"));
  });
  // What the room allows is the server's: another mentor may change it, and a move or a reload
  // brings the new room's setting.
  dispatcher.on(SERVER_EVENTS.SCREEN_POLICY_CHANGED, ({ room, many: now }) => {
    if (room !== store.room) return;
    many = !!now;
    renderControls();
  });
  dispatcher.on(SERVER_EVENTS.ROOM_CHANGED, ({ screens_many }) => {
    many = !!screens_many;
    renderControls();
  });

  store.subscribe("me", renderControls);
  store.subscribe("room", ({ before }) => {
    // A share ends when its sharer moves to another room (the server says so for the others).
    if (track && !busy && before !== undefined && before !== store.room) {
      stop(false);
      notice(t("screen.ended_moved"));
    }
    renderStage();
  });
  store.subscribe("participants", renderStage);
  dispatcher.on(SERVER_EVENTS.PARTICIPANT_UPDATED, ({ participant: p }) => {
    // A mentor stopped my share: the server says I no longer share.
    if (track && !busy && p && p.id === store.me.id && p.screen === false) {
      stop(false);
      notice(t("screen.stopped_by_mentor"));
    }
  });
  renderControls();

  return {
    /** The call's copy of someone's screen changed. */
    screensChanged: renderStage,
    /**
     * After a (re)join: a share that was going on goes on, if the server still takes it.
     * @param {boolean} severalMay  whether several may share at once in my room now
     */
    async joined(severalMay) {
      many = severalMay;
      renderControls();
      if (!track) return;
      const ack = await commands.share(true);
      if (!ack.ok) await stop(false);
      else await call.setScreen(track);
    },
    /** Leaving, or the session ended. */
    stop() {
      const was = track;
      track = null;
      if (was) was.stop();
      renderControls();
    },
  };
}
