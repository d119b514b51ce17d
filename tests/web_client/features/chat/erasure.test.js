// `participant_erased` in the chat panel and the people list, drawn on the fake DOM: the person's
// messages (broadcasts included) and the notices about them leave the log and never come back;
// everyone else's stay.
import "../../english.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { installFakeDom, withElements } from "../../fake_dom.js";
import { Store, followServer } from "../../../../web_client/core/store.js";
import { Dispatcher } from "../../../../web_client/core/dispatcher.js";
import { SERVER_EVENTS as E } from "../../../../web_client/core/events.js";
import { ChatPanel } from "../../../../web_client/features/chat/view.js";
import { installPeople } from "../../../../web_client/features/people/view.js";
import { FakeTransport } from "../../fakes.js";

const person = (id, extra = {}) => ({ id, name: id.toUpperCase(), role: "mentee", state: "connected", audio: true, video: true, joined_at: 1, room: "main", ...extra });
const message = (id, from, text, extra = {}) => ({ id, from, name: from.toUpperCase(), role: "mentee", text, sent_at: 1000 + id, room: "main", ...extra });
const participants = [person("me", { role: "mentor" }), person("ana"), person("ben")];
const ack = (list = participants) => ({ ok: true, participant: participants[0], participants: list, room: { id: "main" }, breakouts: null });

/** A mentor's page with Ana and Ben, its chat panel and people list on the fake DOM. */
function page() {
  const body = installFakeDom();
  withElements(body, ["ul#chat-log", "form#chat-form", "textarea#chat-input", "p#chat-error", "span#chat-unread", "button#chat-send", "ul#participant-list", "span#people-count"]);
  const store = new Store({ now: () => 1000 });
  const dispatcher = new Dispatcher();
  followServer(store, dispatcher);
  store.joined(ack(), { audio: true, video: true });
  const chat = new ChatPanel({ store, dispatcher, transport: new FakeTransport(), isVisible: () => false });
  const people = installPeople(store);
  people.render();
  const log = document.getElementById("chat-log");
  const shown = () => ({
    messages: log.children.filter((li) => li.classes.has("chat-message")).map((li) => Number(li.dataset.id)),
    notices: log.children.filter((li) => li.classes.has("chat-notice")).map((li) => li.children[0].textContent),
    text: log.textContent,
  });
  const rows = () => document.getElementById("participant-list").children.map((li) => li.dataset.id);
  return { store, dispatcher, chat, shown, rows };
}

test("an erased person's messages, broadcasts and notices leave the chat; everyone else's stay", () => {
  const { store, dispatcher, chat, shown } = page();
  chat.setHistory([message(1, "ana", "Hi all"), message(2, "ben", "Ben's secret"), message(3, "me", "Welcome")]);
  chat.addNotice("Ana joined", undefined, ["ana"]);
  dispatcher.dispatch(E.CHAT, { message: message(4, "ben", "Ben to every room", { broadcast: true }) });
  dispatcher.dispatch(E.CHAT, { message: message(5, "ana", "Thanks") });
  chat.addNotice("Ben left", undefined, ["ben"]);
  chat.addNotice("You are now in Main room");
  assert.deepEqual(shown().messages, [1, 2, 3, 4, 5]);
  assert.equal(document.getElementById("chat-unread").textContent, "2");

  dispatcher.dispatch(E.PARTICIPANT_LEFT, { participant_id: "ben", reason: "removed" });
  dispatcher.dispatch(E.PARTICIPANT_ERASED, { participant_id: "ben", message_ids: [2, 4] });

  const after = shown();
  assert.deepEqual(after.messages, [1, 3, 5]);
  assert.deepEqual(after.notices, ["Ana joined", "You are now in Main room"]);
  assert.doesNotMatch(after.text, /Ben|BEN/);
  assert.match(after.text, /Hi all[\s\S]*Welcome[\s\S]*Thanks/);
  // Ben's unread broadcast no longer counts.
  assert.equal(document.getElementById("chat-unread").textContent, "1");
  // Not shown again: a message held back until now, a history that still had one, a repeat of
  // the event.
  dispatcher.dispatch(E.CHAT, { message: message(2, "ben", "Ben's secret") });
  dispatcher.dispatch(E.CHAT, { message: message(6, "ben", "late") });
  chat.addMessages([message(4, "ben", "Ben to every room"), message(7, "ana", "New")]);
  dispatcher.dispatch(E.PARTICIPANT_ERASED, { participant_id: "ben", message_ids: [2, 4] });
  assert.deepEqual(shown().messages, [1, 3, 5, 7]);
  chat.setHistory([message(1, "ana", "Hi all"), message(2, "ben", "Ben's secret"), message(3, "me", "Welcome")]);
  assert.deepEqual(shown().messages, [1, 3]);
  assert.equal(store.participants.has("ben"), false);
});

test("an erased person leaves the people list; the others stay", () => {
  const { store, dispatcher, rows } = page();
  assert.deepEqual(rows(), ["me", "ana", "ben"]);
  assert.equal(document.getElementById("people-count").textContent, "3");
  // Ben dropped (his row says he is reconnecting), then a deletion request erases him: the event
  // alone takes him out, whatever came before it.
  dispatcher.dispatch(E.PARTICIPANT_LEFT, { participant_id: "ben", reason: "disconnected" });
  assert.deepEqual(rows(), ["me", "ana", "ben"]);
  dispatcher.dispatch(E.PARTICIPANT_ERASED, { participant_id: "ben", message_ids: [] });
  assert.deepEqual(rows(), ["me", "ana"]);
  assert.equal(document.getElementById("people-count").textContent, "2");
  assert.doesNotMatch(document.getElementById("participant-list").textContent, /BEN/);
  assert.match(document.getElementById("participant-list").textContent, /ANA/);
  assert.equal(store.name("ben"), "Someone");
});

test("a chat left with nothing says so again", () => {
  const { dispatcher, chat, shown } = page();
  chat.setHistory([message(9, "ben", "Only me")]);
  dispatcher.dispatch(E.PARTICIPANT_ERASED, { participant_id: "ben", message_ids: [9] });
  assert.deepEqual(shown().messages, []);
  assert.equal(document.getElementById("chat-log").children[0].classes.has("chat-empty"), true);
});

test("erased while this page was away: the rejoin finds them gone and the chat drops them too", () => {
  const { store, chat, shown, rows } = page();
  chat.setHistory([message(1, "ana", "Hi"), message(2, "ben", "Bye")]);
  chat.addNotice("BEN left", undefined, ["ben"]);
  // Back in the same room: the acknowledgement no longer lists Ben (the session lists those who
  // left; only a deletion request takes someone out of it).
  store.joined(ack([participants[0], participants[1]]), { audio: true, video: true });
  assert.deepEqual([...store.erased], ["ben"]);
  assert.deepEqual(shown().messages, [1]);
  assert.deepEqual(shown().notices, []);
  assert.deepEqual(rows(), ["me", "ana"]);
});
