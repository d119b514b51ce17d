// Breakout rooms as the page shows them: what the mentor's panel, the mentees' chooser and the
// room status line say, derived from the round (PROTOCOL.md "Breakout rooms"), the people and the
// server's clock. Pure functions: no DOM, no network; the words from the language catalogue.

import { MAIN, roomOf } from "../../core/store.js";
import { t } from "../../ui/i18n.js";

/**
 * @typedef {import("../../core/types.js").Breakouts} Breakouts
 * @typedef {import("../../core/types.js").Participant} Participant
 * @typedef {import("../../core/types.js").HelpRequest} HelpRequest
 * @typedef {"none" | "draft" | "open" | "closing"} Phase
 */

export const MANAGERS = new Set(["mentor", "admin"]);
export const DEFAULT_MINUTES = 15;
export const MAX_MINUTES = 240; // the server's limit: 60 s to 4 h
export const MAX_ROOMS = 50;
export const ROOM_NAME_MAX = 60; // rooms/room.py
/** The return countdowns a mentor can choose, in seconds, with their words ("i18n:" catalogue keys). */
export const CLOSE_COUNTDOWNS = /** @type {const} */ ([
  [10, "i18n:breakouts.close.in_10_seconds"],
  [30, "i18n:breakouts.close.in_30_seconds"],
  [60, "i18n:breakouts.close.in_1_minute"],
  [0, "i18n:breakouts.close.at_once"],
]);

/** The words of a table entry that names a catalogue key (i18n: and the key). @param {string} entry */
export function words(entry) {
  return t(entry.replace(/^i18n:/, ""));
}

/** 75 -> "1:15"; 4000 -> "1 h 6 min". @param {number} seconds */
export function formatSeconds(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m >= 60 ? t("breakouts.duration.hours_minutes", { hours: Math.floor(m / 60), minutes: m % 60 }) : `${m}:${String(s % 60).padStart(2, "0")}`;
}

/** "just now", "3 minutes ago". @param {number} seconds */
export function agoText(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return t("breakouts.ago", { minutes: s < 45 ? 0 : Math.round(s / 60) });
}

/** "1 person", "3 people". @param {number} count */
export function peopleCount(count) {
  return t("breakouts.people_count", { count });
}

/** @param {Breakouts | null} round @returns {Phase} */
export function phaseOf(round) {
  return round && round.state !== "closed" ? round.state : "none";
}

/** @param {string | null} role */
export function isManager(role) {
  return !!role && MANAGERS.has(role);
}

/**
 * A room's name: from the round, else the id (rooms are opaque ids).
 * @param {Breakouts | null} round
 * @param {string | null | undefined} id
 */
export function roomNameIn(round, id) {
  if (!id || id === MAIN) return t("breakouts.main_room");
  const r = round && round.rooms.find((x) => x.id === id);
  return r ? r.name : id;
}

/**
 * The people a mentor can place: everyone connected but oneself, and anyone assigned who has not
 * left, in join order.
 * @param {Iterable<Participant>} people
 * @param {Breakouts | null} round
 * @param {string | null} selfId
 */
export function placeable(people, round, selfId) {
  const assigned = new Set();
  for (const r of (round && round.rooms) || []) for (const id of r.assigned) assigned.add(id);
  return [...people]
    .filter((p) => p.id !== selfId && (p.state === "connected" || (assigned.has(p.id) && p.state !== "left")))
    .sort((a, b) => (a.joined_at || 0) - (b.joined_at || 0));
}

/** The number of rooms to suggest: one per pair of mentees. @param {Participant[]} candidates */
export function suggestedRoomCount(candidates) {
  const n = candidates.filter((p) => p.role === "mentee").length;
  return Math.min(MAX_ROOMS, Math.max(1, Math.floor(n / 2) || 1));
}

/**
 * The create form's payload, or the problem with what was typed.
 * @param {{names: string, count: string, allowChoice: boolean}} form
 * @returns {{payload: {names?: string[], count?: number, allow_choice: boolean}} | {problem: string}}
 */
export function createPayload({ names, count, allowChoice }) {
  const list = names.split("\n").map((s) => s.trim()).filter(Boolean);
  if (list.length) {
    // The server's own rules (rooms/breakout.py), said here in the person's language.
    if (list.length > MAX_ROOMS) return { problem: t("breakouts.problem.count", { max: MAX_ROOMS }) };
    if (list.some((name) => name.length > ROOM_NAME_MAX)) return { problem: t("breakouts.problem.name_long", { max: ROOM_NAME_MAX }) };
    const seen = new Set(list.map((name) => name.toLowerCase()));
    if (seen.size < list.length) return { problem: t("breakouts.problem.name_twice") };
    return { payload: { names: list, allow_choice: allowChoice } };
  }
  const n = Number(count);
  if (!Number.isInteger(n) || n < 1 || n > MAX_ROOMS) return { problem: t("breakouts.problem.count", { max: MAX_ROOMS }) };
  return { payload: { count: n, allow_choice: allowChoice } };
}

