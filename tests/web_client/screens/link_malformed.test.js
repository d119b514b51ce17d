import { test } from "node:test";
import assert from "node:assert/strict";
import { sessionIdFrom, takeLink } from "../../../web_client/screens/link.js";

// A link mangled on its way (a cut `%` escape in the path) is read as a link with no session,
// which the page answers in words ("This link is incomplete"); it does not throw at the top of
// the page's module, which left the page blank on "loading".
test("a path with a broken escape is no session id, and reading the link does not throw", () => {
  assert.equal(sessionIdFrom("/s/abc%E0%A4%A"), null);
  const history = { state: null, replaceState() {} };
  assert.deepEqual(takeLink({ pathname: "/s/%", search: "", hash: "#token=t" }, history, null), {
    sessionId: null,
    token: "t",
  });
});
