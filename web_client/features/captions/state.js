// Live captions, the rules and the words (no DOM, no network): the lines on screen (a partial
// replaced by the later partials and the final of the same utterance, a few recent lines kept,
// older ones fading), who speaks without being captioned, the person's settings as remembered on
// this browser, the consent in words (from the language catalogue), and a throttle for partial
// text.

import { t } from "../../ui/i18n.js";

/** @typedef {import("../../core/types.js").Caption} Caption */
/** @typedef {import("../../core/types.js").CaptionConsent} CaptionConsent */
/** @typedef {import("../../core/types.js").CaptionSource} CaptionSource */
/** @typedef {import("../../core/types.js").Participant} Participant */

export const STORAGE_KEY = "tandem:captions";
/** Lines kept on screen. */
export const MAX_LINES = 4;
/** A final line starts to fade this long after it was last changed (ms), and goes at REMOVE_MS. */
export const FADE_MS = 12000;
export const REMOVE_MS = 20000;
/** A partial that nobody completes (its speaker left, a final lost) goes after this long (ms). */
export const STALE_PARTIAL_MS = 15000;
/** Partial text goes out at most about twice a second. */
export const PARTIAL_EVERY_MS = 500;
/** The server takes at most this much text and this long an utterance id. */
export const TEXT_MAX = 500;
export const UTTERANCE_MAX = 40;

/** @typedef {"s" | "m" | "l" | "xl"} CaptionSize */
/** @typedef {"below" | "overlay-bottom" | "overlay-top"} CaptionPosition */
/** @typedef {{on: boolean, size: CaptionSize, position: CaptionPosition}} CaptionSettings */

// The choices with their words as catalogue keys (i18n: and the key; view.js passes them to t()).
/** @type {ReadonlyArray<[CaptionSize, string]>} */
export const SIZES = [
  ["s", "i18n:captions.size.small"],
  ["m", "i18n:captions.size.medium"],
  ["l", "i18n:captions.size.large"],
  ["xl", "i18n:captions.size.extra_large"],
];
/** @type {ReadonlyArray<[CaptionPosition, string]>} */
export const POSITIONS = [
  ["below", "i18n:captions.position.below"],
  ["overlay-bottom", "i18n:captions.position.overlay_bottom"],
  ["overlay-top", "i18n:captions.position.overlay_top"],
];

/** The words of a table entry that names a catalogue key (i18n: and the key). @param {string} entry */
export function words(entry) {
  return t(entry.replace(/^i18n:/, ""));
}

/**
 * One line on screen.
 * @typedef {object} CaptionLine
 * @property {string} key  room, source, speaker and utterance
 * @property {string} speakerId
 * @property {string} name
 * @property {string} text
 * @property {boolean} final
 * @property {CaptionSource} source
 * @property {number} seq  order of arrival of the utterance's first text
 * @property {number} changedAt  this page's clock (ms) when it last changed
 */

/** The words of the session's captions setting (join page and call). @param {CaptionConsent | string | undefined | null} consent */
export function consentWords(consent) {
  if (consent === "keep") return t("captions.consent.keep");
  if (consent === "live") return t("captions.consent.live");
  return t("captions.consent.off");
}

/** The short label by the CC button. @param {CaptionConsent} consent */
export function consentLabel(consent) {
  return consent === "keep" ? t("captions.consent.keep_short") : t("captions.consent.live_short");
}

/** The join page's notice when a transcript is kept. */
export function keepNotice() {
  return t("captions.consent.keep_notice");
}

/** The session's setting, from the join preview or acknowledgement; an older server says nothing: off. @param {unknown} value @returns {CaptionConsent} */
export function parseConsent(value) {
  return value === "live" || value === "keep" ? value : "off";
}

/** How a line says where its words come from. @param {CaptionSource | string | undefined} source */
export function sourceLabel(source) {
  if (source === "browser") return t("captions.source.browser");
  if (source === "captioner") return t("captions.source.captioner");
  return t("captions.source.auto");
}

/** @param {Caption} c */
function keyOf(c) {
  return [c.room || "", c.source || "server", c.speaker_id || "", c.utterance].join("\u0000");
}

/**
 * The lines on screen. A partial replaces the earlier partial of its utterance, the final
 * replaces both and is never replaced by a late partial; lines keep the order in which their
 * utterance first arrived.
 */
export class CaptionLog {
  /** @param {{maxLines?: number}} [options] */
  constructor({ maxLines = MAX_LINES } = {}) {
    this.maxLines = maxLines;
    /** @type {Map<string, CaptionLine>} */
    this.lines = new Map();
    /** @type {Set<string>} utterances whose final came (and may have gone off screen) */
    this.finished = new Set();
    this.seq = 0;
  }

  /**
   * Take one caption event. Returns the line when it changed the screen, else null.
   * @param {Caption} c
   * @param {string} name  the speaker's name as the page shows it
   * @param {number} now  this page's clock, ms
   * @returns {CaptionLine | null}
   */
  add(c, name, now) {
    if (!c || typeof c.utterance !== "string" || typeof c.text !== "string") return null;
    const key = keyOf(c);
    if (this.finished.has(key)) return null; // a partial later than its final
    const text = c.text.trim();
    const old = this.lines.get(key);
    if (!text && !c.final) return null;
    if (c.final) {
      this.finished.add(key);
      if (this.finished.size > 500) this.finished.delete(this.finished.values().next().value || "");
      if (!text) {
        // An utterance that came to nothing: its partial goes.
        if (old) this.lines.delete(key);
        return null;
      }
    }
    /** @type {CaptionLine} */
    const line = {
      key,
      speakerId: c.speaker_id || "",
      name,
      text,
      final: !!c.final,
      source: c.source === "browser" || c.source === "captioner" ? c.source : "server",
      seq: old ? old.seq : ++this.seq,
      changedAt: now,
    };
    this.lines.set(key, line);
    this.trim();
    return line;
  }

