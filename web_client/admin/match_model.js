// Matching as the console shows it (docs/PROGRAMMES.md, "Matching"): the rules from the form,
// the admin's pinned and forbidden pairs between runs, and a proposal as table rows with each
// pair's score and the reasons for it in words. The server gives its reasons and why someone is
// left unmatched in English sentences of a few known forms: those are put in the person's
// language (ui/i18n.js), names and terms as they came; a sentence of another form is shown as it
// is. Pure: no DOM, no network.

import { formatDateTime, formatNumber, t } from "../ui/i18n.js";

/**
 * @typedef {{criterion: string, points: number, detail?: string}} Reason
 * @typedef {{mentor_id: string, mentor_name: string, mentee_id: string, mentee_name: string, score: number,
 *   reasons: Reason[], pinned?: boolean}} ProposedPair
 * @typedef {{person_id: string, name: string, role: string, why: string}} Unmatched
 * @typedef {{pairs: ProposedPair[], unmatched: Unmatched[], objective?: string, total_score?: number,
 *   rules?: Rules, made_at?: number | string}} Proposal
 * @typedef {{objective?: string, common_language?: boolean, max_time_zone_hours?: number | null,
 *   exclude_same_department?: boolean, min_availability_minutes?: number,
 *   weights?: {goals?: number, interests?: number, skills?: number, availability?: number},
 *   pins?: [string, string][], forbids?: [string, string][]}} Rules
 * @typedef {{id: string, mentor_id: string, mentee_ids: string[], score?: number, reasons?: Reason[],
 *   starts_on?: string, ends_on?: string, frequency?: string, state?: string, published_at?: number | string}} Match
 */

export const WEIGHTS = /** @type {const} */ (["goals", "interests", "skills", "availability"]);

/** The criteria the server names, as the catalogue's `admin.matching.criterion` knows them. */
const CRITERIA = /** @type {Record<string, string>} */ ({
  goals: "goals", interests: "interests", skills: "skills", availability: "availability",
  language: "language", languages: "language", common_language: "language",
  time_zone: "time_zone", department: "department", pinned: "pinned", capacity: "capacity",
});

/** A criterion in words; one the page does not know is shown as its name. @param {string} criterion */
export function criterionWord(criterion) {
  const known = CRITERIA[criterion];
  return known ? t("admin.matching.criterion", { criterion: known })
    : criterion.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}

/** A number as shown: at most one decimal, a sign when asked. @param {number} n @param {boolean} [signed] */
export function fmtPoints(n, signed = false) {
  const v = Math.round(Number(n) * 10) / 10 || 0;
  return formatNumber(v, { maximumFractionDigits: 1, signDisplay: signed ? "exceptZero" : "auto" });
}

/** The server's "2 h 30 min" as numbers. @param {string} text @returns {{hours: number, minutes: number} | null} */
function parseDuration(text) {
  const m = /^(?:(\d+) h)? ?(?:(\d+) min)?$/.exec(text.trim());
  return m && (m[1] || m[2]) ? { hours: Number(m[1] || 0), minutes: Number(m[2] || 0) } : null;
}

/** A length of time in words ("2 hr 30 min"). @param {{hours: number, minutes: number}} d */
function durationText({ hours, minutes }) {
  const unit = (/** @type {number} */ n, /** @type {string} */ u) => formatNumber(n, { style: "unit", unit: u, unitDisplay: "short" });
  if (!hours) return unit(minutes, "minute");
  return minutes ? `${unit(hours, "hour")} ${unit(minutes, "minute")}` : unit(hours, "hour");
}

/** A number of hours as the server writes it ("1.5"), in the person's language. @param {string} n */
const hoursText = (n) => formatNumber(Number(n), { maximumFractionDigits: 2 });

/**
 * A reason of one of the server's known forms (rooms/match_scores.py) in the person's language, or
 * null.
 * @param {Reason} r @param {string} points
 * @returns {string | null}
 */
function knownReason(r, points) {
  const detail = r.detail || "";
  let m;
  switch (r.criterion) {
    case "goals":
      m = /^Both want: (.+)$/.exec(detail);
      return m && t("admin.matching.reason.goals", { points, goals: m[1] });
    case "interests":
      m = /^Both like: (.+)$/.exec(detail);
      return m && t("admin.matching.reason.interests", { points, interests: m[1] });
    case "skills":
      m = /^Offers (\d+) of the (\d+) skills wanted: (.+)$/.exec(detail);
      return m && t("admin.matching.reason.skills", { points, offered: Number(m[1]), wanted: Number(m[2]), skills: m[3] });
    case "availability": {
      m = /^(.+) a week free at the same time$/.exec(detail);
      const length = m && parseDuration(m[1]);
      return length && t("admin.matching.reason.availability", { points, duration: durationText(length) });
    }
    case "language":
      m = /^Both speak: (.+)$/.exec(detail);
      return m && t("admin.matching.reason.language", { points, languages: m[1] });
    case "time_zone":
      m = /^Time zones ([\d.]+) h apart \(at most ([\d.]+) h\)$/.exec(detail);
      return m && t("admin.matching.reason.time_zone", { points, apart: hoursText(m[1]), most: hoursText(m[2]) });
    default:
      return null;
  }
}

