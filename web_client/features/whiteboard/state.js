// Whiteboard constants and rules (PROTOCOL.md "Whiteboard"), and the board in words (its items
// for a screen reader's list). Pure: no DOM, no network; words from the catalogue (ui/i18n.js).
// Tables hold catalogue keys as "i18n:<key>"; `words()` gives them in the page's language.

import { t } from "../../ui/i18n.js";
import { refusedWords } from "../../ui/wording.js";

/** [value, name] */
export const COLORS = /** @type {const} */ ([
  ["#111827", "i18n:whiteboard.color.black"],
  ["#1d4ed8", "i18n:whiteboard.color.blue"],
  ["#b91c1c", "i18n:whiteboard.color.red"],
  ["#15803d", "i18n:whiteboard.color.green"],
  ["#ca8a04", "i18n:whiteboard.color.yellow"],
  ["#7c3aed", "i18n:whiteboard.color.purple"],
]);
/** [width, name] */
export const WIDTHS = /** @type {const} */ ([
  [2, "i18n:whiteboard.width.thin"],
  [4, "i18n:whiteboard.width.medium"],
  [8, "i18n:whiteboard.width.thick"],
  [16, "i18n:whiteboard.width.extra_thick"],
]);
/** [tool, label, tooltip (with `{key}`), key] */
export const TOOLS = /** @type {const} */ ([
  ["select", "i18n:whiteboard.tool.select", "i18n:whiteboard.tool.select_hint", "v"],
  ["pen", "i18n:whiteboard.tool.pen", "i18n:whiteboard.tool.pen_hint", "p"],
  ["highlighter", "i18n:whiteboard.tool.highlighter", "i18n:whiteboard.tool.highlighter_hint", "h"],
  ["rect", "i18n:whiteboard.tool.rect", "i18n:whiteboard.tool.rect_hint", "r"],
  ["ellipse", "i18n:whiteboard.tool.ellipse", "i18n:whiteboard.tool.ellipse_hint", "o"],
  ["arrow", "i18n:whiteboard.tool.arrow", "i18n:whiteboard.tool.arrow_hint", "a"],
  ["line", "i18n:whiteboard.tool.line", "i18n:whiteboard.tool.line_hint", "l"],
  ["text", "i18n:whiteboard.tool.text", "i18n:whiteboard.tool.text_hint", "t"],
  ["eraser", "i18n:whiteboard.tool.eraser", "i18n:whiteboard.tool.eraser_hint", "e"],
]);

/**
 * The words of an "i18n:<key>" reference of these tables.
 * @param {string} ref
 * @param {Record<string, string | number>} [values]
 */
export function words(ref, values) {
  return t(ref.slice("i18n:".length), values);
}
export const TEXT_MAX = 2000;

// Refusals that mean the server did not keep this page's last change: start again from its copy.
// (`board_deleted`: the copy the change was made on is of a board deleted since.)
const DISCARD = new Set(["board_full", "payload_too_large", "invalid_payload", "not_allowed", "board_deleted"]);
const MESSAGES = /** @type {Record<string, string>} */ ({
  board_full: "i18n:whiteboard.refusal.board_full",
  board_deleted: "i18n:whiteboard.refusal.board_deleted",
  payload_too_large: "i18n:whiteboard.refusal.payload_too_large",
  not_allowed: "i18n:whiteboard.refusal.not_allowed",
  rate_limited: "i18n:whiteboard.refusal.rate_limited",
  board_out_of_order: "i18n:whiteboard.refusal.board_out_of_order",
});

/**
 * What to do when the server refused an update: what to say, whether to sync again at all (not
 * after `not_same_room`: the room changed and that board is gone) and whether to drop this page's
 * copy first.
 * @param {import("../../core/types.js").ErrorBody} error
 */
export function afterRefusal(error) {
  if (error.code === "not_same_room") return { resync: false, fresh: false, message: "" };
  return {
    resync: true,
    fresh: DISCARD.has(error.code),
    message: MESSAGES[error.code] ? words(MESSAGES[error.code]) : refusedWords(error, "whiteboard.refusal.other"),
  };
}

/** A board coordinate rounded to a tenth of a unit (smaller updates). @param {number} v */
export function roundCoord(v) {
  return Math.round(v * 10) / 10;
}

/**
 * A Uint8Array as an ArrayBuffer: socket.io sends an ArrayBuffer as binary, a Uint8Array would
 * arrive as a map of indices.
 * @param {Uint8Array} u8
 * @returns {ArrayBuffer}
 */
