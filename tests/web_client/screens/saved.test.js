import { test } from "node:test";
import assert from "node:assert/strict";
import { AUTO_REJOIN_MS, SAVED_MAX_MS, linkOwner, resumePlan, sameOwner, staleKeys } from "../../../web_client/screens/saved.js";

const saved = (extra = {}) => ({ resume: "r", participantId: "p", role: "mentee", name: "Ben", audio: true, video: true, left: false, lastSeen: 1000, ...extra });

test("a saved resume token of the same role is used; within ten minutes the page goes straight back in", () => {
  assert.deepEqual(resumePlan(saved(), "mentee", 1000 + AUTO_REJOIN_MS - 1), { usable: true, straightIn: true });
  assert.deepEqual(resumePlan(saved(), "mentee", 1000 + AUTO_REJOIN_MS), { usable: true, straightIn: false });
  assert.deepEqual(resumePlan(saved({ left: true }), "mentee", 1001), { usable: true, straightIn: false });
  assert.deepEqual(resumePlan(saved(), "mentor", 1001), { usable: false, straightIn: false });
  assert.deepEqual(resumePlan(null, "mentee", 1001), { usable: false, straightIn: false });
});

test("a saved entry belongs to the person of the link it was saved through", () => {
  const ben = linkOwner({ role: "mentee", name: "Ben" });
  const cleo = linkOwner({ role: "mentee", name: "Cleo" });
  const anyMentee = linkOwner({ role: "mentee", name: null });
  assert.notEqual(ben, cleo);
  assert.equal(sameOwner(saved({ link: ben }), ben), true);
  assert.equal(sameOwner(saved({ link: ben }), cleo), false);
  assert.equal(sameOwner(saved({ link: ben }), anyMentee), false);
  assert.equal(sameOwner(saved(), ben), false); // saved before entries had an owner: nobody's
});

test("a personal link drops everyone else's entries; any link drops entries past a credential's life", () => {
  const ben = linkOwner({ role: "mentee", name: "Ben" });
  const cleo = linkOwner({ role: "mentee", name: "Cleo" });
  const now = 1000 + SAVED_MAX_MS;
  const entries = [
    ["tandem:session:a", saved({ link: ben, lastSeen: now - 1 })],
    ["tandem:session:b", saved({ link: cleo, lastSeen: now - 1 })],
    ["tandem:session:c", saved({ link: cleo, lastSeen: 1000 })],
    ["tandem:session:d", null],
  ];
  assert.deepEqual(staleKeys(entries, cleo, true, now), ["tandem:session:a", "tandem:session:c", "tandem:session:d"]);
  assert.deepEqual(staleKeys(entries, cleo, false, now), ["tandem:session:c", "tandem:session:d"]);
});
