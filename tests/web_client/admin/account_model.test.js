import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AUDIT_ACTIONS, AUDIT_PAGE_SIZES, WEBHOOK_EVENTS, auditCells, auditPage, deliveryOutcome, isActionName, isDisabled,
  isWebUrl, listOf, triedDelivery,
} from "../../../web_client/admin/account_model.js";

test("the audit log pages by the answer's cursor, or by the last entry of a full page", () => {
  assert.deepEqual(auditPage({ entries: [{ id: "a" }], next: "c9" }, 50), { entries: [{ id: "a" }], next: "c9" });
  assert.equal(auditPage({ entries: [{ id: "a" }], next: null }, 1).next, null); // the server says it is the end
  assert.equal(auditPage({ entries: [{ id: "a" }, { id: "b" }] }, 2).next, "b");
  assert.equal(auditPage({ entries: [{ id: "a" }] }, 2).next, null);
  assert.equal(auditPage([{ seq: 7 }], 1).next, "7");
});

test("an audit entry in words: an empty detail says nothing, a detail is key: value", () => {
  assert.deepEqual(auditCells({ key: "k1", at: 1, admin_id: "owner", admin_name: "owner", action: "session.created", target: "sessions/s1", detail: {} }),
    { at: "1970-01-01 00:00:01", actor: "owner", action: "session.created", target: "sessions/s1" });
  assert.deepEqual(auditCells({ at: 0, admin: { id: "o", name: "Owner" }, action: "cohort.create", target: "c1" }),
    { at: "1970-01-01 00:00:00", actor: "Owner", action: "cohort.create", target: "c1" });
  assert.equal(auditCells({ action: "x", detail: { n: 1 } }).target, "n: 1");
  assert.equal(auditCells({ action: "attendance.exported", target: "attendance/sessions", detail: { format: "csv", view: "people", programme: null } }).target,
    "attendance/sessions · format: csv, view: people, programme: none");
  const names = new Map([["admins/a-1", "Rosa"]]);
  assert.equal(auditCells({ action: "admin.disabled", target: "admins/a-1", detail: {} }, names).target, "admins/a-1 (Rosa)");
  assert.equal(auditCells({ action: "admin.disabled", target: "admins/a-2", detail: {} }, names).target, "admins/a-2");
});

test("actions to filter by are the server's pattern; the page sizes are within its bound", () => {
  for (const action of AUDIT_ACTIONS) assert.ok(isActionName(action), action);
  assert.equal(isActionName("cohort.created"), true);
  assert.equal(isActionName("cohort"), false);
  assert.equal(isActionName("Cohort.Created"), false);
  assert.equal(isActionName("cohort.created&limit=1"), false);
  for (const size of AUDIT_PAGE_SIZES) assert.ok(size >= 1 && size <= 500);
  assert.ok(AUDIT_PAGE_SIZES.includes(50)); // the page's default
});

test("a webhook's events are the server's, each with words", () => {
  assert.deepEqual(WEBHOOK_EVENTS.map(([name]) => name),
    ["participant.joined", "participant.left", "session.ended", "rating.given", "pair.at_risk"]);
  for (const [, words] of WEBHOOK_EVENTS) assert.ok(words.length > 5);
});

test("a delivery's outcome in words", () => {
  assert.equal(deliveryOutcome({ status: "failed", response_status: 500, attempts: 3 }), "failed · HTTP 500 · 3 attempts");
  assert.equal(deliveryOutcome({ state: "delivered", last_status: 204, last_error: null, attempts: 1, next_at: null }), "delivered · HTTP 204 · 1 attempt");
  assert.equal(deliveryOutcome({ state: "pending", attempts: 0, last_status: null, last_error: null, next_at: 5 }), "pending · not sent yet");
  assert.equal(deliveryOutcome({ state: "pending", last_status: null, last_error: "connection_failed", attempts: 1, next_at: 3725 }),
    "pending · connection_failed · 1 attempt · next try 01:02:05");
  assert.equal(deliveryOutcome({}), "–");
});

test("a test delivery has an outcome once its first attempt is made", () => {
  const waiting = { id: "d1", state: "pending", attempts: 0 };
  assert.equal(triedDelivery([waiting], "d1"), null);
  assert.equal(triedDelivery([], "d1"), null);
  const retrying = { id: "d1", state: "pending", attempts: 1, last_error: "timeout" };
  assert.equal(triedDelivery([{ id: "d0", state: "delivered", attempts: 1 }, retrying], "d1"), retrying);
  const done = { id: "d1", state: "delivered", attempts: 1 };
  assert.equal(triedDelivery([done], "d1"), done);
});

test("lists, URLs and disabled admins", () => {
  assert.deepEqual(listOf({ webhooks: [1] }, ["webhooks"]), [1]);
  assert.deepEqual(listOf({ other: 1 }, ["webhooks"]), []);
  assert.equal(isWebUrl("https://example.org/x"), true);
  assert.equal(isWebUrl("http://127.0.0.1:8080/hook"), true);
  assert.equal(isWebUrl("javascript:alert(1)"), false);
  assert.equal(isWebUrl("example.org/x"), false);
  assert.equal(isDisabled({ disabled: true }), true);
  assert.equal(isDisabled({ state: "disabled" }), true);
  assert.equal(isDisabled({ disabled: false }), false);
});
