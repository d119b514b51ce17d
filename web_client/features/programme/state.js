// The programme's part of the call page, as rules and words: what `POST /api/mine` answers for
// this page's personal link (a mentor's own mentees and their goals; whether to ask "is this a
// good fit?" after the pair's first session), the fit question's answers and who sees them, and
// the words after an answer was sent. Pure functions: no DOM, no network.

/** @typedef {{name: string, goals: string[]}} Mentee */
/** @typedef {{mentees: Mentee[], askFit: boolean}} Mine */
/** @typedef {"good" | "not_sure" | "not_a_good_fit"} FitAnswer */

// Bounds on what the panel shows, whatever a server sends.
export const MENTEES_SHOWN = 20;
export const GOALS_SHOWN = 20;

/** @type {readonly {value: FitAnswer, label: string}[]} */
export const FIT_ANSWERS = Object.freeze([
  { value: "good", label: "Good fit" },
  { value: "not_sure", label: "Not sure" },
  { value: "not_a_good_fit", label: "Not a good fit" },
]);

export const FIT_QUESTION = "Is this a good fit?";

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
  return mentee.goals.length ? mentee.goals.join(", ") : "no goals given yet";
}

/** Who is not told, by the asking person's role. @param {string | null} role */
export function fitPrivacy(role) {
  const other = role === "mentor" ? "your mentee" : role === "mentee" ? "your mentor" : "the other person";
  return `Only your programme's coordinators see your answer; ${other} is not told.`;
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
  if (status >= 200 && status < 300) return { done: true, text: `Thank you. “${label}” went to your programme's coordinators only.` };
  if (status === 0) return { done: false, text: "Tandem could not be reached; try again." };
  if (code === "resume_expired" || code === "token_expired") return { done: true, text: "The time for answering from this page has passed." };
  if (status === 403 || status === 404) return { done: true, text: "This question is not asked in this session." };
  return { done: false, text: "Your answer could not be saved; try again." };
}
