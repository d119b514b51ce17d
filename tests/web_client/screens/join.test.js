import { test } from "node:test";
import assert from "node:assert/strict";
import { nameProblem } from "../../../web_client/screens/join.js";
import { refusal } from "../../../web_client/ui/wording.js";

test("a name is needed unless the link carries one, and 60 characters at most", () => {
  assert.match(nameProblem("", false), /type your name/);
  assert.equal(nameProblem("", true), null);
  assert.equal(nameProblem("x".repeat(60), false), null);
  assert.match(nameProblem("x".repeat(61), false), /60 characters/);
});

test("a refusal is told in words; an unknown code keeps the server's message and the code", () => {
  assert.equal(refusal("session_full").title, "This session is full");
  const unknown = refusal("odd_code", "The server says why.");
  assert.equal(unknown.code, "odd_code");
  assert.match(unknown.body, /^The server says why\./);
});
