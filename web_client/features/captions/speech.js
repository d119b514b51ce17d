// The browser's own speech recognition (Web Speech API) for "Caption my speech in this browser":
// continuous, with interim results; each result of a run is one utterance. Partials go out
// throttled (about twice a second), a final at once. The browser stops a run after a silence or
// a network hiccup: while wanted, a new run starts.

import { PARTIAL_EVERY_MS, clip, throttle, utteranceId } from "./state.js";

/**
 * The part of SpeechRecognition used here.
 * @typedef {object} Recognition
 * @property {boolean} continuous
 * @property {boolean} interimResults
 * @property {string} lang
 * @property {((e: any) => void) | null} onresult
 * @property {((e: any) => void) | null} onerror
 * @property {(() => void) | null} onend
 * @property {() => void} start
 * @property {() => void} stop
 * @property {() => void} abort
 */

/** @typedef {new () => Recognition} RecognitionClass */

/** The browser's SpeechRecognition class, or null where there is none. @param {any} scope */
export function recognitionClass(scope) {
  const found = scope && (scope.SpeechRecognition || scope.webkitSpeechRecognition);
  return typeof found === "function" ? /** @type {RecognitionClass} */ (found) : null;
}

const RESTART_MS = 300;
// Errors after which trying again cannot help: no permission, or no recognition service.
const FATAL = new Set(["not-allowed", "service-not-allowed", "language-not-supported"]);

export class BrowserCaptions {
  /**
   * @param {object} options
   * @param {RecognitionClass} options.Recognition
   * @param {(utterance: string, text: string, final: boolean) => void} options.send
   * @param {(reason: string) => void} options.failed  recognition cannot go on (permission, service)
   * @param {() => boolean} options.allowed  false while the microphone is muted: nothing is sent
   * @param {string} [options.lang]
   * @param {number} [options.everyMs]
   */
  constructor({ Recognition, send, failed, allowed, lang = "", everyMs = PARTIAL_EVERY_MS }) {
    this.Recognition = Recognition;
    this.send = send;
    this.failed = failed;
    this.allowed = allowed;
    this.lang = lang;
    this.wanted = false;
    /** @type {Recognition | null} */
    this.recognition = null;
    this.run = 0;
    /** @type {Map<string, {push: (text: string) => void, cancel: () => void}>} */
    this.partials = new Map();
    this.everyMs = everyMs;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.restartTimer = undefined;
    /** @type {Map<string, string>} result (run and index) -> its utterance id, for the whole of its life */
    this.ids = new Map();
    /** @type {Set<string>} results whose final went out (a browser may report one again) */
    this.done = new Set();
  }

  get running() {
    return this.wanted;
  }

  start() {
    if (this.wanted) return;
    this.wanted = true;
    this.begin();
  }

  stop() {
    this.wanted = false;
    clearTimeout(this.restartTimer);
    for (const t of this.partials.values()) t.cancel();
    this.partials.clear();
    const r = this.recognition;
    this.recognition = null;
    if (r) {
      r.onresult = r.onerror = r.onend = null;
      try {
        r.abort();
      } catch (e) {
        /* already stopped */
      }
    }
  }

  begin() {
    if (!this.wanted) return;
    let r;
    try {
      r = new this.Recognition();
    } catch (e) {
      this.wanted = false;
      this.failed("unavailable");
      return;
    }
    r.continuous = true;
    r.interimResults = true;
    if (this.lang) r.lang = this.lang;
    this.run += 1;
    const prefix = `b${this.run}-`;
    r.onresult = (e) => this.results(e, prefix);
    r.onerror = (e) => {
      const code = (e && e.error) || "error";
      if (FATAL.has(code)) {
        this.stop();
        this.failed(code);
      }
    };
    r.onend = () => {
      if (this.recognition !== r) return;
      this.recognition = null;
      for (const t of this.partials.values()) t.cancel();
      this.partials.clear();
      if (this.wanted) this.restartTimer = setTimeout(() => this.begin(), RESTART_MS);
    };
    this.recognition = r;
    try {
      r.start();
    } catch (e) {
      this.recognition = null;
      this.wanted = false;
      this.failed("unavailable");
    }
  }

  /** @param {any} e  a SpeechRecognitionEvent @param {string} prefix */
  results(e, prefix) {
    const list = e && e.results;
    if (!list) return;
    for (let i = e.resultIndex || 0; i < list.length; i++) {
      const result = list[i];
      const text = clip(String((result && result[0] && result[0].transcript) || "").trim());
      const key = `${prefix}${i}`;
      if (this.done.has(key) || !this.allowed()) continue; // muted: what the microphone hears stays here
      const utterance = this.idOf(key, prefix, i);
      let t = this.partials.get(key);
      if (result.isFinal) {
        if (t) t.cancel();
        this.partials.delete(key);
        this.done.add(key);
        if (this.done.size > 200) this.done.delete(this.done.values().next().value || "");
        this.send(utterance, text, true);
        continue;
      }
      if (!text) continue;
      if (!t) {
        t = throttle((/** @type {string} */ latest) => this.send(utterance, latest, false), { everyMs: this.everyMs });
        this.partials.set(key, t);
      }
      t.push(text);
    }
  }

  /** @param {string} key @param {string} prefix @param {number} index */
  idOf(key, prefix, index) {
    const known = this.ids.get(key);
    if (known) return known;
    const fresh = utteranceId(prefix, index);
    this.ids.set(key, fresh);
    if (this.ids.size > 200) this.ids.delete(this.ids.keys().next().value || "");
    return fresh;
  }
}
