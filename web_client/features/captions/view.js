// The DOM of captions: the CC button with the consent label and the options button (call bar),
// the caption lines on the stage (under the video, or over it at the bottom or top) with a live
// region that reads finals only, the options panel (size, position, "Transcribe me", "Caption my
// speech in this browser", the transcript downloads), and the consent on the join page.

import { el } from "../../ui/dom.js";
import { t } from "../../ui/i18n.js";
import { CaptionLog, POSITIONS, SIZES, consentLabel, consentWords, keepNotice, sourceLabel, words } from "./state.js";

/** @typedef {import("./state.js").CaptionLine} CaptionLine */
/** @typedef {import("./state.js").CaptionSettings} CaptionSettings */
/** @typedef {import("../../core/types.js").CaptionConsent} CaptionConsent */

// Icons as inline SVG, decorative: every button has a text label.
const CC_ICON =
  '<svg viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" focusable="false"><rect x="2" y="5" width="20" height="14" rx="2"/><path d="M10.5 10a2 2 0 1 0 0 4"/><path d="M17 10a2 2 0 1 0 0 4"/></svg>';
const OPTIONS_ICON =
  '<svg viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" focusable="false"><path d="M4 6h16"/><path d="M4 12h10"/><path d="M4 18h13"/></svg>';

/** @param {string} id @param {string} svg @param {string} label @param {string} extraClass */
function controlButton(id, svg, label, extraClass) {
  const b = el("button", { type: "button", id, class: `control ${extraClass}` });
  const icon = el("span", { class: "icon", "aria-hidden": "true" });
  icon.innerHTML = svg;
  b.append(icon, el("span", { class: "control-label" }, label));
  return b;
}

/** The CC button, the consent label by it and the options button, in one group of the call bar. */
export function createCaptionControls() {
  const group = el("div", { class: "captions-controls", role: "group", "aria-label": t("captions.group") });
  const cc = controlButton("ctl-captions", CC_ICON, t("captions.cc"), "control-captions");
  cc.setAttribute("aria-pressed", "false");
  cc.setAttribute("aria-describedby", "captions-consent-words");
  const options = controlButton("ctl-captions-options", OPTIONS_ICON, t("captions.options"), "control-captions-options");
  options.setAttribute("aria-expanded", "false");
  options.setAttribute("aria-controls", "captions-panel");
  // The short label shows inside the button (hidden from screen readers, so the toggle keeps one
  // name); the consent in full words describes the button.
  const consent = el("span", { id: "captions-consent", class: "captions-consent", "aria-hidden": "true" });
  cc.append(consent);
  const words = el("span", { id: "captions-consent-words", class: "visually-hidden" });
  group.append(cc, words, options);
  return {
    group,
    cc,
    options,
    /** @param {boolean} on @param {CaptionConsent} c */
    render(on, c) {
      cc.setAttribute("aria-pressed", String(on));
      cc.classList.toggle("control-active", on);
      cc.title = on ? t("captions.hide") : t("captions.show");
      /** @type {HTMLElement} */ (cc.querySelector(".control-label")).textContent = on ? t("captions.cc_on") : t("captions.cc");
      consent.textContent = consentLabel(c);
      words.textContent = consentWords(c);
    },
  };
}

/** The caption lines on the stage, the "running behind" line, and a live region for finals. */
export function createCaptionsRegion() {
  const region = el("section", { id: "captions", class: "captions", "aria-label": t("captions.group"), hidden: true });
  const list = el("ol", { class: "captions-lines" });
  const behind = el("p", { class: "captions-behind", role: "status", hidden: true }, t("captions.behind"));
  const gap = el("p", { class: "captions-behind captions-gap", role: "status", hidden: true }, t("captions.gap"));
  // Screen readers hear finals only (a partial may still change): this region gets them, the
  // visible lines are not live.
  const live = el("div", { class: "visually-hidden", "aria-live": "polite", "aria-atomic": "false", id: "captions-live" });
  region.append(behind, gap, list);

  /**
   * @param {CaptionLine[]} lines  oldest first
   * @param {{name: string}[]} silent  people speaking now who are not captioned
   * @param {number} now
   */
  function render(lines, silent, now) {
    const items = lines.map((line) => {
      const item = el("li", { class: "caption-line" });
      item.dataset.speaker = line.speakerId;
      item.dataset.source = line.source;
      item.dataset.final = String(line.final);
      item.classList.toggle("caption-partial", !line.final);
      item.classList.toggle("caption-fading", CaptionLog.fading(line, now));
      item.append(
        el("span", { class: "caption-speaker" }, `${line.name}:`),
        document.createTextNode(" "),
        el("span", { class: "caption-text" }, line.text),
        document.createTextNode(" "),
        el("span", { class: "caption-source" }, sourceLabel(line.source)),
      );
      return item;
    });
    for (const p of silent) {
      const item = el("li", { class: "caption-line caption-silent" });
      item.append(el("span", { class: "caption-speaker" }, `${p.name}:`), document.createTextNode(" "), el("span", { class: "caption-text" }, t("captions.not_captioned")));
      items.push(item);
    }
    list.replaceChildren(...items);
  }

  return {
    region,
    live,
    render,
    /** @param {boolean} on */
    showBehind(on) {
      behind.hidden = !on;
    },
    /** @param {boolean} on */
    showGap(on) {
      gap.hidden = !on;
    },
    /** Read a final out. @param {string} text */
    say(text) {
      live.append(el("p", {}, text));
      while (live.childElementCount > 3) live.firstElementChild?.remove();
    },
    clearLive() {
      live.replaceChildren();
    },
    /** @param {CaptionSettings} settings */
    applySettings(settings) {
      region.dataset.size = settings.size;
      region.dataset.position = settings.position;
    },
  };
}

