// The subscribe connection's slots as plain data. The server says which participant's media each
// transceiver (mid) carries; the browser gives one receiving track per mid. From both, each
// participant's tracks ({audio, camera, screen}), and whether their media has arrived since the
// slot took them. Tracks are opaque values here, so these rules run in Node without WebRTC.
//
// Rules of this module: a slot map replaces the one before it whole (it is the server's state,
// not a change to it); a mid may be named before its track exists, and a track may come before
// its mid is named: each is kept until the other arrives.

/** @typedef {import("../core/types.js").Slot} Slot */

/**
 * @template T
 * @typedef {{audio: T | null, camera: T | null, screen: T | null}} Carried
 */

/**
 * @template T
 */
export class SlotBook {
  /** @param {string} selfId  slots never carry my own media back; one that names me is ignored */
  constructor(selfId = "") {
    this.selfId = selfId;
    /** @type {Map<string, Slot>} mid -> slot */
    this.slots = new Map();
    /** @type {Map<string, T>} mid -> the track received on it */
    this.tracks = new Map();
    /** @type {Map<string, number | null>} mid -> its count when it took its participant (null: the next count) */
    this.baseline = new Map();
    /** @type {Map<string, number>} mid -> the last count seen (frames for video, packets for audio) */
    this.counts = new Map();
    /** @type {Map<string, number>} participant id -> when their media was first seen flowing */
    this.arrivedAt = new Map();
  }

  /**
   * The server's slot map (from `media_subscribe`, `media_offer` or `media_slots`).
   * @param {Slot[]} slots
   * @returns {Set<string>} participants whose tracks changed
   */
  setSlots(slots) {
    const before = this.byParticipant();
    const next = new Map();
    for (const s of Array.isArray(slots) ? slots : []) {
      if (!s || typeof s.mid !== "string") continue;
      const carried = s.participant_id && s.participant_id !== this.selfId ? s.participant_id : null;
      next.set(s.mid, { mid: s.mid, kind: s.kind, participant_id: carried, source: carried ? s.source || "camera" : null });
    }
    for (const [mid, slot] of next) {
      const old = this.slots.get(mid);
      if (!old || old.participant_id !== slot.participant_id || old.source !== slot.source) this.baseline.set(mid, null);
    }
    this.slots = next;
    this._forgetArrivals();
    return changedBetween(before, this.byParticipant());
  }

  /**
   * The browser's track for a mid (ontrack).
   * @param {string} mid
   * @param {T} track
   * @returns {Set<string>} participants whose tracks changed
   */
  setTrack(mid, track) {
    const before = this.byParticipant();
    this.tracks.set(mid, track);
    return changedBetween(before, this.byParticipant());
  }

  /** @param {string} mid */
  participantOf(mid) {
    const slot = this.slots.get(mid);
    return slot ? slot.participant_id : null;
  }

  /** @returns {Map<string, Carried<T>>} participant id -> the tracks carrying their media */
  byParticipant() {
    /** @type {Map<string, Carried<T>>} */
    const out = new Map();
    for (const [mid, slot] of this.slots) {
      const id = slot.participant_id;
      const track = this.tracks.get(mid);
      if (!id || track === undefined) continue;
      const entry = out.get(id) || { audio: null, camera: null, screen: null };
      if (slot.kind === "audio") entry.audio = entry.audio || track;
      else if (slot.source === "screen") entry.screen = entry.screen || track;
      else entry.camera = entry.camera || track;
      out.set(id, entry);
    }
    return out;
  }

  /**
   * Counts read from the subscribe connection's stats: per mid, frames decoded (video) or packets
   * received (audio). Someone's media has arrived once a count of their camera slot (or, when no
   * slot carries their camera, their audio slot) grew after the slot took them.
   * @param {Map<string, number>} counts
   * @param {number} now  milliseconds
   */
  observe(counts, now) {
    for (const [mid, count] of counts) {
      this.counts.set(mid, count);
      if (this.baseline.get(mid) === null) this.baseline.set(mid, count);
    }
    for (const [id, mids] of this._midsByParticipant()) {
      if (this.arrivedAt.has(id)) continue;
      const watch = mids.camera.length ? mids.camera : mids.audio;
      const flowing = watch.some((mid) => {
        const base = this.baseline.get(mid);
        const count = this.counts.get(mid);
        return typeof base === "number" && typeof count === "number" && count > base;
      });
      if (flowing) this.arrivedAt.set(id, now);
    }
  }

