import { test } from "node:test";
import assert from "node:assert/strict";
import "../../english.js";
import { installJoining } from "../../../../web_client/features/session/joining.js";
import { Transport } from "../../../../web_client/core/transport.js";
import { Dispatcher } from "../../../../web_client/core/dispatcher.js";
import { CLIENT_EVENTS, CONNECTION_EVENTS } from "../../../../web_client/core/events.js";
import { FakeSocket, eventually } from "../../fakes.js";

/**
 * Joining as app.js wires it, over the real transport and a fake socket; what it asks of the
 * page is recorded.
 * @param {object} [at]  the page's state
 */
function joiningPage(at = {}) {
  const page = {
    state: "joining", token: "the-token", sessionId: "s1", name: "Ben", resume: "r-1",
    joinedOnce: false, stopReason: "left", ...at,
  };
  /** @type {FakeSocket[]} */
  const sockets = [];
  const transport = new Transport({
    io: (/** @type {string} */ _url, /** @type {any} */ options) => {
      const s = new FakeSocket();
      s.options = options;
      sockets.push(s);
      return s;
    },
    url: "http://tandem.test",
    dispatcher: new Dispatcher(),
  });
  /** @type {string[]} */
  const log = [];
  const joining = installJoining({
    page, transport,
    replay: { connecting: () => log.push("replay.connecting") },
    media: { sending: () => ({ audio: true, video: false }) },
    captions: { joinPayload: () => ({}) },
    joinScreen: { visible: false, waiting: (text) => log.push(`waiting-screen ${text}`), failed: (text) => log.push(`failed ${text}`) },
    showJoin: async () => {
      log.push("showJoin");
    },
    refused: (code) => log.push(`refused ${code}`),
    message: (m) => log.push(`message ${m.state}`),
    waiting: () => log.push("waiting"),
    joined: (ack) => log.push(`joined ${ack.participant.id}`),
    disconnected: (reason) => log.push(`disconnected ${reason}`),
  });
  /** The server's acknowledgement of the last `join` sent. @param {any} ack */
  const answer = (ack) => {
    const joins = sockets.at(-1).emitted.filter((e) => e.event === CLIENT_EVENTS.JOIN);
    joins.at(-1).ack(null, ack);
  };
  const joins = () => sockets.at(-1).emitted.filter((e) => e.event === CLIENT_EVENTS.JOIN).map((e) => e.payload);
  return { page, joining, sockets, log, answer, joins };
}

test("connected, the page sends `join` with its name, resume token and media; the answer lets it in", async () => {
  const { page, joining, sockets, log, answer, joins } = joiningPage();
  joining.connect();
  assert.equal(page.stopReason, null);
  assert.equal(sockets[0].options.auth.token, "the-token");
  sockets[0].connected = true;
  sockets[0].raise(CONNECTION_EVENTS.CONNECT);
  assert.deepEqual(joins(), [{ audio: true, video: false, name: "Ben", resume: "r-1" }]);
  answer({ ok: true, participant: { id: "p1" } });
  await eventually(() => log.includes("joined p1"));
  assert.deepEqual(log, ["replay.connecting", "joined p1"]);
});

test("a mentor lets people in: the answer says to wait", async () => {
  const { joining, sockets, log, answer } = joiningPage();
  joining.connect();
  sockets[0].connected = true;
  sockets[0].raise(CONNECTION_EVENTS.CONNECT);
  answer({ ok: true, waiting: true });
  await eventually(() => log.includes("waiting"));
});

test("a resume token no longer accepted is dropped and the join sent again without it, once", async () => {
  const { page, joining, sockets, log, answer, joins } = joiningPage();
  joining.connect();
  sockets[0].connected = true;
  sockets[0].raise(CONNECTION_EVENTS.CONNECT);
  answer({ ok: false, error: { code: "resume_expired", message: "" } });
  await eventually(() => joins().length === 2);
  assert.equal(page.resume, null);
  assert.deepEqual(joins()[1], { audio: true, video: false, name: "Ben" });
  answer({ ok: false, error: { code: "session_full", message: "" } });
  await eventually(() => log.includes("refused session_full"));
  assert.equal(sockets[0].connected, false);
});

test("a refused connection is the page's to show; an unreachable server while joining says so", () => {
  const { joining, sockets, log } = joiningPage();
  joining.connect();
  sockets[0].raise(CONNECTION_EVENTS.CONNECT_ERROR, { message: "no", data: { code: "token_invalid" } });
  assert.deepEqual(log, ["refused token_invalid"]);
  const other = joiningPage();
  other.joining.connect();
  other.sockets[0].raise(CONNECTION_EVENTS.CONNECT_ERROR, { message: "xhr poll error" });
  assert.deepEqual(other.log, ["message joining"]);
});

test("a name refused before the first join goes back to the join screen", async () => {
  const { joining, sockets, log, answer } = joiningPage({ resume: null });
  joining.connect();
  sockets[0].connected = true;
  sockets[0].raise(CONNECTION_EVENTS.CONNECT);
  answer({ ok: false, error: { code: "invalid_payload", message: "" } });
  await eventually(() => log.some((l) => l.startsWith("failed ")));
  assert.deepEqual(log, ["replay.connecting", "showJoin", "failed Please check your name and try again."]);
  assert.equal(sockets[0].connected, false);
});
