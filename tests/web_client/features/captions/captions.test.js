import "../../english.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CaptionLog, FADE_MS, REMOVE_MS, STALE_PARTIAL_MS, STORAGE_KEY, consentWords, loadSettings, mayDownloadTranscript, notCaptioned,
  SIZES, parseConsent, saveSettings, sourceLabel, throttle, words,
} from "../../../../web_client/features/captions/state.js";
import { captionCommands } from "../../../../web_client/features/captions/commands.js";
import { BrowserCaptions, recognitionClass } from "../../../../web_client/features/captions/speech.js";
import { FINALS_KEPT_MAX, keptFinals, speakersToCaption, typedCaptions } from "../../../../web_client/features/captions/captioner.js";
import { CLIENT_EVENTS } from "../../../../web_client/core/events.js";
import { FakeTransport, eventually } from "../../fakes.js";

const cap = (speaker, utterance, text, final = false, extra = {}) => ({ room: "main", speaker_id: speaker, utterance, text, final, source: "server", ...extra });
const texts = (log) => log.ordered().map((l) => `${l.name}|${l.text}|${l.final ? "final" : "partial"}`);

test("a partial is replaced by the next partial and by the final of the same utterance, in place", () => {
  const log = new CaptionLog();
  log.add(cap("a", "1", "hello"), "Ana", 0);
  log.add(cap("b", "1", "good"), "Ben", 10); // another speaker's utterance "1" is another line
  log.add(cap("a", "1", "hello there"), "Ana", 20);
  assert.deepEqual(texts(log), ["Ana|hello there|partial", "Ben|good|partial"]);
  log.add(cap("a", "1", "Hello there.", true), "Ana", 30);
  assert.deepEqual(texts(log), ["Ana|Hello there.|final", "Ben|good|partial"]);
  // A partial that arrives after its final changes nothing.
  assert.equal(log.add(cap("a", "1", "hello th"), "Ana", 40), null);
  assert.deepEqual(texts(log), ["Ana|Hello there.|final", "Ben|good|partial"]);
});

test("lines keep the order their utterance first arrived; sources and rooms do not mix utterances", () => {
  const log = new CaptionLog();
  log.add(cap("a", "u1", "one"), "Ana", 0);
  log.add(cap("a", "u1", "browser words", false, { source: "browser" }), "Ana", 1);
  log.add(cap("a", "u2", "two", true), "Ana", 2);
  log.add(cap("a", "u1", "one more", true), "Ana", 3);
  assert.deepEqual(texts(log), ["Ana|one more|final", "Ana|browser words|partial", "Ana|two|final"]);
  assert.deepEqual(log.ordered().map((l) => l.source), ["server", "browser", "server"]);
});

test("only the newest few lines are kept; a final with no words removes its partial", () => {
  const log = new CaptionLog({ maxLines: 3 });
  for (let i = 1; i <= 5; i++) log.add(cap("a", `u${i}`, `line ${i}`, true), "Ana", i);
  assert.deepEqual(log.ordered().map((l) => l.text), ["line 3", "line 4", "line 5"]);
  log.add(cap("b", "x", "uh"), "Ben", 6);
  assert.equal(log.add(cap("b", "x", "", true), "Ben", 7), null);
  assert.deepEqual(log.ordered().map((l) => l.text), ["line 4", "line 5"]);
  assert.equal(log.add(cap("b", "y", "   "), "Ben", 8), null); // nothing to show
});

test("finals fade, then go; a partial nobody completes goes too", () => {
  const log = new CaptionLog();
  const final = log.add(cap("a", "1", "done", true), "Ana", 0);
  log.add(cap("b", "2", "still talking"), "Ben", 0);
  assert.equal(CaptionLog.fading(final, FADE_MS - 1), false);
  assert.equal(CaptionLog.fading(final, FADE_MS), true);
  assert.equal(log.prune(Math.min(REMOVE_MS, STALE_PARTIAL_MS) - 1), false);
  assert.equal(log.prune(Math.max(REMOVE_MS, STALE_PARTIAL_MS)), true);
  assert.deepEqual(log.ordered(), []);
});

