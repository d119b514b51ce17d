import { test } from "node:test";
import assert from "node:assert/strict";
import { loadOutgoing, saveOutgoing } from "../../../../web_client/features/chat/outgoing.js";

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
  saveOutgoing("p1", [{ id: "a-1", text: "Hello" }, { id: "a-2", text: "Still there?" }]);
  assert.deepEqual(loadOutgoing("p1"), [{ id: "a-1", text: "Hello" }, { id: "a-2", text: "Still there?" }]);
  assert.deepEqual(loadOutgoing("p2"), []); // someone else's are not theirs to send
  saveOutgoing("p1", []);
  assert.deepEqual(loadOutgoing("p1"), []);
  assert.equal(storage.items.size, 0);
});

test("what is kept is bounded, and anything damaged reads as nothing", () => {
  const storage = new FakeStorage();
  globalThis.window = /** @type {any} */ ({ sessionStorage: storage });
  saveOutgoing("p1", Array.from({ length: 30 }, (_, i) => ({ id: `a-${i}`, text: "x" })));
  const kept = loadOutgoing("p1");
  assert.equal(kept.length, 20);
  assert.equal(kept[0].id, "a-10"); // the latest
  storage.setItem("tandem:chat-outgoing:p1", "{not json");
  assert.deepEqual(loadOutgoing("p1"), []);
  storage.setItem("tandem:chat-outgoing:p1", JSON.stringify([{ id: 3, text: "x" }, null, { id: "ok", text: "y" }]));
  assert.deepEqual(loadOutgoing("p1"), [{ id: "ok", text: "y" }]);
  globalThis.window = /** @type {any} */ ({}); // no storage at all (refused): nothing, and no error
  saveOutgoing("p1", [{ id: "a-1", text: "Hello" }]);
  assert.deepEqual(loadOutgoing("p1"), []);
});
