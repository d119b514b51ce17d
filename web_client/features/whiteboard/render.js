// Drawing a whiteboard: board items (plain objects read from the Y.Doc) onto a 2D canvas, into an
// SVG document, and hit-testing for selection and the eraser. No state, no network.
//
// Board coordinates are logical: the board is BOARD.w x BOARD.h units whatever the window size,
// and each client scales it to fit, so everyone sees the same drawing.

export const BOARD = { w: 1600, h: 900 };
/**
 * A board item as this page draws it.
 * @typedef {object} Item
 * @property {string} id
 * @property {string} type
 * @property {string} author
 * @property {string} color
 * @property {number} width
 * @property {number} z
 * @property {number} x
 * @property {number} y
 * @property {number} w
 * @property {number} h
 * @property {string} text
 * @property {number[]} points
 */

export const KINDS = ["pen", "highlighter", "rect", "ellipse", "arrow", "line", "text"];
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
const COLOR = /^#[0-9a-fA-F]{6}$/;

/** @param {unknown} v @param {number} [fallback] @returns {number} */
function num(v, fallback = 0) {
  return typeof v === "number" && Number.isFinite(v) ? v : fallback;
}

/**
 * A board item as read from its Y.Map, checked: anything malformed gives null (not drawn).
 * @param {string} id
 * @param {any} ymap
 * @returns {Item | null}
 */
export function readItem(id, ymap) {
  if (!ymap || typeof ymap.get !== "function") return null;
  const type = ymap.get("type");
  if (!KINDS.includes(type)) return null;
  const color = ymap.get("color");
  const item = {
    id,
    type,
    author: String(ymap.get("author") || ""),
    color: typeof color === "string" && COLOR.test(color) ? color : "#111827",
    width: Math.min(64, Math.max(1, num(ymap.get("width"), 3))),
    z: num(ymap.get("z")),
    x: num(ymap.get("x")),
    y: num(ymap.get("y")),
    w: num(ymap.get("w")),
    h: num(ymap.get("h")),
    text: "",
    points: [],
  };
  if (type === "pen" || type === "highlighter") {
    const pts = ymap.get("points");
    const arr = pts && typeof pts.toArray === "function" ? pts.toArray() : [];
    item.points = arr.filter((/** @type {unknown} */ v) => typeof v === "number" && Number.isFinite(v));
    if (item.points.length % 2) item.points.pop();
  } else if (type === "text") {
    const t = ymap.get("text");
    item.text = typeof t === "string" ? t.slice(0, 2000) : "";
  }
  return item;
}

/**
 * Every drawable item of a board's `items` map, in drawing order.
 * @param {{forEach: (fn: (ymap: any, id: string) => void) => void}} itemsMap
 * @returns {Item[]}
 */
