// The chat messages this tab sent and has had no answer for (on their way, or waiting for the
// connection), kept in the tab's sessionStorage, so that after a reload the page sends them again
// with their ids (posted once: docs/PROTOCOL.md, `chat`). Per participant; gone with the tab, and
// each one once it is answered.

const PREFIX = "tandem:chat-outgoing:";
// More than the server remembers ids for (8): a page with this many unanswered is not chatting.
const KEPT_MAX = 20;

/**
 * @typedef {{id: string, text: string}} Outgoing
 */

/** @returns {Storage | null} */
function storage() {
  try {
    return window.sessionStorage;
  } catch (e) {
    return null;
  }
}

/**
 * The messages kept for this participant, oldest first.
 * @param {string} participantId
 * @returns {Outgoing[]}
 */
export function loadOutgoing(participantId) {
  const store = storage();
  if (!store || !participantId) return [];
  try {
    const kept = JSON.parse(store.getItem(PREFIX + participantId) || "[]");
    return Array.isArray(kept)
      ? kept.filter((m) => m && typeof m.id === "string" && typeof m.text === "string").slice(-KEPT_MAX)
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
  const store = storage();
  if (!store || !participantId) return;
  try {
    if (messages.length) store.setItem(PREFIX + participantId, JSON.stringify(messages.slice(-KEPT_MAX)));
    else store.removeItem(PREFIX + participantId);
  } catch (e) {
    // full or refused: the messages still go while the page stays open
  }
}
