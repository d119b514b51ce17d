// Engagement in the call, as rules and words: reactions, voice activity detection from the
// microphone level, the check-in and the participation summary. Pure functions: no DOM, no network
// (words come from the language catalogue, ui/i18n.js).

import { t } from "../../ui/i18n.js";

/** [id, emoji, spoken name (a catalogue key, "i18n:<key>")] */
export const REACTIONS = /** @type {const} */ ([
  ["thumbs_up", "👍", "i18n:engagement.reaction.thumbs_up"],
  ["clap", "👏", "i18n:engagement.reaction.clap"],
  ["heart", "❤️", "i18n:engagement.reaction.heart"],
  ["laugh", "😂", "i18n:engagement.reaction.laugh"],
  ["surprised", "😮", "i18n:engagement.reaction.surprised"],
  ["thinking", "🤔", "i18n:engagement.reaction.thinking"],
]);
export const GOAL_MAX = 500;
export const COMMENT_MAX = 1000;

/** @param {unknown} id @returns {{id: string, emoji: string, label: string} | null} */
export function reactionOf(id) {
  const found = REACTIONS.find(([r]) => r === id);
  return found ? { id: found[0], emoji: found[1], label: words(found[2]) } : null;
}

/** The words of an "i18n:<key>" reference of a table. @param {string} ref */
export function words(ref) {
  return t(ref.slice("i18n:".length));
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
  if (!goal) return t("engagement.checkin.empty");
  if (goal.length > GOAL_MAX) return t("engagement.checkin.too_long", { max: GOAL_MAX });
  return null;
}

/**
 * A number of minutes in words: seconds under a minute, a tenth of a minute under ten ("4.5
 * minutes"), whole minutes above; "–" for none.
 * @param {number | null | undefined} value
 */
export function durationText(value) {
  if (value === null || value === undefined) return "–";
  const v = Number(value);
  if (v > 0 && v < 1) return t("engagement.duration.seconds", { seconds: Math.round(v * 60) });
  return t("engagement.duration.minutes", { minutes: v < 10 ? Math.round(v * 10) / 10 : Math.round(v) });
}

/**
 * The participation panel's title and my summary line (with the number and average of the
 * ratings, for a mentor's report).
 * @param {{people: {participant_ids: string[], minutes_present: number, speaking_minutes: number, talk_share: number | null}[], feedback?: {ratings: number, average_rating: number | null}}} report
 * @param {{participantId: string | null, role: string | null}} me
 */
export function overviewSummary(report, { participantId, role }) {
  const everyone = report.people.length > 1 || role === "mentor" || role === "admin";
  const mine = report.people.find((p) => !!participantId && p.participant_ids.includes(participantId));
  const present = mine ? durationText(mine.minutes_present) : "";
  const speaking = mine ? durationText(mine.speaking_minutes) : "";
  const summary = !mine ? ""
    : mine.talk_share !== null ? t("engagement.participation.you_share", { present, speaking, share: mine.talk_share })
    : t("engagement.participation.you", { present, speaking });
  const feedback = report.feedback;
  const ratings = feedback && feedback.ratings
    ? t("engagement.participation.ratings", { count: feedback.ratings, average: feedback.average_rating ?? 0 })
    : "";
  return {
    everyone,
    title: everyone ? t("engagement.participation.title_everyone") : t("engagement.participation.title_mine"),
    caption: everyone ? t("engagement.participation.caption_everyone") : t("engagement.participation.caption_mine"),
    summary: [summary, ratings].filter(Boolean).join(" "),
  };
}

/**
 * The words after a rating was sent, from the HTTP status and error code (409: rated before, or
 * the rating closed; resume_expired: this page's credential ran out with the rating's time).
 * @param {{status: number, code: string | null}} answer
 */
export function ratingOutcome({ status, code }) {
  if (status >= 200 && status < 300) return { done: true, text: t("engagement.rating.thanks") };
  if (code === "rating_closed" || code === "resume_expired") return { done: true, text: t("engagement.rating.closed") };
  if (status === 409) return { done: true, text: t("engagement.rating.already") };
  return { done: false, text: t("engagement.rating.failed") };
}

// Who sees what a person writes (docs/PROTOCOL.md, "Who sees ratings and check-ins"), in the
// words of the check-in card and the rating form.
export const CHECK_IN_SHARE = "i18n:engagement.checkin.share";
export const RATING_PRIVACY = "i18n:engagement.rating.privacy";
export const ANONYMOUS_PRIVACY = "i18n:engagement.rating.anonymous_privacy";
