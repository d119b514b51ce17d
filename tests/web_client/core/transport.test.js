import "../english.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { Transport, REQUEST_TIMEOUT_MS, withoutControls } from "../../../web_client/core/transport.js";
import { Dispatcher } from "../../../web_client/core/dispatcher.js";
import { CLIENT_EVENTS, SERVER_EVENTS, CONNECTION_EVENTS } from "../../../web_client/core/events.js";
import { FakeSocket } from "../fakes.js";

function connected() {
  const sockets = [];
  const dispatcher = new Dispatcher();
  const transport = new Transport({
    io: (url, options) => {
      const s = new FakeSocket();
      s.url = url;
      s.options = options;
      sockets.push(s);
      return s;
    },
    url: "http://tandem.test",
    dispatcher,
  });
  const calls = [];
  transport.connect("the-token", {
    connected: () => calls.push("connected"),
    refusedOrUnreachable: (err) => calls.push(["refused", err.data && err.data.code]),
    disconnected: (reason) => calls.push(["disconnected", reason]),
  });
  sockets[0].connected = true;
  return { transport, dispatcher, sockets, calls };
}

test("connect passes the join token and reports the connection's lifecycle", () => {
  const { sockets, calls } = connected();
  assert.equal(sockets[0].url, "http://tandem.test");
  assert.deepEqual(sockets[0].options.auth, { token: "the-token" });
  sockets[0].raise(CONNECTION_EVENTS.CONNECT);
  sockets[0].raise(CONNECTION_EVENTS.DISCONNECT, "transport close");
  assert.deepEqual(calls, ["connected", ["disconnected", "transport close"]]);
});

test("a refused connection stops reconnecting and says why", () => {
  const { sockets, calls } = connected();
  sockets[0].raise(CONNECTION_EVENTS.CONNECT_ERROR, { message: "no", data: { code: "token_expired" } });
  assert.equal(sockets[0].connected, false);
  assert.deepEqual(calls, [["refused", "token_expired"]]);
});

test("request resolves with the server's acknowledgement", async () => {
  const { transport, sockets } = connected();
  const pending = transport.request(CLIENT_EVENTS.CHAT, { text: "hi" });
  const sent = sockets[0].emitted[0];
  assert.equal(sent.event, "chat");
  assert.deepEqual(sent.payload, { text: "hi" });
  assert.equal(sent.timeout, REQUEST_TIMEOUT_MS);
  sent.ack(null, { ok: true, message: { id: 1 } });
  assert.deepEqual(await pending, { ok: true, message: { id: 1 } });
});

test("no answer in time, or no connection, is a timeout error of the usual shape", async () => {
  const { transport, sockets } = connected();
  const pending = transport.request(CLIENT_EVENTS.LEAVE, {}, 3000);
  assert.equal(sockets[0].emitted[0].timeout, 3000);
  sockets[0].emitted[0].ack(new Error("operation has timed out"));
  const ack = await pending;
  assert.equal(ack.ok, false);
  assert.equal(ack.error.code, "timeout");
  sockets[0].connected = false;
  const offline = await transport.request(CLIENT_EVENTS.CHAT, { text: "x" });
  assert.equal(offline.ok, false);
  assert.equal(offline.error.code, "timeout");
  assert.equal(sockets[0].emitted.length, 1);
});

test("every server event of the catalogue reaches the dispatcher; an old connection's do not", () => {
  const { transport, dispatcher, sockets } = connected();
  const got = [];
  for (const event of Object.values(SERVER_EVENTS)) dispatcher.on(event, (payload) => got.push([event, payload]));
  sockets[0].raise(SERVER_EVENTS.PARTICIPANT_MOVED, { participant: { id: "a" } });
  sockets[0].raise(SERVER_EVENTS.HAND, "not an object");
  assert.deepEqual(got, [["participant_moved", { participant: { id: "a" } }], ["hand", {}]]);
  transport.connect("again", {});
  assert.equal(transport.generation, 2);
  sockets[0].raise(SERVER_EVENTS.CHAT, { message: { id: 2 } });
  assert.equal(got.length, 2);
  assert.equal(sockets[0].connected, false);
});

test("a handler that throws does not keep the event from the others", () => {
  const dispatcher = new Dispatcher();
  const got = [];
  const quiet = console.error;
  console.error = () => {};
  try {
    dispatcher.on(SERVER_EVENTS.CHAT, () => {
      throw new Error("boom");
    });
    const off = dispatcher.on(SERVER_EVENTS.CHAT, (p) => got.push(p.n));
    dispatcher.dispatch(SERVER_EVENTS.CHAT, { n: 1 });
    off();
    dispatcher.dispatch(SERVER_EVENTS.CHAT, { n: 2 });
  } finally {
    console.error = quiet;
  }
  assert.deepEqual(got, [1]);
});

test("texts go without the control characters the server refuses: each as a space", async () => {
  const { transport, sockets } = connected();
  const payload = { text: "pasted\u000bfrom\u000ca document\u0000", client_id: "c1" };
  transport.request(CLIENT_EVENTS.CHAT, payload);
  assert.deepEqual(sockets[0].emitted[0].payload, { text: "pasted from a document ", client_id: "c1" });
  assert.equal(payload.text, "pasted\u000bfrom\u000ca document\u0000"); // the caller's own is left alone
  // tab, line feed and carriage return are text; a payload with nothing to change goes as it is
  const plain = { text: "two\tlines\r\nhere" };
  assert.equal(withoutControls(plain), plain);
  transport.send(CLIENT_EVENTS.CHAT, { text: "a\u007fb" });
  assert.deepEqual(sockets[0].emitted[1].payload, { text: "a b" });
});
