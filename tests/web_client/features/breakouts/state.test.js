import "../../english.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import * as S from "../../../../web_client/features/breakouts/state.js";

const person = (id, extra = {}) => ({ id, name: id, role: "mentee", state: "connected", audio: true, video: true, joined_at: 1, room: "main", ...extra });
const round = (extra = {}) => ({
  round: 2,
  state: "open",
  allow_choice: false,
  rooms: [
    { id: "2:b1", name: "Garden", members: ["ben"], assigned: ["ben", "cal"] },
    { id: "2:b2", name: "Library", members: [], assigned: [] },
  ],
  help: [],
  opened_at: 1000,
  ends_at: 1600,
  closing_ends_at: null,
  ...extra,
});

test("time left is shown from the round's end and the server's time", () => {
  assert.equal(S.clockInfo(round(), 1525).text, "1:15 left");
  assert.equal(S.clockInfo(round(), 1525).canCut, true);
  assert.equal(S.clockInfo(round(), 1550).urgent, true);
  assert.equal(S.clockInfo(round(), 1550).canCut, false);
  assert.equal(S.clockInfo(round({ ends_at: null }), 1075).text, "No time limit · open for 1:15");
  assert.equal(S.clockInfo(round({ state: "closing", closing_ends_at: 1610 }), 1600).text, "Closing: everyone is back in the main room in 0:10");
  assert.equal(S.formatSeconds(4000), "1 h 6 min");
  assert.equal(S.formatSeconds(-5), "0:00");
});

test("the room status line: my breakout room and the time left, or the return countdown", () => {
  assert.equal(S.roomStatusText(round(), "2:b1", "Garden", 1000), "Garden · 10:00 left");
  assert.equal(S.roomStatusText(round(), "main", "Main room", 1000), "Main room · 10:00 left");
  assert.equal(S.roomStatusText(null, "main", "Main room", 1000), "");
  assert.equal(S.roomStatusText(round({ state: "closing", closing_ends_at: 1010 }), "2:b1", "Garden", 1000), "Garden · back to the main room in 0:10");
});

test("room names come from the round; ids are opaque", () => {
  assert.equal(S.roomNameIn(round(), "2:b2"), "Library");
  assert.equal(S.roomNameIn(round(), "main"), "Main room");
  assert.equal(S.roomNameIn(null, "3:b1"), "3:b1");
});

test("people a mentor can place: connected others and anyone assigned who has not left", () => {
  const people = [person("me", { role: "mentor" }), person("ben", { joined_at: 3 }), person("cal", { state: "disconnected", joined_at: 2 }), person("dan", { state: "left" }), person("eve", { state: "disconnected" })];
  assert.deepEqual(S.placeable(people, round(), "me").map((p) => p.id), ["cal", "ben"]);
  assert.equal(S.suggestedRoomCount([person("a"), person("b"), person("c"), person("d"), person("m", { role: "mentor" })]), 2);
  assert.equal(S.suggestedRoomCount([]), 1);
});

test("the create and open forms: names win over a count; bad numbers are refused in words", () => {
  assert.deepEqual(S.createPayload({ names: " Garden \n\nLibrary", count: "9", allowChoice: true }), { payload: { names: ["Garden", "Library"], allow_choice: true } });
  assert.deepEqual(S.createPayload({ names: "", count: "3", allowChoice: false }), { payload: { count: 3, allow_choice: false } });
  assert.match(S.createPayload({ names: "", count: "51", allowChoice: false }).problem, /1 to 50/);
  assert.deepEqual(S.openDuration({ minutes: "10", noLimit: false }), { duration: 600 });
  assert.deepEqual(S.openDuration({ minutes: "abc", noLimit: true }), { duration: null });
  assert.match(S.openDuration({ minutes: "0", noLimit: false }).problem, /1 to 240/);
});

test("live room cards list those there, then those assigned but elsewhere", () => {
  const people = new Map([["ben", person("ben", { room: "2:b1" })], ["cal", person("cal", { room: "main" })]]);
  const listed = S.roomPeople(round().rooms[0], people);
  assert.deepEqual(listed.map((x) => [x.person.id, x.away]), [["ben", false], ["cal", true]]);
  assert.deepEqual(S.mainRoomPeople([person("x", { joined_at: 5 }), person("me", { joined_at: 9 }), person("ben", { room: "2:b1" })], "me").map((p) => p.id), ["me", "x"]);
});

test("help: oldest first, new requests found once, and the button only for mentees in an open breakout", () => {
  const help = [{ participant_id: "cal", room: "2:b1", asked_at: 20 }, { participant_id: "ben", room: "2:b1", asked_at: 10 }];
  const r = round({ help });
  assert.deepEqual(S.helpQueue(r).map((h) => h.participant_id), ["ben", "cal"]);
  const first = S.newHelp(r, new Set());
  assert.equal(first.fresh.length, 2);
  assert.equal(S.newHelp(r, first.seen).fresh.length, 0);
  assert.deepEqual(S.helpButton(r, { room: "2:b1", role: "mentee", selfId: "ben" }), { visible: true, asked: true });
  assert.deepEqual(S.helpButton(r, { room: "main", role: "mentee", selfId: "ben" }).visible, false);
  assert.deepEqual(S.helpButton(r, { room: "2:b1", role: "observer", selfId: "x" }).visible, false);
});

test("what is said when the round changes without the panel", () => {
  assert.equal(S.phaseChangeText("open", "closing"), "The rooms are closing: everyone returns to the main room soon.");
  assert.equal(S.phaseChangeText("closing", "none"), "The rooms are closed: everyone is back in the main room.");
  assert.equal(S.phaseChangeText("draft", "none"), "The draft rooms have been discarded.");
  assert.equal(S.phaseChangeText("open", "open"), null);
  assert.equal(S.closingNotice(round(), round({ state: "closing", closing_ends_at: 1010 }), "2:b1", 1000), "The breakout rooms are closing: everyone goes back to the main room in 10 seconds.");
  assert.equal(S.closingNotice(round(), round({ state: "closing", closing_ends_at: 1010 }), "main", 1000), null);
  assert.equal(S.warningNotice(60), "About 1 minute left in the breakout rooms.");
  assert.equal(S.warningNotice(150), "About 3 minutes left in the breakout rooms.");
});

test("the mentees' chooser: while a round with choice is a draft or open, with their choice pressed", () => {
  const r = round({ allow_choice: true, state: "draft" });
  const info = S.chooserInfo(r, "mentee", "cal");
  assert.match(info.help, /You chose Garden/);
  assert.deepEqual(info.rooms.map((x) => [x.id, x.count, x.chosen]), [["2:b1", "2 people", true], ["2:b2", "0 people", false]]);
  assert.equal(S.chooserInfo(r, "mentor", "me"), null);
  assert.equal(S.chooserInfo(round({ allow_choice: false }), "mentee", "cal"), null);
  assert.equal(S.chooserInfo({ ...r, state: "open" }, "mentee", "cal").rooms[0].count, "1 person");
});