/**
 * The length of an open round in seconds (null: no limit), or the problem with what was typed.
 * @param {{minutes: string, noLimit: boolean}} form
 * @returns {{duration: number | null} | {problem: string}}
 */
export function openDuration({ minutes, noLimit }) {
  if (noLimit) return { duration: null };
  const m = Number(minutes);
  if (!Number.isFinite(m) || m < 1 || m > MAX_MINUTES) return { problem: t("breakouts.problem.minutes", { max: MAX_MINUTES }) };
  return { duration: Math.round(m * 60) };
}

/** @param {Breakouts} round @returns {Map<string, string>} participant id -> room id */
export function assignments(round) {
  const to = new Map();
  for (const r of round.rooms) for (const id of r.assigned) to.set(id, r.id);
  return to;
}

/** The draft's lead sentence. @param {Breakouts} round @param {number} waiting */
export function draftLead(round, waiting) {
  return [
    t("breakouts.draft.lead", { count: round.rooms.length }),
    round.allow_choice ? t("breakouts.draft.lead_choice") : t("breakouts.draft.lead_place"),
    waiting ? t("breakouts.draft.waiting", { count: waiting }) : t("breakouts.draft.all_assigned"),
  ].join(" ");
}

/** Help requests, oldest first. @param {Breakouts | null} round @returns {HelpRequest[]} */
export function helpQueue(round) {
  return [...((round && round.help) || [])].sort((a, b) => a.asked_at - b.asked_at);
}

/**
 * Help requests not seen before (by asker and time), and the new set of those seen.
 * @param {Breakouts | null} round
 * @param {Set<string>} seen
 */
export function newHelp(round, seen) {
  const help = helpQueue(round);
  const keys = new Set(help.map((h) => `${h.participant_id}@${h.asked_at}`));
  return { fresh: help.filter((h) => !seen.has(`${h.participant_id}@${h.asked_at}`)), seen: keys };
}

/**
 * What the panel's status line says when the round changes without the panel's own command
 * (the timer, another mentor), or null.
 * @param {Phase} before
 * @param {Phase} after
 */
export function phaseChangeText(before, after) {
  if (before === after) return null;
  if (after === "closing") return t("breakouts.phase.closing");
  if (after === "none" && (before === "open" || before === "closing")) return t("breakouts.phase.closed");
  if (after === "none" && before === "draft") return t("breakouts.phase.discarded");
  return null;
}

/**
 * The panel's clock line and its folded summary, once a second.
 * @param {Breakouts | null} round
 * @param {number} now  server time
 */
export function clockInfo(round, now) {
  const info = { text: "", short: "", urgent: false, canCut: false, hideCut: false };
  if (round && round.state === "open") {
    if (round.ends_at) {
      const left = round.ends_at - now;
      info.text = t("breakouts.clock.left", { time: formatSeconds(left) });
      info.short = t("breakouts.clock.short_open", { time: formatSeconds(left) });
      info.urgent = left <= 60;
      info.canCut = left > 60;
    } else {
      const open = round.opened_at ? now - round.opened_at : 0;
      info.text = t("breakouts.clock.no_limit", { time: formatSeconds(open) });
      info.short = t("breakouts.clock.short_no_limit");
      info.hideCut = true;
    }
  } else if (round && round.state === "closing") {
    const left = round.closing_ends_at ? round.closing_ends_at - now : 0;
    info.text = t("breakouts.clock.closing", { time: formatSeconds(left) });
    info.short = t("breakouts.clock.short_closing", { time: formatSeconds(left) });
    info.urgent = true;
  } else if (round && round.state === "draft") {
    info.short = t("breakouts.clock.short_draft");
  }
  return info;
}

/**
 * The confirmation after a time change.
 * @param {number} change  seconds added (negative: taken off)
 * @param {Breakouts | null} round
 * @param {number} now
 */
