// The captioner's panel: whom they caption (the people in their room, or "Unknown speaker") and
// the text box. Typing sends partials (throttled); Enter sends the final and clears the box.

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

/**
 * @param {object} ctx
 * @param {(caption: CaptionText) => Promise<import("../../core/types.js").Ack>} ctx.send
 * @param {(text: string) => void} ctx.alert
 */
export function createCaptionerPanel({ send, alert }) {
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
  form.append(speakerField, textField, help);
  panel.append(heading, form);

  const typed = typedCaptions((c) => {
    send(c).then((ack) => {
      if (!ack.ok && ack.error.code !== "timeout") alert(refusedWords(ack.error, "captions.captioner.refused"));
    });
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
  };
}
