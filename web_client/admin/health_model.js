// How each published pair is doing (docs/PROGRAMMES.md, "Match health"), in words for the
// table and the at-risk list. The contract names the fields but not every value's shape, so
// each is read leniently (a person is a name or `{name}`; ratings a number, a list or
// `{average, count}`; times an epoch in seconds or an ISO string). Pure: no DOM, no network.

/**
 * @typedef {{code: string, detail?: string}} Risk
 * @typedef {{match_id: string, mentor: unknown, mentees: unknown, sessions_planned?: number, sessions_held?: number,
 *   upcoming?: number, minutes?: number, last_contact?: unknown, no_shows?: unknown, talk_balance?: unknown,
 *   ratings?: unknown, goals?: unknown, fit?: unknown, risks?: Risk[]}} PairHealth
 * @typedef {{pairs: PairHealth[], at_risk?: string[]}} Health
 */

/** A person or people as names. @param {unknown} who @returns {string} */
export function names(who) {
  if (who === null || who === undefined) return "–";
  if (Array.isArray(who)) return who.map(names).join(", ") || "–";
  if (typeof who === "object") {
    const o = /** @type {Record<string, unknown>} */ (who);
    return String(o.name ?? o.id ?? o.person_id ?? "–");
  }
  return String(who);
}

/** @param {unknown} when */
export function fmtWhen(when) {
  if (when === null || when === undefined || when === "") return "Never";
  if (typeof when === "number") return new Date(when * 1000).toISOString().slice(0, 16).replace("T", " ");
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}))?/.exec(String(when));
  return m ? [m[1], m[2]].filter(Boolean).join(" ") : String(when);
}

/** A talk balance: a share of the mentor's speaking (0..1), or the server's words. @param {unknown} b */
export function fmtBalance(b) {
  if (b === null || b === undefined) return "–";
  if (typeof b === "number") return `Mentor ${Math.round(b * 100)}% · mentee ${Math.round((1 - b) * 100)}%`;
  if (typeof b === "object") {
    const o = /** @type {Record<string, unknown>} */ (b);
    if (typeof o.mentor === "number") return fmtBalance(o.mentor);
    return Object.entries(o).map(([k, v]) => `${k} ${typeof v === "number" ? `${Math.round(v * 100)}%` : String(v)}`).join(" · ");
  }
  return String(b);
}

/** @param {unknown} r */
export function fmtRatings(r) {
  if (r === null || r === undefined) return "–";
  if (typeof r === "number") return `${Math.round(r * 10) / 10}/5`;
  if (Array.isArray(r)) {
    const nums = r.map((x) => (typeof x === "object" && x ? Number(/** @type {any} */ (x).rating) : Number(x))).filter((x) => !Number.isNaN(x));
    if (!nums.length) return "–";
    const avg = nums.reduce((a, b) => a + b, 0) / nums.length;
    return `${Math.round(avg * 10) / 10}/5 (${nums.length})`;
  }
  if (typeof r === "object") {
    const o = /** @type {Record<string, unknown>} */ (r);
    if (o.average === null || o.average === undefined) return o.count ? `${o.count} given` : "–";
    return `${Math.round(Number(o.average) * 10) / 10}/5${o.count !== undefined ? ` (${o.count})` : ""}`;
  }
  return String(r);
}

const FIT = /** @type {Record<string, string>} */ ({ good: "Good fit", not_sure: "Not sure", not_a_good_fit: "Not a good fit" });

/** The fit answers: one word, or who said what. @param {unknown} fit @returns {string} */
export function fmtFit(fit) {
  if (fit === null || fit === undefined || fit === "") return "Not answered";
  if (typeof fit === "string") return FIT[fit] || fit;
  if (Array.isArray(fit)) return fit.map(fmtFit).join("; ") || "Not answered";
  if (typeof fit === "object") {
    const o = /** @type {Record<string, unknown>} */ (fit);
    if (typeof o.answer === "string") return `${o.name ? `${names(o.name)}: ` : ""}${FIT[o.answer] || o.answer}`;
    return Object.entries(o).map(([who, a]) => `${who}: ${FIT[String(a)] || String(a)}`).join("; ") || "Not answered";
  }
  return String(fit);
}

/** @param {unknown} n */
function count(n) {
  if (n === null || n === undefined) return "0";
  if (typeof n === "object") return names(n);
  return String(n);
}

/** "No session held yet: …" @param {Risk} r */
export function riskText(r) {
  const word = r.code.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
  return r.detail ? `${word}: ${r.detail}` : word;
}

/** The table's rows, at-risk pairs first, then as the server gave them. @param {Health} health */
export function healthRows(health) {
  const risky = new Set(health.at_risk || []);
  const rows = (health.pairs || []).map((p, i) => ({
    matchId: p.match_id,
    order: i,
    atRisk: risky.has(p.match_id) || (p.risks || []).length > 0,
    pair: `${names(p.mentor)} & ${names(p.mentees)}`,
    sessions: `${p.sessions_held ?? 0} of ${p.sessions_planned ?? 0}`,
    upcoming: String(p.upcoming ?? 0),
    minutes: p.minutes === undefined || p.minutes === null ? "–" : String(Math.round(p.minutes)),
    lastContact: fmtWhen(p.last_contact),
    noShows: count(p.no_shows),
    talkBalance: fmtBalance(p.talk_balance),
    ratings: fmtRatings(p.ratings),
    fit: fmtFit(p.fit),
    risks: (p.risks || []).map(riskText),
  }));
  return rows.sort((a, b) => Number(b.atRisk) - Number(a.atRisk) || a.order - b.order);
}

/** The at-risk list at the top: the pair and why. @param {Health} health */
export function atRisk(health) {
  return healthRows(health).filter((r) => r.atRisk).map((r) => ({ pair: r.pair, why: r.risks.join("; ") || "At risk" }));
}
