// Chat panel: history from the join acknowledgement, live `chat` events, notices (joins, leaves)
// as system lines, and the message box (Enter sends, Shift+Enter adds a line).

import { ROLE_NAMES } from "./messages.js";

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export class ChatPanel {
  /**
   * @param {object} opts
   * @param {(text: string) => Promise<{ok: boolean, error?: object}>} opts.send
   * @param {() => boolean} opts.isVisible  whether the person can see the chat (for the unread count)
   */
  constructor({ send, isVisible }) {
    this.log = document.getElementById("chat-log");
    this.form = document.getElementById("chat-form");
    this.input = document.getElementById("chat-input");
    this.error = document.getElementById("chat-error");
    this.unread = document.getElementById("chat-unread");
    this.send = send;
    this.isVisible = isVisible;
    this.seen = new Set(); // message ids already shown (history and live events may overlap)
    this.selfId = null;
    this.unreadCount = 0;
    this.sending = false;

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
  }

  /** Replace the log with the history from a join acknowledgement (oldest first). */
  setHistory(messages, selfId) {
    this.selfId = selfId;
    this.log.setAttribute("aria-live", "off"); // do not read the whole history aloud
    this.log.replaceChildren();
    this.seen.clear();
    const list = Array.isArray(messages) ? messages : [];
    if (list.length === 0) {
      const empty = document.createElement("li");
      empty.className = "chat-empty";
      empty.textContent = "No messages yet. Say hello!";
      this.log.append(empty);
    }
    for (const m of list) this._append(m);
    this._scrollToEnd(true);
    // Live messages from now on are announced politely.
    requestAnimationFrame(() => this.log.setAttribute("aria-live", "polite"));
  }

  addMessage(message) {
    if (!message || this.seen.has(message.id)) return;
    const atEnd = this._nearEnd();
    this.log.querySelector(".chat-empty")?.remove();
    this._append(message);
    this._scrollToEnd(atEnd || message.from === this.selfId);
    if (message.from !== this.selfId && !this.isVisible()) {
      this.unreadCount += 1;
      this._renderUnread();
    }
  }

  addNotice(text, at = Date.now() / 1000) {
    const atEnd = this._nearEnd();
    const li = document.createElement("li");
    li.className = "chat-notice";
    const time = timeElement(at);
    const span = document.createElement("span");
    span.textContent = text;
    li.append(span, " ", time);
    this.log.querySelector(".chat-empty")?.remove();
    this.log.append(li);
    this._scrollToEnd(atEnd);
  }

  markRead() {
    this.unreadCount = 0;
    this._renderUnread();
  }

  async submit() {
    const text = this.input.value.trim();
    if (!text) return;
    if (text.length > 2000) {
      this.showError(`That message is too long (${text.length} characters). The limit is 2,000.`);
      return;
    }
    this.sending = true;
    // Clear at once (feels immediate on a slow connection); put the text back if it fails.
    this.input.value = "";
    try {
      const ack = await this.send(text);
      if (ack && ack.ok) {
        if (ack.message) this.addMessage(ack.message);
      } else {
        if (!this.input.value) this.input.value = text;
        const code = ack && ack.error && ack.error.code;
        if (code === "rate_limited") this.showError("You are sending messages very quickly. Wait a moment, then press Send again.");
        else if (code === "payload_too_large" || code === "invalid_payload") this.showError("That message couldn't be sent: it is empty or too long.");
        else if (code === "timeout") this.showError("Your message wasn't delivered: the connection is slow or lost. Press Send to try again.");
        else this.showError((ack && ack.error && ack.error.message) || "Your message couldn't be sent. Try again.");
      }
    } finally {
      this.sending = false;
    }
  }

  showError(text) {
    this.error.textContent = text;
    this.error.hidden = !text;
  }

  setEnabled(enabled) {
    this.input.disabled = !enabled;
    this.form.querySelector("button[type=submit]").disabled = !enabled;
  }

  _append(m) {
    this.seen.add(m.id);
    const li = document.createElement("li");
    li.className = "chat-message" + (m.from === this.selfId ? " chat-own" : "");
    li.dataset.id = String(m.id);
    const head = document.createElement("p");
    head.className = "chat-meta";
    const who = document.createElement("span");
    who.className = "chat-author";
    who.textContent = m.from === this.selfId ? `${m.name} (you)` : m.name;
    head.append(who);
    if (m.role && m.role !== "mentee") {
      const role = document.createElement("span");
      role.className = "chat-role";
      role.textContent = ROLE_NAMES[m.role] || m.role;
      head.append(" ", role);
    }
    if (m.broadcast) {
      // A mentor's message to every breakout room at once (breakout_broadcast).
      const to = document.createElement("span");
      to.className = "chat-role chat-broadcast";
      to.textContent = "to every room";
      head.append(" ", to);
    }
    head.append(" ", timeElement(m.sent_at));
    const body = document.createElement("p");
    body.className = "chat-text";
    body.textContent = m.text; // never innerHTML: chat is untrusted
    li.append(head, body);
    this.log.append(li);
  }

  _nearEnd() {
    const l = this.log;
    return l.scrollHeight - l.scrollTop - l.clientHeight < 60;
  }

  _scrollToEnd(force) {
    if (force) this.log.scrollTop = this.log.scrollHeight;
  }

  _renderUnread() {
    this.unread.textContent = String(this.unreadCount);
    this.unread.hidden = this.unreadCount === 0;
    this.unread.setAttribute("aria-label", `${this.unreadCount} unread`);
  }
}

function timeElement(seconds) {
  const date = new Date((Number(seconds) || Date.now() / 1000) * 1000);
  const t = document.createElement("time");
  t.className = "chat-time";
  t.dateTime = date.toISOString();
  t.title = fullFormat.format(date);
  t.textContent = timeFormat.format(date);
  return t;
}