  /**
   * How long someone's media has been arriving through the server, in milliseconds; -1 when it has not.
   * @param {string} id
   * @param {number} now
   */
  arrivedFor(id, now) {
    const at = this.arrivedAt.get(id);
    return at === undefined ? -1 : Math.max(0, now - at);
  }

  /** Whether any slot names this participant. @param {string} id */
  carries(id) {
    for (const slot of this.slots.values()) if (slot.participant_id === id) return true;
    return false;
  }

  clear() {
    this.slots.clear();
    this.tracks.clear();
    this.baseline.clear();
    this.counts.clear();
    this.arrivedAt.clear();
  }

  _midsByParticipant() {
    /** @type {Map<string, {camera: string[], audio: string[]}>} */
    const out = new Map();
    for (const [mid, slot] of this.slots) {
      if (!slot.participant_id || slot.source === "screen") continue;
      const entry = out.get(slot.participant_id) || { camera: [], audio: [] };
      (slot.kind === "audio" ? entry.audio : entry.camera).push(mid);
      out.set(slot.participant_id, entry);
    }
    return out;
  }

  // Someone no longer carried, or carried on other slots now, must arrive again.
  _forgetArrivals() {
    const still = this._midsByParticipant();
    for (const id of [...this.arrivedAt.keys()]) {
      const mids = still.get(id);
      const fresh = !mids || [...mids.camera, ...mids.audio].some((mid) => this.baseline.get(mid) === null);
      if (fresh) this.arrivedAt.delete(id);
    }
  }
}

/**
 * @template T
 * @param {Map<string, Carried<T>>} before
 * @param {Map<string, Carried<T>>} after
 */
function changedBetween(before, after) {
  const changed = new Set();
  for (const id of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(id);
    const b = after.get(id);
    if (!a || !b || a.audio !== b.audio || a.camera !== b.camera || a.screen !== b.screen) changed.add(id);
  }
  return changed;
}

/**
 * One stream per participant for the camera tile (audio and camera) and one for the screen, made
 * again only when their tracks change, so that a tile's video element keeps its stream otherwise.
 * @template T, S
 */
export class ParticipantStreams {
  /** @param {(tracks: T[]) => S} makeStream */
  constructor(makeStream) {
    this.makeStream = makeStream;
    /** @type {Map<string, {tracks: Carried<T>, camera: S | null, screen: S | null}>} */
    this.streams = new Map();
  }

  /**
   * @param {string} id
   * @param {Carried<T> | undefined} tracks
   * @returns {{camera: S | null, screen: S | null}}
   */
  update(id, tracks) {
    const old = this.streams.get(id);
    if (!tracks || (!tracks.audio && !tracks.camera && !tracks.screen)) {
      this.streams.delete(id);
      return { camera: null, screen: null };
    }
    const cameraTracks = /** @type {T[]} */ ([tracks.audio, tracks.camera].filter((t) => t !== null));
    const sameCamera = !!old && old.tracks.audio === tracks.audio && old.tracks.camera === tracks.camera;
    const sameScreen = !!old && old.tracks.screen === tracks.screen;
    const camera = sameCamera && old ? old.camera : cameraTracks.length ? this.makeStream(cameraTracks) : null;
    const screen = sameScreen && old ? old.screen : tracks.screen !== null ? this.makeStream([tracks.screen]) : null;
    this.streams.set(id, { tracks: { ...tracks }, camera, screen });
    return { camera, screen };
  }

  /** @param {string} id */
  get(id) {
    const entry = this.streams.get(id);
    return { camera: entry ? entry.camera : null, screen: entry ? entry.screen : null };
  }

  clear() {
    this.streams.clear();
  }
}
