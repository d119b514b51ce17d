// How each published pair is doing (docs/PROGRAMMES.md, "Match health"), in words for the
// table and the at-risk list. The contract names the fields but not every value's shape, so
// each is read leniently (a person is a name or `{name}`; ratings a number, a list or
// `{average, count}`; times an epoch in seconds or an ISO string). Pure: no DOM, no network; the
// words and numbers in the person's language (ui/i18n.js).

import { formatDateTime, formatNumber, t } from "../ui/i18n.js";

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

/** A moment (epoch seconds or ISO text) in the person's language and time zone. @param {unknown} when */
export function fmtWhen(when) {
  if (when === null || when === undefined || when === "") return t("admin.health.never");
  if (typeof when === "number") return formatDateTime(when * 1000);
  const text = String(when);
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed)) return text;
  return /^\d{4}-\d{2}-\d{2}$/.test(text) ? formatDateTime(parsed, { dateStyle: "medium", timeZone: "UTC" }) : formatDateTime(parsed);
}

/** A share 0..1 as a percentage. @param {number} share */
const percent = (share) => formatNumber(share, { style: "percent" });

/** A rating average, one decimal at most. @param {number} n */
const rating = (n) => formatNumber(Math.round(n * 10) / 10);

/**
 * A talk balance: the mentees' share of the pair's speaking (0..1, as the server's match health
 * gives it), or the server's words.
 * @param {unknown} b
 */
export function fmtBalance(b) {
  if (b === null || b === undefined) return "–";
  if (typeof b === "number") return t("admin.health.talk_balance", { mentor: percent(1 - b), mentee: percent(b) });
  if (typeof b === "object") {
    const o = /** @type {Record<string, unknown>} */ (b);
    if (typeof o.mentee === "number") return fmtBalance(o.mentee);
    if (typeof o.mentor === "number") return fmtBalance(1 - o.mentor);
    return Object.entries(o).map(([k, v]) => `${k} ${typeof v === "number" ? percent(v) : String(v)}`).join(" · ");
  }
  return String(b);
}

/** @param {unknown} r */
export function fmtRatings(r) {
  if (r === null || r === undefined) return "–";
  if (typeof r === "number") return `${rating(r)}/5`;
  if (Array.isArray(r)) {
    const nums = r.map((x) => (typeof x === "object" && x ? Number(/** @type {any} */ (x).rating) : Number(x))).filter((x) => !Number.isNaN(x));
    if (!nums.length) return "–";
    const avg = nums.reduce((a, b) => a + b, 0) / nums.length;
    return `${rating(avg)}/5 (${formatNumber(nums.length)})`;
  }
  if (typeof r === "object") {
    const o = /** @type {Record<string, unknown>} */ (r);
    if (o.average === null || o.average === undefined) return o.count ? t("admin.health.ratings_given", { count: Number(o.count) }) : "–";
    return `${rating(Number(o.average))}/5${o.count !== undefined ? ` (${formatNumber(Number(o.count))})` : ""}`;
  }
  return String(r);
}

/** One fit answer in words (good, not_sure, not_a_good_fit; another as the server gave it). @param {unknown} answer */
const fitWords = (answer) => t("admin.health.fit", { answer: String(answer) });

/** The fit answers: one word, or who said what. @param {unknown} fit @returns {string} */
export function fmtFit(fit) {
  if (fit === null || fit === undefined || fit === "") return t("admin.health.fit_unanswered");
  if (typeof fit === "string") return fitWords(fit);
  if (Array.isArray(fit)) return fit.map(fmtFit).join("; ") || t("admin.health.fit_unanswered");
  if (typeof fit === "object") {
    const o = /** @type {Record<string, unknown>} */ (fit);
    if (typeof o.answer === "string") return o.name ? `${names(o.name)}: ${fitWords(o.answer)}` : fitWords(o.answer);
    return Object.entries(o).map(([who, a]) => `${who}: ${fitWords(a)}`).join("; ") || t("admin.health.fit_unanswered");
  }
  return String(fit);
}

/** @param {unknown} n */
function count(n) {
  if (n === null || n === undefined) return "0";
  if (typeof n === "object") return names(n);
  return typeof n === "number" ? formatNumber(n) : String(n);
}

/**
 * "No contact: 4.0 weeks since …": the risk in the person's language (a code this page does not
 * know, in words made from the code), then the server's detail.
 * @param {Risk} r
 */
export function riskText(r) {
  const word = t("admin.health.risk", { code: r.code, words: r.code.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase()) });
  return r.detail ? `${word}: ${r.detail}` : word;
}

/** The table's rows, at-risk pairs first, then as the server gave them. @param {Health} health */
export function healthRows(health) {
  const risky = new Set(health.at_risk || []);
  const rows = (health.pairs || []).map((p, i) => ({
    matchId: p.match_id,
    order: i,
    atRisk: risky.has(p.match_id) || (p.risks || []).length > 0,
    pair: t("admin.health.pair", { mentor: names(p.mentor), mentees: names(p.mentees) }),
    sessions: t("admin.health.sessions_of", { held: p.sessions_held ?? 0, planned: p.sessions_planned ?? 0 }),
    upcoming: formatNumber(p.upcoming ?? 0),
    minutes: p.minutes === undefined || p.minutes === null ? "–" : formatNumber(Math.round(p.minutes)),
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
  return healthRows(health).filter((r) => r.atRisk).map((r) => ({ pair: r.pair, why: r.risks.join("; ") || t("admin.health.at_risk") }));
}
