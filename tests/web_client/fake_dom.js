// A small stand-in for the browser's DOM, for unit tests of views that draw lists (the chat log,
// the people list): elements with attributes, classes, `dataset`, children and text, found by id
// under `document.body`, and `querySelector` by one class name. It lays nothing out (scroll sizes
// are 0) and dispatches no events. `installFakeDom()` puts it in the globals; call it before a
// view runs.

class FakeText {
  /** @param {string} text */
  constructor(text) {
    this.parent = null;
    this.text = String(text);
  }

  get textContent() {
    return this.text;
  }

  remove() {
    detach(this);
  }
}

export class FakeElement {
  /** @param {string} tag */
  constructor(tag) {
    this.tagName = tag.toUpperCase();
    /** @type {FakeElement | null} */
    this.parent = null;
    /** @type {(FakeElement | FakeText)[]} */
    this.childNodes = [];
    /** @type {Map<string, string>} */
    this.attributes = new Map();
    /** @type {Record<string, string>} */
    this.dataset = {};
    this.classes = new Set();
    this.style = {};
    this.hidden = false;
    this.disabled = false;
    this.value = "";
    this.scrollTop = 0;
    this.scrollHeight = 0;
    this.clientHeight = 0;
    const classes = this.classes;
    this.classList = {
      add: (...names) => names.forEach((n) => classes.add(n)),
      remove: (...names) => names.forEach((n) => classes.delete(n)),
      contains: (name) => classes.has(name),
      toggle: (name, on = !classes.has(name)) => (on ? classes.add(name) : classes.delete(name), on),
    };
  }

  get className() {
    return [...this.classes].join(" ");
  }

  set className(value) {
    this.classes.clear();
    for (const name of String(value).split(/\s+/).filter(Boolean)) this.classes.add(name);
  }

  get id() {
    return this.getAttribute("id") || "";
  }

  set id(value) {
    this.setAttribute("id", value);
  }

  get children() {
    return this.childNodes.filter((n) => n instanceof FakeElement);
  }

  get parentElement() {
    return this.parent;
  }

  get textContent() {
    return this.childNodes.map((n) => n.textContent).join("");
  }

  set textContent(text) {
    this.replaceChildren(String(text));
  }

  setAttribute(name, value) {
    if (name === "class") this.className = value;
    else if (name.startsWith("data-")) this.dataset[name.slice(5).replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = String(value);
    else this.attributes.set(name, String(value));
  }

  getAttribute(name) {
    if (name === "class") return this.className;
    if (name.startsWith("data-")) return this.dataset[name.slice(5).replace(/-([a-z])/g, (_, c) => c.toUpperCase())] ?? null;
    return this.attributes.has(name) ? this.attributes.get(name) : null;
  }

  hasAttribute(name) {
    return this.getAttribute(name) !== null;
  }

  removeAttribute(name) {
    this.attributes.delete(name);
  }

  addEventListener() {}

  focus() {}

  /** @param {...(FakeElement | FakeText | string)} nodes */
  append(...nodes) {
    for (const node of nodes) {
      const n = typeof node === "string" ? new FakeText(node) : node;
      detach(n);
      n.parent = this;
      this.childNodes.push(n);
    }
  }

  /** @param {...(FakeElement | FakeText | string)} nodes */
  replaceChildren(...nodes) {
    for (const n of [...this.childNodes]) detach(n);
    this.append(...nodes);
  }

  remove() {
    detach(this);
  }

  /** Only `.class-name` selectors. @param {string} selector */
  querySelectorAll(selector) {
    const match = /^\.([\w-]+)$/.exec(selector);
    if (!match) throw new Error(`the fake DOM does not understand ${selector}`);
    /** @type {FakeElement[]} */
    const found = [];
    const walk = (/** @type {FakeElement} */ e) => {
      for (const c of e.children) {
        if (c.classes.has(match[1])) found.push(c);
        walk(c);
      }
    };
    walk(this);
    return found;
  }

  /** @param {string} selector */
  querySelector(selector) {
    return this.querySelectorAll(selector)[0] || null;
  }
}

/** @param {FakeElement | FakeText} node */
function detach(node) {
  if (!node.parent) return;
  const siblings = node.parent.childNodes;
  siblings.splice(siblings.indexOf(node), 1);
  node.parent = null;
}

// The element kinds the views check with `instanceof` (ui/dom.js byIdAs).
class FakeForm extends FakeElement {}
class FakeTextArea extends FakeElement {}
class FakeButton extends FakeElement {}
class FakeInput extends FakeElement {}
const KINDS = { form: FakeForm, textarea: FakeTextArea, button: FakeButton, input: FakeInput };

/** A fresh document in the globals; returns its body, where a test puts the page's elements. */
export function installFakeDom() {
  const body = new FakeElement("body");
  const create = (/** @type {string} */ tag) => new (KINDS[tag.toLowerCase()] || FakeElement)(tag);
  const byId = (/** @type {FakeElement} */ root, /** @type {string} */ id) => {
    for (const c of root.children) {
      const found = c.id === id ? c : byId(c, id);
      if (found) return found;
    }
    return null;
  };
  Object.assign(globalThis, {
    document: { body, createElement: create, createTextNode: (text) => new FakeText(text), getElementById: (id) => byId(body, id) },
    HTMLElement: FakeElement,
    HTMLFormElement: FakeForm,
    HTMLTextAreaElement: FakeTextArea,
    HTMLButtonElement: FakeButton,
    HTMLInputElement: FakeInput,
    requestAnimationFrame: (fn) => setTimeout(fn, 0),
  });
  return body;
}

/**
 * Elements with these ids (`tag#id`) in the body, for a view that finds its place by id.
 * @param {FakeElement} body
 * @param {string[]} specs
 */
export function withElements(body, specs) {
  for (const spec of specs) {
    const [tag, id] = spec.split("#");
    const e = document.createElement(tag);
    e.id = id;
    body.append(/** @type {any} */ (e));
  }
}