test("people who turned off being transcribed show as not captioned while they speak, in my room only", () => {
  const p = (id, extra) => ({ id, name: id, role: "mentee", state: "connected", audio: true, video: true, room: "main", ...extra });
  const people = [p("a", { transcribed: false }), p("b", { transcribed: true }), p("c", { transcribed: false, room: "b1" }), p("d", { transcribed: false }), p("e", {})];
  const speaking = new Set(["a", "b", "c", "e"]);
  const here = notCaptioned(people, (x) => (x.room || "main") === "main", (id) => speaking.has(id));
  assert.deepEqual(here.map((x) => x.id), ["a"]);
});

test("settings are remembered under the captions key, and a broken or foreign value gives the defaults", () => {
  const store = new Map();
  const storage = { getItem: (k) => (store.has(k) ? store.get(k) : null), setItem: (k, v) => store.set(k, v) };
  assert.deepEqual(loadSettings(storage), { on: false, size: "m", position: "below" });
  saveSettings(storage, { on: true, size: "l", position: "overlay-top" });
  assert.ok(STORAGE_KEY.startsWith("tandem:"));
  assert.deepEqual(JSON.parse(store.get(STORAGE_KEY)), { on: true, size: "l", position: "overlay-top" });
  assert.deepEqual(loadSettings(storage), { on: true, size: "l", position: "overlay-top" });
  saveSettings(storage, { on: false, size: "xl", position: "below" }); // extra large
  assert.deepEqual(loadSettings(storage), { on: false, size: "xl", position: "below" });
  assert.deepEqual(SIZES.map(([size, label]) => [size, words(label)]), [["s", "Small"], ["m", "Medium"], ["l", "Large"], ["xl", "Extra large"]]);
  store.set(STORAGE_KEY, JSON.stringify({ on: "yes", size: "xxl", position: "left" }));
  assert.deepEqual(loadSettings(storage), { on: false, size: "m", position: "below" });
  store.set(STORAGE_KEY, "{not json");
  assert.deepEqual(loadSettings(storage), { on: false, size: "m", position: "below" });
  assert.deepEqual(loadSettings(null), { on: false, size: "m", position: "below" });
  const refusing = { setItem: () => { throw new Error("quota"); } };
  saveSettings(refusing, { on: true, size: "s", position: "below" }); // does not throw
});

test("consent and sources in words", () => {
  assert.equal(parseConsent("keep"), "keep");
  assert.equal(parseConsent("live"), "live");
  assert.equal(parseConsent(undefined), "off"); // a server that says nothing has no captions
  assert.equal(consentWords("off"), "Captions: off");
  assert.equal(consentWords("live"), "Captions: live only, nothing kept");
  assert.equal(consentWords("keep"), "Captions: a transcript is kept");
  assert.equal(sourceLabel("server"), "auto");
  assert.equal(sourceLabel("browser"), "browser");
  assert.equal(sourceLabel("captioner"), "captioner");
  assert.equal(mayDownloadTranscript("mentor", "keep"), true);
  assert.equal(mayDownloadTranscript("mentor", "live"), false);
  assert.equal(mayDownloadTranscript("mentee", "keep"), false);
});

/** A clock and timers the test moves by hand. */
function fakeTime() {
  let t = 0;
  /** @type {{at: number, fn: () => void, id: number}[]} */
  let timers = [];
  let ids = 0;
  return {
    now: () => t,
    setTimer: (fn, ms) => {
      ids += 1;
      timers.push({ at: t + ms, fn, id: ids });
      return ids;
    },
    clearTimer: (id) => {
      timers = timers.filter((x) => x.id !== id);
    },
    advance(ms) {
      t += ms;
      for (const due of timers.filter((x) => x.at <= t)) {
        timers = timers.filter((x) => x !== due);
        due.fn();
      }
    },
  };
}

