// The video grid: my own tile and one per other person connected in my room, drawn from the
// store, with name, muted / camera-off / watching badges, initials when there is no picture, the
// connection's state, who speaks, a raised hand and reactions. For screen readers each tile is
// named by its person (and role) and described by its state in words (muted, camera off,
// speaking, hand raised...): the description follows who speaks without announcing each change.

import { roleName, withTyped } from "../ui/wording.js";
import { formatList, t, translatePage } from "../ui/i18n.js";
import { sendsNoMedia } from "../core/store.js";
import { ICONS } from "../ui/icons.js";
import { byId, el } from "../ui/dom.js";
import { initials, colourFor, tileOrder } from "../features/people/state.js";

/** @typedef {import("../core/types.js").Participant} Participant */

const REACTION_SHOW_MS = 4000;

export class VideoGrid {
  /** @param {import("../core/store.js").Store} store */
  constructor(store) {
    this.store = store;
    this.grid = byId("video-grid");
    this.template = /** @type {HTMLTemplateElement} */ (byId("tile-template"));
    /** @type {Map<string, HTMLLIElement>} */
    this.tiles = new Map();
    /** @type {Map<string, string>} participant id -> state of the connection with them */
    this.peerStates = new Map();
    /** @type {MediaStream | null} */
    this.localStream = null;
    store.subscribe("participants", () => this.render());
    store.subscribe("room", () => this.render());
    store.subscribe("quality", () => this.renderQuality());
  }

  /** A new call (a join): drop every tile. @param {MediaStream | null} localStream */
  reset(localStream) {
    this.localStream = localStream;
    this.peerStates.clear();
    for (const tile of this.tiles.values()) tile.remove();
    this.tiles.clear();
    this.render();
  }

  /** From the peer connections: "connecting", "connected", "reconnecting", "failed", "closed". */
  /** @param {string} id @param {string} state */
  setPeerState(id, state) {
    if (state === "closed") this.peerStates.delete(id);
    else this.peerStates.set(id, state);
    if (state !== "connected") this.store.clearQuality(id);
    const tile = this.tiles.get(id);
    if (tile) this.renderTile(tile, this.store.participants.get(id));
  }

  /** @param {string} id @param {MediaStream} stream */
  setRemoteStream(id, stream) {
    const tile = this.tiles.get(id);
    if (!tile) return;
    const video = videoOf(tile);
    if (video.srcObject !== stream) video.srcObject = stream;
    this.play(tile, video);
    this.renderTile(tile, this.store.participants.get(id));
  }

  /** @param {MediaStream | null} stream */
  setLocalStream(stream) {
    this.localStream = stream;
    const id = this.store.me.id;
    const tile = id ? this.tiles.get(id) : undefined;
    if (tile) {
      const video = videoOf(tile);
      video.srcObject = null; // re-attach, so that a track added to the same stream shows
      video.srcObject = stream;
      this.renderTile(tile, this.store.participants.get(/** @type {string} */ (id)));
    }
  }

  /** A reaction shown on the person's tile for a few seconds. @param {string} id @param {string} emoji */
  showReaction(id, emoji) {
    const tile = this.tiles.get(id);
    if (!tile) return;
    const bubble = el("span", { class: "reaction-bubble", "aria-hidden": "true" }, emoji);
    tile.append(bubble);
    setTimeout(() => bubble.remove(), REACTION_SHOW_MS);
  }

  render() {
    const store = this.store;
    const selfId = store.me.id;
    if (!selfId) return;
    const present = [...store.participants.values()].filter((p) => p.id === selfId || (p.state === "connected" && store.inMyRoom(p)));
    present.sort(tileOrder(selfId));
    const keep = new Set(present.map((p) => p.id));
    for (const [id, tile] of this.tiles) {
      if (!keep.has(id)) {
        videoOf(tile).srcObject = null;
        tile.remove();
        this.tiles.delete(id);
      }
    }
    for (const p of present) {
      const tile = this.tiles.get(p.id) || this.createTile(p);
      this.grid.append(tile); // re-append keeps the sorted order
      this.renderTile(tile, p);
    }
    this.grid.dataset.count = String(present.length);
    this.renderQuality();
  }

  renderQuality() {
    for (const [id, tile] of this.tiles) {
      const q = this.store.quality.get(id);
      const speaking = !!q && q.speaking && this.peerStates.get(id) === "connected";
      if (tile.classList.contains("tile-speaking") !== speaking) {
        tile.classList.toggle("tile-speaking", speaking);
        this.renderState(tile);
      }
      const weak = !!q && q.weak ? "1" : "0";
      if (tile.dataset.weak !== weak) {
        tile.dataset.weak = weak;
        this.renderTile(tile, this.store.participants.get(id));
      }
    }
  }

