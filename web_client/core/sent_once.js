// Requests the server applies once, however often they are sent (docs/PROTOCOL.md, "Sent
// again"): a chat message, a mentor's broadcast, a change of the breakout time. Each carries
// this page's id for it (`client_id`); the server remembers each person's last few. A request
// whose answer a lost connection took may or may not have been applied: sent again with the same
// id, it is applied at most once.

/**
 * Ids for this page's requests: a random prefix of this page, then a count.
 * @param {() => number} [random]
 * @returns {() => string}
 */
export function requestIds(random = Math.random) {
  const prefix = Array.from({ length: 10 }, () => "0123456789abcdefghijklmnopqrstuvwxyz"[Math.floor(random() * 36)]).join("");
  let count = 0;
  return () => `${prefix}-${(count += 1)}`;
}

/**
 * The id to send each request with: a new one, or, for the same request sent again right after
 * it failed, the failed try's (which the server may have applied after all).
 */
export class SentOnce {
  /** @param {() => string} [next] */
  constructor(next = requestIds()) {
    this.next = next;
    /** The last request that failed. @type {{key: string, id: string} | null} */
    this.failed = null;
  }

  /**
   * The id for a request about to be sent.
   * @param {string} key  what the request is (the same request has the same key)
   */
  take(key) {
    const id = this.failed && this.failed.key === key ? this.failed.id : this.next();
    this.failed = null;
    return id;
  }

  /**
   * The request sent with `id` failed: sent again next, it keeps that id.
   * @param {string} key @param {string} id
   */
  fail(key, id) {
    this.failed = { key, id };
  }
}
