// Engagement commands (PROTOCOL.md "Attendance"): reactions, the hand, my voice activity, the
// check-in, the live overview; and the rating after leaving, which goes over HTTP because the
// socket is closed by then.

import { CLIENT_EVENTS } from "../../core/events.js";

/**
 * @typedef {import("../../core/types.js").Ack} Ack
 * @typedef {{request: (event: string, payload: object) => Promise<Ack>}} Requester
 */

/** @param {Requester} transport */
export function engagementCommands(transport) {
  const E = CLIENT_EVENTS;
  return {
    /** @param {string} reaction */
    react: (reaction) => transport.request(E.REACTION, { reaction }),
    /** @param {boolean} raised */
    hand: (raised) => transport.request(E.HAND, { raised }),
    /** @param {boolean} speaking */
    speaking: (speaking) => transport.request(E.SPEAKING, { speaking }),
    /** @param {string} goal @param {boolean} [share]  show it to the mentor */
    checkIn: (goal, share = false) => transport.request(E.CHECK_IN, { goal, share }),
    overview: () => transport.request(E.ATTENDANCE, {}),
  };
}

/**
 * Send the rating after leaving. Resolves with the HTTP status and the error code (if any), or
 * status 0 when Tandem could not be reached.
 * @param {(url: string, init: RequestInit) => Promise<{status: number, json?: () => Promise<any>}>} fetchFn
 * @param {{sessionId: string, resume: string, rating: number, comment: string, anonymous: boolean, share?: boolean}} rating
 * @returns {Promise<{status: number, code: string | null}>}
 */
export async function sendRating(fetchFn, { sessionId, resume, rating, comment, anonymous, share = false }) {
  let res;
  try {
    res = await fetchFn("/api/attendance/check-out", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ session_id: sessionId, resume, rating, comment: comment.trim() || null, anonymous, share: share && !anonymous }),
    });
  } catch (err) {
    return { status: 0, code: null };
  }
  let code = null;
  if (res.status >= 400 && res.json) {
    const body = await res.json().catch(() => null);
    code = (body && body.error && body.error.code) || null;
  }
  return { status: res.status, code };
}
