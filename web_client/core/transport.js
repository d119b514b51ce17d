// The one connection to the server: a socket.io client (msgpack) opened with the join token.
// Server events go to the dispatcher; commands go out with `request`, which resolves with the
// server's acknowledgement, or with a `timeout` error when none comes, so no caller waits forever.

import { CONNECTION_EVENTS, SERVER_EVENTS } from "./events.js";
import { t } from "../ui/i18n.js";

/** @typedef {import("./types.js").Ack} Ack */

export const REQUEST_TIMEOUT_MS = 8000;

/**
 * The part of the socket.io client the transport uses.
 * @typedef {object} Socket
 * @property {boolean} connected
 * @property {boolean} [active]
 * @property {(event: string, handler: (...args: any[]) => void) => unknown} on
 * @property {(event: string, ...args: any[]) => unknown} emit
 * @property {(ms: number) => {emit: (event: string, ...args: any[]) => unknown}} timeout
 * @property {() => unknown} connect
 * @property {() => unknown} disconnect
 * @property {() => unknown} removeAllListeners
 */

/** @typedef {(url: string, options: object) => Socket} SocketFactory */

/**
 * @typedef {object} ConnectionHandlers
 * @property {() => void} [connected]
 * @property {(err: {message?: string, data?: {code?: string, message?: string}}) => void} [refusedOrUnreachable]
 * @property {(reason: string) => void} [disconnected]
 */

// Control characters but tab, line feed and carriage return, and DEL: the server refuses them in
// any text (PROTOCOL.md, "Limits"), and nobody means them. Text pasted from a word processor may
// hold a vertical tab or a form feed: each goes as a space.
// eslint-disable-next-line no-control-regex -- these characters are what it finds
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
// eslint-disable-next-line no-control-regex -- as above
const CONTROLS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

/**
 * A payload whose texts (its own string fields) hold no control character the server refuses;
 * the payload itself when none does.
 * @template T
 * @param {T} payload
 * @returns {T}
 */
export function withoutControls(payload) {
  if (!payload || typeof payload !== "object" || Array.isArray(payload)) return payload;
  const texts = Object.entries(payload).filter(([, value]) => typeof value === "string" && CONTROL.test(value));
  if (texts.length === 0) return payload;
  /** @type {Record<string, unknown>} */
  const out = { .../** @type {Record<string, unknown>} */ (payload) };
  for (const [key, value] of texts) out[key] = String(value).replace(CONTROLS, " ");
  return /** @type {T} */ (out);
}

/**
 * @param {string} code
 * @param {string} message
 * @returns {Ack}
 */
export function failure(code, message) {
  return { ok: false, error: { code, message } };
}

export class Transport {
  /**
   * @param {object} options
   * @param {SocketFactory} options.io  the socket.io client's `io`
   * @param {string} options.url
   * @param {import("./dispatcher.js").Dispatcher} options.dispatcher
   */
  constructor({ io, url, dispatcher }) {
    this.io = io;
    this.url = url;
    this.dispatcher = dispatcher;
    /** @type {Socket | null} */
    this.socket = null;
    /** Counts connections: an acknowledgement of an older one is of no use to the page. */
    this.generation = 0;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.retryTimer = undefined;
    /** When the last connection dropped (ms since the epoch; 0: none has). */
    this.droppedAt = 0;
  }

  get connected() {
    return !!this.socket && this.socket.connected;
  }

  /**
   * Open a new connection with the join token (closing any earlier one).
   * @param {string} token
   * @param {ConnectionHandlers} handlers
   */
  connect(token, handlers) {
    this.close();
    this.generation += 1;
    const socket = this.io(this.url, {
      auth: { token },
      transports: ["websocket", "polling"],
      tryAllTransports: true, // fall back to long-polling where websockets are blocked
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
    });
    this.socket = socket;
    socket.on(CONNECTION_EVENTS.CONNECT, () => handlers.connected && handlers.connected());
    socket.on(CONNECTION_EVENTS.CONNECT_ERROR, (err) => {
      if (err && err.data && err.data.code) socket.disconnect(); // refused: retrying cannot help
      if (handlers.refusedOrUnreachable) handlers.refusedOrUnreachable(err || {});
    });
    socket.on(CONNECTION_EVENTS.DISCONNECT, (reason) => {
      this.droppedAt = Date.now();
      if (handlers.disconnected) handlers.disconnected(String(reason));
    });
    for (const event of Object.values(SERVER_EVENTS)) {
      socket.on(event, (payload) => {
        if (socket === this.socket) this.dispatcher.dispatch(event, payload);
      });
    }
  }

  /**
   * Send a command and wait for its acknowledgement.
   * @param {string} event  a CLIENT_EVENTS value
   * @param {object} payload
   * @param {number} [timeoutMs]
   * @returns {Promise<Ack>}
   */
  request(event, payload, timeoutMs = REQUEST_TIMEOUT_MS) {
    return new Promise((resolve) => {
      const socket = this.socket;
      if (!socket || !socket.connected) {
        resolve(failure("timeout", t("errors.timeout.body")));
        return;
      }
      socket.timeout(timeoutMs).emit(event, withoutControls(payload), (/** @type {unknown} */ err, /** @type {Ack | undefined} */ ack) => {
        if (err) resolve(failure("timeout", t("errors.timeout.body")));
        else resolve(ack && typeof ack === "object" ? ack : failure("unknown", t("errors.generic.in_call", { code: "unknown" })));
      });
    });
  }

  /**
   * Send an event whose acknowledgement nobody waits for (the pointer on the whiteboard).
   * @param {string} event
   * @param {object} payload
   */
  send(event, payload) {
    if (this.socket && this.socket.connected) this.socket.emit(event, withoutControls(payload));
  }

  /** Drop this connection and open it again after `ms` (a join that got no answer). */
  reconnectSoon(ms = 1000) {
    const socket = this.socket;
    if (!socket) return;
    socket.disconnect();
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (socket === this.socket) socket.connect();
    }, ms);
  }

  /** Reconnect the same socket now (the server said this connection had joined already). */
  reconnectNow() {
    if (!this.socket) return;
    this.socket.disconnect();
    this.socket.connect();
  }

  /** Stop reconnecting: the socket stays closed. */
  disconnect() {
    clearTimeout(this.retryTimer);
    if (this.socket) this.socket.disconnect();
  }

  /** Close the connection for good: no listeners, no retry (the closed socket stays readable). */
  close() {
    clearTimeout(this.retryTimer);
    if (this.socket) {
      this.socket.removeAllListeners();
      this.socket.disconnect();
    }
  }
}
