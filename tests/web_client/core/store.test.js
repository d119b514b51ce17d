import "../english.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { Store, followServer, roomOf } from "../../../web_client/core/store.js";
import { Dispatcher } from "../../../web_client/core/dispatcher.js";
import { SERVER_EVENTS as E } from "../../../web_client/core/events.js";

const person = (id, extra = {}) => ({ id, name: id.toUpperCase(), role: "mentee", state: "connected", audio: true, video: true, joined_at: 1, room: "main", ...extra });

/** A store that has joined as `me` (a mentor) with ana, ben and cal in the session. */
function joinedStore({ now = 1000, ack = {} } = {}) {
  let clock = now;
  const store = new Store({ now: () => clock });
  store.joined({
    ok: true,
    participant: person("me", { role: "mentor" }),
    participants: [person("me", { role: "mentor" }), person("ben"), person("cal"), person("dan", { room: "1:b2" })],
    server_time: now + 30,
    room: { id: "main", name: "Main room" },
    breakouts: null,
    ...ack,
  }, { audio: true, video: false });
  const dispatcher = new Dispatcher();
  followServer(store, dispatcher);
  return { store, dispatcher, tick: (s) => (clock += s) };
}

test("a join acknowledgement sets me, my room, everyone and the clock offset", () => {
  const { store } = joinedStore();
  assert.deepEqual(store.me, { id: "me", role: "mentor", name: "ME" });
  assert.equal(store.room, "main");
  assert.equal(store.participants.size, 4);
  assert.equal(store.clockOffset, 30);
  assert.equal(store.serverNow(), 1030);
  // My own media is what this page sends, not the server's copy.
  assert.equal(store.participants.get("me").video, false);
  assert.deepEqual(store.othersHere().map((p) => p.id), ["ben", "cal"]);
});

test("participant_moved moves the person and updates who is in my room", () => {
  const { store, dispatcher } = joinedStore();
  const seen = [];
  store.subscribe("participants", () => seen.push(store.othersHere().map((p) => p.id)));
  dispatcher.dispatch(E.PARTICIPANT_MOVED, { participant: person("ben", { room: "1:b1" }), from_room: "main" });
  assert.equal(roomOf(store.participants.get("ben")), "1:b1");
  assert.deepEqual(store.othersHere().map((p) => p.id), ["cal"]);
  assert.deepEqual(seen, [["cal"]]);
  dispatcher.dispatch(E.PARTICIPANT_MOVED, { participant: person("dan", { room: "main" }), from_room: "1:b2" });
  assert.deepEqual(store.othersHere().map((p) => p.id), ["cal", "dan"]);
});

test("room_changed moves me: my room, my own entry and the room's name", () => {
  const { store, dispatcher } = joinedStore();
  const changes = [];
  store.subscribe("room", (c) => changes.push(c.before));
  dispatcher.dispatch(E.ROOM_CHANGED, { room: { id: "1:b2", name: "Garden" }, chat: [] });
  assert.equal(store.room, "1:b2");
  assert.equal(store.participants.get("me").room, "1:b2");
  assert.equal(store.roomName("1:b2"), "Garden");
  assert.deepEqual(changes, ["main"]);
  assert.deepEqual(store.othersHere().map((p) => p.id), ["dan"]);
  // The server's participant_moved about me does not take me out of the room I was told about.
  dispatcher.dispatch(E.PARTICIPANT_MOVED, { participant: person("me", { role: "mentor", room: "main" }), from_room: "main" });
  assert.equal(store.participants.get("me").room, "1:b2");
});

test("participant_left keeps the person's room but not their hand or speaking", () => {
  const { store, dispatcher } = joinedStore();
  dispatcher.dispatch(E.HAND, { participant_id: "ben", raised: true, at: 1020 });
  dispatcher.dispatch(E.PARTICIPANT_SPEAKING, { participant_id: "ben", speaking: true });
  assert.equal(store.handRaised("ben"), true);
  assert.equal(store.remoteSpeaking.has("ben"), true);
  dispatcher.dispatch(E.PARTICIPANT_LEFT, { participant_id: "ben", reason: "disconnected" });
  assert.equal(store.participants.get("ben").state, "disconnected");
  assert.equal(store.inMyRoom(store.participants.get("ben")), true);
  assert.equal(store.handRaised("ben"), false);
  assert.equal(store.remoteSpeaking.has("ben"), false);
});

