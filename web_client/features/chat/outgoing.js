// The chat messages this tab sent and has had no answer for (on their way, or waiting for the
// connection), kept in the tab's sessionStorage, so that after a reload the page sends them again
// with their ids (posted once: docs/PROTOCOL.md, `chat`). Per participant; each one forgotten once
// it is answered, when the person leaves or is removed or the session ends, and past
// `OUTGOING_MAX_MS` (a reload within that time goes straight back in: screens/saved.js).

import { tabStore } from "../../ui/storage.js";

const PREFIX = "tandem:chat-outgoing:";
// More than the server remembers ids for (8): a page with this many unanswered is not chatting.
const KEPT_MAX = 20;
export const OUTGOING_MAX_MS = 10 * 60 * 1000;

/**
 * @typedef {{id: string, text: string, at: number}} Outgoing  `at`: first sent, ms since the epoch
 */

/**
 * The messages kept for this participant, oldest first, but those sent too long before `now`.
 * @param {string} participantId
 * @param {number} now  ms since the epoch
 * @returns {Outgoing[]}
 */
export function loadOutgoing(participantId, now) {
  const store = tabStore();
  if (!store || !participantId) return [];
  try {
    const kept = JSON.parse(store.getItem(PREFIX + participantId) || "[]");
    return Array.isArray(kept)
      ? kept
          .filter((m) => m && typeof m.id === "string" && typeof m.text === "string" && typeof m.at === "number")
          .filter((m) => now - m.at < OUTGOING_MAX_MS)
          .slice(-KEPT_MAX)
      : [];
  } catch (e) {
    return [];
  }
}

/**
 * Keep these messages for this participant (none: forget them).
 * @param {string} participantId
 * @param {Outgoing[]} messages
 */
export function saveOutgoing(participantId, messages) {
  const store = tabStore();
  if (!store || !participantId) return;
  try {
    if (messages.length) store.setItem(PREFIX + participantId, JSON.stringify(messages.slice(-KEPT_MAX)));
    else store.removeItem(PREFIX + participantId);
  } catch (e) {
    // full or refused: the messages still go while the page stays open
  }
}
