// Attendance report rendering shared by the admin page and the live overview in the call:
// a table of people and a timeline picture of who was in which room when.
// Input: the report object of GET /api/attendance/sessions/{id} or the `attendance` socket event
// (docs/PROTOCOL.md). Only DOM and SVG; no inline styles (the pages' CSP forbids them).

import { el } from "./ui/dom.js";
import { formatDateTime, formatNumber, formatTime, t } from "./ui/i18n.js";

const SVG = "http://www.w3.org/2000/svg";
// Room colours: main room first, then breakout rooms in order. Chosen to stay apart for the
// common kinds of colour blindness; the room name is also in every bar's tooltip and the legend.
const PALETTE = ["#4c6ef5", "#f08c00", "#2f9e44", "#c2255c", "#1098ad", "#7048e8", "#e8590c",
                 "#5c940d", "#862e9c", "#0b7285"];

/**
 * The report of the attendance API and the `attendance` event (PROTOCOL.md "Attendance"), as far
 * as these views read it.
 * @typedef {{id: string, name: string}} ReportRoom
 * @typedef {{room: string, start: number, end: number}} Segment
 * @typedef {{person_id: string, name: string, segments: Segment[]}} TimelineLine
 * @typedef {{person_id: string, name?: string, status: string, participant_ids: string[], on_roster?: boolean, [column: string]: any}} PersonRow
 * @typedef {{rooms?: ReportRoom[], people?: PersonRow[], timeline?: TimelineLine[], as_of?: number, ended_at?: number | null}} Report
 */

/** @param {Report} report @returns {Map<string, string>} room id -> colour */
export function roomColours(report) {
  const colours = new Map();
  (report.rooms || []).forEach((room, i) => colours.set(room.id, PALETTE[i % PALETTE.length]));
  return colours;
}

const MAIN_ROOM = "main";

/** A room's name: the main room's in the person's language, a breakout room's as the mentor typed it. @param {Report} report @param {string} id */
export function roomName(report, id) {
  if (id === MAIN_ROOM) return t("attendance.main_room");
  const room = (report.rooms || []).find((r) => r.id === id);
  return room ? room.name : id;
}

/** A duration in minutes ("12 min", "3.5 min", "40 s" under a minute). @param {number | null | undefined} value */
export function fmtMinutes(value) {
  if (value === null || value === undefined) return "–";
  const v = Number(value);
  if (v > 0 && v < 1) return t("attendance.duration_seconds", { seconds: Math.round(v * 60) });
  return t("attendance.duration_minutes", { minutes: v < 10 ? Math.round(v * 10) / 10 : Math.round(v) });
}

/** A time of day in the person's language and time zone. @param {number | null | undefined} epoch @param {boolean} [withSeconds] */
export function fmtTime(epoch, withSeconds = false) {
  if (epoch === null || epoch === undefined) return "–";
  if (!withSeconds) return formatTime(epoch * 1000);
  return formatDateTime(epoch * 1000, { hour: "numeric", minute: "2-digit", second: "2-digit" });
}

/** A date and time in the person's language and time zone. @param {number | null | undefined} epoch */
export function fmtDateTime(epoch) {
  if (epoch === null || epoch === undefined) return "–";
  return formatDateTime(epoch * 1000);
}

/** @param {number | null | undefined} value */
function fmtShare(value) {
  return value === null || value === undefined ? "–" : formatNumber(value, { style: "percent" });
}

/** A count (chat messages, reactions …). @param {number | null | undefined} value */
function fmtCount(value) {
  return value === null || value === undefined ? "–" : formatNumber(value);
}

/** @param {string} tag @param {Record<string, string | number | undefined>} [attrs] */
function svg(tag, attrs = {}) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/**
 * A person's check-in and rating cells: the words where the report has them (the admin's, or
 * a mentor's where the person shared them), otherwise only that they were given.
 * @param {{checked_in?: boolean, check_in?: string | null, rated?: boolean, rating?: number | null, rating_comment?: string | null}} p
 */
