// The room's board as a Yjs document kept in sync with the server's copy: `board_sync` on joining
// and on changing room, local changes merged and sent as `board_update` at most every 50 ms,
// relayed updates applied, pointers, clearing and showing a room's board in the main room. No DOM:
// the view is told through the callbacks.

import * as Y from "../../vendor/yjs.bundle.js";
import { CLIENT_EVENTS, SERVER_EVENTS } from "../../core/events.js";
import { afterRefusal, roundCoord, toBuffer } from "./state.js";
import { refusedWords } from "../../ui/wording.js";

/**
 * @typedef {import("../../core/types.js").Ack} Ack
 * @typedef {{room: string, name: string, update: ArrayBuffer}} Shown
 * @typedef {{x: number, y: number, name: string, at: number}} Cursor
 * @typedef {object} BoardTransport
 * @property {boolean} connected
 * @property {(event: string, payload: object) => Promise<Ack>} request
 * @property {(event: string, payload: object) => void} send
 * @typedef {object} BoardListener
 * @property {() => void} changed  the document, the cursors or the permissions changed
 * @property {(text: string) => void} status
 * @property {(shown: Shown | null) => void} shown
 */

export const LOCAL = "local"; // origin of this page's own changes (the undo manager tracks only these)
const REMOTE = "remote";
const SEND_MS = 50;
const CURSOR_MS = 100;
const EARLY_MAX = 1000; // relayed changes kept while a fresh copy's sync is on its way

export class BoardSync {
  /**
   * @param {object} ctx
   * @param {BoardTransport} ctx.transport
   * @param {{on: (event: string, handler: (payload: any) => void) => unknown}} ctx.dispatcher
   * @param {() => string | null} ctx.participantId
   * @param {BoardListener} listener
   */
  constructor({ transport, dispatcher, participantId }, listener) {
    this.transport = transport;
    this.participantId = participantId;
    this.listener = listener;
    /** @type {string | null} */
    this.room = null;
    this.synced = false;
    this.permissions = { canDraw: false, canClear: false, canShow: false };
    /** @type {Uint8Array[]} */
    this.pending = [];
    this.sendTimer = 0;
    /** @type {Map<string, Cursor>} */
    this.cursors = new Map();
    this.lastCursor = 0;
    this.cursorTimer = 0;
    /** @type {{x: number, y: number} | null} */
    this.nextCursor = null;
    this.counter = 0;
    /** The latest generation of this room's board known deleted (-1: none). */
    this.gone = -1;
    /** @type {number | null} the generation of the board this copy is of (its last sync's) */
    this.generation = null;
    /** @type {{update: ArrayBuffer | Uint8Array, generation: number}[]} changes relayed after a deletion, before this copy's sync answered */
    this.early = [];
    this.doc = new Y.Doc();
    this.items = this.doc.getMap("items");
    this.undo = new Y.UndoManager(this.items, { trackedOrigins: new Set([LOCAL]), captureTimeout: 60000 });
    this.newDoc();

    const E = SERVER_EVENTS;
    dispatcher.on(E.BOARD_UPDATE, ({ room, update, generation }) => {
      if (room !== this.room || !update) return;
      this.received(update, generation);
    });
    dispatcher.on(E.BOARD_CURSORS, ({ room, cursors }) => {
      if (room !== this.room || !Array.isArray(cursors)) return;
      const now = performance.now();
      for (const c of cursors) {
        if (!c || c.from === this.participantId()) continue;
        if (c.x === null || c.x === undefined) this.cursors.delete(c.from);
        else this.cursors.set(c.from, { x: c.x, y: c.y, name: String(c.name || ""), at: now });
      }
      this.listener.changed();
    });
    // Someone erased by a deletion request: their pointer goes at once.
    dispatcher.on(E.PARTICIPANT_ERASED, ({ participant_id: id }) => {
      if (typeof id === "string" && this.cursors.delete(id)) this.listener.changed();
    });
    dispatcher.on(E.ROOM_CHANGED, ({ room }) => room && room.id && this.enterRoom(room.id));
    dispatcher.on(E.BOARD_SHOWN, ({ shown }) => this.listener.shown(shown || null));
    // The room's board was deleted on the server: this page's copy goes too (synced again, it
    // would be sent back as a new board).
    dispatcher.on(E.BOARD_DELETED, ({ room }) => {
      if (room !== null && room !== undefined && room !== this.room) return;
      this.dropped();
      this.resync(true);
    });
  }

