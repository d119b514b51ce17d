import { test } from "node:test";
import assert from "node:assert/strict";
import { AUTO_REJOIN_MS, resumePlan } from "../../../web_client/screens/saved.js";

const saved = (extra = {}) => ({ resume: "r", participantId: "p", role: "mentee", name: "Ben", audio: true, video: true, left: false, lastSeen: 1000, ...extra });

test("a saved resume token of the same role is used; within ten minutes the page goes straight back in", () => {
  assert.deepEqual(resumePlan(saved(), "mentee", 1000 + AUTO_REJOIN_MS - 1), { usable: true, straightIn: true });
  assert.deepEqual(resumePlan(saved(), "mentee", 1000 + AUTO_REJOIN_MS), { usable: true, straightIn: false });
  assert.deepEqual(resumePlan(saved({ left: true }), "mentee", 1001), { usable: true, straightIn: false });
  assert.deepEqual(resumePlan(saved(), "mentor", 1001), { usable: false, straightIn: false });
  assert.deepEqual(resumePlan(null, "mentee", 1001), { usable: false, straightIn: false });
});
