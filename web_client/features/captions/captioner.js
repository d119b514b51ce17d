// The captioner's panel: whom they caption (the people in their room, or "Unknown speaker") and
// the text box. Typing sends partials (throttled); Enter sends the final and clears the box. A
// final line typed while the connection is down (or whose answer it took) is kept and sent again,
// in order, once the page is back in the session.

import { el } from "../../ui/dom.js";
import { t } from "../../ui/i18n.js";
import { clip, throttle, utteranceId } from "./state.js";
import { refusedWords } from "../../ui/wording.js";

/** @typedef {import("../../core/types.js").Participant} Participant */
/** @typedef {import("./commands.js").CaptionText} CaptionText */

/**
 * The speakers a captioner can pick: connected people in their room who speak (not observers or
 * other captioners), by name.
 * @param {Iterable<Participant>} participants
 * @param {(p: Participant) => boolean} inMyRoom
 * @param {string | null} selfId
 * @returns {Participant[]}
 */
export function speakersToCaption(participants, inMyRoom, selfId) {
  return [...participants]
    .filter((p) => p.id !== selfId && p.state === "connected" && inMyRoom(p) && p.role !== "observer" && p.role !== "captioner")
    .sort((a, b) => a.name.localeCompare(b.name) || (a.id < b.id ? -1 : 1));
}

/**
 * What the captioner types, as caption texts: one utterance from the first character to Enter.
 * @param {(caption: CaptionText) => void} send
 * @param {{everyMs?: number}} [options]
 */
export function typedCaptions(send, options = {}) {
  let n = 0;
  /** @type {string | null} */
  let utterance = null;
  let speaker = "";
  const partial = throttle((/** @type {CaptionText} */ c) => send(c), options);
  return {
    /** The box's text changed. @param {string} speakerId @param {string} text */
    typed(speakerId, text) {
      const words = clip(text.trim());
      if (!words) return;
      if (utterance === null || speakerId !== speaker) {
        n += 1;
        utterance = utteranceId("c", n);
        speaker = speakerId;
      }
      partial.push({ speaker_id: speaker, utterance, text: words, final: false });
    },
    /** Enter: the final, then a new utterance. @param {string} speakerId @param {string} text */
    done(speakerId, text) {
      const words = clip(text.trim());
      partial.cancel();
      if (words) {
        const id = utterance !== null && speakerId === speaker ? utterance : utteranceId("c", ++n);
        send({ speaker_id: speakerId, utterance: id, text: words, final: true });
      }
      utterance = null;
    },
  };
}

// The final lines kept for the connection at most (the oldest go first past it).
export const FINALS_KEPT_MAX = 50;
// A backlog goes out the first this many at once, then one per `RESEND_GAP_MS`, under the
// server's limit of caption texts (5 a second, bursts of 20); a line refused for the rate is sent
// again after `RATE_WAIT_MS`.
const RESEND_AT_ONCE = 10;
const RESEND_GAP_MS = 250;
const RATE_WAIT_MS = 1000;

/**
 * @typedef {import("../../core/types.js").Ack} Ack
 * @typedef {(ms: number) => Promise<void>} Pause
 */

/**
 * Sending a captioner's lines in the order typed. Final lines go through one queue, sent by one
 * worker while the page is in the session (`joined`); from a drop (`dropped`) to the next join
 * they wait in it, and a line whose answer the drop took goes again. A line that got no answer
 * while the connection still seemed up is sent again only if the connection then drops (until
 * then the server is taken to be slow: an answer to a later line says it is there). A line sent
 * again that the server had taken shows twice: rarer, and less harmful, than a lost line.
 * Partial lines are sent only when no final waits (the final replaces them).
 * @param {(caption: CaptionText) => Promise<Ack>} send
 * @param {(ack: Ack) => void} refused  the first refusal of a run of the worker (not for the rate
 *   or a missing answer)
 * @param {() => void} [changed]  the lines waiting changed (`waiting`)
 * @param {Pause} [pause]
 */
