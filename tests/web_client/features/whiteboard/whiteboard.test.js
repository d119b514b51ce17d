import "../../node_globals.js";
import "../../english.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import * as Y from "../../../../web_client/vendor/yjs.bundle.js";
import { BoardSync } from "../../../../web_client/features/whiteboard/commands.js";
import { afterRefusal, exportName, mayEdit, toBuffer } from "../../../../web_client/features/whiteboard/state.js";
import { Dispatcher, FakeTransport, eventually } from "../../fakes.js";
import { SERVER_EVENTS } from "../../../../web_client/core/events.js";

/** A server board the fake transport answers from, as the real one would. */
function serverBoard() {
  const doc = new Y.Doc();
  return {
    doc,
    answer(event, payload) {
      if (event === "board_sync") {
        return {
          ok: true,
          update: toBuffer(Y.encodeStateAsUpdate(doc, new Uint8Array(payload.state))),
          state: toBuffer(Y.encodeStateVector(doc)),
          can_draw: true, can_clear: false, can_show: false, shown: null,
        };
      }
      if (event === "board_update") {
        Y.applyUpdate(doc, new Uint8Array(payload.update));
        return { ok: true };
      }
      return { ok: true };
    },
  };
}

test("joining a room syncs its board; a local item is sent as board_update for that room", async () => {
  const server = serverBoard();
  server.doc.getMap("items").set("old", new Y.Map([["type", "rect"]]));
  const transport = new FakeTransport((e, p) => server.answer(e, p));
  const dispatcher = new Dispatcher();
  const changes = [];
  const board = new BoardSync({ transport, dispatcher, participantId: () => "ana" }, { changed: () => changes.push(1), status: () => {}, shown: () => {} });
  await board.enterRoom("1:b1");
  assert.deepEqual(transport.sent[0].event, "board_sync");
  assert.equal(transport.sent[0].payload.room, "1:b1");
  assert.equal(board.synced, true);
  assert.deepEqual([...board.items.keys()], ["old"]);
  assert.equal(board.permissions.canDraw, true);

  const id = board.createItem({ type: "pen", color: "#111827" });
  await eventually(() => server.doc.getMap("items").has(id));
  const update = transport.sent.find((s) => s.event === "board_update");
  assert.equal(update.payload.room, "1:b1");
  assert.ok(update.payload.update instanceof ArrayBuffer);
  assert.equal(server.doc.getMap("items").get(id).get("author"), "ana");
  assert.ok(changes.length > 0);
});

test("an erased person's pointer leaves the board; the others' stay", async () => {
  const server = serverBoard();
  const transport = new FakeTransport((e, p) => server.answer(e, p));
  const dispatcher = new Dispatcher();
  const changes = [];
  const board = new BoardSync({ transport, dispatcher, participantId: () => "ana" }, { changed: () => changes.push(1), status: () => {}, shown: () => {} });
  await board.enterRoom("main");
  dispatcher.dispatch(SERVER_EVENTS.BOARD_CURSORS, { room: "main", cursors: [{ from: "ben", name: "Ben", x: 10, y: 20 }, { from: "cal", name: "Cal", x: 30, y: 40 }] });
  assert.deepEqual([...board.cursors.keys()], ["ben", "cal"]);
  const before = changes.length;
  dispatcher.dispatch(SERVER_EVENTS.PARTICIPANT_ERASED, { participant_id: "ben", message_ids: [] });
  assert.deepEqual([...board.cursors.keys()], ["cal"]);
  assert.equal(changes.length, before + 1, "the board is drawn again");
  board.destroy();
});

test("a relayed update of my room applies; another room's is ignored; room_changed syncs the new board", async () => {
  const server = serverBoard();
  const transport = new FakeTransport((e, p) => server.answer(e, p));
  const dispatcher = new Dispatcher();
  const board = new BoardSync({ transport, dispatcher, participantId: () => "ana" }, { changed: () => {}, status: () => {}, shown: () => {} });
  await board.enterRoom("main");
  const other = new Y.Doc();
  other.getMap("items").set("x", new Y.Map([["type", "text"]]));
  const update = toBuffer(Y.encodeStateAsUpdate(other));
  dispatcher.dispatch(SERVER_EVENTS.BOARD_UPDATE, { room: "1:b1", update });
  assert.equal(board.items.size, 0);
  dispatcher.dispatch(SERVER_EVENTS.BOARD_UPDATE, { room: "main", update });
  assert.equal(board.items.size, 1);
  dispatcher.dispatch(SERVER_EVENTS.ROOM_CHANGED, { room: { id: "2:b1", name: "Garden" } });
  assert.equal(board.room, "2:b1");
  await eventually(() => board.synced);
  assert.equal(transport.sent.at(-1).event, "board_sync");
  assert.equal(transport.sent.at(-1).payload.room, "2:b1");
});

