// The chat panel: history from the join acknowledgement and room changes, live `chat` events,
// notices (joins, leaves) as system lines, and the message box (Enter sends, Shift+Enter adds a
// line). Someone erased by a deletion request (`participant_erased`) leaves nothing here: their
// messages and the notices about them go, and never come back.

import { byId, byIdAs, el } from "../../ui/dom.js";
import { SERVER_EVENTS } from "../../core/events.js";
import { SentOnce } from "../../core/sent_once.js";
import { roomOf } from "../../core/store.js";
import { formatDateTime, formatTime, t } from "../../ui/i18n.js";
import { sendChat } from "./commands.js";
import { loadOutgoing, saveOutgoing } from "./outgoing.js";
import { sendFailure, textProblem, unseen } from "./state.js";

/** @typedef {import("../../core/types.js").ChatMessage} ChatMessage */
/** @typedef {{li: HTMLElement, id: number | null, about: string[]}} Line  a message (its number and author) or a notice about people */

export class ChatPanel {
  /**
   * @param {object} ctx
   * @param {import("../../core/store.js").Store} ctx.store
   * @param {import("../../core/dispatcher.js").Dispatcher} ctx.dispatcher
   * @param {import("../../core/transport.js").Transport} ctx.transport
   * @param {() => boolean} ctx.isVisible  whether the person can see the chat (for the unread count)
   */
  constructor({ store, dispatcher, transport, isVisible }) {
    this.store = store;
    this.transport = transport;
    this.log = byId("chat-log");
    this.form = byIdAs("chat-form", HTMLFormElement);
    this.input = byIdAs("chat-input", HTMLTextAreaElement);
    this.error = byId("chat-error");
    this.unread = byId("chat-unread");
    this.isVisible = isVisible;
    /** @type {Set<number>} message ids already shown (history and live events may overlap) */
    this.seen = new Set();
    /** @type {Line[]} the messages shown, and the notices that name someone */
    this.lines = [];
    /** @type {Set<number>} messages of erased people: never shown again */
    this.erasedIds = new Set();
    /** @type {Set<number>} messages that arrived while the chat was not in view */
    this.unreadIds = new Set();
    this.ids = new SentOnce();
    /**
     * Messages whose answer a lost connection took: sent again, with the same id, once back.
     * @type {{text: string, id: string, line: HTMLElement}[]}
     */
    this.unsent = [];
    /**
     * Every message not answered yet (on its way or waiting), id -> its text and when it was
     * first sent, kept in the tab for a reload (./outgoing.js).
     * @type {Map<string, {text: string, at: number}>}
     */
    this.outgoing = new Map();
    /** Counts `stop`s: a send under way when the person left keeps nothing. */
    this.generation = 0;

    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener("input", () => this.showError(""));
    dispatcher.on(SERVER_EVENTS.CHAT, ({ message }) => this.addMessage(message));
    // Subscribed before the call's own room_changed handler, whose notice comes after the history.
    dispatcher.on(SERVER_EVENTS.ROOM_CHANGED, ({ room, chat }) => room && room.id && this.setHistory(chat));
    // The store tells who was erased (also those a rejoin found gone); the event numbers their
    // messages, broadcasts included.
    store.subscribe("erased", ({ ids }) => this.erase(ids || [], []));
    dispatcher.on(SERVER_EVENTS.PARTICIPANT_ERASED, ({ message_ids: numbers }) => Array.isArray(numbers) && this.erase([], numbers));
  }

  /** Replace the log with a room's history (oldest first). @param {ChatMessage[] | undefined} messages */
  setHistory(messages) {
    this.log.setAttribute("aria-live", "off"); // do not read the whole history aloud
    this.log.replaceChildren();
    this.seen.clear();
    this.lines = [];
    const list = (Array.isArray(messages) ? messages : []).filter((m) => m && this.shows(m));
    if (list.length === 0) this.log.append(el("li", { class: "chat-empty" }, t("chat.empty")));
    for (const m of list) this.append(m);
    this.scrollToEnd(true);
    // Live messages from now on are announced politely.
    requestAnimationFrame(() => this.log.setAttribute("aria-live", "polite"));
  }

