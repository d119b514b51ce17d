import "../../english.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { sendChat } from "../../../../web_client/features/chat/commands.js";
import { sendFailure, textProblem, unseen } from "../../../../web_client/features/chat/state.js";
import { FakeTransport } from "../../fakes.js";

test("a chat message goes out as `chat` with its text, and the acknowledgement comes back", async () => {
  const transport = new FakeTransport((event, payload) => ({ ok: true, message: { id: 7, text: payload.text } }));
  const ack = await sendChat(transport, "Hello", "k2-1");
  assert.deepEqual(transport.sent, [{ event: "chat", payload: { text: "Hello", client_id: "k2-1" } }]);
  assert.deepEqual(ack.message, { id: 7, text: "Hello" });
});

test("too long is said before sending; refusals are said in words", () => {
  assert.equal(textProblem("x".repeat(2000)), null);
  assert.match(textProblem("x".repeat(2001)), /2,001 characters/);
  assert.match(sendFailure({ code: "rate_limited" }), /very quickly/);
  assert.match(sendFailure({ code: "timeout" }), /wasn't delivered/);
  // Never the server's English: the code's words, or the chat's own for a code unknown here.
  assert.equal(sendFailure({ code: "odd", message: "Server says no." }), "Your message couldn't be sent. Try again.");
  assert.equal(sendFailure({ code: "not_joined", message: "Server says no." }), "Wait until you have joined, then try again.");
});

test("history and live messages overlap: only the unseen ones are new", () => {
  assert.deepEqual(unseen(new Set([1, 2]), [{ id: 1 }, { id: 3 }]).map((m) => m.id), [3]);
  assert.deepEqual(unseen(new Set(), undefined), []);
});