/**
 * The options panel.
 * @param {object} actions
 * @param {(size: import("./state.js").CaptionSize) => void} actions.size
 * @param {(position: import("./state.js").CaptionPosition) => void} actions.position
 * @param {(on: boolean) => void} actions.transcribe
 * @param {(on: boolean) => void} actions.browser
 * @param {(format: "vtt" | "srt" | "txt") => void} actions.download
 * @param {() => void} actions.closed  closed with Close or Escape
 */
export function createCaptionsPanel(actions) {
  const panel = el("section", { id: "captions-panel", class: "call-panel captions-panel", "aria-labelledby": "captions-heading", hidden: true });
  const heading = el("h2", { id: "captions-heading" }, t("captions.group"));
  const consent = el("p", { class: "help captions-panel-consent" });

  /** @param {string} name @param {string} legend @param {ReadonlyArray<[string, string]>} options @param {(value: string) => void} onChange */
  function radios(name, legend, options, onChange) {
    const set = el("fieldset", { class: "captions-choice" });
    set.append(el("legend", {}, legend));
    for (const [value, entry] of options) {
      const id = `captions-${name}-${value}`;
      const input = el("input", { type: "radio", name: `captions-${name}`, id, value });
      input.addEventListener("change", () => input.checked && onChange(value));
      const l = el("label", { for: id });
      l.append(input, document.createTextNode(` ${words(entry)}`));
      set.append(l);
    }
    return set;
  }
  const sizes = radios("size", t("captions.size.legend"), SIZES, (v) => actions.size(/** @type {any} */ (v)));
  const positions = radios("position", t("captions.position.legend"), POSITIONS, (v) => actions.position(/** @type {any} */ (v)));

  /** @param {string} id @param {string} label @param {string} help */
  function check(id, label, help) {
    const wrap = el("div", { class: "captions-check" });
    const input = el("input", { type: "checkbox", id, "aria-describedby": `${id}-help` });
    const l = el("label", { for: id });
    l.append(input, document.createTextNode(` ${label}`));
    wrap.append(l, el("p", { id: `${id}-help`, class: "help" }, help));
    return { wrap, input };
  }
  const transcribe = check("captions-transcribe", t("captions.transcribe"), t("captions.transcribe_help"));
  const browser = check("captions-browser", t("captions.browser"), t("captions.browser_help"));
  transcribe.input.addEventListener("change", () => actions.transcribe(transcribe.input.checked));
  browser.input.addEventListener("change", () => actions.browser(browser.input.checked));

  const transcript = el("div", { class: "captions-transcript", role: "group", "aria-labelledby": "captions-transcript-label" });
  transcript.append(el("p", { id: "captions-transcript-label", class: "captions-transcript-label" }, t("captions.transcript.label")));
  // The formats' own names (WebVTT, SRT) are the same in every language; "Text" is a word.
  const formats = /** @type {const} */ ([["vtt", "WebVTT", true], ["srt", "SRT", true], ["txt", t("captions.transcript.txt"), false]]);
  for (const [format, label, name] of formats) {
    const b = el("button", { type: "button", class: "button button-secondary", "aria-label": t("captions.transcript.as", { format: label }) });
    b.append(el("span", { translate: name ? "no" : null }, label));
    b.dataset.format = format;
    b.addEventListener("click", () => actions.download(format));
    transcript.append(b);
  }
  const status = el("p", { class: "help captions-panel-status", role: "status" });
  const close = el("button", { type: "button", class: "button button-secondary captions-close" }, t("captions.close"));
  panel.append(heading, consent, sizes, positions, transcribe.wrap, browser.wrap, transcript, status, close);
  close.addEventListener("click", () => actions.closed());
  panel.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      actions.closed();
    }
  });

  return {
    panel,
    /**
     * @param {object} s
     * @param {CaptionSettings} s.settings
     * @param {CaptionConsent} s.consent
     * @param {boolean} s.transcribed
     * @param {boolean} s.browserOn
     * @param {boolean} s.browserAvailable  the API exists and this person sends a microphone
     * @param {boolean} s.speaks  this person sends a microphone (not a captioner or observer)
     * @param {boolean} s.transcript  may download the transcript here
     */
    render({ settings, consent: c, transcribed, browserOn, browserAvailable, speaks, transcript: mayDownload }) {
      consent.textContent = `${consentWords(c)}.`;
      for (const input of sizes.querySelectorAll("input")) input.checked = input.value === settings.size;
      for (const input of positions.querySelectorAll("input")) input.checked = input.value === settings.position;
      transcribe.wrap.hidden = !speaks;
      transcribe.input.checked = transcribed;
      browser.wrap.hidden = !browserAvailable || !speaks;
      browser.input.checked = browserOn;
      browser.input.disabled = !transcribed;
      transcript.hidden = !mayDownload;
    },
    /** @param {string} text */
    status(text) {
      status.textContent = text;
    },
    /** @param {boolean} open */
    setOpen(open) {
      panel.hidden = !open;
      if (open) {
        const first = /** @type {HTMLElement | null} */ (panel.querySelector("input:checked, input"));
        (first || close).focus();
      }
    },
  };
}

/** The captions setting on the join page, and the notice when a transcript is kept. */
export function createJoinConsent() {
  const element = el("div", { class: "join-captions", hidden: true });
  const line = el("p", { class: "join-captions-line" });
  const notice = el("p", { class: "notice join-captions-notice", hidden: true }, keepNotice());
  element.append(line, notice);
  return {
    element,
    /** @param {CaptionConsent} c */
    show(c) {
      element.hidden = false;
      line.textContent = consentWords(c);
      notice.hidden = c !== "keep";
    },
  };
}