export function feedbackCells(p) {
  const checkIn = p.check_in ? p.check_in : p.checked_in ? t("attendance.checked_in_private") : "–";
  const rating = p.rating
    ? p.rating_comment ? t("attendance.rating_with_comment", { rating: p.rating, comment: p.rating_comment }) : `${p.rating}/5`
    : p.rated ? t("attendance.rated_private") : "–";
  return { checkIn, rating };
}

/**
 * Columns of the people table: [id, heading, cell(person, report) -> text]. The id names the
 * column in the page (`data-col`) whatever the language.
 * @typedef {[string, string, (p: any, r: any) => string]} Column
 * @param {boolean} compact
 * @returns {Column[]}
 */
function columns(compact) {
  /** @type {Column[]} */
  const all = [
    ["name", "i18n:attendance.col.name", (p) => p.name || p.person_id],
    ["role", "i18n:attendance.col.role", (p) => (p.role ? t("attendance.role", { role: p.role }) : "–")],
    ["status", "i18n:attendance.col.status", (p) => t("attendance.status", { status: p.status })],
    ["first_join", "i18n:attendance.col.first_join", (p) => fmtTime(p.first_join)],
    ["last_leave", "i18n:attendance.col.last_leave", (p) => (p.status === "present" ? t("attendance.still_here") : fmtTime(p.last_leave))],
    ["present", "i18n:attendance.col.present", (p) => fmtMinutes(p.minutes_present)],
    ["rooms", "i18n:attendance.col.rooms", (p, r) => Object.entries(p.minutes_by_room || {})
      .map(([room, m]) => t("attendance.room_minutes", { room: roomName(r, room), duration: fmtMinutes(m) })).join(", ") || "–"],
    ["late", "i18n:attendance.col.late", (p) => fmtMinutes(p.lateness_minutes)],
    ["reconnects", "i18n:attendance.col.reconnects", (p) => fmtCount(p.reconnects)],
    ["speaking", "i18n:attendance.col.speaking", (p) => fmtMinutes(p.speaking_minutes)],
    ["talk_share", "i18n:attendance.col.talk_share", (p) => fmtShare(p.talk_share)],
    ["chat", "i18n:attendance.col.chat", (p) => fmtCount(p.chat_messages)],
    ["reactions", "i18n:attendance.col.reactions", (p) => fmtCount(p.reactions)],
    ["hands", "i18n:attendance.col.hands", (p) => fmtCount(p.hands_raised)],
    ["help", "i18n:attendance.col.help", (p) => fmtCount(p.help_requests)],
    ["board_edits", "i18n:attendance.col.board_edits", (p) => fmtCount(p.whiteboard_edits)],
    ["check_in", "i18n:attendance.col.check_in", (p) => feedbackCells(p).checkIn],
    ["rating", "i18n:attendance.col.rating", (p) => feedbackCells(p).rating],
  ];
  if (!compact) return all;
  const keep = new Set(["name", "status", "present", "rooms", "speaking", "talk_share", "chat", "hands", "check_in", "rating"]);
  return all.filter(([id]) => keep.has(id));
}

/** The words of a catalogue key held in a table as "i18n:" and the key. @param {string} ref */
const words = (ref) => t(ref.slice("i18n:".length));

/**
 * Fill `table` with one row per person. options.compact: fewer columns (the call's side panel);
 * options.actions(person) -> element or null: an extra last cell (the admin's delete button).
 * @param {HTMLTableElement} table
 * @param {Report} report
 * @param {{compact?: boolean, caption?: string, actions?: (p: PersonRow) => HTMLElement | null}} [options]
 */
