// The programme's part of the call page, as rules and words: what `POST /api/mine` answers for
// this page's personal link (a mentor's own mentees and their goals; whether to ask "is this a
// good fit?" after the pair's first session), the fit question's answers and who sees them, and
// the words after an answer was sent. Pure functions: no DOM, no network (words from the
// catalogue, ui/i18n.js).

import { t } from "../../ui/i18n.js";

/** @typedef {{name: string, goals: string[]}} Mentee */
/** @typedef {{mentees: Mentee[], askFit: boolean}} Mine */
/** @typedef {"good" | "not_sure" | "not_a_good_fit"} FitAnswer */

// Bounds on what the panel shows, whatever a server sends.
export const MENTEES_SHOWN = 20;
export const GOALS_SHOWN = 20;

/** The three answers, in words. @returns {{value: FitAnswer, label: string}[]} */
export function fitAnswers() {
  return [
    { value: "good", label: t("programme.fit.good") },
    { value: "not_sure", label: t("programme.fit.not_sure") },
    { value: "not_a_good_fit", label: t("programme.fit.not_a_good_fit") },
  ];
}

/** The question. */
export function fitQuestion() {
  return t("programme.fit.question");
}

/**
 * The `POST /api/mine` answer as the page uses it; null for anything else.
 * @param {unknown} body
 * @returns {Mine | null}
 */
export function mineFrom(body) {
  if (!body || typeof body !== "object") return null;
  const b = /** @type {{mentees?: unknown, ask_fit?: unknown}} */ (body);
  const raw = Array.isArray(b.mentees) ? b.mentees : [];
  /** @type {Mentee[]} */
  const mentees = [];
  for (const m of raw.slice(0, MENTEES_SHOWN)) {
    if (!m || typeof m.name !== "string" || !m.name.trim()) continue;
    const goals = Array.isArray(m.goals) ? m.goals.filter((/** @type {unknown} */ g) => typeof g === "string" && g.trim()).slice(0, GOALS_SHOWN) : [];
    mentees.push({ name: m.name, goals });
  }
  return { mentees, askFit: b.ask_fit === true };
}

/** A mentee's goals in words. @param {Mentee} mentee */
export function goalsText(mentee) {
  return mentee.goals.length ? mentee.goals.join(", ") : t("programme.no_goals");
}

/** Who is not told, by the asking person's role. @param {string | null} role */
export function fitPrivacy(role) {
  return t("programme.fit.privacy", { role: role === "mentor" || role === "mentee" ? role : "other" });
}

/** Where this browser remembers that the question was answered or skipped. @param {string | null} sessionId @param {string | null} participantId */
export function fitKey(sessionId, participantId) {
  return `tandem:fit:${sessionId}:${participantId}`;
}

/**
 * Whether to show the question after leaving: the server says so, and this browser has not seen
 * it answered or skipped in this session.
 * @param {{mine: Mine | null, remembered: boolean}} facts
 */
export function shouldAskFit({ mine, remembered }) {
  return !!mine && mine.askFit && !remembered;
}

/**
 * The words after an answer was sent, from the HTTP status and error code (status 0: Tandem could
 * not be reached). `done` says whether the question is over.
 * @param {{status: number, code: string | null}} answer
 * @param {string} label  the answer chosen, in words
 */
export function fitOutcome({ status, code }, label) {
  if (status >= 200 && status < 300) return { done: true, text: t("programme.fit.thanks", { answer: label }) };
  if (status === 0) return { done: false, text: t("programme.fit.unreachable") };
  if (code === "resume_expired" || code === "token_expired") return { done: true, text: t("programme.fit.expired") };
  if (status === 403 || status === 404) return { done: true, text: t("programme.fit.not_asked") };
  return { done: false, text: t("programme.fit.failed") };
}
