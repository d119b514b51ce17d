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

// A failed request sent again within this long of its failure, or of the page being back in the
// session (`renew`), is a retry and keeps its id; later, the same request is a new one (a mentor
// adding five minutes again a quarter of an hour on).
export const RETRY_WITHIN_MS = 60_000;

/**
 * The id to send each request with: a new one, or, for the same request sent again soon after
 * it failed, the failed try's (which the server may have applied after all).
 */
export class SentOnce {
  /** @param {() => string} [next] @param {() => number} [now] */
  constructor(next = requestIds(), now = () => Date.now()) {
    this.next = next;
    this.now = now;
    /** The last request that failed, and when. @type {{key: string, id: string, at: number} | null} */
    this.failed = null;
  }

  /**
   * The id for a request about to be sent.
   * @param {string} key  what the request is (the same request has the same key)
   */
  take(key) {
    const failed = this.failed;
    this.failed = null;
    return failed && failed.key === key && this.now() - failed.at < RETRY_WITHIN_MS ? failed.id : this.next();
  }

  /**
   * The request sent with `id` failed: sent again next, soon, it keeps that id.
   * @param {string} key @param {string} id
   */
  fail(key, id) {
    this.failed = { key, id, at: this.now() };
  }

  /**
   * Back in the session after the connection dropped at `droppedAt`: a request that failed then
   * (within a minute before) may be retried from now on; one that failed earlier may not.
   * @param {number} droppedAt  ms since the epoch
   */
  renew(droppedAt) {
    if (!this.failed) return;
    if (droppedAt > 0 && droppedAt - this.failed.at < RETRY_WITHIN_MS) this.failed.at = this.now();
    else this.failed = null;
  }
}
