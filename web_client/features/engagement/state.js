// Engagement in the call, as rules and words: reactions, voice activity detection from the
// microphone level, the check-in and the participation summary. Pure functions: no DOM, no network.

/** [id, emoji, spoken name] */
export const REACTIONS = /** @type {const} */ ([
  ["thumbs_up", "👍", "Thumbs up"],
  ["clap", "👏", "Applause"],
  ["heart", "❤️", "Heart"],
  ["laugh", "😂", "Laughing"],
  ["surprised", "😮", "Surprised"],
  ["thinking", "🤔", "Thinking"],
]);
export const GOAL_MAX = 500;
export const COMMENT_MAX = 1000;

/** @param {unknown} id @returns {{id: string, emoji: string, label: string} | null} */
export function reactionOf(id) {
  const found = REACTIONS.find(([r]) => r === id);
  return found ? { id: found[0], emoji: found[1], label: found[2] } : null;
}

// Voice activity from the microphone level (RMS of the waveform, 0..1), with hysteresis: speech
// starts after the level stays above `on` for `startMs`, and ends after it stays below `off` for
// `hangMs`, so pauses between words are not counted as stops.
export const VAD = /** @type {const} */ ({ everyMs: 100, on: 0.02, off: 0.012, startMs: 200, hangMs: 900 });

/** @typedef {{speaking: boolean, aboveSince: number, belowSince: number}} VadState */

/** @returns {VadState} */
export function vadInitial() {
  return { speaking: false, aboveSince: 0, belowSince: 0 };
}

/**
 * One sample of the detector.
 * @param {VadState} state
 * @param {{now: number, level: number, micOn: boolean}} sample  now in ms; level the RMS
 * @returns {{state: VadState, changed: boolean}}
 */
export function vadStep(state, { now, level, micOn }) {
  const heard = micOn ? level : 0;
  /** @param {boolean} speaking */
  const flip = (speaking) => ({ state: { speaking, aboveSince: 0, belowSince: 0 }, changed: true });
  if (!state.speaking) {
    if (heard >= VAD.on) {
      const aboveSince = state.aboveSince || now;
      if (now - aboveSince >= VAD.startMs) return flip(true);
      return { state: { ...state, aboveSince }, changed: false };
    }
    return { state: { ...state, aboveSince: 0 }, changed: false };
  }
  if (!micOn) return flip(false);
  if (heard < VAD.off) {
    const belowSince = state.belowSince || now;
    if (now - belowSince >= VAD.hangMs) return flip(false);
    return { state: { ...state, belowSince }, changed: false };
  }
  return { state: { ...state, belowSince: 0 }, changed: false };
}

/** RMS of a waveform. @param {Float32Array} data */
export function rms(data) {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i] * data[i];
  return data.length ? Math.sqrt(sum / data.length) : 0;
}

/** Where this browser remembers that the check-in was answered or skipped. @param {string | null} sessionId @param {string | null} participantId */
export function checkInKey(sessionId, participantId) {
  return `tandem:checkin:${sessionId}:${participantId}`;
}

/**
 * Whether to ask for the check-in after a join: not on a rejoin, not when the server says I
 * checked in already (on any device), not when this browser remembers it.
 * @param {{rejoined: boolean, checkIn: unknown, remembered: boolean}} facts
 */
export function shouldAskCheckIn({ rejoined, checkIn, remembered }) {
  return !rejoined && !checkIn && !remembered;
}

/** @param {string} goal @returns {string | null} */
export function goalProblem(goal) {
  if (!goal) return "Write a few words, or choose “Not now”.";
  if (goal.length > GOAL_MAX) return `Please keep it under ${GOAL_MAX} characters.`;
  return null;
}

/**
 * The participation panel's title and my summary line (with the number and average of the
 * ratings, for a mentor's report).
 * @param {{people: {participant_ids: string[], minutes_present: number, speaking_minutes: number, talk_share: number | null}[], feedback?: {ratings: number, average_rating: number | null}}} report
 * @param {{participantId: string | null, role: string | null}} me
 * @param {(minutes: number) => string} fmtMinutes
 */
export function overviewSummary(report, { participantId, role }, fmtMinutes) {
  const everyone = report.people.length > 1 || role === "mentor" || role === "admin";
  const mine = report.people.find((p) => !!participantId && p.participant_ids.includes(participantId));
  const summary = mine
    ? `You: ${fmtMinutes(mine.minutes_present)} here, ${fmtMinutes(mine.speaking_minutes)} speaking` +
      (mine.talk_share !== null ? ` (${Math.round(mine.talk_share * 100)}% of the talk)` : "") + "."
    : "";
  const feedback = report.feedback;
  const ratings = feedback && feedback.ratings
    ? ` Ratings so far: ${feedback.ratings}, average ${feedback.average_rating}/5.`
    : "";
  return { everyone, title: everyone ? "Participation: everyone" : "Your participation", caption: everyone ? "Everyone in this session" : "Your record", summary: summary + ratings };
}

/**
 * The words after a rating was sent, from the HTTP status and error code (409: rated before, or
 * the rating closed; resume_expired: this page's credential ran out with the rating's time).
 * @param {{status: number, code: string | null}} answer
 */
export function ratingOutcome({ status, code }) {
  if (status >= 200 && status < 300) return { done: true, text: "Thank you for your feedback." };
  if (code === "rating_closed" || code === "resume_expired") return { done: true, text: "The time for rating this session has passed." };
  if (status === 409) return { done: true, text: "You have already rated this session. Thank you." };
  return { done: false, text: "Your rating could not be saved; try again." };
}

// Who sees what a person writes (docs/PROTOCOL.md, "Who sees ratings and check-ins"), in the
// words of the check-in card and the rating form.
export const CHECK_IN_SHARE = "Show it to my mentor (your programme's admins can read it either way)";
export const RATING_PRIVACY = "Your programme's admins see your rating and comment with your name. Your mentor sees only that you rated and the session's average rating, unless you share them.";
export const ANONYMOUS_PRIVACY = "Without your name, nobody sees your name with it: the admins see the rating and comment alone, and your mentor only counts it in the average.";
