// Whiteboard constants and rules (PROTOCOL.md "Whiteboard"). Pure: no DOM, no network.

export const COLORS = /** @type {const} */ ([["#111827", "Black"], ["#1d4ed8", "Blue"], ["#b91c1c", "Red"], ["#15803d", "Green"], ["#ca8a04", "Yellow"], ["#7c3aed", "Purple"]]);
export const WIDTHS = /** @type {const} */ ([[2, "Thin"], [4, "Medium"], [8, "Thick"], [16, "Extra thick"]]);
/** [tool, label, tooltip, key] */
export const TOOLS = /** @type {const} */ ([
  ["select", "Select", "Select and move your items (V)", "v"],
  ["pen", "Pen", "Pen (P)", "p"],
  ["highlighter", "Highlighter", "Highlighter (H)", "h"],
  ["rect", "Rectangle", "Rectangle (R)", "r"],
  ["ellipse", "Ellipse", "Ellipse (O)", "o"],
  ["arrow", "Arrow", "Arrow (A)", "a"],
  ["line", "Line", "Line (L)", "l"],
  ["text", "Text", "Text box (T)", "t"],
  ["eraser", "Eraser", "Eraser: drag over your items (E)", "e"],
]);
export const TEXT_MAX = 2000;

// Refusals that mean the server did not keep this page's last change: start again from its copy.
const DISCARD = new Set(["board_full", "payload_too_large", "invalid_payload", "not_allowed"]);
const MESSAGES = /** @type {Record<string, string>} */ ({
  board_full: "The board is full: delete some items, or ask the mentor to clear it.",
  payload_too_large: "That change is too big for the board; draw it in smaller pieces.",
  not_allowed: "You can watch the board but not draw on it.",
  rate_limited: "Drawing too fast for the board; some of it is being sent again.",
  board_out_of_order: "Catching up with the board; your latest drawing is being sent again.",
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
    message: MESSAGES[error.code] || error.message || "The board did not take that change.",
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
  return count ? `Whiteboard with ${count} item${count === 1 ? "" : "s"}` : "Whiteboard, empty";
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