  /** @param {ChatMessage | undefined} message */
  addMessage(message) {
    if (!message || this.seen.has(message.id) || !this.shows(message)) return;
    const atEnd = this.nearEnd();
    this.clearEmpty();
    this.append(message);
    const own = message.from === this.store.me.id;
    this.scrollToEnd(atEnd || own);
    if (!own && !this.isVisible()) {
      this.unreadIds.add(message.id);
      this.renderUnread();
    }
  }

  /** Whether a message may be shown: not one of an erased person. @param {ChatMessage} m */
  shows(m) {
    return !this.erasedIds.has(m.id) && !this.store.erased.has(m.from);
  }

  /**
   * Drop what the log shows of erased people: the messages with these numbers, and the messages
   * by and notices about these participants.
   * @param {string[]} people
   * @param {number[]} numbers
   */
  erase(people, numbers) {
    for (const n of numbers) this.erasedIds.add(n);
    const gone = new Set(people);
    this.lines = this.lines.filter((line) => {
      const keep = !(line.id !== null && this.erasedIds.has(line.id)) && !line.about.some((id) => gone.has(id));
      if (!keep) {
        line.li.remove();
        if (line.id !== null) this.unreadIds.delete(line.id);
      }
      return keep;
    });
    this.renderUnread();
    if (this.log.children.length === 0) this.log.append(el("li", { class: "chat-empty" }, t("chat.empty")));
  }

  /** Messages of a history that may overlap what is shown (a rejoin): only the new ones. @param {ChatMessage[] | undefined} messages */
  addMessages(messages) {
    for (const m of unseen(this.seen, messages)) this.addMessage(m);
  }

  /**
   * @param {string} text
   * @param {number} [at]
   * @param {string[]} [about]  the participants it names: it goes if one of them is erased
   */
  addNotice(text, at = Date.now() / 1000, about = []) {
    const atEnd = this.nearEnd();
    const li = el("li", { class: "chat-notice" });
    li.append(el("span", {}, text), " ", timeElement(at));
    this.clearEmpty();
    this.log.append(li);
    if (about.length) this.lines.push({ li, id: null, about: [...about] });
    this.scrollToEnd(atEnd);
  }

  markRead() {
    this.unreadIds.clear();
    this.renderUnread();
  }

  async submit() {
    const text = this.input.value.trim();
    if (!text) return;
    const problem = textProblem(text);
    if (problem) {
      this.showError(problem);
      return;
    }
    // Clear at once (feels immediate on a slow connection); put the text back if it fails.
    this.input.value = "";
    // The same text again after a failure keeps its id: if the first try was posted after all
    // (its answer lost), it is not posted twice.
    await this.send(text, this.ids.take(text));
  }

  /** @param {string} text @param {string} id */
  async send(text, id) {
    const kept = this.outgoing.get(id);
    this.outgoing.set(id, { text, at: kept ? kept.at : Date.now() });
    this.keepOutgoing();
    const generation = this.generation;
    const ack = await sendChat(this.transport, text, id);
    if (generation !== this.generation) return; // the person left meanwhile
    // The connection dropped before the answer: posted or not, it goes again once back.
    const held = !ack.ok && ack.error.code === "timeout" && !this.transport.connected;
    if (!held) {
      this.outgoing.delete(id);
      this.keepOutgoing();
    }
    if (ack.ok) {
      // Shown in the room it was posted in: a message sent again may have been posted the first
      // time before the person was moved to another room.
      if (ack.message && roomOf(ack.message) === this.store.room) this.addMessage(ack.message);
      return;
    }
    if (held) {
      this.holdUntilBack(text, id);
      return;
    }
    this.ids.fail(text, id);
    if (!this.input.value) this.input.value = text;
    this.showError(sendFailure(ack.error));
  }

