import "../../english.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { useCatalogue } from "../../../../web_client/ui/i18n.js";
import { TOOLS, addedAnnouncement, boardLabel, itemDescription, newFromOthers, words } from "../../../../web_client/features/whiteboard/state.js";

const names = { ana: "Ana", ben: "Ben" };
/** @param {string} id */
const nameOf = (id) => names[id] || null;
const item = (id, type, author, text = "") => ({ id, type, author, text });

test("the board's items in words: kind, text, and who added them when known", () => {
  assert.equal(itemDescription(item("1", "rect", "ana"), "me", nameOf), "Rectangle by Ana");
  assert.equal(itemDescription(item("2", "text", "ben", "Plan the week"), "me", nameOf), "Text note by Ben: Plan the week");
  assert.equal(itemDescription(item("3", "pen", "me"), "me", nameOf), "Your freehand line");
  assert.equal(itemDescription(item("4", "text", "me", "Hi"), "me", nameOf), "Your text note: Hi");
  assert.equal(itemDescription(item("5", "ellipse", "gone"), "me", nameOf), "Ellipse");
  assert.equal(itemDescription(item("6", "highlighter", ""), "me", nameOf), "Highlighter stroke");
  assert.equal(itemDescription(item("7", "arrow", "ana"), null, nameOf), "Arrow by Ana");
  assert.equal(itemDescription(item("8", "blob", "ana"), "me", nameOf), "Item by Ana");
});

test("the canvas's name counts the items", () => {
  assert.equal(boardLabel(0), "Whiteboard, empty");
  assert.equal(boardLabel(1), "Whiteboard with 1 item");
  assert.equal(boardLabel(3), "Whiteboard with 3 items");
});

test("others' new items are announced once, one in words or how many", () => {
  const seen = new Set();
  assert.deepEqual(newFromOthers(seen, [item("a", "rect", "ana")], "me").map((i) => i.id), ["a"]);
  // Seen already, and mine: not news.
  const next = newFromOthers(seen, [item("a", "rect", "ana"), item("b", "pen", "me"), item("c", "text", "ben", "Hello")], "me");
  assert.deepEqual(next.map((i) => i.id), ["c"]);
  assert.equal(addedAnnouncement(next, "me", nameOf), "Added to the board: Text note by Ben: Hello");
  assert.equal(addedAnnouncement([item("x", "rect", "ana"), item("y", "line", "ana")], "me", nameOf), "2 items were added to the board");
  assert.equal(addedAnnouncement([], "me", nameOf), "");
});

test("the tools' hints name their key", () => {
  const [, label, hint, key] = TOOLS.find((tool) => tool[0] === "rect");
  assert.equal(words(label), "Rectangle");
  assert.equal(words(hint, { key: key.toUpperCase() }), "Rectangle (R)");
});

test("in Spanish: plurals and the items' words", () => {
  const read = (code) => JSON.parse(readFileSync(new URL(`../../../../web_client/i18n/${code}.json`, import.meta.url), "utf8"));
  const english = read("en");
  useCatalogue("es", read("es"), english);
  try {
    assert.equal(boardLabel(1), "Pizarra con 1 elemento");
    assert.equal(boardLabel(3), "Pizarra con 3 elementos");
    assert.equal(addedAnnouncement([item("x", "rect", "ana"), item("y", "line", "ana")], "me", nameOf), "Se añadieron 2 elementos a la pizarra");
    assert.equal(itemDescription(item("1", "ellipse", "ana"), "me", nameOf), "Elipse de Ana");
    assert.equal(itemDescription(item("2", "text", "me", "Hola"), "me", nameOf), "Tu nota de texto: Hola");
  } finally {
    useCatalogue("en", english, english);
  }
});