test("after a refusal the page says why and syncs again, dropping its copy when the server kept nothing", () => {
  assert.deepEqual(afterRefusal({ code: "not_same_room" }), { resync: false, fresh: false, message: "" });
  assert.equal(afterRefusal({ code: "board_full" }).fresh, true);
  assert.equal(afterRefusal({ code: "rate_limited" }).fresh, false);
  // An update that built on a change the server lacks: sync, then send what it lacks (kept here).
  assert.deepEqual(afterRefusal({ code: "board_out_of_order" }),
    { resync: true, fresh: false, message: "Catching up with the board; your latest drawing is being sent again." });
  // Never the server's English: the code's words, or the board's own for a code unknown here.
  assert.equal(afterRefusal({ code: "x", message: "Nope." }).message, "The board did not take that change.");
  assert.equal(afterRefusal({ code: "not_joined", message: "Nope." }).message,
    "Wait until you have joined, then try again.");
  assert.equal(mayEdit({ author: "a" }, "a", false), true);
  assert.equal(mayEdit({ author: "b" }, "a", false), false);
  assert.equal(mayEdit({ author: "b" }, "a", true), true);
  assert.equal(exportName("1:b2", "png", new Date("2026-12-02T04:05:00Z")), "whiteboard-1-b2-2026-12-02-04-05.png");
  const slice = new Uint8Array([1, 2, 3, 4]).subarray(1, 3);
  assert.deepEqual([...new Uint8Array(toBuffer(slice))], [2, 3]);
});

test("board_deleted for my room drops my copy and syncs the empty board; another room's is ignored", async () => {
  let server = serverBoard();
  server.doc.getMap("items").set("old", new Y.Map([["type", "rect"]]));
  const transport = new FakeTransport((e, p) => server.answer(e, p));
  const dispatcher = new Dispatcher();
  const board = new BoardSync({ transport, dispatcher, participantId: () => "ana" }, { changed: () => {}, status: () => {}, shown: () => {} });
  await board.enterRoom("main");
  assert.deepEqual([...board.items.keys()], ["old"]);
  const syncs = () => transport.sent.filter((s) => s.event === "board_sync").length;
  dispatcher.dispatch(SERVER_EVENTS.BOARD_DELETED, { room: "1:b1" });
  assert.deepEqual([...board.items.keys()], ["old"], "another room's deletion leaves my board");
  assert.equal(syncs(), 1);
  // The server deleted the board (it holds none now): my copy goes, and nothing of it is sent.
  server = serverBoard();
  const before = transport.sent.length;
  dispatcher.dispatch(SERVER_EVENTS.BOARD_DELETED, { room: "main" });
  assert.equal(board.items.size, 0);
  await eventually(() => syncs() === 2 && board.synced);
  assert.equal(board.items.size, 0);
  assert.deepEqual(transport.sent.slice(before).map((s) => s.event), ["board_sync"]);
  assert.equal(server.doc.getMap("items").size, 0);
  dispatcher.dispatch(SERVER_EVENTS.BOARD_DELETED, { room: null }); // every board of the session
  await eventually(() => syncs() === 3 && board.synced);
  board.destroy();
});

/** A server board with a generation, as the real one: a sync naming an older one gets the whole board. */
function generationalBoard() {
  const board = { doc: new Y.Doc(), generation: 0, updates: /** @type {any[]} */ ([]) };
  board.answer = (event, payload) => {
    if (event === "board_sync") {
      const stale = payload.generation !== undefined && payload.generation !== board.generation;
      return {
        ok: true,
        update: toBuffer(Y.encodeStateAsUpdate(board.doc, stale ? undefined : new Uint8Array(payload.state))),
        state: toBuffer(Y.encodeStateVector(board.doc)),
        can_draw: true, can_clear: false, can_show: false, shown: null, generation: board.generation,
      };
    }
    if (event === "board_update") {
      board.updates.push(payload);
      if (payload.generation !== board.generation) return { ok: false, error: { code: "board_deleted", message: "" } };
      Y.applyUpdate(board.doc, new Uint8Array(payload.update));
    }
    return { ok: true };
  };
  return board;
}