/** "Goals +12: both want public speaking". @param {Reason} r */
export function reasonText(r) {
  const points = fmtPoints(r.points, true);
  const known = knownReason(r, points);
  if (known) return known;
  // a reason the page does not know: its criterion and points, and the server's words
  return `${criterionWord(r.criterion)} ${points}${r.detail ? `: ${r.detail}` : ""}`;
}

/** The rules the server names when nobody is left for someone (rooms/matching.py). */
const RULE_WORDS = /** @type {Record<string, string>} */ ({
  "shares a language with them": "language",
  "is in a time zone close enough to theirs": "time_zone",
  "is in another department": "department",
  "is free of a never-pair request with them": "never_pair",
  "has enough free time at the same time as them": "availability",
  "is allowed by the admin": "forbids",
});
const RULE_NAMES = /** @type {Record<string, string>} */ ({
  language: "language", "time zone": "time_zone", department: "department", "never-pair": "never_pair",
  availability: "availability", "the admin": "forbids",
});

/**
 * Why someone is left unmatched, from the server's sentence (rooms/matching.py): in the person's
 * language when it has one of the known forms, otherwise as it came.
 * @param {string} why
 */
export function whyText(why) {
  const text = String(why || "");
  let m = /^The cohort has no (mentor|mentee)s\.$/.exec(text);
  if (m) return t("admin.matching.why.nobody", { role: m[1] });
  m = /^Every compatible mentor \((\d+)\) is full\.$/.exec(text);
  if (m) return t("admin.matching.why.mentors_full", { count: Number(m[1]) });
  m = /^Every compatible mentee \((\d+)\) is matched with another mentor\.$/.exec(text);
  if (m) return t("admin.matching.why.mentees_taken", { count: Number(m[1]) });
  m = /^No (mentor|mentee) meets every rule with them at once \(ruled out by (.+)\)\.$/.exec(text);
  if (m) {
    const parts = m[2].split(", ").map((part) => /^(.+) (\d+)$/.exec(part));
    if (parts.every((p) => p && RULE_NAMES[p[1]])) {
      const ruledOut = parts.map((p) => t("admin.matching.why.ruled_out", {
        rule: RULE_NAMES[/** @type {RegExpExecArray} */ (p)[1]], count: Number(/** @type {RegExpExecArray} */ (p)[2]) }));
      return t("admin.matching.why.no_one_for_all", { role: m[1], ruled_out: ruledOut.join(", ") });
    }
  }
  m = /^No (mentor|mentee) (.+)\.$/.exec(text);
  if (m && RULE_WORDS[m[2]]) return t("admin.matching.why.no_one_for_rule", { role: m[1], rule: RULE_WORDS[m[2]] });
  return text;
}

/**
 * A day the server gives as `YYYY-MM-DD`, in the person's language (the day itself, whatever
 * the device's time zone); anything else as it came.
 * @param {string | undefined} day
 */
export function dayText(day) {
  if (!day) return "–";
  return /^\d{4}-\d{2}-\d{2}$/.test(day) ? formatDateTime(Date.parse(`${day}T00:00:00Z`), { dateStyle: "medium", timeZone: "UTC" }) : day;
}

/**
 * The rules of `POST /proposal` from the form's values and the admin's pins and forbids.
 * Empty weights are left to the server's defaults.
 * @param {Record<string, string>} v @param {PairChoices} choices
 * @returns {Rules}
 */
export function rulesFromForm(v, choices) {
  /** @type {Rules} */
  const rules = {
    objective: v.objective === "most_matched" ? "most_matched" : "best_fit",
    common_language: v.common_language === "on",
    exclude_same_department: v.exclude_same_department === "on",
  };
  // an empty box is "no limit" (null); the server's own default is a limit
  const hours = (v.max_time_zone_hours || "").trim();
  rules.max_time_zone_hours = hours === "" ? null : Number(hours);
  const minutes = (v.min_availability_minutes || "").trim();
  if (minutes !== "") rules.min_availability_minutes = Number(minutes);
  /** @type {Record<string, number>} */
  const weights = {};
  for (const w of WEIGHTS) {
    const raw = (v[`weight_${w}`] || "").trim();
    if (raw !== "") weights[w] = Number(raw);
  }
  if (Object.keys(weights).length) rules.weights = weights;
  rules.pins = choices.pins();
  rules.forbids = choices.forbids();
  return rules;
}