  /**
   * A relayed change of this room's board, made on the board of `generation` (when named).
   * @param {ArrayBuffer | Uint8Array} update
   * @param {unknown} generation
   */
  received(update, generation) {
    if (typeof generation === "number" && Number.isSafeInteger(generation)) {
      if (this.generation === null && this.gone >= 0) {
        // Its board was deleted and this fresh copy's sync has not answered yet: which
        // generations were deleted is known only then (a deletion passes through one of its
        // own), so the change waits for it.
        if (this.early.length < EARLY_MAX) this.early.push({ update, generation });
        return;
      }
      // Made on a copy of a board deleted since (a server process not told yet): it may hold
      // what was deleted, so it never reaches this copy, nor goes back from it.
      if (generation <= this.gone || (this.generation !== null && generation < this.generation)) return;
      if (this.generation !== null && generation > this.generation) {
        // This copy is of a board deleted since (this page missed `board_deleted`).
        this.dropped();
        this.resync(true);
        return;
      }
    }
    try {
      Y.applyUpdate(this.doc, new Uint8Array(update), REMOTE);
    } catch (err) {
      console.warn("whiteboard: an update did not apply; syncing again", err);
      this.resync(false);
    }
  }

  /** This copy's board was deleted: nothing made on a copy of its generation is taken again. */
  dropped() {
    if (this.generation !== null) this.gone = Math.max(this.gone, this.generation);
  }

  newDoc() {
    this.doc.destroy();
    const doc = new Y.Doc();
    this.doc = doc;
    this.generation = null;
    this.early = [];
    this.items = doc.getMap("items");
    this.undo = new Y.UndoManager(this.items, { trackedOrigins: new Set([LOCAL]), captureTimeout: 60000 });
    this.pending = [];
    doc.on("update", (/** @type {Uint8Array} */ update, /** @type {unknown} */ origin) => {
      if (origin !== REMOTE && doc === this.doc) this.queue(update);
      this.listener.changed();
    });
  }

  /** @param {Uint8Array} update */
  queue(update) {
    this.pending.push(update);
    if (!this.sendTimer) this.sendTimer = setTimeout(() => this.flush(), SEND_MS);
  }

  flush() {
    this.sendTimer = 0;
    if (!this.synced || !this.transport.connected || !this.pending.length) {
      if (this.pending.length && !this.sendTimer) this.sendTimer = setTimeout(() => this.flush(), SEND_MS * 4);
      return;
    }
    const update = this.pending.length === 1 ? this.pending[0] : Y.mergeUpdates(this.pending);
    this.pending = [];
    const doc = this.doc;
    const sent = { room: this.room, update: toBuffer(update), ...this.ofGeneration() };
    this.transport.request(CLIENT_EVENTS.BOARD_UPDATE, sent).then((ack) => {
      if (ack.ok || doc !== this.doc) return;
      const next = afterRefusal(ack.error);
      if (!next.resync) return;
      this.listener.status(next.message);
      this.resync(next.fresh);
    });
  }

  /** Sync with the room's board. fresh: drop this page's copy first (its changes were refused). @param {boolean} fresh */
  async resync(fresh) {
    if (fresh) this.newDoc();
    await this.sync();
  }

  async sync() {
    if (!this.room) return;
    const room = this.room;
    let doc = this.doc;
    this.synced = false;
    const asked = { room, state: toBuffer(Y.encodeStateVector(doc)), ...this.ofGeneration() };
    const ack = await this.transport.request(CLIENT_EVENTS.BOARD_SYNC, asked);
    if (doc !== this.doc || room !== this.room) return;
    if (!ack.ok) {
      this.listener.status(refusedWords(ack.error, "whiteboard.load_failed"));
      return;
    }
    const generation = typeof ack.generation === "number" ? ack.generation : null;
    if (this.generation !== null && generation !== null && generation !== this.generation) {
      // The board was deleted since this copy was synced (the page missed `board_deleted`): the
      // server sent the whole board; the copy, and what was drawn on it meanwhile, go.
      this.dropped();
      this.newDoc();
      doc = this.doc;
      this.listener.status(refusedWords({ code: "board_deleted" }, "whiteboard.refusal.board_deleted"));
    }
    this.generation = generation;
    Y.applyUpdate(doc, new Uint8Array(ack.update), REMOTE);
    // What was relayed while this sync was on its way, now that the copy's generation is known.
    const early = this.early;
    this.early = [];
    if (this.generation === null) this.gone = -1; // (a server that names no generation)
    for (const e of early) this.received(e.update, e.generation);
    if (doc !== this.doc) return; // (one of a later generation: this copy went, and syncs again)
    this.permissions = { canDraw: !!ack.can_draw, canClear: !!ack.can_clear, canShow: !!ack.can_show };
    // What this page has that the server lacks (changes made while disconnected).
    const missing = Y.encodeStateAsUpdate(doc, new Uint8Array(ack.state));
    this.pending = missing.length > 2 ? [missing] : [];
    this.synced = true;
    this.listener.shown(ack.shown || null);
    if (this.pending.length) this.flush();
    this.listener.changed();
  }

