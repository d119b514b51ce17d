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
    /** @param {string} goal */
    checkIn: (goal) => transport.request(E.CHECK_IN, { goal }),
    overview: () => transport.request(E.ATTENDANCE, {}),
  };
}

/**
 * Send the rating after leaving. Resolves with the HTTP status, or 0 when Tandem could not be
 * reached.
 * @param {(url: string, init: RequestInit) => Promise<{status: number}>} fetchFn
 * @param {{sessionId: string, resume: string, rating: number, comment: string, anonymous: boolean}} rating
 */
export async function sendRating(fetchFn, { sessionId, resume, rating, comment, anonymous }) {
  try {
    const res = await fetchFn("/api/attendance/check-out", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ session_id: sessionId, resume, rating, comment: comment.trim() || null, anonymous }),
    });
    return res.status;
  } catch (err) {
    return 0;
  }
}
