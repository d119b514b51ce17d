import { test } from "node:test";
import assert from "node:assert/strict";
import { addressWithoutToken, forgetLink, sessionIdFrom, takeLink, tokenFrom } from "../../../web_client/screens/link.js";

/** sessionStorage's part the page uses, on a Map; `refuse` makes setItem throw (a full storage). */
class TabStorage {
  constructor(refuse = false) {
    this.items = new Map();
    this.refuse = refuse;
  }
  getItem(k) {
    return this.items.has(k) ? this.items.get(k) : null;
  }
  setItem(k, v) {
    if (this.refuse) throw new Error("QuotaExceededError");
    this.items.set(k, String(v));
  }
  removeItem(k) {
    this.items.delete(k);
  }
}

/** `history` with its entries: replaceState changes the current one, as the browser's does. */
class FakeHistory {
  constructor(url) {
    this.entries = [url];
    this.state = null;
  }
  replaceState(state, _unused, url) {
    this.state = state;
    this.entries[this.entries.length - 1] = url;
  }
  get url() {
    return this.entries[this.entries.length - 1];
  }
}

const address = (pathname, hash = "", search = "") => ({ pathname, search, hash });

test("the session id comes from the page's path, the token from its fragment", () => {
  assert.equal(sessionIdFrom("/s/abc123"), "abc123");
  assert.equal(sessionIdFrom("/s/abc%20123/"), "abc 123");
  assert.equal(sessionIdFrom("/admin"), null);
  assert.equal(tokenFrom("#token=t.k-1"), "t.k-1");
  assert.equal(tokenFrom("#lang=es&token=xyz"), "xyz");
  assert.equal(tokenFrom(""), null);
  assert.equal(tokenFrom("#token="), null);
});

test("the address without the token keeps the path, the language and the rest of the fragment", () => {
  assert.equal(addressWithoutToken(address("/s/abc", "#token=secret")), "/s/abc");
  assert.equal(addressWithoutToken(address("/s/abc", "#token=secret", "?lang=es")), "/s/abc?lang=es");
  assert.equal(addressWithoutToken(address("/s/abc", "#token=secret&x=1")), "/s/abc#x=1");
  assert.equal(addressWithoutToken(address("/s/abc")), "/s/abc");
});

test("a link's token leaves the address bar (the same history entry) and is kept for the tab", () => {
  const storage = new TabStorage();
  const history = new FakeHistory("/s/abc?lang=es#token=secret");
  const link = takeLink(address("/s/abc", "#token=secret", "?lang=es"), history, storage);
  assert.deepEqual(link, { sessionId: "abc", token: "secret" });
  assert.deepEqual(history.entries, ["/s/abc?lang=es"]); // replaced, not pushed
  assert.ok(!history.url.includes("secret"));
  assert.equal(storage.getItem("tandem:link:abc"), "secret");

  // A reload (or back, forward, a duplicated tab) opens the address without the token.
  const reloaded = takeLink(address("/s/abc", "", "?lang=es"), history, storage);
  assert.deepEqual(reloaded, { sessionId: "abc", token: "secret" });
  assert.deepEqual(history.entries, ["/s/abc?lang=es"]);
});

test("a link opened in the tab wins over the token the tab kept; other sessions keep theirs", () => {
  const storage = new TabStorage();
  takeLink(address("/s/abc", "#token=old"), new FakeHistory("/s/abc#token=old"), storage);
  takeLink(address("/s/other", "#token=theirs"), new FakeHistory("/s/other#token=theirs"), storage);
  const link = takeLink(address("/s/abc", "#token=new"), new FakeHistory("/s/abc#token=new"), storage);
  assert.equal(link.token, "new");
  assert.equal(storage.getItem("tandem:link:abc"), "new");
  assert.equal(storage.getItem("tandem:link:other"), "theirs");
});

test("where the tab's storage is refused the address keeps the token, so that a reload still works", () => {
  for (const storage of [null, new TabStorage(true)]) {
    const history = new FakeHistory("/s/abc#token=secret");
    const link = takeLink(address("/s/abc", "#token=secret"), history, storage);
    assert.deepEqual(link, { sessionId: "abc", token: "secret" });
    assert.deepEqual(history.entries, ["/s/abc#token=secret"]);
  }
});

test("without a token in the address or kept by the tab there is none; a dead link's is dropped", () => {
  const storage = new TabStorage();
  const history = new FakeHistory("/s/abc");
  assert.deepEqual(takeLink(address("/s/abc"), history, storage), { sessionId: "abc", token: null });
  takeLink(address("/s/abc", "#token=secret"), history, storage);
  forgetLink("abc", storage);
  assert.deepEqual(takeLink(address("/s/abc"), history, storage), { sessionId: "abc", token: null });
  forgetLink(null, storage); // nothing to drop
  forgetLink("abc", null);
});

test("a page outside /s/ keeps its address as it is", () => {
  const history = new FakeHistory("/x#token=secret");
  assert.deepEqual(takeLink(address("/x", "#token=secret"), history, new TabStorage()), { sessionId: null, token: "secret" });
  assert.deepEqual(history.entries, ["/x#token=secret"]);
});
