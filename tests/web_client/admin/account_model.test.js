import "../english.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AT_STYLE, AUDIT_ACTIONS, AUDIT_PAGE_SIZES, WEBHOOK_EVENTS, actionWords, auditCells, auditPage, deliveryOutcome, fmtAt,
  isActionName, isDisabled, isWebUrl, listOf, triedDelivery, whoText, words,
} from "../../../web_client/admin/account_model.js";
import { formatTime, hasMessage } from "../../../web_client/ui/i18n.js";

// The moments shown are in the device's time zone: the expected text is made the same way.
const at = (seconds) => new Intl.DateTimeFormat("en", AT_STYLE).format(seconds * 1000);

test("the audit log pages by the answer's cursor, or by the last entry of a full page", () => {
  assert.deepEqual(auditPage({ entries: [{ id: "a" }], next: "c9" }, 50), { entries: [{ id: "a" }], next: "c9" });
  assert.equal(auditPage({ entries: [{ id: "a" }], next: null }, 1).next, null); // the server says it is the end
  assert.equal(auditPage({ entries: [{ id: "a" }, { id: "b" }] }, 2).next, "b");
  assert.equal(auditPage({ entries: [{ id: "a" }] }, 2).next, null);
  assert.equal(auditPage([{ seq: 7 }], 1).next, "7");
});

test("an audit entry in words: an empty detail says nothing, a detail is key: value", () => {
  assert.deepEqual(auditCells({ key: "k1", at: 1, admin_id: "owner", admin_name: "owner", action: "session.created", target: "sessions/s1", detail: {} }),
    { at: at(1), actor: "owner", action: "session.created", actionWords: "Created a session", target: "sessions/s1" });
  assert.deepEqual(auditCells({ at: 0, admin: { id: "o", name: "Owner" }, action: "cohort.create", target: "c1" }),
    { at: at(0), actor: "Owner", action: "cohort.create", actionWords: null, target: "c1" });
  // an admin named like the owner's id is still named as they are
  assert.equal(auditCells({ admin_id: "a-1", admin_name: "owner", action: "x" }).actor, "owner");
  assert.equal(whoText("owner"), "owner");
  assert.equal(whoText("a-7"), "a-7");
  assert.equal(auditCells({ action: "x", detail: { n: 1 } }).target, "n: 1");
  assert.equal(auditCells({ action: "attendance.exported", target: "attendance/sessions", detail: { format: "csv", view: "people", programme: null } }).target,
    "attendance/sessions · format: csv, view: people, programme: none");
  const names = new Map([["admins/a-1", "Rosa"]]);
  assert.equal(auditCells({ action: "admin.disabled", target: "admins/a-1", detail: {} }, names).target, "admins/a-1 (Rosa)");
  assert.equal(auditCells({ action: "admin.disabled", target: "admins/a-2", detail: {} }, names).target, "admins/a-2");
});

test("when: epoch seconds or an ISO text in the person's language and time zone; other text as it is", () => {
  assert.equal(fmtAt(1_700_000_000), at(1_700_000_000));
  assert.match(fmtAt(1_700_000_000), /Nov 1[45], 2023/);
  assert.equal(fmtAt("2023-11-14T22:13:20Z"), at(1_700_000_000));
  assert.equal(fmtAt("soon"), "soon");
  assert.equal(fmtAt(null), "–");
});

test("actions to filter by are the server's pattern, each in words; the page sizes are within its bound", () => {
  for (const action of AUDIT_ACTIONS) {
    assert.ok(isActionName(action), action);
    assert.ok(actionWords(action)?.match(/^[A-Z][a-z]+ /), action);
  }
  assert.equal(actionWords("cohort.created"), "Created a cohort");
  assert.equal(actionWords("cohort.renamed"), null);
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
  for (const [, ref] of WEBHOOK_EVENTS) assert.ok(hasMessage(ref.replace("i18n:", "")), ref);
  assert.equal(words(WEBHOOK_EVENTS[2][1]), "a session ended");
});

test("a delivery's outcome in words", () => {
  assert.equal(deliveryOutcome({ status: "failed", response_status: 500, attempts: 3 }), "failed · HTTP 500 · 3 attempts");
  assert.equal(deliveryOutcome({ state: "delivered", last_status: 204, last_error: null, attempts: 1, next_at: null }), "delivered · HTTP 204 · 1 attempt");
  assert.equal(deliveryOutcome({ state: "pending", attempts: 0, last_status: null, last_error: null, next_at: 5 }), "pending · not sent yet");
  assert.equal(deliveryOutcome({ state: "pending", last_status: null, last_error: "connection_failed", attempts: 1, next_at: 3725 }),
    `pending · could not connect · 1 attempt · next try ${formatTime(3725 * 1000)}`);
  // the server's "status_500" repeats the HTTP status; a code the page does not know is shown as it is
  assert.equal(deliveryOutcome({ state: "failed", last_status: 500, last_error: "status_500", attempts: 6 }), "failed · HTTP 500 · 6 attempts");
  assert.equal(deliveryOutcome({ state: "failed", last_status: null, last_error: "tls_broken", attempts: 6 }), "failed · tls_broken · 6 attempts");
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