/** @param {string} mentor @param {string} mentee */
export const pairKey = (mentor, mentee) => JSON.stringify([mentor, mentee]);

/**
 * The admin's decisions about pairs, kept between runs: a pinned pair is kept by the next run, a
 * forbidden one is never proposed. A pair is one or the other, or neither.
 */
export class PairChoices {
  constructor() {
    /** @type {Map<string, {mentor: string, mentee: string, mentorName: string, menteeName: string, choice: "pin" | "forbid"}>} */
    this.map = new Map();
  }

  /** @param {string} mentor @param {string} mentee @returns {"pin" | "forbid" | null} */
  state(mentor, mentee) {
    return this.map.get(pairKey(mentor, mentee))?.choice || null;
  }

  /**
   * Pin, forbid or clear a pair. Pinning a mentee's pair unpins their other pairs (a mentee has
   * one mentor).
   * @param {{mentor_id: string, mentee_id: string, mentor_name?: string, mentee_name?: string}} pair
   * @param {"pin" | "forbid" | null} choice
   */
  set(pair, choice) {
    const key = pairKey(pair.mentor_id, pair.mentee_id);
    if (choice === null) {
      this.map.delete(key);
      return;
    }
    if (choice === "pin") {
      for (const [k, v] of this.map) if (v.choice === "pin" && v.mentee === pair.mentee_id) this.map.delete(k);
    }
    this.map.set(key, {
      mentor: pair.mentor_id, mentee: pair.mentee_id,
      mentorName: pair.mentor_name || pair.mentor_id, menteeName: pair.mentee_name || pair.mentee_id, choice,
    });
  }

  /** A press of the Pin (or Forbid) button: on when it was off, off when it was on. @param {Parameters<PairChoices["set"]>[0]} pair @param {"pin" | "forbid"} choice */
  toggle(pair, choice) {
    this.set(pair, this.state(pair.mentor_id, pair.mentee_id) === choice ? null : choice);
  }

  /** @returns {[string, string][]} */
  pins() {
    return [...this.map.values()].filter((v) => v.choice === "pin").map((v) => [v.mentor, v.mentee]);
  }

  /** @returns {[string, string][]} */
  forbids() {
    return [...this.map.values()].filter((v) => v.choice === "forbid").map((v) => [v.mentor, v.mentee]);
  }

  /** The forbidden pairs, with names, for the list under the proposal. */
  forbidden() {
    return [...this.map.values()].filter((v) => v.choice === "forbid");
  }

  clear() {
    this.map.clear();
  }
}

/**
 * A proposal's pairs as rows: names, the score, the reasons in words (largest first), whether
 * the server kept it pinned and what the admin chose for it.
 * @param {Proposal} proposal @param {PairChoices} choices
 */
export function proposalRows(proposal, choices) {
  return (proposal.pairs || []).map((p) => ({
    key: pairKey(p.mentor_id, p.mentee_id),
    pair: p,
    mentor: p.mentor_name || p.mentor_id,
    mentee: p.mentee_name || p.mentee_id,
    score: fmtPoints(p.score),
    reasons: [...(p.reasons || [])].sort((a, b) => Math.abs(b.points) - Math.abs(a.points)).map(reasonText),
    pinned: !!p.pinned,
    choice: choices.state(p.mentor_id, p.mentee_id),
  }));
}

/** "4 pairs, total score 53.5; 1 person unmatched". @param {Proposal} proposal */
export function proposalSummary(proposal) {
  const values = { pairs: (proposal.pairs || []).length, unmatched: (proposal.unmatched || []).length };
  return proposal.total_score === undefined ? t("admin.matching.summary", values)
    : t("admin.matching.summary_total", { ...values, total: fmtPoints(proposal.total_score) });
}

/**
 * A published match named by its people ("Ana Ruiz & Ben Ode"), for the session form's select.
 * @param {Match} match @param {Map<string, string>} names
 */
export function matchLabel(match, names) {
  const mentor = names.get(match.mentor_id) || match.mentor_id;
  const mentees = match.mentee_ids.map((id) => names.get(id) || id).join(", ");
  return `${mentor} & ${mentees}`;
}
