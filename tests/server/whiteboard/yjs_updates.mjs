// Updates made by the Yjs the page ships (web_client/vendor/yjs.bundle.js), for test_yjs.py: each
// entry {name, update (hex), after: [names it builds on]}. Values of every kind lib0 encodes.
import * as Y from "../../../web_client/vendor/yjs.bundle.js";

const out = [];
const hex = (u8) => Buffer.from(u8).toString("hex");
const doc = new Y.Doc();
doc.clientID = 4242;
const items = doc.getMap("items");
let last = null;
doc.on("update", (u) => out.push({ name: last, update: hex(u) }));
const step = (name, fn) => { last = name; doc.transact(fn); };

step("stroke", () => {
  const m = new Y.Map();
  for (const [k, v] of Object.entries({ type: "pen", author: "p1", color: "#1d4ed8", width: 4,
    z: 17, x: 0, y: -3, big: 2 ** 40, neg: -70000, half: 0.5, tiny: 1e-300 })) m.set(k, v);
  m.set("points", Y.Array.from([10, 20.5, -30, 40, 1600, 900, 0, -1]));
  items.set("p1-1", m);
});
step("extend", () => items.get("p1-1").get("points").push([11, 21, 12.25, 22]));
step("text", () => {
  const m = new Y.Map();
  m.set("type", "text");
  m.set("text", "ünï 😀 code");
  m.set("meta", { nested: [1, "a", null, true, false, { k: -5 }], bytes: new Uint8Array([0, 255]) });
  m.set("rich", new Y.Text("héllo 😀"));
  m.set("bin", new Uint8Array([1, 2, 3]));
  items.set("p1-2", m);
});
step("move", () => { items.get("p1-1").set("x", 35); items.get("p1-1").set("y", 2.5); });
step("edit_text", () => {
  const rich = items.get("p1-2").get("rich");
  rich.insert(3, "ab😀");
  rich.format(0, 4, { bold: true });
  rich.insertEmbed(2, { image: "x.png" });
});
step("delete", () => items.delete("p1-1"));
console.log(JSON.stringify(out));