test("the throttle sends the first value at once, then the newest at most once per interval; cancel drops what waits", () => {
  const time = fakeTime();
  const sent = [];
  const t = throttle((v) => sent.push(v), { everyMs: 500, ...time });
  t.push("a");
  t.push("ab");
  t.push("abc");
  assert.deepEqual(sent, ["a"]);
  time.advance(499);
  assert.deepEqual(sent, ["a"]);
  time.advance(1);
  assert.deepEqual(sent, ["a", "abc"]);
  time.advance(600);
  t.push("abcd"); // the interval has passed: at once
  assert.deepEqual(sent, ["a", "abc", "abcd"]);
  t.push("abcde");
  assert.equal(t.pending, true);
  t.cancel();
  time.advance(1000);
  assert.deepEqual(sent, ["a", "abc", "abcd"]);
});

test("the commands send the protocol's payloads", async () => {
  const transport = new FakeTransport();
  const c = captionCommands(transport);
  await c.view(true);
  await c.transcribe(false);
  await c.source("browser");
  await c.text({ speaker_id: "p1", utterance: "u1", text: "hi", final: true, extra: 1 });
  assert.deepEqual(transport.sent, [
    { event: CLIENT_EVENTS.CAPTIONS_VIEW, payload: { on: true } },
    { event: CLIENT_EVENTS.CAPTIONS_TRANSCRIBE, payload: { on: false } },
    { event: CLIENT_EVENTS.CAPTIONS_SOURCE, payload: { source: "browser" } },
    { event: CLIENT_EVENTS.CAPTION_TEXT, payload: { speaker_id: "p1", utterance: "u1", text: "hi", final: true } },
  ]);
});

/** A SpeechRecognition stand-in: the test makes it hear things. */
class FakeRecognition {
  static made = [];
  constructor() {
    this.continuous = false;
    this.interimResults = false;
    this.lang = "";
    this.onresult = null;
    this.onerror = null;
    this.onend = null;
    this.started = false;
    FakeRecognition.made.push(this);
  }
  start() {
    this.started = true;
  }
  stop() {
    this.started = false;
  }
  abort() {
    this.started = false;
  }
  /** @param {[string, boolean][]} results  (transcript, final) of the run so far @param {number} index */
  hear(results, index) {
    const list = results.map(([transcript, isFinal]) => Object.assign([{ transcript }], { isFinal }));
    this.onresult({ resultIndex: index, results: list });
  }
}

test("the browser's recognition: continuous with partials, partials throttled, one final per result, nothing while muted", async () => {
  FakeRecognition.made = [];
  assert.equal(recognitionClass({ webkitSpeechRecognition: FakeRecognition }), FakeRecognition);
  assert.equal(recognitionClass({}), null);
  const sent = [];
  let muted = false;
  const failures = [];
  const b = new BrowserCaptions({
    Recognition: FakeRecognition, everyMs: 60, allowed: () => !muted,
    send: (utterance, text, final) => sent.push({ utterance, text, final }),
    failed: (why) => failures.push(why),
  });
  b.start();
  const r = FakeRecognition.made[0];
  assert.equal(r.continuous, true);
  assert.equal(r.interimResults, true);
  assert.equal(r.started, true);
  r.hear([["hello", false]], 0);
  r.hear([["hello wor", false]], 0);
  r.hear([["hello world", false]], 0);
  assert.deepEqual(sent.map((s) => s.text), ["hello"]); // the others wait for the interval
  await eventually(() => sent.length === 2);
  assert.equal(sent[1].text, "hello world");
  r.hear([["hello world again", false]], 0);
  r.hear([["Hello world again.", true]], 0);
  r.hear([["Hello world again.", true], ["next", false]], 1);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const finals = sent.filter((s) => s.final);
  assert.deepEqual(finals.map((s) => s.text), ["Hello world again."]);
  assert.ok(!sent.some((s) => s.text === "hello world again"), "the waiting partial was dropped for the final");
  assert.equal(new Set(sent.filter((s) => s.text.startsWith("hello") || s.text.startsWith("Hello")).map((s) => s.utterance)).size, 1);
  const next = sent.find((s) => s.text === "next");
  assert.ok(next && next.utterance !== finals[0].utterance && next.utterance.length <= 40);
  muted = true;
  const before = sent.length;
  r.hear([["Hello world again.", true], ["secret", true]], 1);
  assert.equal(sent.length, before);
  // The browser ends a run after a silence: a new one starts while wanted.
  muted = false;
  r.onend();
  await eventually(() => FakeRecognition.made.length === 2 && FakeRecognition.made[1].started);
  // A refusal stops it for good.
  FakeRecognition.made[1].onerror({ error: "not-allowed" });
  assert.deepEqual(failures, ["not-allowed"]);
  assert.equal(b.running, false);
});

