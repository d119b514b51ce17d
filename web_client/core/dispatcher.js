// Routes the server's events to the page's subscribers. Subscribers of one event run in the order
// they subscribed (the store subscribes first, so features see it up to date); one that throws is
// logged and the others still run. A gate (core/replay.js) may hold an event back or drop it
// before any subscriber sees it, and hand it on later with `run`.

/** @typedef {(payload: any) => void} Handler */
/** @typedef {(event: string, payload: any) => boolean} Gate  false: the gate keeps the event */

export class Dispatcher {
  constructor() {
    /** @type {Map<string, Handler[]>} */
    this.handlers = new Map();
    /** @type {Gate | null} */
    this.gate = null;
  }

  /**
   * Call `handler` with the payload of every `event` (a SERVER_EVENTS value).
   * @param {string} event
   * @param {Handler} handler
   * @returns {() => void} unsubscribes
   */
  on(event, handler) {
    const list = this.handlers.get(event) || [];
    list.push(handler);
    this.handlers.set(event, list);
    return () => {
      const now = this.handlers.get(event) || [];
      this.handlers.set(event, now.filter((h) => h !== handler));
    };
  }

  /**
   * Deliver one event. A payload that is not an object arrives as `{}`.
   * @param {string} event
   * @param {unknown} payload
   */
  dispatch(event, payload) {
    const data = payload && typeof payload === "object" ? payload : {};
    if (this.gate && !this.gate(event, data)) return;
    this.run(event, data);
  }

  /**
   * Deliver one event to its subscribers, past the gate.
   * @param {string} event
   * @param {object} data
   */
  run(event, data) {
    for (const handler of [...(this.handlers.get(event) || [])]) {
      try {
        handler(data);
      } catch (err) {
        console.error(`handling ${event} failed`, err);
      }
    }
  }
}
