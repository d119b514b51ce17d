// The page's one copy of the session as the server describes it: who is here and in which room,
// the room names, the breakout round, my own id, role and room, the server's clock, who speaks and
// whose hand is up, who was erased. Plain data and functions (no DOM): events go in through the
// methods below, subscribers are told which part changed. Rules of this module: every fact is held
// once, here; a method changes state only from what the server said (or, for media, what this page
// does).

/**
 * @typedef {import("./types.js").Participant} Participant
 * @typedef {import("./types.js").Breakouts} Breakouts
 * @typedef {import("./types.js").JoinAck} JoinAck
 * @typedef {import("./types.js").Role} Role
 * @typedef {import("./types.js").CheckIn} CheckIn
 * @typedef {import("./types.js").Position} Position
 * @typedef {"me" | "participants" | "room" | "round" | "speaking" | "quality" | "erased"} Topic
 * @typedef {{before?: unknown, ids?: string[]}} Change  ids: "erased": who was erased just now
 * @typedef {(change: Change) => void} Listener
 * @typedef {{speaking: boolean, weak: boolean}} Quality
 */

import { SERVER_EVENTS } from "./events.js";
import { t } from "../ui/i18n.js";

export const MAIN = "main";

/** Observers and captioners send neither camera nor microphone. @param {string | null | undefined} role */
export function sendsNoMedia(role) {
  return role === "observer" || role === "captioner";
}

/** The room a participant is in ("main" when the server says nothing). */
export function roomOf(/** @type {{room?: string} | undefined} */ p) {
  return (p && p.room) || MAIN;
}

export class Store {
  /** @param {{now?: () => number}} [options] now: this machine's clock, in seconds */
  constructor({ now = () => Date.now() / 1000 } = {}) {
    this.now = now;
    /** @type {{id: string | null, role: Role | null, name: string}} */
    this.me = { id: null, role: null, name: "" };
    /** My room: media connections, chat and the whiteboard are per room. */
    this.room = MAIN;
    /** @type {Map<string, Participant>} everyone the session knows, including those who left */
    this.participants = new Map();
    /** @type {Map<string, string>} room id -> name */
    this.roomNames = new Map();
    /** @type {Breakouts | null} the current breakout round; null when there is none */
    this.round = null;
    /** The server's clock minus this machine's, in seconds. */
    this.clockOffset = 0;
    /** What this page sends: the server's copy of my microphone and camera may lag behind. */
    this.ownMedia = { audio: false, video: false };
    /** @type {Set<string>} who speaks in any room, as the server reports (mentors and admins) */
    this.remoteSpeaking = new Set();
    /** @type {Map<string, Quality>} what this page measures of the people in its room */
    this.quality = new Map();
    /** Whether my own microphone hears me speak. */
    this.selfSpeaking = false;
    /** @type {CheckIn | null} my check-in, when the server told it */
    this.checkIn = null;
    /** Whether I have rated this session, when the server told it. */
    this.rated = false;
    /**
     * Participants a deletion request erased (`participant_erased`): nothing of them is shown
     * again, whatever arrives late (a held chat message, a caption).
     * @type {Set<string>}
     */
    this.erased = new Set();
    /** @type {Map<string, {epoch: string, offset: number}>} room -> the last position seen in its history */
    this.positions = new Map();
    /** @type {Map<Topic, Set<Listener>>} */
    this.listeners = new Map();
  }

  // -- positions in the rooms' histories (docs/PROTOCOL.md, "Missed events") ----------------------

  /** The last position seen in a room's history, or null. @param {string} room */
  position(room) {
    const p = this.positions.get(room);
    return p ? { room, epoch: p.epoch, offset: p.offset } : null;
  }

  /**
   * Take in the position of an event (or where a join put me). Returns false for a duplicate:
   * the same epoch, and an offset not above the one kept. Another epoch replaces the one kept.
   * @param {Position} p
   */
  sawPosition(p) {
    const kept = this.positions.get(p.room);
    if (kept && kept.epoch === p.epoch && p.offset <= kept.offset) return false;
    this.positions.set(p.room, { epoch: p.epoch, offset: p.offset });
    return true;
  }

  /** Start a room again from `p` (after `history_gone`, or on entering it). @param {Position} p */
  setPosition(p) {
    this.positions.set(p.room, { epoch: p.epoch, offset: p.offset });
  }

