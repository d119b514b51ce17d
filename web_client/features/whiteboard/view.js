// The whiteboard on screen: toolbar, canvas with pen, highlighter, shapes, text, select and move,
// eraser, undo/redo of one's own changes, clear (mentors, asked again in a dialog), cursors, PNG
// and SVG export. A breakout room's board shown in the main room is ./shown.js's, the list of items
// in words ./item_list.js's, the document and the server ./commands.js's.

import { BOARD, boardSvg, bounds, drawBoard, hits, readItem, readItems } from "./render.js";
import { BoardSync } from "./commands.js";
import { COLORS, TEXT_MAX, TOOLS, WIDTHS, boardLabel, exportName, keyboardPlacement, mayEdit, roundCoord, words } from "./state.js";
import { createItemList } from "./item_list.js";
import { createShowing } from "./shown.js";
import { SERVER_EVENTS } from "../../core/events.js";
import { addStylesheet, el } from "../../ui/dom.js";
import { t } from "../../ui/i18n.js";
import { confirmDialog } from "../../ui/confirm_dialog.js";
import { refusedWords } from "../../ui/wording.js";

/**
 * @typedef {import("./render.js").Item} Item
 * @typedef {{kind: "stroke", id: string, last: {x: number, y: number}} | {kind: "shape", id: string, start: {x: number, y: number}} | {kind: "move", id: string, last: {x: number, y: number}} | {kind: "erase"}} Drawing
 */

const CURSOR_TTL_MS = 10000;

/** @param {Blob} blob @param {string} name */
function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/**
 * @param {object} ctx
 * @param {HTMLElement} ctx.container  where to draw the board
 * @param {import("./commands.js").BoardTransport} ctx.transport
 * @param {{on: (event: string, handler: (payload: any) => void) => unknown}} ctx.dispatcher
 * @param {() => string | null} ctx.participantId
 * @param {(text: string) => void} [ctx.announce]
 * @param {(id: string) => string | null} [ctx.nameOf]  a person's name (else the names the page
 *   hears of: people who join or change, and the board's pointers)
 */
