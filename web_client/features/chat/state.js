// Chat rules the page applies before and after sending. Pure functions.

export const CHAT_MAX = 2000;

/**
 * Why this text cannot be sent, or null when it can (an empty text is simply not sent).
 * @param {string} text  already trimmed
 */
export function textProblem(text) {
  if (text.length > CHAT_MAX) return `That message is too long (${text.length} characters). The limit is 2,000.`;
  return null;
}

/**
 * What to tell the person when the server did not take a message.
 * @param {import("../../core/types.js").ErrorBody} error
 */
export function sendFailure(error) {
  const code = error.code;
  if (code === "rate_limited") return "You are sending messages very quickly. Wait a moment, then press Send again.";
  if (code === "payload_too_large" || code === "invalid_payload") return "That message couldn't be sent: it is empty or too long.";
  if (code === "timeout") return "Your message wasn't delivered: the connection is slow or lost. Press Send to try again.";
  return error.message || "Your message couldn't be sent. Try again.";
}

/**
 * The messages not shown yet, oldest first (history and live events may overlap).
 * @param {Set<number>} seen  ids already shown
 * @param {import("../../core/types.js").ChatMessage[] | null | undefined} messages
 */
export function unseen(seen, messages) {
  return (Array.isArray(messages) ? messages : []).filter((m) => m && !seen.has(m.id));
}