  // -- subscriptions ------------------------------------------------------------------------------

  /**
   * @param {Topic} topic
   * @param {Listener} listener
   * @returns {() => void} unsubscribes
   */
  subscribe(topic, listener) {
    const set = this.listeners.get(topic) || new Set();
    set.add(listener);
    this.listeners.set(topic, set);
    return () => set.delete(listener);
  }

  /**
   * @param {Topic} topic
   * @param {Change} [change]
   */
  notify(topic, change = {}) {
    for (const listener of [...(this.listeners.get(topic) || [])]) {
      try {
        listener(change);
      } catch (err) {
        console.error(`a ${topic} subscriber failed`, err);
      }
    }
  }

  // -- reading ------------------------------------------------------------------------------------

  /** The server's time now, in seconds. */
  serverNow() {
    return this.now() + this.clockOffset;
  }

  /** Seconds from now (server time) until `at`, never below 0. */
  /** @param {number} at */
  secondsUntil(at) {
    return Math.max(0, at - this.serverNow());
  }

  /** @param {Participant | undefined} p */
  inMyRoom(p) {
    return !!p && roomOf(p) === this.room;
  }

  /** @param {string | null | undefined} id */
  roomName(id) {
    const known = this.roomNames.get(id || MAIN);
    if (known) return known;
    // The main room has no name of its own: it is called so in the person's language.
    return (id || MAIN) === MAIN ? t("call.main_room") : String(id);
  }

  /** @param {string} id */
  name(id) {
    const p = this.participants.get(id);
    return p ? p.name : t("call.someone");
  }

  /** @param {string} id */
  handRaised(id) {
    const p = this.participants.get(id);
    return !!p && p.hand_raised_at !== null && p.hand_raised_at !== undefined;
  }

  /** Connected people in my room, me excepted: those this page has media connections with. */
  othersHere() {
    return [...this.participants.values()].filter((p) => p.id !== this.me.id && p.state === "connected" && this.inMyRoom(p));
  }

  // -- what the server says -----------------------------------------------------------------------

  /**
   * A successful `join`: everything starts again from its acknowledgement.
   * @param {JoinAck} ack
   * @param {{audio: boolean, video: boolean}} ownMedia  what this page sends
   */
  joined(ack, ownMedia) {
    const me = ack.participant;
    this.ownMedia = { ...ownMedia };
    this.me = { id: me.id, role: me.role, name: me.name };
    if (typeof ack.server_time === "number") this.clockOffset = ack.server_time - this.now();
    this.room = (ack.room && ack.room.id) || roomOf(me);
    if (ack.room && ack.room.name) this.roomNames.set(ack.room.id, ack.room.name);
    const known = [...this.participants.keys()];
    this.participants.clear();
    for (const p of ack.participants || []) this.participants.set(p.id, withHand(p, null));
    // The session's list keeps those who left; someone known before and missing now was erased
    // while this page was away (the `participant_erased` it missed).
    const gone = ack.participants ? known.filter((id) => id !== me.id && !this.participants.has(id)) : [];
    for (const id of gone) this.erased.add(id);
    this.participants.set(me.id, { ...withHand(me, null), ...this.participants.get(me.id), ...this.ownMedia, room: this.room });
    this.remoteSpeaking = new Set(Array.isArray(ack.speaking) ? ack.speaking.filter((id) => id !== me.id) : []);
    this.quality.clear();
    this.selfSpeaking = false;
    if (ack.check_in !== undefined) this.checkIn = ack.check_in;
    if (ack.rated !== undefined) this.rated = !!ack.rated;
    const before = this.round;
    this.round = null;
    this.mergeRound(ack.breakouts || null);
    this.notify("me");
    this.notify("room");
    this.notify("participants");
    this.notify("round", { before });
    this.notify("speaking");
    this.notify("quality");
    if (gone.length) this.notify("erased", { ids: gone });
  }

  /**
   * Someone joined for the first time, or came back (`participant_rejoined`: the server forgets a
   * raised hand then, unless it says otherwise).
   * @param {Participant} p
   * @param {{rejoined?: boolean}} [options]
   */
  participantJoined(p, { rejoined = false } = {}) {
    if (!p || !p.id || p.id === this.me.id) return;
    this.remoteSpeaking.delete(p.id);
    this.quality.delete(p.id);
    const old = this.participants.get(p.id);
    this.participants.set(p.id, rejoined || !old ? { ...old, ...withHand(p, null) } : { ...old, ...p });
    this.notify("participants");
    this.notify("speaking");
  }