export function readItems(itemsMap) {
  /** @type {Item[]} */
  const out = [];
  itemsMap.forEach((ymap, id) => {
    const item = readItem(id, ymap);
    if (item) out.push(item);
  });
  out.sort((a, b) => a.z - b.z || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return out;
}

/** @param {Item} item */
function fontSize(item) {
  return Math.max(12, item.width * 6);
}

/** @param {Item} item */
function textLines(item) {
  return (item.text || " ").split("\n");
}

/**
 * The item's bounds in board units: {x, y, w, h} (w, h >= 0).
 * @param {Item} item
 * @param {CanvasRenderingContext2D | null} [ctx2d]  measures text when given
 */
export function bounds(item, ctx2d = null) {
  if (item.type === "pen" || item.type === "highlighter") {
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (let i = 0; i < item.points.length; i += 2) {
      minX = Math.min(minX, item.points[i]);
      maxX = Math.max(maxX, item.points[i]);
      minY = Math.min(minY, item.points[i + 1]);
      maxY = Math.max(maxY, item.points[i + 1]);
    }
    if (minX === Infinity) return { x: item.x, y: item.y, w: 0, h: 0 };
    const pad = item.width / 2;
    return { x: minX + item.x - pad, y: minY + item.y - pad, w: maxX - minX + 2 * pad, h: maxY - minY + 2 * pad };
  }
  if (item.type === "text") {
    const size = fontSize(item);
    const lines = textLines(item);
    let w = Math.max(...lines.map((l) => l.length)) * size * 0.55;
    if (ctx2d) {
      ctx2d.save();
      ctx2d.font = `${size}px ${FONT}`;
      w = Math.max(...lines.map((l) => ctx2d.measureText(l).width));
      ctx2d.restore();
    }
    return { x: item.x, y: item.y, w, h: lines.length * size * 1.25 };
  }
  return {
    x: Math.min(item.x, item.x + item.w),
    y: Math.min(item.y, item.y + item.h),
    w: Math.abs(item.w),
    h: Math.abs(item.h),
  };
}

/** @param {CanvasRenderingContext2D} g @param {number} x1 @param {number} y1 @param {number} x2 @param {number} y2 @param {number} size */
function arrowHead(g, x1, y1, x2, y2, size) {
  const a = Math.atan2(y2 - y1, x2 - x1);
  g.beginPath();
  g.moveTo(x2, y2);
  g.lineTo(x2 - size * Math.cos(a - Math.PI / 7), y2 - size * Math.sin(a - Math.PI / 7));
  g.moveTo(x2, y2);
  g.lineTo(x2 - size * Math.cos(a + Math.PI / 7), y2 - size * Math.sin(a + Math.PI / 7));
  g.stroke();
}

/** Draw one item on a 2D context already scaled to board units. @param {CanvasRenderingContext2D} g @param {Item} item */
export function drawItem(g, item) {
  g.save();
  g.strokeStyle = item.color;
  g.fillStyle = item.color;
  g.lineWidth = item.width;
  g.lineCap = "round";
  g.lineJoin = "round";
  if (item.type === "highlighter") {
    // Drawn like a pen, translucent.
    g.globalAlpha = 0.35;
    g.lineCap = "butt";
  }
  switch (item.type) {
    case "highlighter":
    case "pen": {
      const p = item.points;
      if (p.length >= 2) {
        g.beginPath();
        g.moveTo(p[0] + item.x, p[1] + item.y);
        if (p.length === 2) g.lineTo(p[0] + item.x + 0.01, p[1] + item.y);
        for (let i = 2; i < p.length; i += 2) g.lineTo(p[i] + item.x, p[i + 1] + item.y);
        g.stroke();
      }
      break;
    }
    case "rect":
      g.strokeRect(item.x, item.y, item.w, item.h);
      break;
    case "ellipse":
      g.beginPath();
      g.ellipse(item.x + item.w / 2, item.y + item.h / 2, Math.abs(item.w / 2), Math.abs(item.h / 2), 0, 0, 2 * Math.PI);
      g.stroke();
      break;
    case "line":
    case "arrow":
      g.beginPath();
      g.moveTo(item.x, item.y);
      g.lineTo(item.x + item.w, item.y + item.h);
      g.stroke();
      if (item.type === "arrow") arrowHead(g, item.x, item.y, item.x + item.w, item.y + item.h, 10 + item.width * 2);
      break;
    case "text": {
      const size = fontSize(item);
      g.font = `${size}px ${FONT}`;
      g.textBaseline = "top";
      textLines(item).forEach((line, i) => g.fillText(line, item.x, item.y + i * size * 1.25));
      break;
    }
  }
  g.restore();
}

/**
 * Draw a whole board on `canvas` (its pixel size decides the scale), with a white background.
 * @param {HTMLCanvasElement} canvas
 * @param {Item[]} items
 * @param {((g: CanvasRenderingContext2D, scale: number) => void) | null} [extra]  drawn on top
 */
export function drawBoard(canvas, items, extra = null) {
  const g = canvas.getContext("2d");
  if (!g) return;
  const scale = canvas.width / BOARD.w;
  g.setTransform(1, 0, 0, 1, 0, 0);
  g.fillStyle = "#ffffff";
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.setTransform(scale, 0, 0, scale, 0, 0);
  for (const item of items) drawItem(g, item);
  if (extra) extra(g, scale);
}

/** @param {string} text */
function esc(text) {
  /** @type {Record<string, string>} */
  const entities = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  return String(text).replace(/[&<>"']/g, (c) => entities[c]);
}

/** @param {Item} item */
function svgItem(item) {
  const s = `stroke="${item.color}" stroke-width="${item.width}" fill="none" stroke-linecap="round" stroke-linejoin="round"`;
  switch (item.type) {
    case "pen":
    case "highlighter": {
      const pts = [];
      for (let i = 0; i < item.points.length; i += 2) pts.push(`${item.points[i] + item.x},${item.points[i + 1] + item.y}`);
      const alpha = item.type === "highlighter" ? ' stroke-opacity="0.35"' : "";
      return `<polyline points="${pts.join(" ")}" ${s}${alpha}/>`;
    }
    case "rect": {
      const b = bounds(item);
      return `<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" ${s}/>`;
    }
    case "ellipse":
      return `<ellipse cx="${item.x + item.w / 2}" cy="${item.y + item.h / 2}" rx="${Math.abs(item.w / 2)}" ry="${Math.abs(item.h / 2)}" ${s}/>`;
    case "line":
    case "arrow": {
      const x2 = item.x + item.w, y2 = item.y + item.h;
      let out = `<line x1="${item.x}" y1="${item.y}" x2="${x2}" y2="${y2}" ${s}/>`;
      if (item.type === "arrow") {
        const a = Math.atan2(item.h, item.w), size = 10 + item.width * 2;
        const p = (/** @type {number} */ d) => `${x2 - size * Math.cos(a + d)},${y2 - size * Math.sin(a + d)}`;
        out += `<polyline points="${p(-Math.PI / 7)} ${x2},${y2} ${p(Math.PI / 7)}" ${s}/>`;
      }
      return out;
    }
    case "text": {
      const size = fontSize(item);
      return textLines(item)
        .map((line, i) => `<text x="${item.x}" y="${item.y + i * size * 1.25}" font-size="${size}" font-family="${esc(FONT)}" fill="${item.color}" dominant-baseline="hanging">${esc(line)}</text>`)
        .join("");
    }
  }
  return "";
}

/** The board as a standalone SVG document. @param {Item[]} items @param {string} title  its <title>, in the page's language */
export function boardSvg(items, title) {
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${BOARD.w}" height="${BOARD.h}" viewBox="0 0 ${BOARD.w} ${BOARD.h}">`,
    `<title>${esc(title)}</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    ...items.map(svgItem),
    `</svg>`,
  ].join("\n");
}

/** @param {number} px @param {number} py @param {number} x1 @param {number} y1 @param {number} x2 @param {number} y2 */
function segmentDistance(px, py, x1, y1, x2, y2) {
  const dx = x2 - x1, dy = y2 - y1;
  const len = dx * dx + dy * dy;
  const t = len ? Math.max(0, Math.min(1, ((px - x1) * dx + (py - y1) * dy) / len)) : 0;
  return Math.hypot(px - (x1 + t * dx), py - (y1 + t * dy));
}

/** Whether board point (px, py) is within `slack` units of the item's ink. @param {Item} item @param {number} px @param {number} py @param {number} [slack] */
export function hits(item, px, py, slack = 6) {
  const reach = item.width / 2 + slack;
  switch (item.type) {
    case "pen":
    case "highlighter": {
      const p = item.points;
      if (p.length === 2) return Math.hypot(px - p[0] - item.x, py - p[1] - item.y) <= reach;
      for (let i = 2; i < p.length; i += 2) {
        if (segmentDistance(px, py, p[i - 2] + item.x, p[i - 1] + item.y, p[i] + item.x, p[i + 1] + item.y) <= reach) return true;
      }
      return false;
    }
    case "line":
    case "arrow":
      return segmentDistance(px, py, item.x, item.y, item.x + item.w, item.y + item.h) <= reach;
    default: {
      const b = bounds(item);
      return px >= b.x - reach && px <= b.x + b.w + reach && py >= b.y - reach && py <= b.y + b.h + reach;
    }
  }
}