  /** What names this copy's generation in a request (nothing before its first sync). */
  ofGeneration() {
    return this.generation === null ? {} : { generation: this.generation };
  }

  /** Follow the board of this room. @param {string} room */
  enterRoom(room) {
    if (room === this.room) return this.sync();
    this.room = room;
    this.cursors.clear();
    this.synced = false;
    this.gone = -1;
    this.newDoc();
    this.listener.changed();
    return this.sync();
  }

  /** The page left the call: stop sending. */
  left() {
    this.synced = false;
  }

  destroy() {
    clearTimeout(this.sendTimer);
    clearTimeout(this.cursorTimer);
    this.doc.destroy();
  }

  // -- local edits ---------------------------------------------------------------------------------

  /** @param {() => void} fn */
  change(fn) {
    this.doc.transact(fn, LOCAL);
  }

  topZ() {
    let z = 0;
    this.items.forEach((/** @type {any} */ m) => {
      const v = m && typeof m.get === "function" ? m.get("z") : 0;
      if (typeof v === "number" && v > z) z = v;
    });
    return z + 1;
  }

  /** A new item with my id as its author, on top. @param {Record<string, unknown>} fields @returns {string} its id */
  createItem(fields) {
    this.counter += 1;
    const id = `${this.doc.clientID}-${Date.now().toString(36)}-${this.counter}`;
    this.undo.stopCapturing();
    this.change(() => {
      const m = new Y.Map();
      for (const [k, v] of Object.entries(fields)) m.set(k, v);
      m.set("author", this.participantId());
      m.set("z", this.topZ());
      this.items.set(id, m);
    });
    return id;
  }

  /** @param {number} x @param {number} y */
  newStroke(x, y) {
    return Y.Array.from([roundCoord(x), roundCoord(y)]);
  }

  /** @param {string} id */
  deleteItem(id) {
    if (!this.items.has(id)) return false;
    this.undo.stopCapturing();
    this.change(() => this.items.delete(id));
    return true;
  }

  /** @returns {boolean} whether there was anything to undo */
  undoMine() {
    this.undo.stopCapturing();
    return !!this.undo.undo();
  }

  redoMine() {
    return !!this.undo.redo();
  }

  clear() {
    return this.transport.request(CLIENT_EVENTS.BOARD_CLEAR, { room: this.room });
  }

  list() {
    return this.transport.request(CLIENT_EVENTS.BOARD_LIST, {});
  }

  /** Show a breakout room's board in the main room (null: stop). @param {string | null} room */
  show(room) {
    return this.transport.request(CLIENT_EVENTS.BOARD_SHOW, { room });
  }

  /** Where my pointer is on the board (null: it left), at most every 100 ms. @param {{x: number, y: number} | null} p */
  cursor(p) {
    if (!this.transport.connected || !this.synced) return;
    const now = performance.now();
    const send = () => {
      this.lastCursor = performance.now();
      this.cursorTimer = 0;
      const at = this.nextCursor;
      this.transport.send(CLIENT_EVENTS.BOARD_CURSOR, { room: this.room, x: at ? roundCoord(at.x) : null, y: at ? roundCoord(at.y) : null });
    };
    this.nextCursor = p;
    if (now - this.lastCursor >= CURSOR_MS) send();
    else if (!this.cursorTimer) this.cursorTimer = setTimeout(send, CURSOR_MS - (now - this.lastCursor));
  }
}

/** Items of a shown board (a whole-board update), read without keeping its document. */
/** @param {ArrayBuffer} update @param {(items: Y.Map<any>) => T} read @template T */
export function readShown(update, read) {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, new Uint8Array(update), REMOTE);
  const out = read(doc.getMap("items"));
  doc.destroy();
  return out;
}