  /** A message shown as waiting for the connection. @param {string} text @param {string} id */
  holdUntilBack(text, id) {
    const line = messageLine("chat-message chat-own chat-unsent", t("chat.author_you", { name: this.store.me.name || "" }),
      [el("span", { class: "chat-status" }, t("chat.unsent"))], text);
    this.clearEmpty();
    this.log.append(line);
    this.scrollToEnd(true);
    this.unsent.push({ text, id, line });
  }

  /** The unanswered messages, for a reload of this tab. */
  keepOutgoing() {
    saveOutgoing(this.store.me.id || "", [...this.outgoing].map(([id, { text, at }]) => ({ id, text, at })));
  }

  /**
   * The person left, was removed, or the session ended: the messages waiting for the connection
   * are not sent, now or after a reload.
   */
  stop() {
    this.generation += 1;
    for (const { line } of this.unsent) line.remove();
    this.unsent = [];
    this.outgoing.clear();
    this.keepOutgoing();
  }

  /**
   * Back in the session: the messages a lost connection took go again, in order, with those a
   * reload of this tab took (the same person back: their ids are theirs).
   */
  async resend() {
    this.ids.renew(this.transport.droppedAt);
    for (const { id, text, at } of loadOutgoing(this.store.me.id || "", Date.now())) {
      if (!this.outgoing.has(id)) {
        this.outgoing.set(id, { text, at });
        this.holdUntilBack(text, id);
      }
    }
    const unsent = this.unsent;
    this.unsent = [];
    const generation = this.generation;
    for (const { text, id, line } of unsent) {
      if (generation !== this.generation) return;
      line.remove();
      await this.send(text, id);
    }
  }

  /** @param {string} text */
  showError(text) {
    this.error.textContent = text;
    this.error.hidden = !text;
  }

  /** @param {boolean} enabled */
  setEnabled(enabled) {
    this.input.disabled = !enabled;
    byIdAs("chat-send", HTMLButtonElement).disabled = !enabled;
  }

  /** @param {ChatMessage} m */
  append(m) {
    this.seen.add(m.id);
    const own = m.from === this.store.me.id;
    const after = [];
    if (m.role && m.role !== "mentee") after.push(el("span", { class: "chat-role" }, t("chat.role", { role: m.role })));
    // A mentor's message to every breakout room at once (breakout_broadcast).
    if (m.broadcast) after.push(el("span", { class: "chat-role chat-broadcast" }, t("chat.to_every_room")));
    after.push(timeElement(m.sent_at));
    const li = messageLine("chat-message" + (own ? " chat-own" : ""), own ? t("chat.author_you", { name: m.name }) : m.name, after, m.text);
    li.dataset.id = String(m.id);
    this.log.append(li);
    this.lines.push({ li, id: m.id, about: [m.from] });
  }

  /** The line saying there are no messages yet goes once there is one. */
  clearEmpty() {
    this.log.querySelector(".chat-empty")?.remove();
  }

  nearEnd() {
    const l = this.log;
    return l.scrollHeight - l.scrollTop - l.clientHeight < 60;
  }

  /** @param {boolean} force */
  scrollToEnd(force) {
    if (force) this.log.scrollTop = this.log.scrollHeight;
  }

  renderUnread() {
    const count = this.unreadIds.size;
    this.unread.textContent = String(count);
    this.unread.hidden = count === 0;
    this.unread.setAttribute("aria-label", t("chat.unread", { count }));
  }
}

/**
 * A message's line: its author, what is said of it after the name, then its text (as text only:
 * chat is untrusted).
 * @param {string} className
 * @param {string} author
 * @param {HTMLElement[]} after
 * @param {string} text
 */
function messageLine(className, author, after, text) {
  const head = el("p", { class: "chat-meta" });
  head.append(el("span", { class: "chat-author" }, author));
  for (const part of after) head.append(" ", part);
  const li = el("li", { class: className });
  li.append(head, el("p", { class: "chat-text" }, text));
  return li;
}

/** @param {number} seconds */
function timeElement(seconds) {
  const date = new Date((Number(seconds) || Date.now() / 1000) * 1000);
  const time = el("time", { class: "chat-time", title: formatDateTime(date) }, formatTime(date));
  time.dateTime = date.toISOString();
  return time;
}
