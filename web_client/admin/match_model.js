// Matching as the console shows it (docs/PROGRAMMES.md, "Matching"): the rules from the form,
// the admin's pinned and forbidden pairs between runs, and a proposal as table rows with each
// pair's score and the reasons for it in words. Pure: no DOM, no network.

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

/** Words for the criteria the server names (others are shown as they come). */
const CRITERIA = /** @type {Record<string, string>} */ ({
  goals: "Goals", interests: "Interests", skills: "Skills", availability: "Availability",
  language: "Language", languages: "Language", common_language: "Language",
  time_zone: "Time zone", department: "Department", pinned: "Pinned", capacity: "Capacity",
});

/** @param {string} criterion */
export function criterionWord(criterion) {
  return CRITERIA[criterion] || criterion.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}

/** A number as shown: at most one decimal, a sign when asked. @param {number} n @param {boolean} [signed] */
export function fmtPoints(n, signed = false) {
  const v = Math.round(Number(n) * 10) / 10;
  const text = Number.isInteger(v) ? String(v) : v.toFixed(1);
  return signed && v > 0 ? `+${text}` : text;
}

/** "Goals +12: both want public speaking". @param {Reason} r */
export function reasonText(r) {
  const detail = r.detail ? `: ${r.detail}` : "";
  return `${criterionWord(r.criterion)} ${fmtPoints(r.points, true)}${detail}`;
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
  const pairs = (proposal.pairs || []).length;
  const unmatched = (proposal.unmatched || []).length;
  const total = proposal.total_score === undefined ? "" : `, total score ${fmtPoints(proposal.total_score)}`;
  const left = unmatched ? `; ${unmatched} ${unmatched === 1 ? "person" : "people"} unmatched` : "; everyone is matched";
  return `Proposed ${pairs} ${pairs === 1 ? "pair" : "pairs"}${total}${left}.`;
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
