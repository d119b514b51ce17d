// Matching as the console shows it (docs/PROGRAMMES.md, "Matching"): the rules from the form,
// the admin's pinned and forbidden pairs between runs, and a proposal as table rows with each
// pair's score and the reasons for it in words. The server gives each reason, and why someone
// is left unmatched, as a stable code with its params besides its English sentence: the page's
// words come from the code (ui/i18n.js), names and terms as they came; the server's sentence is
// shown only for a code the page does not know (or one kept before codes existed). Pure: no DOM,
// no network.

import { formatDateTime, formatList, formatNumber, t } from "../ui/i18n.js";

/**
 * @typedef {Record<string, unknown>} Params
 * @typedef {{criterion: string, points: number, detail?: string, code?: string | null, params?: Params}} Reason
 * @typedef {{mentor_id: string, mentor_name: string, mentee_id: string, mentee_name: string, score: number,
 *   reasons: Reason[], pinned?: boolean}} ProposedPair
 * @typedef {{person_id: string, name: string, role: string, why: string, code?: string | null, params?: Params}} Unmatched
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

/** A length of time in words ("2 hr 30 min"). @param {number} total minutes */
function durationText(total) {
  const hours = Math.floor(total / 60);
  const minutes = total % 60;
  const unit = (/** @type {number} */ n, /** @type {string} */ u) => formatNumber(n, { style: "unit", unit: u, unitDisplay: "short" });
  if (!hours) return unit(minutes, "minute");
  return minutes ? `${unit(hours, "hour")} ${unit(minutes, "minute")}` : unit(hours, "hour");
}

/** A number of hours in the person's language ("1.5", "1,5"). @param {number} n */
const hoursText = (n) => formatNumber(n, { maximumFractionDigits: 2 });

/** Params that are not what their code promises: the server's own words are shown instead. */
class ParamsError extends Error {}

/** A whole number of params, or ParamsError. @param {unknown} n */
function count(n) {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw new ParamsError(`not a count: ${n}`);
  return n;
}

/** A number of params (hours), or ParamsError. @param {unknown} n */
function amount(n) {
  if (typeof n !== "number" || !Number.isFinite(n)) throw new ParamsError(`not a number: ${n}`);
  return n;
}

/** Terms as the people wrote them, as a list in the person's language ("Chess and Design"). @param {unknown} list */
function terms(list) {
  if (!Array.isArray(list) || !list.length || !list.every((v) => typeof v === "string")) {
    throw new ParamsError("not a list of terms");
  }
  return formatList(list);
}

/** One of `allowed`, or ParamsError. @template {string} T @param {unknown} value @param {readonly T[]} allowed @returns {T} */
function oneOf(value, allowed) {
  if (!allowed.includes(/** @type {T} */ (value))) throw new ParamsError(`not one of ${allowed.join(", ")}: ${value}`);
  return /** @type {T} */ (value);
}

/**
 * A reason with a code the page knows (docs/PROGRAMMES.md, "Matching"), in the person's
 * language, or null.
 * @param {Reason} r @param {string} points
 * @returns {string | null}
 */
function knownReason(r, points) {
  const p = r.params || {};
  switch (r.code) {
    case "shared_goals":
      return t("admin.matching.reason.goals", { points, goals: terms(p.goals) });
    case "shared_interests":
      return t("admin.matching.reason.interests", { points, interests: terms(p.interests) });
    case "skills_offered":
      return t("admin.matching.reason.skills", { points, offered: count(p.offered), wanted: count(p.wanted), skills: terms(p.skills) });
    case "availability_overlap":
      return t("admin.matching.reason.availability", { points, duration: durationText(count(p.minutes)) });
    case "shared_languages":
      return t("admin.matching.reason.language", { points, languages: terms(p.languages) });
    case "time_zones":
      return t("admin.matching.reason.time_zone", { points, apart: hoursText(amount(p.hours_apart)), most: hoursText(amount(p.max_hours)) });
    default:
      return null;
  }
}

/** "Goals +12: both want public speaking". @param {Reason} r */
export function reasonText(r) {
  const points = fmtPoints(r.points, true);
  try {
    const known = knownReason(r, points);
    if (known) return known;
  } catch (err) {
    if (!(err instanceof ParamsError)) throw err;
  }
  // a reason the page does not know: its criterion and points, and the server's words
  return `${criterionWord(r.criterion)} ${points}${r.detail ? `: ${r.detail}` : ""}`;
}

/** The hard rules the server names when nobody is left for someone (rooms/matching.py). */
const RULES = /** @type {const} */ (["language", "time_zone", "department", "never_pair", "availability", "forbids"]);
const ROLES = /** @type {const} */ (["mentor", "mentee"]);

/**
 * Why someone is left unmatched (docs/PROGRAMMES.md, "Matching"), in the person's language;
 * the server's sentence for a code the page does not know.
 * @param {Pick<Unmatched, "why" | "code" | "params">} u
 */
export function whyText(u) {
  const p = u.params || {};
  try {
    switch (u.code) {
      case "no_partners":
        return t("admin.matching.why.nobody", { role: oneOf(p.partner_role, ROLES) });
      case "mentors_full":
        return t("admin.matching.why.mentors_full", { count: count(p.count) });
      case "mentees_taken":
        return t("admin.matching.why.mentees_taken", { count: count(p.count) });
      case "no_one_meets_rule":
        return t("admin.matching.why.no_one_for_rule", { role: oneOf(p.partner_role, ROLES), rule: oneOf(p.rule, RULES) });
      case "no_one_meets_all_rules": {
        const parts = Array.isArray(p.ruled_out) ? p.ruled_out : [];
        if (!parts.length) throw new ParamsError("nothing ruled out");
        const ruledOut = parts.map((part) => t("admin.matching.why.ruled_out", {
          rule: oneOf(part && part.rule, RULES), count: count(part && part.count) }));
        return t("admin.matching.why.no_one_for_all", { role: oneOf(p.partner_role, ROLES), ruled_out: formatList(ruledOut) });
      }
      default:
        break;
    }
  } catch (err) {
    if (!(err instanceof ParamsError)) throw err;
  }
  return String(u.why || "");
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