  /** @param {Participant} p */
  createTile(p) {
    const tile = /** @type {HTMLLIElement} */ (/** @type {HTMLElement} */ (this.template.content.firstElementChild).cloneNode(true));
    tile.dataset.id = p.id;
    translatePage(tile); // a template's content is not the document's: its words go in here
    // Participant ids are hex: safe in an id.
    const state = part(tile, ".tile-state");
    state.id = `tile-state-${p.id}`;
    tile.setAttribute("aria-describedby", state.id);
    const video = videoOf(tile);
    if (p.id === this.store.me.id) {
      tile.classList.add("tile-self");
      video.muted = true; // never play our own microphone back
      video.srcObject = this.localStream;
    }
    // Show the initials picture until a video frame is on screen (a black box says nothing).
    const rerender = () => this.renderTile(tile, this.store.participants.get(p.id));
    for (const event of ["resize", "loadeddata", "playing", "emptied"]) video.addEventListener(event, rerender);
    part(tile, ".avatar").style.background = colourFor(p.id);
    const sound = part(tile, ".tile-sound");
    sound.addEventListener("click", () => {
      video.muted = false;
      video.play().catch(() => {});
      sound.hidden = true;
    });
    this.tiles.set(p.id, tile);
    return tile;
  }

  /** @param {HTMLLIElement} tile @param {Participant | undefined} p */
  renderTile(tile, p) {
    if (!p) return;
    const self = p.id === this.store.me.id;
    const cameraOff = !p.video;
    const name = part(tile, ".tile-name");
    name.replaceChildren(...(self ? withTyped((v) => t("grid.you", v), { name: p.name }) : [el("bdi", {}, p.name)]));
    const role = ["mentor", "mentee", "observer", "admin", "captioner"].includes(p.role) ? roleName(p.role) : "";
    const label = self ? t("grid.you", { name: p.name }) : p.name;
    tile.setAttribute("aria-label", role ? t("grid.tile_label", { name: label, role }) : label);
    part(tile, ".avatar span").textContent = initials(p.name);
    part(tile, ".badge-muted").hidden = !!p.audio || sendsNoMedia(p.role);
    part(tile, ".badge-camoff").hidden = !cameraOff || sendsNoMedia(p.role);
    part(tile, ".badge-watch").hidden = !sendsNoMedia(p.role);
    part(tile, ".badge-watch").textContent = p.role === "captioner" ? t("grid.badge.captioning") : t("grid.badge.watching");
    tile.classList.toggle("tile-camoff", cameraOff || !hasVideo(tile));
    tile.classList.toggle("tile-muted", !p.audio);
    const status = part(tile, ".tile-status");
    const state = this.peerStates.get(p.id);
    let text = "";
    if (!self) {
      if (state === "connecting" || state === undefined) text = t("grid.status.connecting");
      else if (state === "reconnecting") text = t("grid.status.unstable");
      else if (state === "failed") text = t("grid.status.failed");
      else if (state === "connected" && tile.dataset.weak === "1") text = t("grid.status.weak");
    }
    status.textContent = text;
    status.hidden = !text;
    part(tile, ".tile-role").textContent = role ? t("grid.role_suffix", { role }) : "";
    const up = this.store.handRaised(p.id);
    let badge = tile.querySelector(".hand-badge");
    if (up && !badge) {
      // Said in the tile's description; the badge is the picture of it.
      badge = el("span", { class: "hand-badge", "aria-hidden": "true", title: t("grid.badge.hand") });
      badge.innerHTML = ICONS.hand;
      tile.append(badge);
    } else if (!up && badge) {
      badge.remove();
    }
    this.renderState(tile);
  }

  /**
   * The tile's description: the person's state in words, read with the tile and never announced
   * on its own (no live region: who speaks changes too often for that).
   * @param {HTMLLIElement} tile
   */
  renderState(tile) {
    const p = this.store.participants.get(tile.dataset.id || "");
    if (!p) return;
    /** @type {string[]} */
    const states = [];
    if (sendsNoMedia(p.role)) states.push(p.role === "captioner" ? t("grid.state.captioning") : t("grid.state.watching"));
    else {
      if (!p.audio) states.push(t("grid.state.muted"));
      if (!p.video) states.push(t("grid.state.camera_off"));
    }
    if (tile.classList.contains("tile-speaking")) states.push(t("grid.state.speaking"));
    if (this.store.handRaised(p.id)) states.push(t("grid.state.hand"));
    const status = part(tile, ".tile-status");
    if (!status.hidden && status.textContent) states.push(status.textContent);
    const text = states.length ? formatList(states) : "";
    const holder = part(tile, ".tile-state");
    if (holder.textContent !== text) holder.textContent = text;
  }

  /** @param {HTMLLIElement} tile @param {HTMLVideoElement} video */
  play(tile, video) {
    video.play().catch(() => {
      // Autoplay with sound was blocked (no click on the page yet, e.g. after a reload):
      // play muted so the video shows, and offer a button to turn the sound on.
      video.muted = true;
      video.play().catch(() => {});
      part(tile, ".tile-sound").hidden = false;
    });
  }
}

/** @param {Element} tile @param {string} selector */
function part(tile, selector) {
  return /** @type {HTMLElement} */ (tile.querySelector(selector));
}

/** @param {Element} tile */
function videoOf(tile) {
  return /** @type {HTMLVideoElement} */ (tile.querySelector("video"));
}

/** @param {Element} tile */
function hasVideo(tile) {
  const video = videoOf(tile);
  const stream = /** @type {MediaStream | null} */ (video.srcObject);
  return !!(stream && stream.getVideoTracks().length > 0) && video.videoWidth > 0;
}
