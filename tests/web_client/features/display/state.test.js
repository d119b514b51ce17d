import { test } from "node:test";
import assert from "node:assert/strict";
import { choose, effective, parsePrefs, serialisePrefs } from "../../../../web_client/features/display/state.js";

const AUTO = { contrast: "auto", motion: "auto" };

test("anything unreadable in storage counts as following the device", () => {
  for (const raw of [null, "", "{", "[]", '{"contrast": "bright"}', '{"motion": 3}']) {
    assert.deepEqual(parsePrefs(raw), AUTO, String(raw));
  }
  const prefs = { contrast: "on", motion: "off" };
  assert.deepEqual(parsePrefs(serialisePrefs(prefs)), prefs);
});

test("auto follows the device; on and off override it", () => {
  const quiet = { moreContrast: false, reduceMotion: true };
  assert.deepEqual(effective(AUTO, quiet), { contrast: false, motion: true });
  assert.deepEqual(effective({ contrast: "on", motion: "off" }, quiet), { contrast: true, motion: false });
});

test("ticking what the device already asks for goes back to auto", () => {
  assert.deepEqual(choose(AUTO, "contrast", true, false), { contrast: "on", motion: "auto" });
  assert.deepEqual(choose({ contrast: "on", motion: "auto" }, "contrast", false, false), AUTO);
  assert.deepEqual(choose(AUTO, "motion", false, true), { contrast: "auto", motion: "off" });
});