export function renderTable(table, report, options = {}) {
  const cols = columns(!!options.compact);
  table.replaceChildren();
  if (options.caption) table.append(el("caption", {}, options.caption));
  const head = el("thead");
  const tr = el("tr");
  for (const [, heading] of cols) tr.append(el("th", { scope: "col" }, words(heading)));
  if (options.actions) tr.append(el("th", { scope: "col" }, t("attendance.col.records")));
  head.append(tr);
  const body = el("tbody");
  for (const p of report.people || []) {
    const row = el("tr", { "data-person": p.person_id, class: `status-${p.status}` });
    cols.forEach(([id, , cell], i) => {
      const text = cell(p, report);
      row.append(i === 0 ? el("th", { scope: "row" }, text) : el("td", { "data-col": id }, text));
    });
    if (options.actions) {
      const td = el("td");
      const action = options.actions(p);
      if (action) td.append(action);
      row.append(td);
    }
    body.append(row);
  }
  if (!(report.people || []).length) {
    const row = el("tr");
    row.append(el("td", { colspan: String(cols.length + (options.actions ? 1 : 0)) }, t("attendance.nobody_yet")));
    body.append(row);
  }
  table.append(head, body);
}

/**
 * Draw the timeline into `container` (an element): one line per person, a bar per stretch of
 * time in a room, coloured by room, with a legend and a time axis.
 * @param {HTMLElement} container
 * @param {Report} report
 */
export function renderTimeline(container, report) {
  container.replaceChildren();
  const lines = (report.timeline || []).filter((t) => t.segments.length);
  const spans = lines.flatMap((t) => t.segments);
  if (!spans.length) {
    container.append(el("p", { class: "timeline-empty" }, t("attendance.timeline_empty")));
    return;
  }
  const colours = roomColours(report);
  const start = Math.min(...spans.map((s) => s.start));
  const end = Math.max(report.as_of && !report.ended_at ? report.as_of : 0, ...spans.map((s) => s.end));
  const total = Math.max(end - start, 1);
  const labelW = 150;
  const width = 760;
  const rowH = 26;
  const top = 8;
  const axisH = 24;
  const height = top + lines.length * rowH + axisH;
  const x = (/** @type {number} */ t) => labelW + ((t - start) / total) * (width - labelW - 10);
  const picture = svg("svg", {
    viewBox: `0 0 ${width} ${height}`, role: "img", class: "timeline-svg",
    "aria-label": t("attendance.timeline_label", { count: lines.length, start: fmtTime(start), end: fmtTime(end) }),
  });
  lines.forEach((line, i) => {
    const y = top + i * rowH;
    const label = svg("text", { x: labelW - 8, y: y + rowH / 2 + 4, "text-anchor": "end", class: "timeline-name" });
    label.textContent = line.name || line.person_id;
    picture.append(label);
    picture.append(svg("line", { x1: labelW, x2: width - 10, y1: y + rowH / 2, y2: y + rowH / 2, class: "timeline-track" }));
    for (const s of line.segments) {
      const bar = svg("rect", {
        x: x(s.start), y: y + 5, width: Math.max(x(s.end) - x(s.start), 1.5), height: rowH - 10, rx: 3,
        fill: colours.get(s.room) || "#868e96", "data-room": s.room, class: "timeline-bar",
      });
      const title = svg("title");
      title.textContent = t("attendance.timeline_bar", {
        name: line.name || line.person_id, room: roomName(report, s.room), start: fmtTime(s.start, true),
        end: fmtTime(s.end, true), duration: fmtMinutes((s.end - s.start) / 60),
      });
      bar.append(title);
      picture.append(bar);
    }
  });
  const axisY = top + lines.length * rowH + 4;
  const ticks = 5;
  for (let i = 0; i <= ticks; i++) {
    const t = start + (total * i) / ticks;
    const tick = svg("text", { x: x(t), y: axisY + 14, "text-anchor": i === 0 ? "start" : i === ticks ? "end" : "middle", class: "timeline-axis" });
    tick.textContent = fmtTime(t, total < 600);
    picture.append(tick);
  }
  container.append(picture);
  const legend = el("ul", { class: "timeline-legend", "aria-label": t("attendance.legend_label") });
  for (const room of report.rooms || []) {
    if (!spans.some((s) => s.room === room.id)) continue;
    const item = el("li");
    const swatch = svg("svg", { width: 12, height: 12, "aria-hidden": "true" });
    swatch.append(svg("rect", { width: 12, height: 12, rx: 2, fill: colours.get(room.id) }));
    item.append(swatch, document.createTextNode(` ${roomName(report, room.id)}`));
    legend.append(item);
  }
  container.append(legend);
}
