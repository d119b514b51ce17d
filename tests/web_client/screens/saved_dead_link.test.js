import { test } from "node:test";
import assert from "node:assert/strict";
import { linkIsDead } from "../../../web_client/screens/saved.js";

test("a refusal that ends a link for good drops what was saved through it; a passing one does not", () => {
  for (const code of ["session_ended", "session_not_found", "token_invalid", "token_expired", "link_revoked"]) {
    assert.equal(linkIsDead(code), true, code);
  }
  for (const code of ["session_full", "rate_limited", "not_allowed", "http_502", "invalid_payload"]) {
    assert.equal(linkIsDead(code), false, code);
  }
});
