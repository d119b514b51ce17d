import "../../english.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { initials, listed, personDetail, tileOrder } from "../../../../web_client/features/people/state.js";

const p = (id, extra = {}) => ({ id, name: id, role: "mentee", state: "connected", audio: true, video: true, joined_at: 1, ...extra });

test("initials of one, two and more names", () => {
  assert.equal(initials("Ana María López"), "AL");
  assert.equal(initials("chloé"), "C");
  assert.equal(initials(""), "?");
});

test("me first, then by join time; reconnecting people after those present", () => {
  const all = [p("b", { joined_at: 3 }), p("me", { joined_at: 9 }), p("a", { joined_at: 2 }), p("gone", { state: "left" }), p("away", { state: "disconnected" })];
  const { present, away } = listed(all, "me");
  assert.deepEqual(present.map((x) => x.id), ["me", "a", "b"]);
  assert.deepEqual(away.map((x) => x.id), ["away"]);
  assert.deepEqual([p("x", { joined_at: 2 }), p("me", { joined_at: 5 })].sort(tileOrder("me")).map((x) => x.id), ["me", "x"]);
});

test("the small print says the role, the room when elsewhere, and what is off", () => {
  assert.equal(personDetail(p("b", { audio: false }), { selfId: "me", inMyRoom: false, roomName: "Pair A" }), "mentee · in Pair A · muted");
  assert.equal(personDetail(p("o", { role: "observer" }), { selfId: "me", inMyRoom: true, roomName: "" }), "observer · watching");
  assert.equal(personDetail(p("r", { state: "disconnected" }), { selfId: "me", inMyRoom: true, roomName: "" }), "mentee · reconnecting…");
});