test("participant_erased takes the person out of everything the store holds; the others stay", () => {
  const round = {
    round: 1, state: "open",
    rooms: [
      { id: "1:b1", name: "Pair A", members: ["ben", "cal"], assigned: ["ben", "cal"] },
      { id: "1:b2", name: "Pair B", members: ["dan"], assigned: ["dan"] },
    ],
    help: [{ participant_id: "ben", room: "1:b1", asked_at: 1010 }, { participant_id: "dan", room: "1:b2", asked_at: 1011 }],
  };
  const { store, dispatcher } = joinedStore({ ack: { breakouts: round, speaking: ["ben", "dan"] } });
  dispatcher.dispatch(E.HAND, { participant_id: "ben", raised: true, at: 1020 });
  store.setQuality("ben", { speaking: true, weak: false });
  store.setQuality("cal", { speaking: true, weak: true });
  const told = [];
  for (const topic of ["participants", "speaking", "quality", "round", "erased"]) store.subscribe(topic, (c) => told.push(topic === "erased" ? c.ids : topic));

  dispatcher.dispatch(E.PARTICIPANT_ERASED, { participant_id: "ben", message_ids: [3, 8] });

  assert.deepEqual([...store.participants.keys()], ["me", "cal", "dan"]);
  assert.equal(store.handRaised("ben"), false);
  assert.equal(store.isSpeaking("ben"), false);
  assert.deepEqual([...store.remoteSpeaking], ["dan"]);
  assert.deepEqual([...store.quality.keys()], ["cal"]);
  assert.deepEqual(store.round.rooms.map((r) => [r.id, r.members, r.assigned]), [["1:b1", ["cal"], ["cal"]], ["1:b2", ["dan"], ["dan"]]]);
  assert.deepEqual(store.round.help.map((h) => h.participant_id), ["dan"]);
  assert.equal(round.rooms[0].members.length, 2, "the server's copy is not changed in place");
  assert.equal(store.name("ben"), "Someone");
  assert.deepEqual([...store.erased], ["ben"]);
  assert.deepEqual(told, ["participants", "speaking", "quality", "round", ["ben"]]);
});

test("participant_erased about me, or without an id, changes nothing", () => {
  const { store, dispatcher } = joinedStore();
  dispatcher.dispatch(E.PARTICIPANT_ERASED, { participant_id: "me", message_ids: [] });
  dispatcher.dispatch(E.PARTICIPANT_ERASED, { message_ids: [1] });
  assert.equal(store.participants.size, 4);
  assert.equal(store.erased.size, 0);
});

test("a rejoin whose participants lack someone known before: they were erased meanwhile", () => {
  const { store } = joinedStore();
  const told = [];
  store.subscribe("erased", ({ ids }) => told.push(ids));
  store.joined({ ok: true, participant: person("me", { role: "mentor" }), participants: [person("me", { role: "mentor" }), person("ben"), person("dan", { state: "left" })] }, { audio: true, video: false });
  assert.deepEqual([...store.participants.keys()], ["me", "ben", "dan"]);
  assert.deepEqual([...store.erased], ["cal"]);
  assert.deepEqual(told, [["cal"]]);
});

test("a raised hand comes from the participant object when the server sends it, and survives a reconnect then", () => {
  const { store } = joinedStore({ ack: { participants: [person("me", { role: "mentor", hand_raised_at: 990 }), person("ben")] } });
  assert.equal(store.handRaised("me"), true);
  assert.equal(store.handRaised("ben"), false);
  // A rejoin from a server that sends the field keeps it; one that does not send it lowers it.
  store.hand("ben", true, 1000);
  store.participantJoined(person("ben", { hand_raised_at: 1000 }), { rejoined: true });
  assert.equal(store.handRaised("ben"), true);
  store.participantJoined(person("ben"), { rejoined: true });
  assert.equal(store.handRaised("ben"), false);
  // Moving lowers it when the server says so (hand_raised_at: null) and keeps it when silent.
  store.hand("ben", true, 1001);
  store.participantMoved(person("ben", { room: "2:b1" }));
  assert.equal(store.handRaised("ben"), true);
  store.participantMoved(person("ben", { room: "main", hand_raised_at: null }));
  assert.equal(store.handRaised("ben"), false);
});

