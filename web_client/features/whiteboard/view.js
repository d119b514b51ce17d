// The shared whiteboard of the room one is in: a Yjs document synced with the server's copy over
// the call's socket.io connection, drawn on a canvas, with pen, highlighter, shapes, text, select
// and move, eraser, undo/redo of one's own changes, clear (mentors), cursors, PNG and SVG export.
//
// Self-contained: the page calls install(ctx) once, then joined(ack) after each successful
// `join` (a new socket after a reconnect too), left() when the call ends and stop() to remove it.
// ctx gives accessors, never state: container (an element to draw in), socket(), participantId(),
// role(), announce(text). Protocol: docs/PROTOCOL.md, "Whiteboard".

import * as Y from "./vendor/yjs.bundle.js";
import { BOARD, boardSvg, bounds, drawBoard, hits, readItem, readItems } from "./whiteboard_render.js";
import { el } from "./dom.js";

const LOCAL = "local"; // origin of this page's own changes (the undo manager tracks only these)
const REMOTE = "remote";
const SEND_MS = 50; // local changes are merged and sent at most this often
const CURSOR_MS = 100;
const CURSOR_TTL_MS = 10000;
const TEXT_MAX = 2000;
const COLORS = [["#111827", "Black"], ["#1d4ed8", "Blue"], ["#b91c1c", "Red"], ["#15803d", "Green"], ["#ca8a04", "Yellow"], ["#7c3aed", "Purple"]];
const WIDTHS = [[2, "Thin"], [4, "Medium"], [8, "Thick"], [16, "Extra thick"]];
const TOOLS = [
  ["select", "Select", "Select and move your items (V)", "v"],
  ["pen", "Pen", "Pen (P)", "p"],
  ["highlighter", "Highlighter", "Highlighter (H)", "h"],
  ["rect", "Rectangle", "Rectangle (R)", "r"],
  ["ellipse", "Ellipse", "Ellipse (O)", "o"],
  ["arrow", "Arrow", "Arrow (A)", "a"],
  ["line", "Line", "Line (L)", "l"],
  ["text", "Text", "Text box (T)", "t"],
  ["eraser", "Eraser", "Eraser: drag over your items (E)", "e"],
];
// Refusals that mean the server did not keep this page's last change: start again from its copy.
const DISCARD = new Set(["board_full", "payload_too_large", "invalid_payload", "not_allowed"]);
const MESSAGES = {
  board_full: "The board is full: delete some items, or ask the mentor to clear it.",
  payload_too_large: "That change is too big for the board; draw it in smaller pieces.",
  not_allowed: "You can watch the board but not draw on it.",
  rate_limited: "Drawing too fast for the board; some of it is being sent again.",
};

function toBuffer(u8) {
  // socket.io sends an ArrayBuffer as binary; a Uint8Array would arrive as a map of indices.
  return u8.byteOffset === 0 && u8.byteLength === u8.buffer.byteLength ? u8.buffer : u8.slice().buffer;
}

