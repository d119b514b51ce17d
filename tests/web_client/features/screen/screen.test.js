import "../../english.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { busyNotice, mayModerateShares, mayShare, shareCaption, sharersHere } from "../../../../web_client/features/screen/state.js";
import { screenCommands } from "../../../../web_client/features/screen/commands.js";
import { CLIENT_EVENTS } from "../../../../web_client/core/events.js";
import { FakeTransport } from "../../fakes.js";

const p = (id, extra = {}) => ({ id, name: id.toUpperCase(), role: "mentee", state: "connected", audio: true, video: true, joined_at: 1, room: "main", ...extra });

test("the stage shows the shares of my room, connected people only, in joining order", () => {
  const all = [p("b", { screen: true, joined_at: 5 }), p("a", { screen: true, joined_at: 2 }), p("c", { screen: false }), p("d", { screen: true, room: "1:b1" }), p("e", { screen: true, state: "disconnected" })];
  const here = sharersHere(all, (x) => (x.room || "main") === "main");
  assert.deepEqual(here.map((x) => x.id), ["a", "b"]);
  assert.equal(shareCaption(here[0], "me"), "A is sharing their screen");
  assert.equal(shareCaption(here[0], "a"), "You are sharing your screen");
});

test("a refused share names who is sharing already", () => {
  assert.equal(busyNotice([p("me", { screen: true }), p("ana", { name: "Ana", screen: true })], "me"), "Ana is already sharing");
  assert.equal(busyNotice([], "me"), "Someone else is already sharing");
});

test("mentors and admins moderate shares; observers do not share", () => {
  assert.equal(mayModerateShares("mentor"), true);
  assert.equal(mayModerateShares("admin"), true);
  assert.equal(mayModerateShares("mentee"), false);
  assert.equal(mayShare("observer"), false);
  assert.equal(mayShare("mentee"), true);
  assert.equal(mayShare(null), false);
});

test("the commands send the protocol's payloads", async () => {
  const transport = new FakeTransport();
  const commands = screenCommands(transport);
  await commands.share(true);
  await commands.stop("p1");
  await commands.policy(true);
  assert.deepEqual(transport.sent, [
    { event: CLIENT_EVENTS.SCREEN_SHARE, payload: { on: true } },
    { event: CLIENT_EVENTS.SCREEN_STOP, payload: { participant_id: "p1" } },
    { event: CLIENT_EVENTS.SCREEN_POLICY, payload: { many: true } },
  ]);
});

test("captioners send no media, so they share no screen", () => {
  assert.equal(mayShare("captioner"), false);
});
