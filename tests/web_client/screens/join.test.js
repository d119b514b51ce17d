import "../english.js";
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

test("a refusal is told in words; an unknown code gets the generic words and keeps its code", () => {
  assert.equal(refusal("session_full").title, "This session is full");
  const unknown = refusal("odd_code");
  assert.equal(unknown.code, "odd_code");
  assert.equal(unknown.title, "Something went wrong");
  assert.match(unknown.body, /^Please try again in a moment\./);
});

test("every error code of the protocol the call page can meet has words", async () => {
  const { readFileSync } = await import("node:fs");
  const english = JSON.parse(readFileSync(new URL("../../../web_client/i18n/en.json", import.meta.url), "utf8"));
  const protocol = readFileSync(new URL("../../../docs/PROTOCOL.md", import.meta.url), "utf8");
  const adminOnly = new Set(["unauthorized", "not_found", "conflict", "webhook_url_refused", "too_many_webhooks"]);
  const table = protocol.slice(protocol.indexOf("### Error codes"), protocol.indexOf("## Limits"));
  const codes = [...table.matchAll(/^\| `([a-z_]+)` \| /gm)].map((m) => m[1]).filter((c) => !adminOnly.has(c));
  assert.ok(codes.length > 30, codes.join());
  for (const code of codes) {
    assert.ok(english[`errors.${code}.title`] && english[`errors.${code}.body`], code);
  }
});