test("a page that missed its board's deletion drops its copy on syncing again, what it drew while away with it", async () => {
  const server = generationalBoard();
  server.doc.getMap("items").set("old", new Y.Map([["type", "rect"]]));
  const transport = new FakeTransport((e, p) => server.answer(e, p));
  const dispatcher = new Dispatcher();
  const said = [];
  const board = new BoardSync({ transport, dispatcher, participantId: () => "ana" }, { changed: () => {}, status: (s) => said.push(s), shown: () => {} });
  await board.enterRoom("main");
  assert.equal(transport.sent[0].payload.generation, undefined, "a new copy names no generation");
  assert.equal(board.generation, 0);
  // A change sent names the copy's generation.
  board.createItem({ type: "rect", x: 1, y: 1, w: 2, h: 2 });
  await eventually(() => server.updates.length === 1);
  assert.equal(server.updates[0].generation, 0);
  // Away: a drawing, then the board is deleted on the server (the page is not told) and drawn on afresh.
  transport.connected = false;
  board.createItem({ type: "ellipse", x: 5, y: 5, w: 2, h: 2 });
  server.doc = new Y.Doc();
  server.generation = 2;
  server.doc.getMap("items").set("new", new Y.Map([["type", "line"]]));
  transport.connected = true;
  await board.sync();
  assert.equal(transport.sent.at(-1).payload.generation, 0);
  assert.deepEqual([...board.items.keys()], ["new"], "the copy went; the board is as the server holds it");
  assert.equal(board.generation, 2);
  assert.equal(said.length, 1, "the page says why its drawing went");
  board.flush(); // (a request is recorded as it is made)
  assert.equal(transport.sent.filter((s) => s.event === "board_update").length, 1, "nothing of the copy was sent back");
  assert.deepEqual([...server.doc.getMap("items").keys()], ["new"]);
  board.destroy();
});

test("a change refused as made on a deleted board drops the copy and syncs afresh", async () => {
  const server = generationalBoard();
  const transport = new FakeTransport((e, p) => server.answer(e, p));
  const dispatcher = new Dispatcher();
  const board = new BoardSync({ transport, dispatcher, participantId: () => "ana" }, { changed: () => {}, status: () => {}, shown: () => {} });
  await board.enterRoom("main");
  server.doc = new Y.Doc();
  server.generation = 1;
  board.createItem({ type: "rect", x: 1, y: 1, w: 2, h: 2 });
  await eventually(() => server.updates.length === 1 && board.synced && board.generation === 1);
  assert.equal(board.items.size, 0);
  assert.equal(server.doc.getMap("items").size, 0);
  assert.equal(transport.sent.at(-1).event, "board_sync");
  assert.equal(transport.sent.at(-1).payload.generation, undefined);
  board.destroy();
});

/** An update as another page's change relays it: `key` set on a doc of its own. */
function relayed(key, generation) {
  const doc = new Y.Doc();
  doc.getMap("items").set(key, new Y.Map([["type", "rect"]]));
  const payload = { room: "main", update: toBuffer(Y.encodeStateAsUpdate(doc)), from: ["ben"] };
  return generation === undefined ? payload : { ...payload, generation };
}