  /** Keep the newest lines (by arrival), at most maxLines. */
  trim() {
    const all = this.ordered();
    for (const line of all.slice(0, Math.max(0, all.length - this.maxLines))) this.lines.delete(line.key);
  }

  /** Drop lines that faded out and partials nobody completed. @param {number} now */
  prune(now) {
    let changed = false;
    for (const line of [...this.lines.values()]) {
      const age = now - line.changedAt;
      if ((line.final && age >= REMOVE_MS) || (!line.final && age >= STALE_PARTIAL_MS)) {
        this.lines.delete(line.key);
        changed = true;
      }
    }
    return changed;
  }

  /** The lines, oldest first. @returns {CaptionLine[]} */
  ordered() {
    return [...this.lines.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Whether a line is old enough to fade. @param {CaptionLine} line @param {number} now */
  static fading(line, now) {
    return line.final && now - line.changedAt >= FADE_MS;
  }

  /** Drop the lines of these speakers (erased by a deletion request). @param {Iterable<string>} speakerIds */
  dropSpeakers(speakerIds) {
    const gone = new Set(speakerIds);
    let changed = false;
    for (const line of [...this.lines.values()]) {
      if (line.speakerId && gone.has(line.speakerId)) {
        this.lines.delete(line.key);
        changed = true;
      }
    }
    return changed;
  }

  clear() {
    this.lines.clear();
  }
}

/**
 * The people in my room who speak now but turned off being transcribed: their line says
 * "Name: not captioned".
 * @param {Iterable<Participant>} participants
 * @param {(p: Participant) => boolean} inMyRoom
 * @param {(id: string) => boolean} isSpeaking
 * @returns {Participant[]}
 */
export function notCaptioned(participants, inMyRoom, isSpeaking) {
  return [...participants].filter((p) => p.transcribed === false && p.state === "connected" && inMyRoom(p) && isSpeaking(p.id));
}

/** @returns {CaptionSettings} */
export function defaultSettings() {
  return { on: false, size: "m", position: "below" };
}

/**
 * The settings kept on this browser: on or off, size and position, nothing about the person.
 * @param {Pick<Storage, "getItem"> | null} storage
 * @returns {CaptionSettings}
 */
export function loadSettings(storage) {
  const settings = defaultSettings();
  let saved = null;
  try {
    saved = JSON.parse((storage && storage.getItem(STORAGE_KEY)) || "null");
  } catch (e) {
    saved = null;
  }
  if (!saved || typeof saved !== "object") return settings;
  if (typeof saved.on === "boolean") settings.on = saved.on;
  if (SIZES.some(([s]) => s === saved.size)) settings.size = saved.size;
  if (POSITIONS.some(([p]) => p === saved.position)) settings.position = saved.position;
  return settings;
}

/**
 * @param {Pick<Storage, "setItem"> | null} storage
 * @param {CaptionSettings} settings
 */
export function saveSettings(storage, settings) {
  try {
    if (storage) storage.setItem(STORAGE_KEY, JSON.stringify({ on: settings.on, size: settings.size, position: settings.position }));
  } catch (e) {
    /* full or refused: the settings last for this page only */
  }
}

/** Who may download the transcript from the call (the server checks it too). @param {string | null} role @param {CaptionConsent} consent */
export function mayDownloadTranscript(role, consent) {
  return consent === "keep" && (role === "mentor" || role === "admin");
}

/** Roles whose page types captions for others (mentors and admins may too, through the API). @param {string | null} role */
export function isCaptioner(role) {
  return role === "captioner";
}

/** A fresh utterance id, unique on this page (the server takes at most 40 characters). @param {string} prefix @param {number} n */
export function utteranceId(prefix, n) {
  return `${prefix}${Date.now().toString(36)}-${n}`.slice(0, UTTERANCE_MAX);
}

/** Text cut to what the server takes. @param {string} text */
export function clip(text) {
  return text.length > TEXT_MAX ? text.slice(text.length - TEXT_MAX) : text;
}

/**
 * Sends the latest value at most once per `everyMs`: the first at once, later ones when the
 * interval has passed (only the newest of those waiting goes). `flush` drops what waits.
 * @template T
 * @param {(value: T) => void} send
 * @param {object} [options]
 * @param {number} [options.everyMs]
 * @param {() => number} [options.now]
 * @param {(fn: () => void, ms: number) => unknown} [options.setTimer]
 * @param {(timer: unknown) => void} [options.clearTimer]
 */
export function throttle(send, { everyMs = PARTIAL_EVERY_MS, now = () => Date.now(), setTimer = (fn, ms) => setTimeout(fn, ms), clearTimer = (t) => clearTimeout(/** @type {any} */ (t)) } = {}) {
  let last = -Infinity;
  /** @type {unknown} */
  let timer = null;
  /** @type {{value: T} | null} */
  let waiting = null;

  function fire() {
    timer = null;
    if (!waiting) return;
    const { value } = waiting;
    waiting = null;
    last = now();
    send(value);
  }

  return {
    /** @param {T} value */
    push(value) {
      waiting = { value };
      const wait = last + everyMs - now();
      if (wait <= 0) {
        if (timer !== null) clearTimer(timer);
        fire();
      } else if (timer === null) {
        timer = setTimer(fire, wait);
      }
    },
    /** Forget a value that waits (its final goes instead). */
    cancel() {
      waiting = null;
      if (timer !== null) clearTimer(timer);
      timer = null;
    },
    get pending() {
      return waiting !== null;
    },
  };
}