export function timeDone(change, round, now) {
  const minutes = Math.round(Math.abs(change) / 60);
  const left = round && round.ends_at ? formatSeconds(round.ends_at - now) : null;
  if (change >= 0) return left ? t("breakouts.done.added_left", { minutes, time: left }) : t("breakouts.done.added", { minutes });
  return left ? t("breakouts.done.cut_left", { minutes, time: left }) : t("breakouts.done.cut", { minutes });
}

/**
 * The mentees' chooser: shown while a round with `allow_choice` is a draft or open.
 * @param {Breakouts | null} round
 * @param {string | null} role
 * @param {string | null} selfId
 */
export function chooserInfo(round, role, selfId) {
  if (!round || !round.allow_choice || (round.state !== "draft" && round.state !== "open") || role !== "mentee") return null;
  const mine = round.rooms.find((r) => !!selfId && r.assigned.includes(selfId)) || null;
  const help =
    round.state === "draft"
      ? mine
        ? t("breakouts.choose.draft_chosen", { room: mine.name })
        : t("breakouts.choose.draft_pick")
      : mine
        ? t("breakouts.choose.open_in", { room: mine.name })
        : t("breakouts.choose.open_pick");
  const rooms = round.rooms.map((r) => ({
    id: r.id,
    name: r.name,
    count: peopleCount(round.state === "open" ? r.members.length : r.assigned.length),
    chosen: !!mine && mine.id === r.id,
  }));
  return { help, rooms };
}

/**
 * The line under the call's title: my room and the time left (the spoken warnings are notices).
 * @param {Breakouts | null} round
 * @param {string} room  my room
 * @param {string} roomName  its name
 * @param {number} now  server time
 */
export function roomStatusText(round, room, roomName, now) {
  const inBreakout = room !== MAIN;
  const name = inBreakout ? roomName : t("breakouts.main_room");
  if (round && round.state === "open" && round.ends_at) return t("breakouts.status.left", { room: name, time: formatSeconds(round.ends_at - now) });
  if (round && round.state === "closing" && round.closing_ends_at && inBreakout) {
    return t("breakouts.status.returning", { room: name, time: formatSeconds(round.closing_ends_at - now) });
  }
  return inBreakout || (round && round.state === "open") ? name : "";
}

/**
 * The "Ask for help" button: shown to mentees inside an open breakout room (observers' requests
 * are refused, so they get none); pressed while their request is waiting.
 * @param {Breakouts | null} round
 * @param {{room: string, role: string | null, selfId: string | null}} me
 */
export function helpButton(round, { room, role, selfId }) {
  const visible = !!round && round.state === "open" && room !== MAIN && role === "mentee";
  const asked = !!round && (round.help || []).some((h) => h.participant_id === selfId);
  return { visible, asked };
}

/**
 * The notice when the rooms start closing while I am in one, or null.
 * @param {Breakouts | null} before
 * @param {Breakouts | null} after
 * @param {string} room
 * @param {number} now
 */
export function closingNotice(before, after, room, now) {
  if (!after || !before || before.state === "closing" || after.state !== "closing" || room === MAIN) return null;
  const seconds = after.closing_ends_at ? Math.max(0, Math.round(after.closing_ends_at - now)) : null;
  return seconds ? t("breakouts.notice.closing_in", { seconds }) : t("breakouts.notice.closing");
}

/** @param {number | undefined} secondsLeft */
export function warningNotice(secondsLeft) {
  const minutes = Math.max(1, Math.round((Number(secondsLeft) || 60) / 60));
  return t("breakouts.notice.minutes_left", { minutes });
}

/**
 * Who to list in a live room card: those there now, then those assigned but elsewhere.
 * @param {import("../../core/types.js").BreakoutRoom} room
 * @param {Map<string, Participant>} people
 */
export function roomPeople(room, people) {
  /** @type {{person: Participant, away: boolean}[]} */
  const out = [];
  const shown = new Set();
  for (const id of room.members) {
    const p = people.get(id);
    if (!p) continue;
    shown.add(id);
    out.push({ person: p, away: false });
  }
  for (const id of room.assigned) {
    const p = people.get(id);
    if (!p || shown.has(id) || p.state === "left") continue;
    out.push({ person: p, away: true });
  }
  return out;
}

/**
 * Who is in the main room now (me first), for the overview.
 * @param {Iterable<Participant>} people
 * @param {string | null} selfId
 */
export function mainRoomPeople(people, selfId) {
  return [...people]
    .filter((p) => roomOf(p) === MAIN && (p.state === "connected" || p.id === selfId))
    .sort((a, b) => (a.id === selfId ? -1 : b.id === selfId ? 1 : (a.joined_at || 0) - (b.joined_at || 0)));
}