export function toBuffer(u8) {
  return u8.byteOffset === 0 && u8.byteLength === u8.buffer.byteLength ? /** @type {ArrayBuffer} */ (u8.buffer) : /** @type {ArrayBuffer} */ (u8.slice().buffer);
}

/** The file name of an export. @param {string | null} room @param {string} ext @param {Date} [when] */
export function exportName(room, ext, when = new Date()) {
  const safeRoom = String(room || "main").replace(/[^A-Za-z0-9_-]+/g, "-");
  return `whiteboard-${safeRoom}-${when.toISOString().slice(0, 16).replace(/[:T]/g, "-")}.${ext}`;
}

/** Whether I may move, delete or erase an item: my own, or anyone's for those who may clear. */
/** @param {{author: string} | null} item @param {string | null} me @param {boolean} canClear */
export function mayEdit(item, me, canClear) {
  return !!item && (item.author === me || canClear);
}

/** The canvas's accessible name. @param {number} count */
export function boardLabel(count) {
  return t("whiteboard.label", { count });
}

const KINDS_SPOKEN = new Set(["rect", "ellipse", "arrow", "line", "pen", "highlighter", "text"]);

/**
 * One item of the board in words, for the list of items: its kind (a text note with its text),
 * and who added it when the page knows ("Your rectangle", "Text note by Ana: Plan").
 * @param {{type: string, author: string, text?: string}} item
 * @param {string | null} me  my participant id
 * @param {(id: string) => string | null} nameOf  a person's name, null when unknown
 */
export function itemDescription(item, me, nameOf) {
  const type = KINDS_SPOKEN.has(item.type) ? item.type : "other";
  const text = item.text || "";
  if (item.author && item.author === me) return t("whiteboard.item.yours", { type, text });
  const name = item.author ? nameOf(item.author) : null;
  if (name) return t("whiteboard.item.by", { type, text, name, kind: t("whiteboard.item.kind", { type, text }) });
  return t("whiteboard.item.kind", { type, text });
}
/**
 * What a screen reader hears when others add items: nothing when none, the one item in words, or
 * how many.
 * @param {{type: string, author: string, text?: string}[]} added  others' new items
 * @param {string | null} me
 * @param {(id: string) => string | null} nameOf
 */
export function addedAnnouncement(added, me, nameOf) {
  if (!added.length) return "";
  if (added.length === 1) return t("whiteboard.items.added_one", { item: itemDescription(added[0], me, nameOf) });
  return t("whiteboard.items.added_many", { count: added.length });
}

/**
 * Items that are new since the last look and were added by someone else (the ids seen are
 * updated in place).
 * @template {{id: string, author: string}} I
 * @param {Set<string>} seen
 * @param {I[]} items
 * @param {string | null} me
 * @returns {I[]}
 */
export function newFromOthers(seen, items, me) {
  const added = items.filter((i) => !seen.has(i.id) && i.author !== me);
  seen.clear();
  for (const i of items) seen.add(i.id);
  return added;
}

const SHAPES = new Set(["rect", "ellipse", "arrow", "line"]);
const KEY_SHAPE = { w: 240, h: 140 };

/**
 * What Enter on the focused canvas adds with the current tool (the keyboard's way to draw): a shape
 * of a usual size in the middle of the board, or the place of a text note there; each further one
 * a little lower and to the right so they do not hide each other. Null for tools that need a
 * pointer (pen, highlighter, eraser, select).
 * @param {string} tool
 * @param {number} count  how many were added by keyboard before
 * @param {{w: number, h: number}} board
 * @returns {{kind: "shape", x: number, y: number, w: number, h: number} | {kind: "text", x: number, y: number} | null}
 */
export function keyboardPlacement(tool, count, board) {
  const step = (count % 8) * 24;
  const cx = board.w / 2 + step, cy = board.h / 2 + step;
  // A note goes under the shapes of the middle, so that it does not sit inside one.
  if (tool === "text") return { kind: "text", x: cx - KEY_SHAPE.w / 2, y: cy + KEY_SHAPE.h / 2 + 40 };
  if (!SHAPES.has(tool)) return null;
  const h = tool === "arrow" || tool === "line" ? 0 : KEY_SHAPE.h;
  return { kind: "shape", x: cx - KEY_SHAPE.w / 2, y: cy - h / 2, w: KEY_SHAPE.w, h };
}
