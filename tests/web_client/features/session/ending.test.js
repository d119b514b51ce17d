import { test } from "node:test";
import assert from "node:assert/strict";
import { ENDED_CODE, endedView, installSessionEnding } from "../../../../web_client/features/session/ending.js";
import { Transport } from "../../../../web_client/core/transport.js";
import { Dispatcher } from "../../../../web_client/core/dispatcher.js";
import { CLIENT_EVENTS, CONNECTION_EVENTS, SERVER_EVENTS } from "../../../../web_client/core/events.js";
import { FakeSocket } from "../../fakes.js";

/**
 * A page as app.js wires it: the transport's refusals (of a connection, of a join) go to
 * `showRefusal`, which first asks whether they were the end of the session.
 * @param {{joinedOnce?: boolean, state?: string}} [at]
 */
function pageIn(at = {}) {
  const page = { joinedOnce: true, state: "call", ...at };
  const dispatcher = new Dispatcher();
  /** @type {FakeSocket[]} */
  const sockets = [];
  const transport = new Transport({
    io: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    url: "http://tandem.test",
    dispatcher,
  });
  /** @type {string[]} */
  const views = [];
  /** @type {string[]} */
  const refusals = [];
  const ending = installSessionEnding({ dispatcher, page: () => page, show: (view) => views.push(view) });
  const showRefusal = (/** @type {string} */ code) => {
    if (!ending.refused(code)) refusals.push(code);
  };
  transport.connect("the-token", {
    refusedOrUnreachable: (err) => err.data && err.data.code && showRefusal(err.data.code),
    disconnected: () => {
      if (page.joinedOnce) page.state = "reconnecting";
    },
  });
  sockets[0].connected = true;
  return { page, transport, sockets, views, refusals, showRefusal, ending };
}

test("the event shows the session-ended view", () => {
  const { sockets, views, refusals } = pageIn();
  sockets[0].raise(SERVER_EVENTS.SESSION_ENDED, { reason: "ended by the mentor" });
  assert.deepEqual(views, ["ended"]);
  assert.deepEqual(refusals, []);
});

test("connection dropped as the session ended: the refused reconnect shows the ended view, not a refusal", () => {
  const { page, sockets, views, refusals } = pageIn();
  sockets[0].connected = false;
  sockets[0].raise(CONNECTION_EVENTS.DISCONNECT, "transport close");
  assert.equal(page.state, "reconnecting");
  // socket.io reconnects by itself; the server refuses the connection of an ended session.
  sockets[0].raise(CONNECTION_EVENTS.CONNECT_ERROR, { message: "This session has ended.", data: { code: ENDED_CODE } });
  assert.deepEqual(views, ["ended"]);
  assert.deepEqual(refusals, []);
  assert.equal(sockets[0].connected, false); // and no more retries
});

test("the server closed the connection before the event: the refused rejoin shows the ended view", async () => {
  const { page, transport, sockets, views, refusals, showRefusal } = pageIn();
  sockets[0].raise(CONNECTION_EVENTS.DISCONNECT, "io server disconnect");
  assert.equal(page.state, "reconnecting");
  sockets[0].connected = true; // connected again before the end: the join is refused
  const ack = await (async () => {
    const pending = transport.request(CLIENT_EVENTS.JOIN, { audio: true, video: true });
    sockets[0].emitted[0].ack(null, { ok: false, error: { code: ENDED_CODE, message: "This session has ended." } });
    return pending;
  })();
  assert.equal(ack.ok, false);
  if (!ack.ok) showRefusal(ack.error.code); // app.js onJoinRefused
  assert.deepEqual(views, ["ended"]);
  assert.deepEqual(refusals, []);
});

test("the end is shown once, whichever ways it arrives", () => {
  const { sockets, views, refusals, showRefusal, ending } = pageIn();
  sockets[0].raise(CONNECTION_EVENTS.CONNECT_ERROR, { message: "ended", data: { code: ENDED_CODE } });
  sockets[0].raise(SERVER_EVENTS.SESSION_ENDED, { reason: "late" });
  showRefusal(ENDED_CODE);
  assert.deepEqual(views, ["ended"]);
  assert.deepEqual(refusals, []);
  assert.equal(ending.shown, "ended");
});

test("someone waiting to be let in is told with the waiting room's words", () => {
  const { sockets, views, refusals } = pageIn({ joinedOnce: false, state: "waiting" });
  sockets[0].raise(CONNECTION_EVENTS.CONNECT_ERROR, { message: "ended", data: { code: ENDED_CODE } });
  assert.deepEqual(views, ["ended_while_waiting"]);
  assert.deepEqual(refusals, []);
});

test("a page that never got in shows the refusal of an ended session's link", () => {
  for (const state of ["loading", "join", "joining"]) {
    const { sockets, views, refusals } = pageIn({ joinedOnce: false, state });
    sockets[0].raise(CONNECTION_EVENTS.CONNECT_ERROR, { message: "ended", data: { code: ENDED_CODE } });
    assert.deepEqual(views, [], state);
    assert.deepEqual(refusals, [ENDED_CODE], state);
  }
});

test("other refusals stay refusals, in the call too", () => {
  const { views, refusals, showRefusal } = pageIn();
  showRefusal("session_full");
  showRefusal("token_expired");
  assert.deepEqual(views, []);
  assert.deepEqual(refusals, ["session_full", "token_expired"]);
});

test("endedView: in the session (or reconnecting to it), waiting, or never in", () => {
  assert.equal(endedView({ joinedOnce: true, state: "call" }), "ended");
  assert.equal(endedView({ joinedOnce: true, state: "reconnecting" }), "ended");
  assert.equal(endedView({ joinedOnce: true, state: "joining" }), "ended"); // a rejoin after a timeout
  assert.equal(endedView({ joinedOnce: false, state: "waiting" }), "ended_while_waiting");
  assert.equal(endedView({ joinedOnce: false, state: "joining" }), null);
});
