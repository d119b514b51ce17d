// Test doubles built on real promises and real queues: a transport that records what is sent and
// answers with scripted acknowledgements, and a socket.io client stand-in for the Transport.

import { Dispatcher } from "../../web_client/core/dispatcher.js";

/** A transport whose requests are recorded and answered by `answer(event, payload)`. */
export class FakeTransport {
  constructor(answer = () => ({ ok: true })) {
    this.answer = answer;
    this.connected = true;
    /** @type {{event: string, payload: any}[]} */
    this.sent = [];
    /** @type {{event: string, payload: any}[]} */
    this.fired = [];
  }

  request(event, payload) {
    this.sent.push({ event, payload });
    // Answered later, as the network would: never synchronously.
    return new Promise((resolve) => setTimeout(() => resolve(this.answer(event, payload)), 0));
  }

  send(event, payload) {
    this.fired.push({ event, payload });
  }
}

/** Just enough of socket.io's client for core/transport.js. */
export class FakeSocket {
  constructor() {
    this.connected = false;
    /** @type {Map<string, ((...args: any[]) => void)[]>} */
    this.handlers = new Map();
    /** @type {{event: string, payload: any, timeout: number | null, ack: ((...args: any[]) => void) | null}[]} */
    this.emitted = [];
    this.timeoutMs = null;
  }

  on(event, handler) {
    const list = this.handlers.get(event) || [];
    list.push(handler);
    this.handlers.set(event, list);
  }

  /** The server (or socket.io) raises an event on this socket. */
  raise(event, ...args) {
    for (const h of this.handlers.get(event) || []) h(...args);
  }

  timeout(ms) {
    return { emit: (event, payload, ack) => this.emitted.push({ event, payload, timeout: ms, ack }) };
  }

  emit(event, payload, ack = null) {
    this.emitted.push({ event, payload, timeout: null, ack });
  }

  connect() {
    this.connected = true;
  }

  disconnect() {
    this.connected = false;
  }

  removeAllListeners() {
    this.handlers.clear();
  }
}

/**
 * Wait until `predicate()` is true (checked every 5 ms), or fail after `timeoutMs`.
 * @param {() => boolean} predicate
 */
export async function eventually(predicate, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("the condition did not become true in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export { Dispatcher };
