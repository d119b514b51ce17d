import "../../english.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { WORDS, actionsFor, canActOn, moderatedNotice, moderates, newlyWaiting, refusedText, waitingNotice } from "../../../../web_client/features/moderation/state.js";

const p = (id, extra = {}) => ({ id, name: id, role: "mentee", state: "connected", audio: true, video: true, ...extra });

test("mentors act on mentees, observers and captioners; admins on anyone but themselves", () => {
  const mentor = { id: "m", role: "mentor" };
  const admin = { id: "a", role: "admin" };
  assert.equal(moderates("mentor") && moderates("admin") && !moderates("mentee"), true);
  assert.equal(canActOn(mentor, p("x")), true);
  assert.equal(canActOn(mentor, p("o", { role: "observer" })), true);
  assert.equal(canActOn(mentor, p("m2", { role: "mentor" })), false);
  assert.equal(canActOn(mentor, p("m", { role: "mentor" })), false);
  assert.equal(canActOn(admin, p("m2", { role: "mentor" })), true);
  assert.equal(canActOn({ id: "x", role: "mentee" }, p("y")), false);
});

test("a row offers what fits the person now", () => {
  assert.deepEqual(actionsFor(p("Ben")).map((a) => a.action), ["mute", "stop_camera", "remove"]);
  assert.deepEqual(actionsFor(p("Ben", { audio: false, audio_locked: true, video: false, screen: true })).map((a) => a.action),
    ["stop_screen", "allow", "remove"]);
  assert.deepEqual(actionsFor(p("Ben", { state: "disconnected" })).map((a) => a.action), ["remove"]);
  assert.equal(actionsFor(p("Ben"))[0].label, "Mute Ben");
});

test("what the person acted on is told, and who did it", () => {
  assert.match(moderatedNotice({ action: "mute", locked: true, by: "mentor" }), /^The mentor muted you\. You can unmute once they allow it/);
  assert.match(moderatedNotice({ action: "mute", locked: false, by: "admin" }), /^An admin muted you\. You can unmute when you need to/);
  assert.match(moderatedNotice({ action: "stop_screen", locked: false, by: "mentor" }), /stopped your screen share/);
  assert.equal(moderatedNotice({ action: "remove", locked: false, by: "mentor" }), "");
});

test("mentors hear of each new arrival in the waiting room once", () => {
  const before = [{ id: "1", name: "Ana" }];
  const after = [{ id: "1", name: "Ana" }, { id: "2", name: "Ben" }];
  assert.deepEqual(newlyWaiting(before, after), ["Ben"]);
  assert.deepEqual(newlyWaiting(after, after), []);
  assert.match(waitingNotice(["Ben"]), /^Ben is waiting to join/);
  assert.match(waitingNotice(["Ben", "Cleo"]), /^2 people are waiting/);
  assert.equal(waitingNotice([]), "");
});

test("refusals say what was tried, and the waiting room's words are read when used", () => {
  assert.equal(refusedText("remove", "Ben", "gone"), "Could not remove Ben: gone");
  assert.equal(refusedText("lock", "", "busy"), "Could not lock the session: busy");
  assert.equal(actionsFor(p("Ben")).at(-1).label, "Remove Ben");
  assert.equal(WORDS.waiting.title, "Waiting for the mentor to let you in");
  assert.equal({ ...WORDS.removed }.title, "You have been removed from this session");
});