export function keptFinals(send, refused, changed = () => {}, pause = (ms) => new Promise((ok) => setTimeout(ok, ms))) {
  /** @type {CaptionText[]} the final lines to send, oldest first */
  let queue = [];
  /** @type {CaptionText[]} sent with no answer while the connection seemed up */
  let unanswered = [];
  let joined = true;
  let working = false;
  let generation = 0; // `drop` ends a run of the worker

  /** @param {CaptionText} caption */
  function keep(caption) {
    queue.push(caption);
    if (queue.length > FINALS_KEPT_MAX) queue.shift();
  }

  async function work() {
    if (working || !joined) return;
    working = true;
    const run = generation;
    /** @type {Ack | null} */
    let firstRefusal = null;
    let sent = 0;
    try {
      while (joined && run === generation && queue.length) {
        if (sent >= RESEND_AT_ONCE) {
          await pause(RESEND_GAP_MS);
          if (!joined || run !== generation || !queue.length) break;
        }
        const caption = queue[0];
        const ack = await send(caption);
        if (run !== generation) break;
        if (!ack.ok && (ack.error.code === "timeout" || ack.error.code === "not_joined")) {
          if (!joined) break; // the drop took it: it stays first, for the next join
          unanswered.push(queue.shift() || caption);
        } else if (!ack.ok && ack.error.code === "rate_limited") {
          await pause(RATE_WAIT_MS);
          continue;
        } else {
          queue.shift();
          if (ack.ok) unanswered = [];
          else if (!firstRefusal) firstRefusal = ack;
        }
        sent += 1;
        changed();
      }
    } finally {
      working = false;
    }
    if (firstRefusal && run === generation) refused(firstRefusal);
    if (joined && queue.length) work(); // lines typed after a `drop` that ended this run
  }

  return {
    /** A line typed. @param {CaptionText} caption */
    deliver(caption) {
      if (!caption.final) {
        if (joined && !working && !queue.length) {
          send(caption).then((ack) => {
            if (!ack.ok && !["timeout", "rate_limited", "not_joined"].includes(ack.error.code)) refused(ack);
          });
        }
        return;
      }
      keep(caption);
      changed();
      work();
    },
    /** The lines waiting for the connection (none while in the session). */
    waiting: () => (joined ? 0 : queue.length),
    /** The connection dropped: what had no answer goes again, first, once back. */
    dropped() {
      joined = false;
      queue = [...unanswered, ...queue].slice(-FINALS_KEPT_MAX);
      unanswered = [];
      changed();
    },
    /** Back in the session: the lines waiting go, in order. */
    joined() {
      joined = true;
      changed();
      return work();
    },
    /** Leaving, or captions turned off: the lines waiting are not sent. */
    drop() {
      generation += 1;
      queue = [];
      unanswered = [];
      changed();
    },
  };
}

/**
 * @param {object} ctx
 * @param {(caption: CaptionText) => Promise<Ack>} ctx.send
 * @param {(text: string) => void} ctx.alert
 * @param {() => string} [ctx.room]  the captioner's room now: each line carries the room it was typed in
 */
export function createCaptionerPanel({ send, alert, room }) {
  const panel = el("section", { id: "captioner-panel", class: "captioner-panel", "aria-labelledby": "captioner-heading", hidden: true });
  const heading = el("h2", { id: "captioner-heading", class: "visually-hidden" }, t("captions.captioner.heading"));
  const form = el("form", { class: "captioner-form", novalidate: true });
  const speakerField = el("div", { class: "captioner-field" });
  const select = el("select", { id: "captioner-speaker" });
  speakerField.append(el("label", { for: "captioner-speaker" }, t("captions.captioner.speaker")), select);
  const textField = el("div", { class: "captioner-field captioner-field-text" });
  const input = el("input", { type: "text", id: "captioner-text", autocomplete: "off", maxlength: "500", "aria-describedby": "captioner-help" });
  textField.append(el("label", { for: "captioner-text" }, t("captions.captioner.caption")), input);
  const help = el("p", { id: "captioner-help", class: "help" }, t("captions.captioner.help"));
  const waiting = el("p", { id: "captioner-waiting", class: "help", role: "status" });
  form.append(speakerField, textField, help, waiting);
  panel.append(heading, form);

  const finals = keptFinals(send, (ack) => !ack.ok && alert(refusedWords(ack.error, "captions.captioner.refused")), () => {
    const n = finals.waiting();
    const text = n ? t("captions.captioner.waiting", { count: n }) : "";
    if (waiting.textContent !== text) waiting.textContent = text;
  });
  // A line goes to the room it was typed in, even when it waits for the connection: the server
  // refuses it once the captioner is in another room.
  const typed = typedCaptions((c) => finals.deliver(room ? { ...c, room: room() } : c));
  input.addEventListener("input", () => typed.typed(select.value, input.value));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    typed.done(select.value, input.value);
    input.value = "";
  });

  return {
    panel,
    /** @param {Participant[]} speakers */
    renderSpeakers(speakers) {
      const chosen = select.value;
      const options = [el("option", { value: "" }, t("captions.unknown_speaker")), ...speakers.map((p) => el("option", { value: p.id }, p.name))];
      const same = select.options.length === options.length && options.every((o, i) => select.options[i].value === o.value && select.options[i].text === o.text);
      if (!same) select.replaceChildren(...options);
      select.value = options.some((o) => o.value === chosen) ? chosen : speakers.length === 1 ? speakers[0].id : "";
    },
    /** @param {boolean} shown */
    show(shown) {
      panel.hidden = !shown;
    },
    dropped: () => finals.dropped(),
    joined: () => finals.joined(),
    drop: () => finals.drop(),
  };
}
