import "../../english.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { breakoutCommands, refusalText } from "../../../../web_client/features/breakouts/commands.js";
import { FakeTransport } from "../../fakes.js";

test("each command sends its event name and payload, and resolves with the acknowledgement", async () => {
  const transport = new FakeTransport((event) => ({ ok: true, breakouts: { state: "draft", rooms: [] }, event }));
  const c = breakoutCommands(transport);
  const acks = await Promise.all([
    c.create({ count: 2, allow_choice: false }),
    c.createFromGroups(true),
    c.assign("p1", "1:b2"),
    c.assign("p1", null),
    c.autoAssign(),
    c.open(600),
    c.open(null),
    c.adjust(-60),
    c.adjust(300, "pg-2"),
    c.broadcast("Wrap up"),
    c.broadcast("Wrap up", "pg-3"),
    c.visit("1:b1"),
    c.close(10),
    c.discard(),
    c.choose("2:b1"),
    c.requestHelp(),
    c.withdrawHelp(),
  ]);
  assert.deepEqual(transport.sent, [
    { event: "breakout_create", payload: { count: 2, allow_choice: false } },
    { event: "breakout_create", payload: { from_groups: true, allow_choice: true } },
    { event: "breakout_assign", payload: { participant_id: "p1", room: "1:b2" } },
    { event: "breakout_assign", payload: { participant_id: "p1", room: null } },
    { event: "breakout_auto_assign", payload: {} },
    { event: "breakout_open", payload: { duration_seconds: 600 } },
    { event: "breakout_open", payload: { duration_seconds: null } },
    { event: "breakout_adjust", payload: { add_seconds: -60 } },
    { event: "breakout_adjust", payload: { add_seconds: 300, client_id: "pg-2" } },
    { event: "breakout_broadcast", payload: { text: "Wrap up" } },
    { event: "breakout_broadcast", payload: { text: "Wrap up", client_id: "pg-3" } },
    { event: "breakout_visit", payload: { room: "1:b1" } },
    { event: "breakout_close", payload: { countdown_seconds: 10 } },
    { event: "breakout_discard", payload: {} },
    { event: "breakout_choose", payload: { room: "2:b1" } },
    { event: "help_request", payload: {} },
    { event: "help_withdraw", payload: {} },
  ]);
  assert.deepEqual(acks.map((a) => a.event), transport.sent.map((s) => s.event));
});

test("a refusal is told in the words of its code, never the server's English; no answer in words of our own", async () => {
  const transport = new FakeTransport((event) =>
    event === "breakout_open"
      ? { ok: false, error: { code: "illegal_transition", message: "The rooms are already open." } }
      : { ok: false, error: { code: "timeout", message: "No answer from the server" } },
  );
  const c = breakoutCommands(transport);
  assert.equal(refusalText(await c.open(60)), "The session has changed since this was shown. Try again.");
  assert.equal(refusalText({ ok: false, error: { code: "odd", message: "English" } }), "That did not work. Try again.");
  assert.equal(refusalText(await c.discard()), "No answer from Tandem: check your connection and try again.");
  assert.equal(refusalText({ ok: true }), "");
});
