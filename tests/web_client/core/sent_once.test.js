import { test } from "node:test";
import assert from "node:assert/strict";
import { RETRY_WITHIN_MS, SentOnce, requestIds } from "../../../web_client/core/sent_once.js";

test("a page's request ids: its own prefix, then a count; each one as the server takes it", () => {
  const next = requestIds();
  const [a, b] = [next(), next()];
  assert.match(a, /^[a-z0-9]{10}-1$/);
  assert.equal(b, `${a.slice(0, 10)}-2`);
  assert.ok(a.length <= 40);
  assert.notEqual(requestIds()().slice(0, 10), a.slice(0, 10)); // another page, another prefix
});

test("the same request sent again right after it failed keeps its id; anything else gets a new one", () => {
  let n = 0;
  const ids = new SentOnce(() => `id-${(n += 1)}`, () => 0);
  const first = ids.take("Wrap up");
  assert.equal(first, "id-1");
  ids.fail("Wrap up", first);
  assert.equal(ids.take("Wrap up"), "id-1"); // sent again: the failed try's id
  assert.equal(ids.take("Wrap up"), "id-2"); // it went through: the next is another request
  ids.fail("Wrap up", "id-2");
  assert.equal(ids.take("Something else"), "id-3"); // another request in between...
  assert.equal(ids.take("Wrap up"), "id-4"); // ...and the failed one is no longer the last
});

test("a failed request keeps its id for a retry soon after it failed or after the page is back, not later", () => {
  let n = 0;
  let now = 0;
  const ids = new SentOnce(() => `id-${(n += 1)}`, () => now);
  ids.fail("+300", ids.take("+300"));
  now = RETRY_WITHIN_MS - 1;
  assert.equal(ids.take("+300"), "id-1"); // a retry
  ids.fail("+300", "id-1"); // the connection drops as it goes
  const droppedAt = now;
  now += RETRY_WITHIN_MS; // a long outage: the page is back only now
  ids.renew(droppedAt);
  now += RETRY_WITHIN_MS - 1;
  assert.equal(ids.take("+300"), "id-1"); // pressed again soon after coming back: still a retry
  ids.fail("+300", "id-1");
  now += RETRY_WITHIN_MS;
  assert.equal(ids.take("+300"), "id-2"); // much later: the mentor adds five minutes again
  ids.renew(now); // nothing failed: nothing to renew
  assert.equal(ids.take("+300"), "id-3");
  // A failure long before a later drop is not brought back by it.
  ids.fail("+300", "id-3");
  now += 20 * RETRY_WITHIN_MS;
  ids.renew(now);
  assert.equal(ids.take("+300"), "id-4");
});