  /**
   * @param {string} id
   * @param {string} [reason]  "left" or "disconnected"
   */
  participantLeft(id, reason) {
    const p = this.participants.get(id);
    this.remoteSpeaking.delete(id);
    this.quality.delete(id);
    if (!p || id === this.me.id) return;
    this.participants.set(id, { ...p, state: reason === "disconnected" ? "disconnected" : "left", hand_raised_at: null });
    this.notify("participants");
    this.notify("speaking");
  }

  /**
   * A deletion request erased someone (`participant_erased`): they are gone from the session
   * entirely, from the people, who speaks, the breakout round's rooms and help requests. Their
   * chat messages are the chat's to drop. Told as "erased" (with their id) after the rest.
   * @param {string} id
   */
  participantErased(id) {
    if (!id || id === this.me.id) return; // my own page was sent `removed` and stops
    this.erased.add(id);
    this.participants.delete(id);
    this.remoteSpeaking.delete(id);
    this.quality.delete(id);
    const before = this.round;
    this.round = withoutPerson(this.round, id);
    this.notify("participants");
    this.notify("speaking");
    this.notify("quality");
    if (this.round !== before) this.notify("round", { before });
    this.notify("erased", { ids: [id] });
  }

  /** Someone's microphone or camera changed. @param {Participant} p */
  participantUpdated(p) {
    if (!p || !p.id) return;
    const old = this.participants.get(p.id);
    const mine = p.id === this.me.id ? { ...this.ownMedia, room: this.room } : {};
    this.participants.set(p.id, { ...old, ...p, ...mine });
    if (!p.audio && this.remoteSpeaking.delete(p.id)) this.notify("speaking");
    this.notify("participants");
  }

  /**
   * Someone changed room. My own move comes with `room_changed` (see roomChanged).
   * @param {Participant} p
   */
  participantMoved(p) {
    if (!p || !p.id) return;
    const old = this.participants.get(p.id);
    const next = { ...old, ...p };
    if (p.id === this.me.id) next.room = this.room; // room_changed says where I am
    this.participants.set(p.id, next);
    this.remoteSpeaking.delete(p.id);
    this.quality.delete(p.id);
    this.notify("participants");
    this.notify("speaking");
  }

  /** I moved (`room_changed`). @param {{id: string, name?: string}} room */
  roomChanged(room) {
    if (!room || !room.id) return;
    const before = this.room;
    if (room.name) this.roomNames.set(room.id, room.name);
    this.room = room.id;
    const me = this.me.id ? this.participants.get(this.me.id) : undefined;
    if (me) this.participants.set(me.id, { ...me, room: room.id });
    this.quality.clear();
    this.notify("room", { before });
    this.notify("participants");
    this.notify("quality");
  }

  /** The round as the server has it now (an event or an acknowledgement). @param {Breakouts | null | undefined} round */
  setRound(round) {
    const before = this.round;
    this.mergeRound(round || null);
    this.notify("round", { before });
  }

  /** @param {Breakouts | null} round */
  mergeRound(round) {
    this.round = round && round.state !== "closed" ? round : null;
    for (const r of (round && round.rooms) || []) if (r.id && r.name) this.roomNames.set(r.id, r.name);
  }

  /**
   * A hand went up or down (the `hand` event, or my own acknowledged command).
   * @param {string} id
   * @param {boolean} raised
   * @param {number} [at]
   */
  hand(id, raised, at) {
    const p = this.participants.get(id);
    if (!p) return;
    const when = typeof at === "number" ? at : this.serverNow();
    this.participants.set(id, { ...p, hand_raised_at: raised ? when : null });
    this.notify("participants");
  }

  /** `participant_speaking` (mentors and admins). @param {string} id @param {boolean} speaking */
  speakingReport(id, speaking) {
    if (!id) return;
    if (speaking) this.remoteSpeaking.add(id);
    else this.remoteSpeaking.delete(id);
    this.notify("speaking");
  }

  // -- what this page measures and does -----------------------------------------------------------

  /** My check-in, once the server took it. @param {CheckIn} checkIn */
  setCheckIn(checkIn) {
    this.checkIn = { ...checkIn };
  }