test("the join acknowledgement's optional speaking, check_in and rated are taken when present", () => {
  const { store } = joinedStore({ ack: { speaking: ["dan", "me"], check_in: { goal: "Plan", at: 5 }, rated: true } });
  assert.deepEqual([...store.remoteSpeaking], ["dan"]);
  assert.deepEqual(store.checkIn, { goal: "Plan", at: 5 });
  assert.equal(store.rated, true);
  const old = joinedStore();
  assert.deepEqual([...old.store.remoteSpeaking], []);
  assert.equal(old.store.checkIn, null);
  assert.equal(old.store.rated, false);
});

test("speaking: my room from what the page measures, other rooms from the server", () => {
  const { store, dispatcher } = joinedStore();
  store.setQuality("ben", { speaking: true, weak: false });
  dispatcher.dispatch(E.PARTICIPANT_SPEAKING, { participant_id: "dan", speaking: true });
  dispatcher.dispatch(E.PARTICIPANT_SPEAKING, { participant_id: "cal", speaking: true });
  store.setSelfSpeaking(true);
  assert.equal(store.isSpeaking("ben"), true); // measured here
  assert.equal(store.isSpeaking("cal"), false); // in my room: the relay is not used
  assert.equal(store.isSpeaking("dan"), true); // elsewhere: the relay
  assert.equal(store.isSpeaking("me"), true);
  // Muting ends speaking, whatever was said last.
  dispatcher.dispatch(E.PARTICIPANT_UPDATED, { participant: person("dan", { room: "1:b2", audio: false }) });
  assert.equal(store.isSpeaking("dan"), false);
});

test("the round: closed means none, room names come from it, and subscribers get the round before", () => {
  const { store, dispatcher } = joinedStore();
  const befores = [];
  store.subscribe("round", ({ before }) => befores.push(before ? before.state : "none"));
  const round = { round: 1, state: "open", rooms: [{ id: "1:b1", name: "Pair A", members: [], assigned: [] }], help: [] };
  dispatcher.dispatch(E.BREAKOUTS, { breakouts: round });
  assert.equal(store.round, round);
  assert.equal(store.roomName("1:b1"), "Pair A");
  dispatcher.dispatch(E.BREAKOUTS, { breakouts: { ...round, state: "closed" } });
  assert.equal(store.round, null);
  assert.deepEqual(befores, ["none", "open"]);
});

test("time left in a round comes from the server's clock, not this machine's", () => {
  // This machine's clock is 30 s behind the server's; the round ends at server time 1630.
  const { store, tick } = joinedStore({ now: 1000, ack: { breakouts: { state: "open", rooms: [], ends_at: 1630, help: [] } } });
  assert.equal(store.secondsUntil(store.round.ends_at), 600);
  tick(590);
  assert.equal(store.secondsUntil(store.round.ends_at), 10);
  tick(20);
  assert.equal(store.secondsUntil(store.round.ends_at), 0);
});

test("my own media changes show in my entry at once, and the server's echo does not undo them", () => {
  const { store, dispatcher } = joinedStore();
  store.setOwnMedia({ audio: false, video: true });
  assert.equal(store.participants.get("me").audio, false);
  dispatcher.dispatch(E.PARTICIPANT_UPDATED, { participant: person("me", { role: "mentor", audio: true, video: false }) });
  assert.equal(store.participants.get("me").audio, false);
  assert.equal(store.participants.get("me").video, true);
});

test("a subscriber that throws does not stop the others", () => {
  const { store } = joinedStore();
  const calls = [];
  const quiet = console.error;
  console.error = () => {};
  try {
    store.subscribe("speaking", () => {
      throw new Error("boom");
    });
    store.subscribe("speaking", () => calls.push("second"));
    store.setSelfSpeaking(true);
  } finally {
    console.error = quiet;
  }
  assert.deepEqual(calls, ["second"]);
});
