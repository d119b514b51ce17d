// Chat rules the page applies before and after sending. Pure functions (the words from the
// language catalogue).

import { t } from "../../ui/i18n.js";
import { refusedWords } from "../../ui/wording.js";

export const CHAT_MAX = 2000;

/**
 * Why this text cannot be sent, or null when it can (an empty text is simply not sent).
 * @param {string} text  already trimmed
 */
export function textProblem(text) {
  if (text.length > CHAT_MAX) return t("chat.too_long", { count: text.length, limit: CHAT_MAX });
  return null;
}

/**
 * What to tell the person when the server did not take a message.
 * @param {import("../../core/types.js").ErrorBody} error
 */
export function sendFailure(error) {
  const code = error.code;
  if (code === "rate_limited") return t("chat.failure.rate_limited");
  if (code === "payload_too_large" || code === "invalid_payload") return t("chat.failure.invalid");
  if (code === "timeout") return t("chat.failure.timeout");
  return refusedWords(error, "chat.failure.other");
}

/**
 * The messages not shown yet, oldest first (history and live events may overlap).
 * @param {Set<number>} seen  ids already shown
 * @param {import("../../core/types.js").ChatMessage[] | null | undefined} messages
 */
export function unseen(seen, messages) {
  return (Array.isArray(messages) ? messages : []).filter((m) => m && !seen.has(m.id));
}