test("a captioner's typing: partials throttled under one utterance, Enter sends the final, then a new utterance", async () => {
  const sent = [];
  const typed = typedCaptions((c) => sent.push(c), { everyMs: 40 });
  typed.typed("p1", "H");
  typed.typed("p1", "Hel");
  typed.typed("p1", "Hello");
  typed.done("p1", "Hello all");
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.deepEqual(sent.map((c) => [c.speaker_id, c.text, c.final]), [["p1", "H", false], ["p1", "Hello all", true]]);
  assert.equal(sent[0].utterance, sent[1].utterance);
  typed.typed("", "who said that");
  await eventually(() => sent.length === 3);
  assert.notEqual(sent[2].utterance, sent[1].utterance);
  assert.equal(sent[2].speaker_id, "");
  typed.done("", "   "); // nothing to send
  assert.equal(sent.length, 3);
});

test("a captioner picks among the connected speakers of their room", () => {
  const p = (id, extra) => ({ id, name: id.toUpperCase(), role: "mentee", state: "connected", audio: true, video: true, room: "main", ...extra });
  const people = [p("me", { role: "captioner" }), p("b"), p("a", { role: "mentor" }), p("o", { role: "observer" }), p("x", { room: "b1" }), p("gone", { state: "left" })];
  assert.deepEqual(speakersToCaption(people, (x) => (x.room || "main") === "main", "me").map((x) => x.id), ["a", "b"]);
});

test("a captioner's final lines the connection took are kept and sent again in order once back; partials are not", async () => {
  let up = false;
  /** @type {object[]} */
  const sent = [];
  const send = async (/** @type {any} */ c) => {
    sent.push(c.text);
    if (!up) return { ok: false, error: { code: "timeout" } };
    return c.text === "bad" ? { ok: false, error: { code: "invalid_payload" } } : { ok: true };
  };
  /** @type {object[]} */
  const refused = [];
  let changes = 0;
  /** @type {number[]} */
  const pauses = [];
  const finals = keptFinals(send, () => up, (ack) => refused.push(ack), () => (changes += 1), async (ms) => {
    pauses.push(ms);
  });
  const line = (/** @type {string} */ text, final = true) => ({ speaker_id: "a", utterance: `u-${text}`, text, final });
  await finals.deliver(line("one"));
  await finals.deliver(line("partial", false));
  await finals.deliver(line("two"));
  assert.equal(finals.count(), 2);
  assert.equal(changes, 2);
  up = true;
  await finals.deliver(line("bad"));
  assert.equal(refused.length, 1); // a refusal is said, not kept
  sent.length = 0;
  await finals.resend();
  assert.deepEqual(sent, ["one", "two"]);
  assert.equal(finals.count(), 0);
  // At most FINALS_KEPT_MAX kept, the latest; dropped on leaving.
  up = false;
  for (let i = 0; i < FINALS_KEPT_MAX + 5; i++) await finals.deliver(line(`l${i}`));
  assert.equal(finals.count(), FINALS_KEPT_MAX);
  up = true;
  sent.length = 0;
  await finals.resend();
  assert.equal(sent[0], "l5");
  // The first ten at once, then paced under the server's limit of 5 a second.
  assert.deepEqual(pauses, Array(FINALS_KEPT_MAX - 10).fill(250));
  up = false;
  await finals.deliver(line("late"));
  finals.drop();
  assert.equal(finals.count(), 0);
  sent.length = 0;
  await finals.resend();
  assert.deepEqual(sent, []);
});