test("a relayed change made on a copy of a board deleted since is dropped, before and after the page's sync", async () => {
  const server = generationalBoard();
  const transport = new FakeTransport((e, p) => server.answer(e, p));
  const dispatcher = new Dispatcher();
  const board = new BoardSync({ transport, dispatcher, participantId: () => "ana" }, { changed: () => {}, status: () => {}, shown: () => {} });
  await board.enterRoom("main");
  dispatcher.dispatch(SERVER_EVENTS.BOARD_UPDATE, relayed("live", 0));
  assert.deepEqual([...board.items.keys()], ["live"], "a change of my copy's generation is taken");
  // The board is deleted: told, the page drops its copy and syncs. A change made on a copy of
  // the deleted board (a server process not told yet) comes while its sync is on its way...
  server.doc = new Y.Doc();
  server.generation = 2;
  transport.connected = false; // (its sync waits)
  dispatcher.dispatch(SERVER_EVENTS.BOARD_DELETED, { room: "main" });
  dispatcher.dispatch(SERVER_EVENTS.BOARD_UPDATE, relayed("stale-before", 0));
  assert.equal(board.items.size, 0, "a change of the deleted board reached the fresh copy");
  transport.connected = true;
  await board.sync();
  assert.equal(board.generation, 2);
  // ... and after it.
  dispatcher.dispatch(SERVER_EVENTS.BOARD_UPDATE, relayed("stale-after", 0));
  dispatcher.dispatch(SERVER_EVENTS.BOARD_UPDATE, relayed("between", 1)); // made during the deletion
  assert.equal(board.items.size, 0);
  board.flush();
  assert.equal(transport.sent.filter((s) => s.event === "board_update").length, 0, "nothing of it was sent back");
  // Changes of the new board, and of servers that name no generation, are taken.
  dispatcher.dispatch(SERVER_EVENTS.BOARD_UPDATE, relayed("new", 2));
  dispatcher.dispatch(SERVER_EVENTS.BOARD_UPDATE, relayed("unnamed"));
  assert.deepEqual([...board.items.keys()].sort(), ["new", "unnamed"]);
  board.destroy();
});

test("a relayed change of a later generation tells a page that missed the deletion: it drops its copy and syncs", async () => {
  const server = generationalBoard();
  server.doc.getMap("items").set("old", new Y.Map([["type", "rect"]]));
  const transport = new FakeTransport((e, p) => server.answer(e, p));
  const dispatcher = new Dispatcher();
  const board = new BoardSync({ transport, dispatcher, participantId: () => "ana" }, { changed: () => {}, status: () => {}, shown: () => {} });
  await board.enterRoom("main");
  server.doc = new Y.Doc();
  server.generation = 2;
  server.doc.getMap("items").set("new", new Y.Map([["type", "line"]]));
  dispatcher.dispatch(SERVER_EVENTS.BOARD_UPDATE, relayed("newer", 2));
  await eventually(() => board.synced && board.generation === 2);
  assert.deepEqual([...board.items.keys()], ["new"], "the old copy went, and the page synced the board as it is");
  dispatcher.dispatch(SERVER_EVENTS.BOARD_UPDATE, relayed("stale", 0));
  assert.deepEqual([...board.items.keys()], ["new"]);
  board.destroy();
});

test("a change of the deletion's in-between generation, relayed before the page's sync answers, is neither taken nor sent back", async () => {
  const server = generationalBoard();
  const transport = new FakeTransport((e, p) => server.answer(e, p));
  const dispatcher = new Dispatcher();
  const board = new BoardSync({ transport, dispatcher, participantId: () => "ana" }, { changed: () => {}, status: () => {}, shown: () => {} });
  await board.enterRoom("main");
  assert.equal(board.generation, 0);
  // The board is deleted (generation 0 -> 1 as it starts, 2 once done); the page is told.
  server.doc = new Y.Doc();
  server.generation = 2;
  transport.connected = false; // (its sync waits)
  dispatcher.dispatch(SERVER_EVENTS.BOARD_DELETED, { room: "main" });
  // A change made on a copy read while the deletion ran (generation 1) is relayed meanwhile,
  // and one of the new board: the first waits for the sync's answer and goes, the second stays.
  dispatcher.dispatch(SERVER_EVENTS.BOARD_UPDATE, relayed("between", 1));
  const fresh = relayed("new", 2);
  Y.applyUpdate(server.doc, new Uint8Array(fresh.update)); // (the new board holds it)
  dispatcher.dispatch(SERVER_EVENTS.BOARD_UPDATE, fresh);
  transport.connected = true;
  await board.sync();
  assert.equal(board.generation, 2);
  board.flush();
  const sentBack = transport.sent.filter((s) => s.event === "board_update");
  assert.equal(sentBack.length, 0, "the page sent a change of a deleted generation to the new board");
  assert.deepEqual([...board.items.keys()], ["new"], "a change of a deleted generation is in the fresh copy");
  board.destroy();
});
