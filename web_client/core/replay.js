// Missed events after a reconnect (docs/PROTOCOL.md, "Missed events"). Chat messages, final
// captions and board updates carry their place in their room's history (`position`: room, epoch,
// offset); the store keeps the last one seen per room. From the moment the socket connects until
// the page has caught up, this gate holds those events back; after `join` (and `room_changed`) it
// asks `replay` for what the room said after the position kept, hands the answer's events to the
// subscribers as if they had come live, then what it held, each once (duplicates dropped by
// position). When the server answers `history_gone` the page resynchronises instead (`gone`).
// The server may also tell it, unasked, that what its room said after a position is not kept
// (the `history_gone` event: a server process missed it while the page's connection stayed up);
// the page then connects again from that position, and the join's `replay` answers
// `history_gone`: one way to load the room again, the one it takes after any lost connection.

import { CLIENT_EVENTS, SERVER_EVENTS } from "./events.js";

/**
 * @typedef {import("./types.js").Position} Position
 * @typedef {import("./types.js").Ack} Ack
 * @typedef {{request: (event: string, payload: object) => Promise<Ack>, connected: boolean}} ReplayTransport
 * @typedef {{room: string, replayed: number, gone: boolean}} CatchUp  what the last catch-up did
 */

// The events that carry a position (the others pass the gate untouched).
/** @type {Set<string>} */
const REPLAYABLE = new Set([SERVER_EVENTS.CHAT, SERVER_EVENTS.CAPTION, SERVER_EVENTS.BOARD_UPDATE]);
// Events held back at most (a room not entered yet that says a lot); the oldest go first.
const HELD_MAX = 2000;
// A `replay` that gets no answer is asked again this many times, then the page resynchronises.
const TRIES = 3;

/**
 * The position an event carries, or null when it carries none (or a malformed one).
 * @param {any} data
 * @returns {Position | null}
 */
export function positionOf(data) {
  const p = data && data.position;
  if (!p || typeof p !== "object") return null;
  if (typeof p.room !== "string" || typeof p.epoch !== "string" || !Number.isSafeInteger(p.offset)) return null;
  return { room: p.room, epoch: p.epoch, offset: p.offset };
}

export class Replay {
  /**
   * @param {object} ctx
   * @param {import("./store.js").Store} ctx.store
   * @param {import("./dispatcher.js").Dispatcher} ctx.dispatcher
   * @param {ReplayTransport} ctx.transport
   * @param {(room: string, how: "join" | "move") => void} ctx.gone  resynchronise a room whose missed events are not kept
   * @param {() => void} ctx.reconnect  connect again (and join: the catch-up follows)
   */
  constructor({ store, dispatcher, transport, gone, reconnect }) {
    this.store = store;
    this.dispatcher = dispatcher;
    this.transport = transport;
    this.gone = gone;
    this.reconnect = reconnect;
    /** Between connecting and the catch-up after `join`: every positioned event waits. */
    this.holding = false;
    /** @type {string | null} the room being caught up */
    this.catchingUp = null;
    /** @type {{event: string, data: any}[]} */
    this.held = [];
    /** @type {CatchUp | null} */
    this.last = null;
    /** Counts catch-ups: an answer to an older one is of no use. */
    this.generation = 0;
    dispatcher.gate = (event, data) => this.gate(event, data);
    // The store has moved me already (it subscribed first).
    dispatcher.on(SERVER_EVENTS.ROOM_CHANGED, ({ room, position }) => {
      const p = positionOf({ position });
      if (!room || !room.id) return;
      if (p) this.store.setPosition(p);
      this.catchUp(room.id, p, "move");
    });
    dispatcher.on(SERVER_EVENTS.HISTORY_GONE, (data) => this.told(positionOf(data), positionOf({ position: data.latest })));
  }