export function installWhiteboard({ container, transport, dispatcher, participantId, announce, nameOf }) {
  addStylesheet("/client/features/whiteboard/whiteboard.css");
  const root = el("section", { class: "wb", "aria-label": t("whiteboard.region") });
  const bar = el("div", { class: "wb-bar", role: "toolbar", "aria-label": t("whiteboard.toolbar") });
  const stage = el("div", { class: "wb-stage" });
  const canvas = el("canvas", { class: "wb-canvas", role: "img", "aria-label": boardLabel(0), tabindex: "0", "aria-describedby": "wb-keys-hint" });
  const keysHint = el("p", { id: "wb-keys-hint", class: "visually-hidden" }, t("whiteboard.keys_hint"));
  const status = el("p", { class: "wb-status", role: "status", "aria-live": "polite" });
  const showing = createShowing({ list: () => board.list(), show: (room) => board.show(room), say: (text) => say(text) });
  /** @type {Map<string, string>} names heard of, by participant id */
  const names = new Map();
  /** @param {string} id */
  const nameFor = (id) => (nameOf && nameOf(id)) || names.get(id) || (board.cursors.get(id) || { name: "" }).name || null;
  const itemList = createItemList({ me: participantId, nameOf: nameFor });
  stage.append(canvas);
  root.append(bar, stage, status, itemList.section, showing.panel, keysHint, itemList.live);
  container.append(root);
  for (const event of [SERVER_EVENTS.PARTICIPANT_JOINED, SERVER_EVENTS.PARTICIPANT_REJOINED, SERVER_EVENTS.PARTICIPANT_UPDATED, SERVER_EVENTS.PARTICIPANT_MOVED]) {
    dispatcher.on(event, ({ participant }) => {
      if (participant && typeof participant.id === "string" && typeof participant.name === "string") names.set(participant.id, participant.name);
    });
  }
  // Someone erased by a deletion request: their name leaves the list of items (and the board's
  // pointers, ./commands.js).
  dispatcher.on(SERVER_EVENTS.PARTICIPANT_ERASED, ({ participant_id: id }) => {
    names.delete(id);
    schedule();
  });
  // The board was (re)loaded since the list last looked: its items are not news.
  let loaded = true;

  const ui = {
    tool: "pen", preferred: "pen", color: /** @type {string} */ (COLORS[0][0]), width: /** @type {number} */ (WIDTHS[1][0]),
    /** @type {Drawing | null} */ drawing: null,
    /** @type {string | null} */ selected: null,
    frame: 0, stopped: false,
  };
  const board = new BoardSync({ transport, dispatcher, participantId }, {
    changed: () => {
      if (!board.synced) loaded = true;
      root.dataset.room = board.room || "";
      root.dataset.synced = String(board.synced);
      applyPermissions();
      schedule();
    },
    status: (text) => say(text),
    shown: (shown) => showing.setShown(shown),
  });

  // -- toolbar -------------------------------------------------------------------------------------
  /** @type {Map<string, HTMLButtonElement>} */
  const toolButtons = new Map();
  const toolGroup = el("div", { class: "wb-group", role: "group", "aria-label": t("whiteboard.group.tool") });
  for (const [id, label, hint, key] of TOOLS) {
    const b = el("button", { type: "button", class: "wb-tool", "data-tool": id, title: words(hint, { key: key.toUpperCase() }), "aria-keyshortcuts": key, "aria-pressed": "false" }, words(label));
    b.addEventListener("click", () => {
      ui.preferred = id;
      setTool(id);
    });
    toolButtons.set(id, b);
    toolGroup.append(b);
  }
  const colorSelect = el("select", { class: "wb-color", "aria-label": t("whiteboard.colour") });
  for (const [value, name] of COLORS) colorSelect.append(el("option", { value }, words(name)));
  colorSelect.addEventListener("change", () => (ui.color = colorSelect.value));
  const widthSelect = el("select", { class: "wb-width", "aria-label": t("whiteboard.line_width") });
  for (const [value, name] of WIDTHS) widthSelect.append(el("option", { value: String(value) }, words(name)));
  widthSelect.value = String(ui.width);
  widthSelect.addEventListener("change", () => (ui.width = Number(widthSelect.value)));
  const undoBtn = el("button", { type: "button", class: "wb-undo", title: t("whiteboard.undo_hint"), "aria-keyshortcuts": "Control+Z" }, t("whiteboard.undo"));
  const redoBtn = el("button", { type: "button", class: "wb-redo", title: t("whiteboard.redo_hint"), "aria-keyshortcuts": "Control+Y Control+Shift+Z" }, t("whiteboard.redo"));
  const deleteBtn = el("button", { type: "button", class: "wb-delete", title: t("whiteboard.delete_hint"), "aria-keyshortcuts": "Delete" }, t("whiteboard.delete"));
  const clearBtn = el("button", { type: "button", class: "wb-clear", "aria-haspopup": "dialog", hidden: true }, t("whiteboard.clear"));
  const pngBtn = el("button", { type: "button", class: "wb-png" }, t("whiteboard.save_png"));
  const svgBtn = el("button", { type: "button", class: "wb-svg" }, t("whiteboard.save_svg"));
  undoBtn.addEventListener("click", () => undo());
  redoBtn.addEventListener("click", () => redo());
  deleteBtn.addEventListener("click", () => deleteSelected());
  clearBtn.addEventListener("click", () => clearBoard());
  pngBtn.addEventListener("click", async () => download(await exportPng(), exportName(board.room, "png")));
  svgBtn.addEventListener("click", () => download(new Blob([exportSvg()], { type: "image/svg+xml" }), exportName(board.room, "svg")));
  const drawGroup = el("div", { class: "wb-group", role: "group", "aria-label": t("whiteboard.group.style") });
  drawGroup.append(colorSelect, widthSelect, undoBtn, redoBtn, deleteBtn, clearBtn);
  const fileGroup = el("div", { class: "wb-group", role: "group", "aria-label": t("whiteboard.group.export") });
  fileGroup.append(pngBtn, svgBtn, showing.label);
  bar.append(toolGroup, drawGroup, fileGroup, itemList.toggle);

  /** @param {string} id */
  function setTool(id) {
    ui.tool = id;
    for (const [tool, b] of toolButtons) b.setAttribute("aria-pressed", String(tool === id));
    canvas.dataset.tool = id;
    if (id !== "select") select(null);
  }

  /** @param {string} text */
  function say(text) {
    status.textContent = text;
    if (announce) announce(text);
  }

  let permissionsShown = "";
  function applyPermissions() {
    const { canDraw, canClear, canShow } = board.permissions;
    const key = `${canDraw}${canClear}${canShow}${board.room}`;
    if (key === permissionsShown) return;
    permissionsShown = key;
    for (const b of [...toolButtons.values(), undoBtn, redoBtn, deleteBtn, colorSelect, widthSelect]) b.disabled = !canDraw;
    /** @type {HTMLButtonElement} */ (toolButtons.get("select")).disabled = false;
    clearBtn.hidden = !canClear;
    showing.label.hidden = !(canShow && board.room === "main");
    setTool(canDraw ? ui.preferred : "select");
  }

  // -- local edits ---------------------------------------------------------------------------------
  /** @param {number} x @param {number} y @param {boolean} editableOnly */
  function itemAt(x, y, editableOnly) {
    const list = readItems(board.items);
    for (let i = list.length - 1; i >= 0; i--) {
      if (hits(list[i], x, y) && (!editableOnly || mayEdit(list[i], participantId(), board.permissions.canClear))) return list[i];
    }
    return null;
  }

  /** @param {string | null} id */
  function select(id) {
    ui.selected = id;
    deleteBtn.disabled = !board.permissions.canDraw || !id;
    schedule();
  }

  function deleteSelected() {
    if (!ui.selected || !board.deleteItem(ui.selected)) return;
    select(null);
    say(t("whiteboard.item_deleted"));
  }

  function undo() {
    if (!board.undoMine()) say(t("whiteboard.nothing_to_undo"));
  }

  function redo() {
    if (!board.redoMine()) say(t("whiteboard.nothing_to_redo"));
  }

  async function clearBoard() {
    const sure = await confirmDialog({
      title: t("whiteboard.clear_dialog.title"),
      body: t("whiteboard.clear_dialog.body"),
      confirm: t("whiteboard.clear"),
      cancel: t("whiteboard.clear_dialog.cancel"),
    });
    if (!sure) return;
    const ack = await board.clear();
    say(ack.ok ? t("whiteboard.cleared") : refusedWords(ack.error, "whiteboard.not_cleared"));
  }

  // -- pointer input -------------------------------------------------------------------------------
  /** @param {PointerEvent} event */
  function boardPoint(event) {
    const r = canvas.getBoundingClientRect();
    return { x: ((event.clientX - r.left) / r.width) * BOARD.w, y: ((event.clientY - r.top) / r.height) * BOARD.h };
  }

  canvas.addEventListener("pointerdown", (event) => {
    if (!board.synced || event.button !== 0) return;
    const p = boardPoint(event);
    canvas.setPointerCapture(event.pointerId);
    if (ui.tool === "select" || !board.permissions.canDraw) {
      const hit = itemAt(p.x, p.y, true);
      select(hit ? hit.id : null);
      if (hit && board.permissions.canDraw) {
        board.undo.stopCapturing();
        ui.drawing = { kind: "move", id: hit.id, last: p };
      }
      return;
    }
    if (ui.tool === "eraser") {
      board.undo.stopCapturing();
      ui.drawing = { kind: "erase" };
      erase(p);
      return;
    }
    if (ui.tool === "text") {
      startText(p);
      return;
    }
    const base = { type: ui.tool, color: ui.color, width: ui.tool === "highlighter" ? ui.width * 3 : ui.width, x: 0, y: 0 };
    if (ui.tool === "pen" || ui.tool === "highlighter") {
      const id = board.createItem({ ...base, points: board.newStroke(p.x, p.y) });
      ui.drawing = { kind: "stroke", id, last: p };
    } else {
      const id = board.createItem({ ...base, x: roundCoord(p.x), y: roundCoord(p.y), w: 0, h: 0 });
      ui.drawing = { kind: "shape", id, start: p };
    }
  });

  canvas.addEventListener("pointermove", (event) => {
    const p = boardPoint(event);
    board.cursor(p);
    const d = ui.drawing;
    if (!d) return;
    if (d.kind === "erase") return erase(p);
    const item = board.items.get(d.id);
    if (!item) {
      ui.drawing = null;
      return;
    }
    if (d.kind === "stroke") {
      if (Math.hypot(p.x - d.last.x, p.y - d.last.y) < 1.5) return;
      d.last = p;
      board.change(() => item.get("points").push([roundCoord(p.x), roundCoord(p.y)]));
    } else if (d.kind === "shape") {
      board.change(() => {
        item.set("w", roundCoord(p.x - d.start.x));
        item.set("h", roundCoord(p.y - d.start.y));
      });
    } else if (d.kind === "move") {
      const dx = p.x - d.last.x, dy = p.y - d.last.y;
      d.last = p;
      board.change(() => {
        item.set("x", roundCoord((item.get("x") || 0) + dx));
        item.set("y", roundCoord((item.get("y") || 0) + dy));
      });
    }
  });

  const endStroke = () => {
    if (ui.drawing) board.undo.stopCapturing();
    ui.drawing = null;
  };
  canvas.addEventListener("pointerup", endStroke);
  canvas.addEventListener("pointercancel", endStroke);
  canvas.addEventListener("pointerleave", () => board.cursor(null));

  /** @param {{x: number, y: number}} p */
  function erase(p) {
    const hit = itemAt(p.x, p.y, true);
    if (hit) board.change(() => board.items.delete(hit.id));
  }

  /** @param {{x: number, y: number}} p */
  function startText(p) {
    const r = canvas.getBoundingClientRect();
    const input = el("textarea", { class: "wb-text-input", "aria-label": t("whiteboard.text_input"), maxlength: String(TEXT_MAX), rows: "2" });
    input.style.left = `${(p.x / BOARD.w) * r.width}px`;
    input.style.top = `${(p.y / BOARD.h) * r.height}px`;
    input.style.color = ui.color;
    stage.append(input);
    input.focus();
    let done = false;
    const commit = () => {
      if (done) return;
      done = true;
      const text = input.value.trim().slice(0, TEXT_MAX);
      input.remove();
      if (text) board.createItem({ type: "text", color: ui.color, width: ui.width, x: roundCoord(p.x), y: roundCoord(p.y), text });
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

  root.addEventListener("keydown", (event) => {
    if (event.target instanceof HTMLTextAreaElement || event.target instanceof HTMLSelectElement) return;
    const key = event.key.toLowerCase();
    if ((event.ctrlKey || event.metaKey) && key === "z") {
      event.preventDefault();
      if (event.shiftKey) redo();
      else undo();
    } else if ((event.ctrlKey || event.metaKey) && key === "y") {
      event.preventDefault();
      redo();
    } else if ((key === "delete" || key === "backspace") && ui.selected) {
      event.preventDefault();
      deleteSelected();
    } else if (event.key === "Enter" && event.target === canvas && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      addByKeyboard();
    } else if (!event.ctrlKey && !event.metaKey && !event.altKey) {
      const tool = TOOLS.find((entry) => entry[3] === key);
      if (tool && (board.permissions.canDraw || tool[0] === "select")) {
        ui.preferred = tool[0];
        setTool(tool[0]);
      }
    }
  });

  // Enter on the canvas: the current shape, or a text note, in the middle of the board.
  let keyboardAdded = 0;
  function addByKeyboard() {
    if (!board.permissions.canDraw) return say(t("whiteboard.refusal.not_allowed"));
    const place = keyboardPlacement(ui.tool, keyboardAdded, BOARD);
    if (!place) return say(t("whiteboard.keys_choose"));
    keyboardAdded += 1;
    if (place.kind === "text") return startText({ x: place.x, y: place.y });
    board.undo.stopCapturing();
    board.createItem({ type: ui.tool, color: ui.color, width: ui.width, x: roundCoord(place.x), y: roundCoord(place.y), w: place.w, h: place.h });
    board.undo.stopCapturing();
    say(t("whiteboard.added_middle", { tool: ui.tool }));
  }

  // -- drawing -------------------------------------------------------------------------------------
  function schedule() {
    if (!ui.frame && !ui.stopped) ui.frame = requestAnimationFrame(render);
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
    ui.frame = 0;
    fit();
    const items = readItems(board.items);
    const now = performance.now();
    drawBoard(canvas, items, (g, scale) => {
      const sel = ui.selected && board.items.has(ui.selected) ? readItem(ui.selected, board.items.get(ui.selected)) : null;
      if (sel) {
        const b = bounds(sel, g);
        g.save();
        g.setLineDash([6, 4]);
        g.strokeStyle = "#2563eb";
        g.lineWidth = 1.5 / scale;
        g.strokeRect(b.x - 4, b.y - 4, b.w + 8, b.h + 8);
        g.restore();
      }
      for (const [id, c] of board.cursors) {
        if (now - c.at > CURSOR_TTL_MS) {
          board.cursors.delete(id);
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
    canvas.setAttribute("aria-label", boardLabel(items.length));
    itemList.update(items, loaded || !board.synced);
    if (board.synced) loaded = false;
    canvas.dataset.items = String(items.length);
    undoBtn.disabled = !board.permissions.canDraw || !board.undo.canUndo();
    redoBtn.disabled = !board.permissions.canDraw || !board.undo.canRedo();
    if (board.cursors.size) setTimeout(schedule, 1000);
  }

  const resize = new ResizeObserver(() => schedule());
  resize.observe(stage);

  // -- export --------------------------------------------------------------------------------------
  /** @returns {Promise<Blob>} */
  function exportPng() {
    const out = document.createElement("canvas");
    out.width = BOARD.w;
    out.height = BOARD.h;
    drawBoard(out, readItems(board.items));
    return new Promise((resolve, reject) => out.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("no PNG"))), "image/png"));
  }

  function exportSvg() {
    return boardSvg(readItems(board.items), t("whiteboard.export_title", { room: board.room || "main" }));
  }

  setTool("pen");
  applyPermissions();
  schedule();

  return {
    element: root,
    /** After each successful `join`: sync the board of my room. @param {string} room */
    joined: (room) => board.enterRoom(room),
    left: () => board.left(),
    stop() {
      ui.stopped = true;
      itemList.stop();
      resize.disconnect();
      board.destroy();
      root.remove();
    },
    exportPng,
    exportSvg,
    /** The board's items as plain objects (for the test hooks). */
    items: () => readItems(board.items),
    room: () => board.room,
    synced: () => board.synced,
  };
}