function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function install(ctx) {
  const root = el("section", { class: "wb", "aria-label": "Whiteboard" });
  const bar = el("div", { class: "wb-bar", role: "toolbar", "aria-label": "Whiteboard tools" });
  const stage = el("div", { class: "wb-stage" });
  const canvas = el("canvas", { class: "wb-canvas", role: "img", "aria-label": "Whiteboard, empty", tabindex: "0" });
  const status = el("p", { class: "wb-status", role: "status", "aria-live": "polite" });
  const shownPanel = el("div", { class: "wb-shown", hidden: "" });
  stage.append(canvas);
  root.append(bar, stage, status, shownPanel);
  ctx.container.append(root);

  const state = {
    doc: null, items: null, undo: null, room: null, synced: false, syncing: null,
    pending: [], sendTimer: 0, canDraw: false, canClear: false, canShow: false,
    tool: "pen", preferred: "pen", color: COLORS[0][0], width: WIDTHS[1][0],
    drawing: null, selected: null, cursors: new Map(), lastCursor: 0, cursorTimer: 0,
    counter: 0, socket: null, shown: null, frame: 0, stopped: false,
  };

  // -- toolbar ----------------------------------------------------------------------------------
  const toolButtons = new Map();
  const toolGroup = el("div", { class: "wb-group", role: "group", "aria-label": "Tool" });
  for (const [id, label, title] of TOOLS) {
    const b = el("button", { type: "button", class: "wb-tool", "data-tool": id, title, "aria-pressed": "false" }, label);
    b.addEventListener("click", () => {
      state.preferred = id;
      setTool(id);
    });
    toolButtons.set(id, b);
    toolGroup.append(b);
  }
  const colorSelect = el("select", { class: "wb-color", "aria-label": "Colour" });
  for (const [value, name] of COLORS) colorSelect.append(el("option", { value }, name));
  colorSelect.addEventListener("change", () => (state.color = colorSelect.value));
  const widthSelect = el("select", { class: "wb-width", "aria-label": "Line width" });
  for (const [value, name] of WIDTHS) widthSelect.append(el("option", { value: String(value) }, name));
  widthSelect.value = String(state.width);
  widthSelect.addEventListener("change", () => (state.width = Number(widthSelect.value)));
  const undoBtn = el("button", { type: "button", class: "wb-undo", title: "Undo your last change (Ctrl+Z)" }, "Undo");
  const redoBtn = el("button", { type: "button", class: "wb-redo", title: "Redo (Ctrl+Y)" }, "Redo");
  const deleteBtn = el("button", { type: "button", class: "wb-delete", title: "Delete the selected item (Delete)" }, "Delete");
  const clearBtn = el("button", { type: "button", class: "wb-clear", hidden: "" }, "Clear board");
  const pngBtn = el("button", { type: "button", class: "wb-png" }, "Save PNG");
  const svgBtn = el("button", { type: "button", class: "wb-svg" }, "Save SVG");
  const showSelect = el("select", { class: "wb-show", "aria-label": "Show a room's board to the main room", hidden: "" });
  undoBtn.addEventListener("click", () => undo());
  redoBtn.addEventListener("click", () => redo());
  deleteBtn.addEventListener("click", () => deleteSelected());
  clearBtn.addEventListener("click", () => clearBoard());
  pngBtn.addEventListener("click", async () => download(await exportPng(), fileName("png")));
  svgBtn.addEventListener("click", () => download(new Blob([exportSvg()], { type: "image/svg+xml" }), fileName("svg")));
  showSelect.addEventListener("focus", () => refreshShowList());
  showSelect.addEventListener("change", () => showRoom(showSelect.value || null));
  const drawGroup = el("div", { class: "wb-group", role: "group", "aria-label": "Style and edit" });
  drawGroup.append(colorSelect, widthSelect, undoBtn, redoBtn, deleteBtn, clearBtn);
  const fileGroup = el("div", { class: "wb-group", role: "group", "aria-label": "Export" });
  fileGroup.append(pngBtn, svgBtn, showSelect);
  bar.append(toolGroup, drawGroup, fileGroup);

  function setTool(id) {
    state.tool = id;
    for (const [t, b] of toolButtons) b.setAttribute("aria-pressed", String(t === id));
    canvas.dataset.tool = id;
    if (id !== "select") select(null);
  }

  function say(text) {
    status.textContent = text;
    if (ctx.announce) ctx.announce(text);
  }

  function fileName(ext) {
    return `whiteboard-${state.room || "main"}-${new Date().toISOString().slice(0, 16).replace(/[:T]/g, "-")}.${ext}`;
  }

  function applyPermissions() {
    for (const b of [...toolButtons.values(), undoBtn, redoBtn, deleteBtn, colorSelect, widthSelect]) b.disabled = !state.canDraw;
    toolButtons.get("select").disabled = false;
    clearBtn.hidden = !state.canClear;
    showSelect.hidden = !(state.canShow && state.room === "main");
    setTool(state.canDraw ? state.preferred : "select");
  }

  // -- the document and the server --------------------------------------------------------------
  function newDoc() {
    if (state.doc) state.doc.destroy();
    const doc = new Y.Doc();
    state.doc = doc;
    state.items = doc.getMap("items");
    state.undo = new Y.UndoManager(state.items, { trackedOrigins: new Set([LOCAL]), captureTimeout: 60000 });
    state.selected = null;
    state.pending = [];
    doc.on("update", (update, origin) => {
      if (origin !== REMOTE && doc === state.doc) queue(update);
      schedule();
    });
  }

  function queue(update) {
    state.pending.push(update);
    if (!state.sendTimer) state.sendTimer = setTimeout(flush, SEND_MS);
  }

  function flush() {
    state.sendTimer = 0;
    const socket = state.socket;
    if (!state.synced || !socket || !socket.connected || !state.pending.length) {
      if (state.pending.length && !state.sendTimer) state.sendTimer = setTimeout(flush, SEND_MS * 4);
      return;
    }
    const update = state.pending.length === 1 ? state.pending[0] : Y.mergeUpdates(state.pending);
    state.pending = [];
    const room = state.room;
    const doc = state.doc;
    socket.emit("board_update", { room, update: toBuffer(update) }, (ack) => {
      if (!ack || ack.ok || doc !== state.doc) return;
      const code = ack.error && ack.error.code;
      if (code === "not_same_room") return; // room_changed is on its way; that board is gone
      say(MESSAGES[code] || (ack.error && ack.error.message) || "The board did not take that change.");
      if (DISCARD.has(code)) resync(true);
      else resync(false);
    });
  }

  // Sync with the room's board. fresh: drop this page's copy first (its changes were refused).
  async function resync(fresh) {
    if (fresh) newDoc();
    await sync();
  }

  function sync() {
    const socket = state.socket;
    if (!socket || !state.room) return Promise.resolve();
    const room = state.room;
    const doc = state.doc;
    state.synced = false;
    const attempt = new Promise((resolve) => {
      socket.emit("board_sync", { room, state: toBuffer(Y.encodeStateVector(doc)) }, (ack) => {
        if (doc !== state.doc || room !== state.room) return resolve();
        if (!ack || !ack.ok) {
          say((ack && ack.error && ack.error.message) || "The whiteboard could not be loaded.");
          return resolve();
        }
        Y.applyUpdate(doc, new Uint8Array(ack.update), REMOTE);
        state.canDraw = ack.can_draw;
        state.canClear = ack.can_clear;
        state.canShow = ack.can_show;
        applyPermissions();
        // What this page has that the server lacks (changes made while disconnected).
        const missing = Y.encodeStateAsUpdate(doc, new Uint8Array(ack.state));
        state.pending = missing.length > 2 ? [missing] : [];
        state.synced = true;
        root.dataset.room = room;
        root.dataset.synced = "true";
        setShown(ack.shown);
        if (state.pending.length) flush();
        schedule();
        resolve();
      });
    });
    state.syncing = attempt;
    return attempt;
  }

  function enterRoom(room) {
    if (room === state.room && state.doc) return sync();
    state.room = room;
    state.cursors.clear();
    root.dataset.synced = "false";
    newDoc();
    return sync();
  }

  function attach(socket) {
    state.socket = socket;
    socket.on("board_update", ({ room, update } = {}) => {
      if (room !== state.room || !state.doc || !update) return;
      try {
        Y.applyUpdate(state.doc, new Uint8Array(update), REMOTE);
      } catch (err) {
        console.warn("whiteboard: an update did not apply; syncing again", err);
        resync(false);
      }
    });
    socket.on("board_cursors", ({ room, cursors } = {}) => {
      if (room !== state.room || !Array.isArray(cursors)) return;
      const now = performance.now();
      for (const c of cursors) {
        if (!c || c.from === ctx.participantId()) continue;
        if (c.x === null || c.x === undefined) state.cursors.delete(c.from);
        else state.cursors.set(c.from, { x: c.x, y: c.y, name: String(c.name || ""), at: now });
      }
      schedule();
    });
    socket.on("room_changed", ({ room } = {}) => {
      if (room && room.id) enterRoom(room.id);
    });
    socket.on("board_shown", ({ shown } = {}) => setShown(shown));
  }

  // -- local edits ------------------------------------------------------------------------------
  function newId() {
    state.counter += 1;
    return `${state.doc.clientID}-${Date.now().toString(36)}-${state.counter}`;
  }

  function topZ() {
    let z = 0;
    state.items.forEach((m) => {
      const v = m && typeof m.get === "function" ? m.get("z") : 0;
      if (typeof v === "number" && v > z) z = v;
    });
    return z + 1;
  }

  function change(fn) {
    state.doc.transact(fn, LOCAL);
  }

  function mine(item) {
    return item && item.author === ctx.participantId();
  }

  function mayEdit(item) {
    return mine(item) || state.canClear; // mentors tidy up anyone's items
  }

  function createItem(fields) {
    const id = newId();
    state.undo.stopCapturing();
    change(() => {
      const m = new Y.Map();
      for (const [k, v] of Object.entries(fields)) m.set(k, v);
      m.set("author", ctx.participantId());
      m.set("z", topZ());
      state.items.set(id, m);
    });
    return id;
  }

  function itemAt(x, y, editableOnly) {
    const list = readItems(state.items);
    for (let i = list.length - 1; i >= 0; i--) {
      if (hits(list[i], x, y) && (!editableOnly || mayEdit(list[i]))) return list[i];
    }
    return null;
  }

  function select(id) {
    state.selected = id;
    deleteBtn.disabled = !state.canDraw || !id;
    schedule();
  }

  function deleteSelected() {
    const id = state.selected;
    if (!id || !state.items.has(id)) return;
    state.undo.stopCapturing();
    change(() => state.items.delete(id));
    select(null);
    say("Item deleted.");
  }

  function undo() {
    state.undo.stopCapturing();
    if (!state.undo.undo()) say("Nothing of yours to undo.");
  }

  function redo() {
    if (!state.undo.redo()) say("Nothing to redo.");
  }

  function clearBoard() {
    if (!state.socket || !window.confirm("Clear the whole board for everyone in this room?")) return;
    state.socket.emit("board_clear", { room: state.room }, (ack) => {
      say(ack && ack.ok ? "The board was cleared." : (ack && ack.error && ack.error.message) || "The board was not cleared.");
    });
  }

  // -- pointer input ----------------------------------------------------------------------------
  function boardPoint(event) {
    const r = canvas.getBoundingClientRect();
    return { x: ((event.clientX - r.left) / r.width) * BOARD.w, y: ((event.clientY - r.top) / r.height) * BOARD.h };
  }

  function round(v) {
    return Math.round(v * 10) / 10;
  }

  canvas.addEventListener("pointerdown", (event) => {
    if (!state.synced || event.button !== 0) return;
    const p = boardPoint(event);
    canvas.setPointerCapture(event.pointerId);
    if (state.tool === "select" || !state.canDraw) {
      const hit = itemAt(p.x, p.y, true);
      select(hit ? hit.id : null);
      if (hit && state.canDraw) {
        state.undo.stopCapturing();
        state.drawing = { kind: "move", id: hit.id, last: p, x0: hit.x, y0: hit.y };
      }
      return;
    }
    if (state.tool === "eraser") {
      state.undo.stopCapturing();
      state.drawing = { kind: "erase" };
      erase(p);
      return;
    }
    if (state.tool === "text") {
      startText(p);
      return;
    }
    const base = { type: state.tool, color: state.color, width: state.tool === "highlighter" ? state.width * 3 : state.width, x: 0, y: 0 };
    if (state.tool === "pen" || state.tool === "highlighter") {
      const id = createItem({ ...base, points: Y.Array.from([round(p.x), round(p.y)]) });
      state.drawing = { kind: "stroke", id, last: p };
    } else {
      const id = createItem({ ...base, x: round(p.x), y: round(p.y), w: 0, h: 0 });
      state.drawing = { kind: "shape", id, start: p };
    }
  });

  canvas.addEventListener("pointermove", (event) => {
    const p = boardPoint(event);
    sendCursor(p);
    const d = state.drawing;
    if (!d) return;
    const item = state.items.get(d.id);
    if (d.kind === "erase") return erase(p);
    if (!item) return (state.drawing = null);
    if (d.kind === "stroke") {
      if (Math.hypot(p.x - d.last.x, p.y - d.last.y) < 1.5) return;
      d.last = p;
      change(() => item.get("points").push([round(p.x), round(p.y)]));
    } else if (d.kind === "shape") {
      change(() => {
        item.set("w", round(p.x - d.start.x));
        item.set("h", round(p.y - d.start.y));
      });
    } else if (d.kind === "move") {
      const dx = p.x - d.last.x, dy = p.y - d.last.y;
      d.last = p;
      change(() => {
        item.set("x", round((item.get("x") || 0) + dx));
        item.set("y", round((item.get("y") || 0) + dy));
      });
    }
  });

  const endStroke = () => {
    if (state.drawing) state.undo.stopCapturing();
    state.drawing = null;
  };
  canvas.addEventListener("pointerup", endStroke);
  canvas.addEventListener("pointercancel", endStroke);
  canvas.addEventListener("pointerleave", () => sendCursor(null));

  function erase(p) {
    const hit = itemAt(p.x, p.y, true);
    if (hit) change(() => state.items.delete(hit.id));
  }

  function startText(p) {
    const r = canvas.getBoundingClientRect();
    const input = el("textarea", { class: "wb-text-input", "aria-label": "Text for the board", maxlength: String(TEXT_MAX), rows: "2" });
    input.style.left = `${(p.x / BOARD.w) * r.width}px`;
    input.style.top = `${(p.y / BOARD.h) * r.height}px`;
    input.style.color = state.color;
    stage.append(input);
    input.focus();
    let done = false;
    const commit = () => {
      if (done) return;
      done = true;
      const text = input.value.trim().slice(0, TEXT_MAX);
      input.remove();
      if (text) createItem({ type: "text", color: state.color, width: state.width, x: round(p.x), y: round(p.y), text });
      canvas.focus();
    };
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        commit();
      } else if (e.key === "Escape") {
        input.value = "";
        commit();
      }
    });
    input.addEventListener("blur", commit);
  }

  function sendCursor(p) {
    const socket = state.socket;
    if (!socket || !socket.connected || !state.synced) return;
    const now = performance.now();
    const send = () => {
      state.lastCursor = performance.now();
      state.cursorTimer = 0;
      socket.emit("board_cursor", { room: state.room, x: state.nextCursor ? round(state.nextCursor.x) : null, y: state.nextCursor ? round(state.nextCursor.y) : null });
    };
    state.nextCursor = p;
    if (now - state.lastCursor >= CURSOR_MS) send();
    else if (!state.cursorTimer) state.cursorTimer = setTimeout(send, CURSOR_MS - (now - state.lastCursor));
  }

  root.addEventListener("keydown", (event) => {
    if (event.target instanceof HTMLTextAreaElement || event.target instanceof HTMLSelectElement) return;
    const key = event.key.toLowerCase();
    if ((event.ctrlKey || event.metaKey) && key === "z") {
      event.preventDefault();
      event.shiftKey ? redo() : undo();
    } else if ((event.ctrlKey || event.metaKey) && key === "y") {
      event.preventDefault();
      redo();
    } else if ((key === "delete" || key === "backspace") && state.selected) {
      event.preventDefault();
      deleteSelected();
    } else if (!event.ctrlKey && !event.metaKey && !event.altKey) {
      const tool = TOOLS.find((t) => t[3] === key);
      if (tool && (state.canDraw || tool[0] === "select")) {
        state.preferred = tool[0];
        setTool(tool[0]);
      }
    }
  });

  // -- drawing ----------------------------------------------------------------------------------
  function schedule() {
    if (!state.frame && !state.stopped) state.frame = requestAnimationFrame(render);
  }

  function fit() {
    const r = stage.getBoundingClientRect();
    const scale = Math.min(r.width / BOARD.w, r.height / BOARD.h) || 0.5;
    const cssW = Math.max(160, Math.floor(BOARD.w * scale));
    const cssH = Math.floor((cssW * BOARD.h) / BOARD.w);
    const dpr = window.devicePixelRatio || 1;
    canvas.style.width = `${cssW}px`;
    canvas.style.height = `${cssH}px`;
    if (canvas.width !== Math.round(cssW * dpr)) {
      canvas.width = Math.round(cssW * dpr);
      canvas.height = Math.round(cssH * dpr);
    }
  }

  function render() {
    state.frame = 0;
    if (!state.items) return;
    fit();
    const items = readItems(state.items);
    const now = performance.now();
    drawBoard(canvas, items, (g, scale) => {
      const sel = state.selected && state.items.has(state.selected) ? readItem(state.selected, state.items.get(state.selected)) : null;
      if (sel) {
        const b = bounds(sel, g);
        g.save();
        g.setLineDash([6, 4]);
        g.strokeStyle = "#2563eb";
        g.lineWidth = 1.5 / scale;
        g.strokeRect(b.x - 4, b.y - 4, b.w + 8, b.h + 8);
        g.restore();
      }
      for (const [id, c] of state.cursors) {
        if (now - c.at > CURSOR_TTL_MS) {
          state.cursors.delete(id);
          continue;
        }
        g.save();
        g.fillStyle = "#db2777";
        g.beginPath();
        g.arc(c.x, c.y, 5, 0, 2 * Math.PI);
        g.fill();
        g.font = `${13 / Math.max(scale, 0.4)}px system-ui, sans-serif`;
        g.fillText(c.name, c.x + 8, c.y - 8);
        g.restore();
      }
    });
    canvas.setAttribute("aria-label", items.length ? `Whiteboard with ${items.length} item${items.length === 1 ? "" : "s"}` : "Whiteboard, empty");
    canvas.dataset.items = String(items.length);
    undoBtn.disabled = !state.canDraw || !state.undo.canUndo();
    redoBtn.disabled = !state.canDraw || !state.undo.canRedo();
    if (state.cursors.size) setTimeout(schedule, 1000);
  }

  const resize = new ResizeObserver(() => schedule());
  resize.observe(stage);

  // -- export -----------------------------------------------------------------------------------
  function exportPng() {
    const out = document.createElement("canvas");
    out.width = BOARD.w;
    out.height = BOARD.h;
    drawBoard(out, state.items ? readItems(state.items) : []);
    return new Promise((resolve) => out.toBlob(resolve, "image/png"));
  }

  function exportSvg() {
    return boardSvg(state.items ? readItems(state.items) : [], `Whiteboard (${state.room || "main"})`);
  }

  // -- a breakout's board shown in the main room ------------------------------------------------
  function setShown(shown) {
    shownPanel.replaceChildren();
    state.shown = shown || null;
    if (!shown || !shown.update) {
      shownPanel.hidden = true;
      return;
    }
    const doc = new Y.Doc();
    Y.applyUpdate(doc, new Uint8Array(shown.update), REMOTE);
    const items = readItems(doc.getMap("items"));
    doc.destroy();
    const title = el("h3", {}, `Board from ${shown.name}`);
    const view = el("canvas", { class: "wb-shown-canvas", role: "img", "aria-label": `Board from ${shown.name}, ${items.length} items` });
    view.width = BOARD.w / 2;
    view.height = BOARD.h / 2;
    drawBoard(view, items);
    const close = el("button", { type: "button" }, "Hide");
    close.addEventListener("click", () => (shownPanel.hidden = true));
    shownPanel.append(title, view, close);
    shownPanel.hidden = false;
    say(`The mentor is showing the board from ${shown.name}.`);
  }

  function refreshShowList() {
    if (!state.socket) return;
    state.socket.emit("board_list", {}, (ack) => {
      if (!ack || !ack.ok) return;
      const current = showSelect.value;
      showSelect.replaceChildren(el("option", { value: "" }, "Show a board: none"));
      for (const b of ack.boards) {
        if (b.room === "main") continue;
        showSelect.append(el("option", { value: b.room }, `Show: ${b.name} (${b.items} items)`));
      }
      showSelect.value = ack.shown || current || "";
    });
  }

  function showRoom(room) {
    if (!state.socket) return;
    state.socket.emit("board_show", { room }, (ack) => {
      if (!ack || !ack.ok) say((ack && ack.error && ack.error.message) || "That board could not be shown.");
    });
  }

  newDoc();
  setTool("pen");
  applyPermissions();
  schedule();

  return {
    element: root,
    /** After each successful `join`: follow this socket, sync the board of the joiner's room. */
    joined(ack) {
      const socket = ctx.socket();
      if (socket !== state.socket) attach(socket);
      const room = (ack && ack.room && ack.room.id) || (ack && ack.participant && ack.participant.room) || "main";
      return enterRoom(room);
    },
    left() {
      state.synced = false;
      state.socket = null;
    },
    stop() {
      state.stopped = true;
      resize.disconnect();
      if (state.doc) state.doc.destroy();
      root.remove();
    },
    exportPng,
    exportSvg,
    /** For tests and the page: the board's items as plain objects. */
    items: () => (state.items ? readItems(state.items) : []),
    room: () => state.room,
    synced: () => state.synced,
  };
}