  /**
   * The server says what my room said after `p`, up to `latest`, is not kept, and was not sent
   * to me.
   * @param {Position | null} p
   * @param {Position | null} [latest]  the gap's end
   */
  told(p, latest = null) {
    if (!p || p.room !== this.store.room) return; // moved since: that room's catch-up covers it
    const kept = this.store.position(p.room);
    // Past the gap already (I joined after it): nothing of it was mine to miss.
    if (latest && kept && latest.room === p.room && kept.epoch === latest.epoch && kept.offset >= latest.offset) return;
    this.store.setPosition(p);
    this.reconnect();
  }

  /**
   * @param {string} event
   * @param {any} data
   * @returns {boolean} whether the subscribers get it now
   */
  gate(event, data) {
    const p = REPLAYABLE.has(event) ? positionOf(data) : null;
    if (!p) return true;
    if (this.holding || this.catchingUp === p.room || p.room !== this.store.room) {
      this.held.push({ event, data });
      if (this.held.length > HELD_MAX) this.held.shift();
      return false;
    }
    return this.store.sawPosition(p);
  }

  /** The socket (re)connected: hold positioned events until the catch-up after `join`. */
  connecting() {
    this.holding = true;
  }

  /**
   * A successful `join` (the store has taken its acknowledgement): catch up on my room, from the
   * position kept for it, or else from where the room was as I joined.
   * @param {{position?: Position}} ack
   */
  joined(ack) {
    const room = this.store.room;
    const fromAck = positionOf(ack);
    const kept = this.store.position(room);
    if (!kept && fromAck && fromAck.room === room) this.store.setPosition(fromAck);
    this.holding = false;
    return this.catchUp(room, kept || (fromAck && fromAck.room === room ? fromAck : null), "join", fromAck);
  }

  /**
   * @param {string} room
   * @param {Position | null} from
   * @param {"join" | "move"} how
   * @param {Position | null} [fallback]  where to start again after `history_gone`
   */
  async catchUp(room, from, how, fallback = from) {
    const generation = ++this.generation;
    if (!from) {
      this.catchingUp = null;
      this.release();
      return;
    }
    this.catchingUp = room;
    let at = from;
    let replayed = 0;
    let gone = false;
    let tries = 0;
    for (;;) {
      const ack = await this.transport.request(CLIENT_EVENTS.REPLAY, { room, epoch: at.epoch, offset: at.offset });
      if (generation !== this.generation) return; // a newer join or move took over
      if (!ack.ok) {
        const code = ack.error.code;
        if (code === "timeout" && ++tries < TRIES && this.transport.connected) continue;
        if (code === "not_same_room" || (code === "timeout" && !this.transport.connected)) break; // moved, or the next join catches up
        // history_gone (or no answer): what was missed is not kept; load the room again.
        gone = true;
        if (fallback && fallback.room === room) this.store.setPosition(fallback);
        this.gone(room, how);
        if (code === "history_gone" && fallback && (fallback.epoch !== at.epoch || fallback.offset !== at.offset)) {
          at = fallback; // what the room said since I entered it, which the state did not hold
          fallback = null;
          continue;
        }
        break;
      }
      const events = Array.isArray(ack.events) ? ack.events : [];
      for (const item of events) {
        const p = item && positionOf(item.payload);
        if (p && p.room === room && this.store.sawPosition(p)) {
          replayed += 1;
          this.dispatcher.run(String(item.event), item.payload);
        }
      }
      const lastSeen = events.length ? positionOf(events[events.length - 1].payload) : null;
      if (!ack.more || !lastSeen) break;
      at = lastSeen;
    }
    this.catchingUp = null;
    this.last = { room, replayed, gone };
    this.release();
  }

  /** Hand on what was held for my room, each once; keep what is for a room not entered yet. */
  release() {
    const held = this.held;
    this.held = [];
    for (const { event, data } of held) {
      if (this.gate(event, data)) this.dispatcher.run(event, data);
    }
  }
}
