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
// Sent again: the first this many at once, then one per `RESEND_GAP_MS`, under the server's limit
// of caption texts (5 a second, bursts of 20), which the captioner's typing shares.
const RESEND_AT_ONCE = 10;
const RESEND_GAP_MS = 250;

/**
 * Sending the captioner's lines: a final line the connection took is kept (`count`) and sent again
 * by `resend`, in order; partials are not (the final replaces them). A line sent again that the
 * server had taken before the drop shows twice: rarer, and less harmful, than a lost line.
 * @param {(caption: CaptionText) => Promise<import("../../core/types.js").Ack>} send
 * @param {() => boolean} connected
 * @param {(ack: import("../../core/types.js").Ack) => void} refused  a refusal other than no answer
 * @param {() => void} [changed]  the number kept changed
 * @param {(ms: number) => Promise<void>} [pause]
 */
export function keptFinals(send, connected, refused, changed = () => {}, pause = (ms) => new Promise((ok) => setTimeout(ok, ms))) {
  /** @type {CaptionText[]} */
  let kept = [];
  /** @param {CaptionText} caption */
  async function deliver(caption) {
    const ack = await send(caption);
    if (ack.ok) return;
    if (ack.error.code === "timeout" && caption.final && !connected()) {
      kept.push(caption);
      if (kept.length > FINALS_KEPT_MAX) kept.shift();
      changed();
    } else if (ack.error.code !== "timeout") refused(ack);
  }
  return {
    deliver,
    count: () => kept.length,
    /** Back in the session: the kept lines go, oldest first. */
    async resend() {
      const lines = kept;
      kept = [];
      if (lines.length) changed();
      for (const [i, caption] of lines.entries()) {
        if (i >= RESEND_AT_ONCE) await pause(RESEND_GAP_MS);
        await deliver(caption);
      }
    },
    /** Leaving, or captions turned off: the kept lines are not sent. */
    drop() {
      const had = kept.length;
      kept = [];
      if (had) changed();
    },
  };
}

/**
 * @param {object} ctx
 * @param {(caption: CaptionText) => Promise<import("../../core/types.js").Ack>} ctx.send
 * @param {() => boolean} ctx.connected
 * @param {(text: string) => void} ctx.alert
 */
export function createCaptionerPanel({ send, connected, alert }) {
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

  const finals = keptFinals(send, connected, (ack) => !ack.ok && alert(refusedWords(ack.error, "captions.captioner.refused")), () => {
    const n = finals.count();
    waiting.textContent = n ? t("captions.captioner.waiting", { count: n }) : "";
  });
  const typed = typedCaptions((c) => {
    finals.deliver(c);
  });
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
    resend: () => finals.resend(),
    drop: () => finals.drop(),
  };
}
