import { test } from "node:test";
import assert from "node:assert/strict";
import { OUTGOING_MAX_MS, loadOutgoing, saveOutgoing } from "../../../../web_client/features/chat/outgoing.js";

/** A tab's sessionStorage. */
class FakeStorage {
  constructor() {
    /** @type {Map<string, string>} */
    this.items = new Map();
  }
  /** @param {string} k */
  getItem(k) {
    return this.items.has(k) ? this.items.get(k) : null;
  }
  /** @param {string} k @param {string} v */
  setItem(k, v) {
    this.items.set(k, String(v));
  }
  /** @param {string} k */
  removeItem(k) {
    this.items.delete(k);
  }
}

test("unanswered messages are kept per participant, in order, and forgotten once none is left", () => {
  const storage = new FakeStorage();
  globalThis.window = /** @type {any} */ ({ sessionStorage: storage });
  const hello = { id: "a-1", text: "Hello", at: 1000 };
  const still = { id: "a-2", text: "Still there?", at: 2000 };
  saveOutgoing("p1", [hello, still]);
  assert.deepEqual(loadOutgoing("p1", 3000), [hello, still]);
  assert.deepEqual(loadOutgoing("p2", 3000), []); // someone else's are not theirs to send
  // Past ten minutes a message is not sent any more (a reload goes straight back in within that).
  assert.deepEqual(loadOutgoing("p1", 1000 + OUTGOING_MAX_MS), [still]);
  saveOutgoing("p1", []);
  assert.deepEqual(loadOutgoing("p1", 3000), []);
  assert.equal(storage.items.size, 0);
});

test("what is kept is bounded, and anything damaged reads as nothing", () => {
  const storage = new FakeStorage();
  globalThis.window = /** @type {any} */ ({ sessionStorage: storage });
  saveOutgoing("p1", Array.from({ length: 30 }, (_, i) => ({ id: `a-${i}`, text: "x", at: 1000 })));
  const kept = loadOutgoing("p1", 1000);
  assert.equal(kept.length, 20);
  assert.equal(kept[0].id, "a-10"); // the latest
  storage.setItem("tandem:chat-outgoing:p1", "{not json");
  assert.deepEqual(loadOutgoing("p1", 1000), []);
  storage.setItem("tandem:chat-outgoing:p1", JSON.stringify([
    { id: 3, text: "x", at: 1000 }, null, { id: "no-time", text: "x" }, { id: "ok", text: "y", at: 1000 }]));
  assert.deepEqual(loadOutgoing("p1", 1000), [{ id: "ok", text: "y", at: 1000 }]);
  globalThis.window = /** @type {any} */ ({}); // no storage at all (refused): nothing, and no error
  saveOutgoing("p1", [{ id: "a-1", text: "Hello", at: 1000 }]);
  assert.deepEqual(loadOutgoing("p1", 1000), []);
});
