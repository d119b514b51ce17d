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

test("an erased speaker's lines go, partial or final, from any source; the others' stay", () => {
  const log = new CaptionLog();
  log.add(cap("ben", "1", "Ben said this", true), "Ben", 0);
  log.add(cap("ana", "1", "Ana too"), "Ana", 1);
  log.add(cap("ben", "2", "and typed", false, { source: "captioner" }), "Ben", 2);
  log.add(cap("", "3", "someone unknown", true, { source: "captioner" }), "Unknown speaker", 3);
  assert.equal(log.dropSpeakers(["ben"]), true);
  assert.deepEqual(texts(log), ["Ana|Ana too|partial", "Unknown speaker|someone unknown|final"]);
  assert.equal(log.dropSpeakers(["ben"]), false);
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
  // with the room it was said in: the server shows it there only
  await c.text({ speaker_id: "p1", utterance: "u2", text: "in b1", final: true, room: "1:b1" });
  assert.deepEqual(transport.sent, [
    { event: CLIENT_EVENTS.CAPTIONS_VIEW, payload: { on: true } },
    { event: CLIENT_EVENTS.CAPTIONS_TRANSCRIBE, payload: { on: false } },
    { event: CLIENT_EVENTS.CAPTIONS_SOURCE, payload: { source: "browser" } },
    { event: CLIENT_EVENTS.CAPTION_TEXT, payload: { speaker_id: "p1", utterance: "u1", text: "hi", final: true } },
    { event: CLIENT_EVENTS.CAPTION_TEXT, payload: { speaker_id: "p1", utterance: "u2", text: "in b1", final: true, room: "1:b1" } },
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

/**
 * A captioner's connection: `answer(caption)` says what the server answers (ok by default).
 * @param {(c: any) => any} [answer]
 */
function captionerLine(answer = () => ({ ok: true })) {
  /** @type {string[]} */
  const sent = [];
  /** @type {any[]} */
  const refused = [];
  /** @type {number[]} */
  const pauses = [];
  const finals = keptFinals(
    async (/** @type {any} */ c) => {
      sent.push(c.final ? c.text : `(${c.text})`);
      return answer(c);
    },
    (ack) => refused.push(ack),
    () => {},
    async (ms) => {
      pauses.push(ms);
    },
  );
  return { finals, sent, refused, pauses };
}
const line = (/** @type {string} */ text, final = true) => ({ speaker_id: "a", utterance: `u-${text}`, text, final });
const settle = () => new Promise((ok) => setTimeout(ok, 0));
const TIMEOUT = { ok: false, error: { code: "timeout" } };

test("a captioner's lines typed while the connection is down wait, and go in order once back; partials do not wait", async () => {
  const { finals, sent } = captionerLine();
  finals.dropped();
  finals.deliver(line("one"));
  finals.deliver(line("two, typing", false));
  finals.deliver(line("two"));
  await settle();
  assert.deepEqual(sent, []);
  assert.equal(finals.waiting(), 2);
  await finals.joined();
  assert.deepEqual(sent, ["one", "two"]);
  assert.equal(finals.waiting(), 0);
  finals.deliver(line("three, typing", false)); // in the session, with nothing waiting: sent
  await settle();
  assert.deepEqual(sent, ["one", "two", "(three, typing)"]);
});

test("a line with no answer while the connection seems up goes again only if the connection then drops", async () => {
  let up = true;
  const { finals, sent } = captionerLine((c) => (c.text === "slow" || !up ? TIMEOUT : { ok: true }));
  finals.deliver(line("slow"));
  await settle();
  finals.deliver(line("next")); // answered: the server is there, and has the slow one
  await settle();
  finals.dropped();
  up = true;
  await finals.joined();
  assert.deepEqual(sent, ["slow", "next"]);
  // Unanswered, then the drop: it goes again once back.
  const other = captionerLine((c) => (c.text === "lost" ? TIMEOUT : { ok: true }));
  other.finals.deliver(line("lost"));
  await settle();
  other.finals.dropped();
  assert.equal(other.finals.waiting(), 1);
  await other.finals.joined();
  assert.deepEqual(other.sent, ["lost", "lost"]);
});

test("a drop while the waiting lines go keeps the rest in order, with what is typed meanwhile after them", async () => {
  let down = false;
  let droppedOnce = false;
  /** @type {any} */
  let finals = null;
  const c = captionerLine((caption) => {
    if (caption.text === "l3" && !droppedOnce) {
      droppedOnce = true;
      down = true;
      finals.dropped(); // the connection drops as l3 is sent
      return TIMEOUT;
    }
    return down ? TIMEOUT : { ok: true };
  });
  finals = c.finals;
  finals.dropped();
  for (const text of ["l1", "l2", "l3", "l4"]) finals.deliver(line(text));
  await finals.joined();
  assert.deepEqual(c.sent, ["l1", "l2", "l3"]);
  finals.deliver(line("typed while down again"));
  assert.equal(finals.waiting(), 3);
  down = false;
  await finals.joined();
  await settle();
  assert.deepEqual(c.sent.slice(3), ["l3", "l4", "typed while down again"]);
});

test("a backlog is paced under the server's limit, a line refused for the rate goes again, and a refusal is said once", async () => {
  let limited = 1;
  const c = captionerLine((caption) => {
    if (caption.text === "l12" && limited > 0) {
      limited -= 1;
      return { ok: false, error: { code: "rate_limited" } };
    }
    return caption.text.startsWith("bad") ? { ok: false, error: { code: "not_same_room" } } : { ok: true };
  });
  c.finals.dropped();
  for (let i = 0; i < FINALS_KEPT_MAX + 5; i++) c.finals.deliver(line(`l${i}`));
  c.finals.deliver(line("bad1"));
  c.finals.deliver(line("bad2"));
  assert.equal(c.finals.waiting(), FINALS_KEPT_MAX); // the latest
  await c.finals.joined();
  const expected = [];
  for (let i = 7; i < FINALS_KEPT_MAX + 5; i++) expected.push(`l${i}`);
  expected.splice(expected.indexOf("l12") + 1, 0, "l12"); // sent again after its refusal for the rate
  assert.deepEqual(c.sent, [...expected, "bad1", "bad2"]);
  // The first ten at once, then paced; one longer wait for the rate.
  assert.equal(c.pauses.filter((ms) => ms === 250).length, FINALS_KEPT_MAX - 10);
  assert.equal(c.pauses.filter((ms) => ms === 1000).length, 1);
  assert.equal(c.refused.length, 1);
  assert.equal(c.refused[0].error.code, "not_same_room");
});

test("leaving drops the lines waiting, and a run under way stops", async () => {
  const c = captionerLine();
  c.finals.dropped();
  c.finals.deliver(line("never sent"));
  c.finals.drop();
  assert.equal(c.finals.waiting(), 0);
  await c.finals.joined();
  assert.deepEqual(c.sent, []);
});