  /** @param {{audio: boolean, video: boolean}} media */
  setOwnMedia(media) {
    this.ownMedia = { ...media };
    const me = this.me.id ? this.participants.get(this.me.id) : undefined;
    if (me) this.participants.set(me.id, { ...me, ...media });
    this.notify("participants");
  }

  /** From the page's getStats(): whether someone in my room speaks, or has a weak connection. */
  /** @param {string} id @param {Quality} quality */
  setQuality(id, quality) {
    const old = this.quality.get(id);
    if (old && old.speaking === quality.speaking && old.weak === quality.weak) return;
    this.quality.set(id, { ...quality });
    this.notify("quality");
  }

  /** @param {string} id */
  clearQuality(id) {
    if (this.quality.delete(id)) this.notify("quality");
  }

  /** @param {boolean} speaking */
  setSelfSpeaking(speaking) {
    if (this.selfSpeaking === speaking) return;
    this.selfSpeaking = speaking;
    this.notify("speaking");
  }

  /**
   * Whether someone speaks now, as best this page knows: in my room from what it measures itself
   * (faster), elsewhere from what the server relays.
   * @param {string} id
   */
  isSpeaking(id) {
    if (id === this.me.id) return this.selfSpeaking;
    const p = this.participants.get(id);
    if (p && this.inMyRoom(p)) {
      const q = this.quality.get(id);
      return !!q && q.speaking;
    }
    return this.remoteSpeaking.has(id);
  }
}

/**
 * A participant with `hand_raised_at` set: the server's value when it sent one, else `fallback`.
 * @param {Participant} p
 * @param {number | null} fallback
 * @returns {Participant}
 */
function withHand(p, fallback) {
  return { ...p, hand_raised_at: p.hand_raised_at === undefined ? fallback : p.hand_raised_at };
}

/**
 * The round without this person in its rooms or help requests (the same round when it had none).
 * @param {Breakouts | null} round
 * @param {string} id
 * @returns {Breakouts | null}
 */
function withoutPerson(round, id) {
  if (!round) return round;
  const inRoom = (/** @type {import("./types.js").BreakoutRoom} */ r) => (r.members || []).includes(id) || (r.assigned || []).includes(id);
  const asked = (round.help || []).some((h) => h.participant_id === id);
  if (!asked && !(round.rooms || []).some(inRoom)) return round;
  return {
    ...round,
    rooms: (round.rooms || []).map((r) => (inRoom(r) ? { ...r, members: (r.members || []).filter((x) => x !== id), assigned: (r.assigned || []).filter((x) => x !== id) } : r)),
    ...(round.help ? { help: round.help.filter((h) => h.participant_id !== id) } : {}),
  };
}

/**
 * Keep the store up to date from the server's events. Subscribe this before any feature, so that
 * their handlers of the same events see the store as it is after the event.
 * @param {Store} store
 * @param {import("./dispatcher.js").Dispatcher} dispatcher
 */
export function followServer(store, dispatcher) {
  const E = SERVER_EVENTS;
  dispatcher.on(E.PARTICIPANT_JOINED, ({ participant }) => store.participantJoined(participant));
  dispatcher.on(E.PARTICIPANT_REJOINED, ({ participant }) => store.participantJoined(participant, { rejoined: true }));
  dispatcher.on(E.PARTICIPANT_LEFT, ({ participant_id: id, reason }) => id && store.participantLeft(id, reason));
  dispatcher.on(E.PARTICIPANT_ERASED, ({ participant_id: id }) => typeof id === "string" && store.participantErased(id));
  dispatcher.on(E.PARTICIPANT_UPDATED, ({ participant }) => store.participantUpdated(participant));
  dispatcher.on(E.PARTICIPANT_MOVED, ({ participant }) => store.participantMoved(participant));
  dispatcher.on(E.ROOM_CHANGED, ({ room }) => store.roomChanged(room));
  dispatcher.on(E.BREAKOUTS, ({ breakouts }) => store.setRound(breakouts));
  dispatcher.on(E.HAND, ({ participant_id: id, raised, at }) => id && store.hand(id, !!raised, at));
  dispatcher.on(E.PARTICIPANT_SPEAKING, ({ participant_id: id, speaking }) => store.speakingReport(id, !!speaking));
}
