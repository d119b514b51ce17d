import "../../english.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  deviceLists, emptyChoice, fallbackNotice, loadChoice, lostDevices, rememberChoice, shownId, STORAGE_KEY,
} from "../../../../web_client/features/devices/state.js";
import { WeakLink } from "../../../../web_client/features/devices/weak_link.js";

const info = (kind, deviceId, label = "") => ({ kind, deviceId, label });

/** A Storage stand-in holding strings, as localStorage does. */
function memoryStorage() {
  const items = new Map();
  return {
    getItem: (k) => (items.has(k) ? items.get(k) : null),
    setItem: (k, v) => items.set(k, String(v)),
    items,
  };
}

test("the lists keep each device once, number unlabelled ones, and drop what permission hides", () => {
  const lists = deviceLists([
    info("audioinput", "default", "Default - Headset"),
    info("audioinput", "mic1", "Headset"),
    info("audioinput", "mic1", "Headset"),
    info("videoinput", "cam1", ""),
    info("videoinput", "cam2", "USB camera"),
    info("videoinput", "", ""), // before permission: no id, no label
    info("audiooutput", "default", "Default"),
    info("something", "x", "ignored"),
  ]);
  assert.deepEqual(lists.audioinput.map((o) => o.id), ["default", "mic1"]);
  assert.deepEqual(lists.videoinput, [{ id: "cam1", label: "Camera 1" }, { id: "cam2", label: "USB camera" }]);
  assert.deepEqual(lists.audiooutput, [{ id: "default", label: "Default" }]);
  assert.deepEqual(deviceLists([info("videoinput", "", ""), info("audioinput", "", "")]), { videoinput: [], audioinput: [], audiooutput: [] });
});

test("a select shows the device in use, else the one chosen, else the default (first)", () => {
  const list = [{ id: "default", label: "Default" }, { id: "a", label: "A" }, { id: "b", label: "B" }];
  assert.equal(shownId(list, "b", "a"), "b");
  assert.equal(shownId(list, "gone", "a"), "a");
  assert.equal(shownId(list, "", "gone"), "default");
  assert.equal(shownId([], "b", "a"), "");
});

test("a device in use that disappears from the list is lost; the default and empty lists never are", () => {
  const lists = deviceLists([info("videoinput", "cam2", "USB"), info("audioinput", "default", "Default"), info("audiooutput", "spk", "Speaker")]);
  const inUse = { ...emptyChoice(), videoinput: "cam1", audioinput: "default", audiooutput: "spk" };
  assert.deepEqual(lostDevices(lists, inUse), ["videoinput"]);
  assert.deepEqual(lostDevices(lists, { ...inUse, videoinput: "cam2", audiooutput: "old-speaker" }), ["audiooutput"]);
  // Nothing in use, or a list the browser has not filled yet: nothing is lost.
  assert.deepEqual(lostDevices(lists, emptyChoice()), []);
  assert.deepEqual(lostDevices(deviceLists([]), inUse), []);
});

test("the fallback notice names the device used now, or says none could start", () => {
  assert.equal(fallbackNotice("videoinput", "Built-in camera"), "Your camera was disconnected. Now using Built-in camera.");
  assert.equal(fallbackNotice("audioinput", ""), "Your microphone was disconnected, and no other microphone could be started.");
});

test("the choice is remembered per kind, device ids only, and survives bad or missing storage", () => {
  const storage = memoryStorage();
  assert.deepEqual(loadChoice(storage), emptyChoice());
  rememberChoice(storage, "videoinput", "cam2");
  const choice = rememberChoice(storage, "audiooutput", "spk");
  assert.deepEqual(choice, { videoinput: "cam2", audioinput: "", audiooutput: "spk" });
  assert.deepEqual(JSON.parse(storage.items.get(STORAGE_KEY)), choice);
  assert.deepEqual(loadChoice(storage), choice);

  storage.setItem(STORAGE_KEY, "{not json");
  assert.deepEqual(loadChoice(storage), emptyChoice());
  storage.setItem(STORAGE_KEY, JSON.stringify({ videoinput: 42, audioinput: "x".repeat(300), audiooutput: "ok", name: "Ana" }));
  assert.deepEqual(loadChoice(storage), { videoinput: "", audioinput: "", audiooutput: "ok" });
  assert.deepEqual(loadChoice(null), emptyChoice());
  const refusing = { getItem: () => { throw new Error("blocked"); }, setItem: () => { throw new Error("blocked"); } };
  assert.deepEqual(rememberChoice(refusing, "videoinput", "cam"), { ...emptyChoice(), videoinput: "cam" });
});

/** Feed one sample a second from `from` (ms); returns the verdicts that were not null, with times. */
function feed(link, shares, from = 0) {
  const out = [];
  shares.forEach((share, i) => {
    const at = from + i * 1000;
    const verdict = link.observe(share, at);
    if (verdict) out.push([verdict, at]);
  });
  return out;
}

test("sustained weakness pauses incoming video once; a short bad patch does not", () => {
  const link = new WeakLink();
  // Two bad seconds among good ones: no pause.
  assert.deepEqual(feed(link, [0, 1, 1, 0, 0, 0, 0, 0, 0, 0]), []);
  // Weak for six seconds in a row (one good second in between is tolerated): a pause.
  const link2 = new WeakLink();
  assert.deepEqual(feed(link2, [1, 1, 1, 0, 1, 1, 1, 1]), [["pause", 5000]]);
  assert.equal(link2.paused, true);
  // No second pause while paused.
  assert.deepEqual(feed(link2, [1, 1, 1], 8000), []);
});

test("one weak connection out of several is the other person's: no pause", () => {
  const link = new WeakLink();
  assert.deepEqual(feed(link, Array(10).fill(1 / 3)), []);
  assert.deepEqual(feed(new WeakLink(), Array(10).fill(2 / 3)).map((v) => v[0]), ["pause"]);
});

test("while paused, a long calm stretch is told once; coming back is the person's choice", () => {
  const link = new WeakLink({ calmMs: 5000 });
  feed(link, Array(7).fill(1));
  assert.equal(link.paused, true);
  // Weak samples keep the calm away; then five calm seconds: "calm", once.
  assert.deepEqual(feed(link, [1, 1, 0, 0, 0, 0, 0, 0, 0, 0], 7000), [["calm", 13000]]);
  assert.equal(link.paused, true);
});

test("after the person turns video back on, a grace period, then the same rule again", () => {
  const link = new WeakLink({ graceMs: 10000 });
  feed(link, Array(7).fill(1));
  link.resumed(7000);
  assert.equal(link.paused, false);
  // Weak throughout the grace period: no pause before it ends.
  const verdicts = feed(link, Array(12).fill(1), 8000);
  assert.deepEqual(verdicts, [["pause", 17000]]);
  link.reset();
  assert.equal(link.paused, false);
  assert.deepEqual(feed(link, [1, 1, 1, 1, 1, 1]).map((v) => v[0]), ["pause"]);
});
