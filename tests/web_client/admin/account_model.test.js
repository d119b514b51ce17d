import { test } from "node:test";
import assert from "node:assert/strict";
import { auditCells, auditPage, deliveryOutcome, isDisabled, isHttpsUrl, listOf } from "../../../web_client/admin/account_model.js";

test("the audit log pages by the answer's cursor, or by the last entry of a full page", () => {
  assert.deepEqual(auditPage({ entries: [{ id: "a" }], next: "c9" }, 50), { entries: [{ id: "a" }], next: "c9" });
  assert.equal(auditPage({ entries: [{ id: "a" }], next: null }, 1).next, null); // the server says it is the end
  assert.equal(auditPage({ entries: [{ id: "a" }, { id: "b" }] }, 2).next, "b");
  assert.equal(auditPage({ entries: [{ id: "a" }] }, 2).next, null);
  assert.equal(auditPage([{ seq: 7 }], 1).next, "7");
});

test("an audit entry in words", () => {
  assert.deepEqual(auditCells({ key: "k1", at: 1, admin_id: "owner", admin_name: "owner", action: "session.created", target: "sessions/s1", detail: {} }),
    { at: "1970-01-01 00:00:01", actor: "owner", action: "session.created", target: "sessions/s1 · {}" });
  assert.deepEqual(auditCells({ at: 0, admin: { id: "o", name: "Owner" }, action: "cohort.create", target: "c1" }),
    { at: "1970-01-01 00:00:00", actor: "Owner", action: "cohort.create", target: "c1" });
  assert.equal(auditCells({ action: "x", detail: { n: 1 } }).target, '{"n":1}');
});

test("lists, deliveries, URLs and disabled admins", () => {
  assert.deepEqual(listOf({ webhooks: [1] }, ["webhooks"]), [1]);
  assert.deepEqual(listOf({ other: 1 }, ["webhooks"]), []);
  assert.equal(deliveryOutcome({ status: "failed", response_status: 500, attempts: 3 }), "failed · HTTP 500 · 3 attempts");
  assert.equal(deliveryOutcome({ state: "pending", last_status: null, last_error: "timed out", attempts: 1 }), "pending · timed out · 1 attempt");
  assert.equal(deliveryOutcome({}), "–");
  assert.equal(isHttpsUrl("https://example.org/x"), true);
  assert.equal(isHttpsUrl("javascript:alert(1)"), false);
  assert.equal(isDisabled({ state: "disabled" }), true);
  assert.equal(isDisabled({ state: "active" }), false);
});
