// Sessions of a cohort as the console makes and shows them (docs/PROGRAMMES.md, "Sessions"): a
// schedule from the form, each session's personal links as rows, the people a schedule invites,
// and the same links as CSV. Pure: no DOM, no network. What the page shows is in the person's
// language (ui/i18n.js); the CSV keeps machine-readable times.

import { formatDateTime, t } from "../ui/i18n.js";

/**
 * @typedef {{person_id: string, name: string, role: string, url: string, local_time?: string}} PersonalLink
 * @typedef {{session_id: string, start: string | number, end?: string | number, links: PersonalLink[]}} ScheduledSession
 * @typedef {{id: string, match_id?: string | null, group?: boolean, title: string, time_zone: string,
 *   repeat: string, sessions: ScheduledSession[]}} Schedule
 */

export const REPEATS = /** @type {const} */ (["once", "weekly", "fortnightly"]);

/**
 * The body of `POST /schedules` from the form's values: `target` is a match id or "group".
 * @param {Record<string, string>} v
 */
export function schedulePayload(v) {
  const repeat = REPEATS.includes(/** @type {any} */ (v.repeat)) ? v.repeat : "once";
  /** @type {Record<string, unknown>} */
  // Without a match id, the sessions are group sessions of everyone matched.
  const body = v.target === "group" ? {} : { match_id: v.target };
  body.title = (v.title || "").trim();
  body.starts = (v.starts || "").slice(0, 16); // datetime-local gives YYYY-MM-DDTHH:MM (or with seconds)
  body.time_zone = (v.time_zone || "").trim() || "UTC";
  body.minutes = Number(v.minutes || 60);
  body.repeat = repeat;
  body.count = repeat === "once" ? 1 : Math.max(1, Number(v.count || 1));
  return body;
}

/**
 * A session's start for files, `YYYY-MM-DD HH:MM`: an epoch in the schedule's time zone, or an
 * ISO string's own date and time.
 * @param {string | number} start @param {string} [zone]
 */
export function fmtStart(start, zone = "UTC") {
  if (typeof start === "number") {
    /** @type {Intl.DateTimeFormatOptions} */
    const opts = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    let format;
    try {
      format = new Intl.DateTimeFormat("en-GB", { ...opts, timeZone: zone });
    } catch (err) {
      format = new Intl.DateTimeFormat("en-GB", { ...opts, timeZone: "UTC" }); // a zone this browser does not know
    }
    const p = Object.fromEntries(format.formatToParts(new Date(start * 1000)).map((x) => [x.type, x.value]));
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
  }
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(start);
  return m ? `${m[1]} ${m[2]}` : String(start);
}

/** Whether this browser knows the IANA zone. @param {string} zone */
function knownZone(zone) {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch (err) {
    return false;
  }
}

/** @param {string | number} start  epoch seconds or ISO text @returns {number} epoch milliseconds (NaN if unreadable) */
const millis = (start) => (typeof start === "number" ? start * 1000 : Date.parse(start));

/**
 * A session's start as the page shows it: the person's language, in the schedule's time zone
 * (the zone is said beside it).
 * @param {string | number} start @param {string} [zone]
 */
export function showStart(start, zone = "UTC") {
  const at = millis(start);
  if (Number.isNaN(at)) return String(start);
  return formatDateTime(at, { dateStyle: "medium", timeStyle: "short", timeZone: knownZone(zone) ? zone : "UTC" });
}

/**
 * A session's start in one person's own time zone, with the day of the week and the zone's name.
 * @param {string | number} start @param {string} zone
 */
export function showLocal(start, zone) {
  const at = millis(start);
  if (Number.isNaN(at)) return String(start);
  return formatDateTime(at, {
    weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "numeric", minute: "2-digit",
    timeZoneName: "short", timeZone: knownZone(zone) ? zone : "UTC",
  });
}

/**
 * Every personal link of a schedule, one row per person and session, sessions in order. `zoneOf`
 * gives a person's own time zone, where the cohort knows it (else the schedule's).
 * @param {Schedule} schedule @param {(personId: string) => string | undefined} [zoneOf]
 */
export function linkRows(schedule, zoneOf = () => undefined) {
  return schedule.sessions.flatMap((s, i) => s.links.map((l) => ({
    session: i + 1,
    sessionId: s.session_id,
    start: showStart(s.start, schedule.time_zone),
    personId: l.person_id,
    name: l.name,
    role: l.role,
    localTime: showLocal(s.start, zoneOf(l.person_id) || schedule.time_zone),
    /** for files: the server's words for the person's local time, or the start in the schedule's zone */
    localTimeText: l.local_time || fmtStart(s.start, schedule.time_zone),
    url: l.url,
  })));
}

/** The people a schedule invites, once each, in order of first appearance. @param {Schedule} schedule */
export function schedulePeople(schedule) {
  /** @type {Map<string, {id: string, name: string, role: string}>} */
  const seen = new Map();
  for (const s of schedule.sessions) {
    for (const l of s.links) if (!seen.has(l.person_id)) seen.set(l.person_id, { id: l.person_id, name: l.name, role: l.role });
  }
  return [...seen.values()];
}

/** "Weekly, 6 sessions from 3 Mar 2025, 18:00 (Europe/Madrid)". @param {Schedule} schedule */
export function scheduleSummary(schedule) {
  const count = schedule.sessions.length;
  const values = { repeat: schedule.repeat, count, zone: schedule.time_zone };
  if (!count) return t("admin.schedules.summary_empty", values);
  return t("admin.schedules.summary", { ...values, first: showStart(schedule.sessions[0].start, schedule.time_zone) });
}

/** A CSV cell: quoted when needed; a leading formula character guarded for spreadsheets. @param {string | number} value */
export function csvCell(value) {
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The links as CSV (name, role, session, local time, link), as copied for a mail merge. @param {ReturnType<typeof linkRows>} rows */
export function linksCsv(rows) {
  const out = [["name", "role", "session", "local_time", "link"].join(",")];
  for (const r of rows) out.push([r.name, r.role, r.session, r.localTimeText, r.url].map(csvCell).join(","));
  return `${out.join("\r\n")}\r\n`;
}

/** A file name from a title: letters, digits and dashes. @param {string} title */
export function fileSlug(title) {
  return title.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "sessions";
}
