// The call screen: video grid (self view + one tile per other connected participant), the
// participant list and the status of each peer connection.

import { ROLE_NAMES } from "./messages.js";

export function initials(name) {
  const parts = String(name || "?").trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return "?";
  const first = Array.from(parts[0])[0] || "";
  const last = parts.length > 1 ? Array.from(parts[parts.length - 1])[0] || "" : "";
  return (first + last).toUpperCase();
}

// A stable, pleasant background colour per participant id (for initials tiles).
function colourFor(id) {
  let h = 0;
  for (const ch of String(id)) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${h % 360} 45% 38%)`;
}

export class CallView {
  constructor() {
    this.grid = document.getElementById("video-grid");
    this.list = document.getElementById("participant-list");
    this.count = document.getElementById("people-count");
    this.template = document.getElementById("tile-template");
    this.selfId = null;
    /** @type {Map<string, object>} every participant the session knows, including those who left */
    this.participants = new Map();
    /** @type {Map<string, HTMLLIElement>} */
    this.tiles = new Map();
    this.peerStates = new Map();
    this.localStream = null;
    this.room = "main";
    /** @type {Map<string, string>} room id -> name */
    this.roomNames = new Map([["main", "Main room"]]);
  }

  /** Whether a participant is in our room (media and tiles are per room). */
  inRoom(p) {
    return !!p && (p.room || "main") === this.room;
  }

  roomName(id) {
    return this.roomNames.get(id || "main") || id;
  }

  setRoom(room) {
    this.room = room;
    const me = this.participants.get(this.selfId);
    if (me) me.room = room;
    this.render();
  }

  reset(selfId, participants, localStream, room = "main") {
    this.selfId = selfId;
    this.room = room;
    this.localStream = localStream;
    this.participants.clear();
    this.peerStates.clear();
    for (const tile of this.tiles.values()) tile.remove();
    this.tiles.clear();
    for (const p of participants || []) this.participants.set(p.id, p);
    this.render();
  }

  upsert(participant) {
    if (!participant || !participant.id) return;
    const old = this.participants.get(participant.id) || {};
    this.participants.set(participant.id, { ...old, ...participant });
    this.render();
  }

  markGone(id, reason) {
    const p = this.participants.get(id);
    if (!p) return;
    p.state = reason === "disconnected" ? "disconnected" : "left";
    this.peerStates.delete(id);
    this.render();
  }

  name(id) {
    const p = this.participants.get(id);
    return p ? p.name : "Someone";
  }

  setPeerState(id, state) {
    if (state === "closed") this.peerStates.delete(id);
    else this.peerStates.set(id, state);
    if (state !== "connected") {
      const t = this.tiles.get(id);
      if (t) {
        t.classList.remove("tile-speaking");
        t.dataset.weak = "0";
      }
    }
    const tile = this.tiles.get(id);
    if (tile) this._renderTile(tile, this.participants.get(id));
    const item = this.list.querySelector(`li[data-id="${cssEscape(id)}"]`);
    if (item) this._renderListItem(item, this.participants.get(id));
  }

  /** From QualityMonitor: who is speaking, whose connection is weak. */
  setQuality(id, { speaking, weak }) {
    const tile = this.tiles.get(id);
    if (!tile) return;
    tile.classList.toggle("tile-speaking", !!speaking);
    const wasWeak = tile.dataset.weak === "1";
    tile.dataset.weak = weak ? "1" : "0";
    if (wasWeak !== !!weak) this._renderTile(tile, this.participants.get(id));
  }

  setRemoteStream(id, stream) {
    const tile = this.tiles.get(id);
    if (!tile) return;
    const video = tile.querySelector("video");
    if (video.srcObject !== stream) {
      video.srcObject = stream;
    }
    this._play(tile, video);
    this._renderTile(tile, this.participants.get(id));
  }

  setLocalStream(stream) {
    this.localStream = stream;
    const tile = this.tiles.get(this.selfId);
    if (tile) {
      const video = tile.querySelector("video");
      video.srcObject = null; // re-attach, so that a track added to the same stream shows
      video.srcObject = stream;
      this._renderTile(tile, this.participants.get(this.selfId));
    }
  }

  /** Re-render tiles and the list from `participants`. */
  render() {
    const present = [...this.participants.values()].filter(
      (p) => p.id === this.selfId || (p.state === "connected" && this.inRoom(p)),
    );
    // Self first, then others by join time: a stable order so tiles do not jump around.
    present.sort((a, b) => (a.id === this.selfId ? -1 : b.id === this.selfId ? 1 : (a.joined_at || 0) - (b.joined_at || 0)));
    const keep = new Set(present.map((p) => p.id));
    for (const [id, tile] of this.tiles) {
      if (!keep.has(id)) {
        const video = tile.querySelector("video");
        video.srcObject = null;
        tile.remove();
        this.tiles.delete(id);
      }
    }
    for (const p of present) {
      let tile = this.tiles.get(p.id);
      if (!tile) tile = this._createTile(p);
      this.grid.append(tile); // re-append keeps the sorted order
      this._renderTile(tile, p);
    }
    this.grid.dataset.count = String(present.length);
    this._renderList();
  }

  _createTile(p) {
    const tile = this.template.content.firstElementChild.cloneNode(true);
    tile.dataset.id = p.id;
    const video = tile.querySelector("video");
    const self = p.id === this.selfId;
    if (self) {
      tile.classList.add("tile-self");
      video.muted = true; // never play our own microphone back
      video.srcObject = this.localStream;
    }
    // Show the initials picture until a video frame is on screen (a black box says nothing).
    const rerender = () => this._renderTile(tile, this.participants.get(p.id));
    for (const event of ["resize", "loadeddata", "playing", "emptied"]) video.addEventListener(event, rerender);
    const avatar = tile.querySelector(".avatar");
    avatar.style.background = colourFor(p.id);
    tile.querySelector(".tile-sound").addEventListener("click", () => {
      video.muted = false;
      video.play().catch(() => {});
      tile.querySelector(".tile-sound").hidden = true;
    });
    this.tiles.set(p.id, tile);
    return tile;
  }

  _renderTile(tile, p) {
    if (!p) return;
    const self = p.id === this.selfId;
    const cameraOff = !p.video;
    tile.querySelector(".tile-name").textContent = self ? `${p.name} (you)` : p.name;
    tile.querySelector(".avatar span").textContent = initials(p.name);
    tile.querySelector(".badge-muted").hidden = !!p.audio || p.role === "observer";
    tile.querySelector(".badge-camoff").hidden = !cameraOff || p.role === "observer";
    tile.querySelector(".badge-watch").hidden = p.role !== "observer";
    tile.classList.toggle("tile-camoff", cameraOff || !this._hasVideo(tile));
    tile.classList.toggle("tile-muted", !p.audio);
    const status = tile.querySelector(".tile-status");
    const state = this.peerStates.get(p.id);
    let text = "";
    if (!self) {
      if (state === "connecting" || state === undefined) text = "Connecting…";
      else if (state === "reconnecting") text = "Connection unstable…";
      else if (state === "failed") text = "Can't connect video. Retrying…";
      else if (state === "connected" && tile.dataset.weak === "1") text = "Weak connection";
    }
    status.textContent = text;
    status.hidden = !text;
    tile.querySelector(".tile-role").textContent = ROLE_NAMES[p.role] ? `, ${ROLE_NAMES[p.role]}` : "";
  }

  _hasVideo(tile) {
    const video = tile.querySelector("video");
    const stream = video.srcObject;
    return !!(stream && stream.getVideoTracks().length > 0) && video.videoWidth > 0;
  }

  _play(tile, video) {
    const p = video.play();
    if (p && p.catch) {
      p.catch(() => {
        // Autoplay with sound was blocked (no click on the page yet, e.g. after a reload):
        // play muted so the video shows, and offer a button to turn the sound on.
        video.muted = true;
        video.play().catch(() => {});
        tile.querySelector(".tile-sound").hidden = false;
      });
    }
  }

  _renderList() {
    const everyone = [...this.participants.values()];
    const present = everyone.filter((p) => p.state === "connected" || p.id === this.selfId);
    const away = everyone.filter((p) => p.state === "disconnected" && p.id !== this.selfId);
    this.count.textContent = String(present.length);
    this.list.replaceChildren();
    const order = (a, b) => (a.id === this.selfId ? -1 : b.id === this.selfId ? 1 : (a.joined_at || 0) - (b.joined_at || 0));
    for (const p of [...present.sort(order), ...away.sort(order)]) {
      const li = document.createElement("li");
      li.dataset.id = p.id;
      this._renderListItem(li, p);
      this.list.append(li);
    }
  }

  _renderListItem(li, p) {
    if (!p) return;
    const self = p.id === this.selfId;
    li.className = "person" + (p.state !== "connected" && !self ? " person-away" : "");
    li.dataset.state = p.state;
    li.replaceChildren();
    const avatar = document.createElement("span");
    avatar.className = "person-avatar";
    avatar.style.background = colourFor(p.id);
    avatar.textContent = initials(p.name);
    avatar.setAttribute("aria-hidden", "true");
    const text = document.createElement("span");
    text.className = "person-text";
    const name = document.createElement("span");
    name.className = "person-name";
    name.textContent = self ? `${p.name} (you)` : p.name;
    const detail = document.createElement("span");
    detail.className = "person-detail";
    const bits = [ROLE_NAMES[p.role] || p.role];
    if (!self && p.state === "connected" && !this.inRoom(p)) bits.push(`in ${this.roomName(p.room)}`);
    if (p.state === "disconnected" && !self) bits.push("reconnecting…");
    else if (p.role === "observer") bits.push("watching");
    else {
      if (!p.audio) bits.push("muted");
      if (!p.video) bits.push("camera off");
    }
    detail.textContent = bits.join(" · ");
    text.append(name, detail);
    li.append(avatar, text);
  }
}

function cssEscape(s) {
  return window.CSS && CSS.escape ? CSS.escape(s) : String(s).replace(/"/g, '\\"');
}
