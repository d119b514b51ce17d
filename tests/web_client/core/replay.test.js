import { test } from "node:test";
import assert from "node:assert/strict";
import { Store, followServer } from "../../../web_client/core/store.js";
import { Dispatcher } from "../../../web_client/core/dispatcher.js";
import { Replay } from "../../../web_client/core/replay.js";
import { CLIENT_EVENTS, SERVER_EVENTS as E } from "../../../web_client/core/events.js";
import { FakeTransport, eventually } from "../fakes.js";

const me = { id: "me", name: "Me", role: "mentee", state: "connected", audio: false, video: false, room: "main" };
const at = (offset, room = "main", epoch = "e1") => ({ room, epoch, offset });
const chat = (id, offset, room = "main", epoch = "e1") => ({ message: { id, text: `m${id}`, room }, position: at(offset, room, epoch) });

/** A page's core: store, dispatcher, replay; `seen` lists the chat texts the features got. */
function page(answer) {
  const store = new Store();
  const dispatcher = new Dispatcher();
  followServer(store, dispatcher);
  const transport = new FakeTransport(answer);
  const gone = [];
  const reconnected = [];
  const replay = new Replay({
    store, dispatcher, transport,
    gone: (room, how) => gone.push([room, how]),
    reconnect: () => reconnected.push(store.position(store.room)),
  });
  const seen = [];
  dispatcher.on(E.CHAT, ({ message }) => seen.push(message.text));
  const join = (position, room = "main") => {
    store.joined({ ok: true, participant: { ...me, room }, participants: [], room: { id: room, name: room }, position }, { audio: false, video: false });
    return replay.joined({ position });
  };
  return { store, dispatcher, transport, replay, seen, gone, reconnected, join };
}

test("after a reconnect the missed events come first, then those held, each once, in order", async () => {
  const p = page((event, payload) =>
    event === CLIENT_EVENTS.REPLAY && payload.offset === 2
      ? { ok: true, position: at(5), events: [3, 4, 5].map((n) => ({ event: E.CHAT, payload: chat(n, n) })), more: false }
      : { ok: true, position: at(5), events: [], more: false });
  await p.join(at(1));
  p.dispatcher.dispatch(E.CHAT, chat(2, 2));
  p.dispatcher.dispatch(E.CHAT, chat(2, 2)); // a duplicate
  assert.deepEqual(p.seen, ["m2"]);
  // The connection drops; meanwhile 3, 4, 5 are said. The new socket gets 5 and 6 live before
  // the join is acknowledged.
  p.replay.connecting();
  p.dispatcher.dispatch(E.CHAT, chat(5, 5));
  p.dispatcher.dispatch(E.CHAT, chat(6, 6));
  assert.deepEqual(p.seen, ["m2"]);
  await p.join(at(5));
  assert.deepEqual(p.transport.sent.at(-1), { event: CLIENT_EVENTS.REPLAY, payload: { room: "main", epoch: "e1", offset: 2 } });
  assert.deepEqual(p.seen, ["m2", "m3", "m4", "m5", "m6"]);
  assert.deepEqual(p.replay.last, { room: "main", replayed: 3, gone: false });
  assert.deepEqual(p.store.position("main"), at(6));
});

test("history_gone: the room is loaded again and the page goes on from where it joined", async () => {
  const p = page((event, payload) =>
    payload.epoch === "old"
      ? { ok: false, error: { code: "history_gone", message: "gone" } }
      : { ok: true, position: at(8, "main", "new"), events: [{ event: E.CHAT, payload: chat(8, 8, "main", "new") }], more: false });
  p.store.setPosition(at(40, "main", "old"));
  p.replay.connecting();
  p.dispatcher.dispatch(E.CHAT, chat(9, 9, "main", "new"));
  await p.join(at(7, "main", "new"));
  assert.deepEqual(p.gone, [["main", "join"]]);
  // Then what came after the join's position (8), then what was held (9).
  assert.deepEqual(p.transport.sent.map((s) => s.payload.epoch), ["old", "new"]);
  assert.deepEqual(p.seen, ["m8", "m9"]);
  assert.deepEqual(p.store.position("main"), at(9, "main", "new"));
});

test("told history_gone while connected: it connects again, and loads the room as after a history_gone answer", async () => {
  // What the room said after offset 2 went while a server process's channels were down.
  const p = page((event, payload) =>
    payload.offset === 2
      ? { ok: false, error: { code: "history_gone", message: "gone" } }
      : { ok: true, position: at(9), events: [], more: false });
  await p.join(at(1));
  p.dispatcher.dispatch(E.CHAT, chat(2, 2));
  p.dispatcher.dispatch(E.CHAT, chat(8, 8)); // live after the gap: offsets may skip
  p.dispatcher.dispatch(E.HISTORY_GONE, { position: at(5, "1:b1") }); // not my room: nothing
  assert.deepEqual(p.reconnected, []);
  p.dispatcher.dispatch(E.HISTORY_GONE, { position: at(2) });
  assert.deepEqual(p.reconnected, [at(2)]); // from where the room's events were lost
  // Connected again: the join's replay from there is answered history_gone.
  p.replay.connecting();
  await p.join(at(9));
  assert.deepEqual(p.transport.sent.map((s) => s.payload.offset), [1, 2, 9]);
  assert.deepEqual(p.gone, [["main", "join"]]);
  assert.deepEqual(p.replay.last, { room: "main", replayed: 0, gone: true });
  assert.deepEqual(p.store.position("main"), at(9));
  assert.deepEqual(p.seen, ["m2", "m8"]);
});

test("told history_gone after joining past the gap: nothing was missed, and it stays connected", async () => {
  const p = page(() => ({ ok: true, position: at(9), events: [], more: false }));
  await p.join(at(9)); // joined as the room was at offset 9, after what went
  p.dispatcher.dispatch(E.HISTORY_GONE, { position: at(2), latest: at(9) });
  assert.deepEqual(p.reconnected, []);
  assert.deepEqual(p.store.position("main"), at(9));
  // Joined before the gap's end: what came between is missed, so it connects again.
  p.dispatcher.dispatch(E.HISTORY_GONE, { position: at(2), latest: at(12) });
  assert.deepEqual(p.reconnected, [at(2)]);
});

test("events of a room not entered yet wait for room_changed; an answer in pages is asked again", async () => {
  const p = page((event, payload) => ({
    ok: true, position: at(3, "1:b1"),
    events: [{ event: E.CHAT, payload: chat(payload.offset + 1, payload.offset + 1, "1:b1") }],
    more: payload.offset + 1 < 3,
  }));
  await p.join(at(0));
  p.dispatcher.dispatch(E.CHAT, chat(4, 4, "1:b1")); // before I am told I moved
  assert.deepEqual(p.seen, []);
  p.dispatcher.dispatch(E.ROOM_CHANGED, { room: { id: "1:b1", name: "Room 1" }, chat: [], position: at(1, "1:b1") });
  await eventually(() => p.seen.length === 3);
  assert.deepEqual(p.seen, ["m2", "m3", "m4"]);
  assert.deepEqual(p.transport.sent.filter((s) => s.payload.room === "1:b1").map((s) => s.payload.offset), [1, 2]);
  // Live events without a position (older servers) and other events pass untouched.
  p.dispatcher.dispatch(E.CHAT, { message: { id: 9, text: "m9" } });
  assert.deepEqual(p.seen, ["m2", "m3", "m4", "m9"]);
});
