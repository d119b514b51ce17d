import { test } from "node:test";
import assert from "node:assert/strict";
import { BROWSER_ALT_SHIFT, SHORTCUTS, enabledFrom, isTyping, matchShortcut } from "../../../../web_client/features/shortcuts/state.js";
import { TOOLS, keyboardPlacement } from "../../../../web_client/features/whiteboard/state.js";

/** A key press as the browser reports it. */
function press(key, { alt = false, shift = false, ctrl = false, meta = false, code = "", target = null, repeat = false } = {}) {
  return { key, code, altKey: alt, shiftKey: shift, ctrlKey: ctrl, metaKey: meta, target, repeat };
}

/** The chord a shortcut needs, as one comparable string. */
const chord = (s) => `${s.alt ? "alt+" : ""}${s.shift ? "shift+" : ""}${s.key}`;

test("no two shortcuts share a chord or an action", () => {
  const chords = SHORTCUTS.map(chord);
  assert.equal(new Set(chords).size, chords.length, chords.join(", "));
  const actions = SHORTCUTS.map((s) => s.action);
  assert.equal(new Set(actions).size, actions.length);
});

test("no shortcut is a whiteboard tool key, its undo or redo, or a chord the browser keeps", () => {
  // The whiteboard's keys are bare letters (tools), Ctrl/Cmd+Z and Y, Delete and Backspace.
  const board = new Set([...TOOLS.map((t) => t[3]), "ctrl+z", "ctrl+shift+z", "ctrl+y", "delete", "backspace"]);
  for (const s of SHORTCUTS) {
    assert.ok(!board.has(chord(s)), `${s.label} is taken by the whiteboard`);
    if (s.action !== "help") {
      assert.ok(s.alt && s.shift, `${s.label}: letters need Alt+Shift (a bare letter is text or a whiteboard tool)`);
      assert.ok(!BROWSER_ALT_SHIFT.includes(s.key), `${s.label} is the browser's`);
    }
  }
  // And none of the board's tool presses means a shortcut.
  for (const t of TOOLS) assert.equal(matchShortcut(press(t[3]), true), null, t[3]);
  assert.equal(matchShortcut(press("z", { ctrl: true }), true), null);
});

test("each shortcut is matched by its chord, and the table lists a label and words for it", () => {
  for (const s of SHORTCUTS) {
    assert.ok(s.label && s.description, s.action);
    const e = s.action === "help" ? press("?", { shift: true }) : press(s.key.toUpperCase(), { alt: true, shift: true, code: `Key${s.key.toUpperCase()}` });
    assert.equal(matchShortcut(e, true)?.action, s.action);
  }
  // Alt+Shift alone, or a letter with only one of them, is nothing.
  assert.equal(matchShortcut(press("m"), true), null);
  assert.equal(matchShortcut(press("M", { shift: true }), true), null);
  assert.equal(matchShortcut(press("m", { alt: true }), true), null);
  assert.equal(matchShortcut(press("M", { alt: true, shift: true, ctrl: true }), true), null);
});

test("on a Mac Option+Shift changes the character: the physical key still counts", () => {
  assert.equal(matchShortcut(press("Â", { alt: true, shift: true, code: "KeyM" }), true)?.action, "mic");
  // A layout whose M key sits elsewhere: the letter typed wins over the position.
  assert.equal(matchShortcut(press("M", { alt: true, shift: true, code: "Semicolon" }), true)?.action, "mic");
  assert.equal(matchShortcut(press("A", { alt: true, shift: true, code: "KeyM" }), true), null);
});

test("nothing fires while typing, on a held key, or when shortcuts are off", () => {
  const mic = press("M", { alt: true, shift: true, code: "KeyM" });
  for (const target of [{ tagName: "TEXTAREA" }, { tagName: "INPUT", type: "text" }, { tagName: "input" }, { tagName: "SELECT" }, { tagName: "DIV", isContentEditable: true }]) {
    assert.ok(isTyping(target), JSON.stringify(target));
    assert.equal(matchShortcut({ ...mic, target }, true), null);
    assert.equal(matchShortcut({ ...press("?", { shift: true }), target }, true), null);
  }
  for (const target of [{ tagName: "BUTTON" }, { tagName: "INPUT", type: "checkbox" }, { tagName: "CANVAS" }, null]) {
    assert.equal(matchShortcut({ ...mic, target }, true)?.action, "mic", JSON.stringify(target));
  }
  assert.equal(matchShortcut({ ...mic, repeat: true }, true), null);
  assert.equal(matchShortcut(mic, false), null);
  assert.equal(matchShortcut(press("?", { shift: true }), false), null);
});

test("shortcuts are on unless the person turned them off", () => {
  assert.equal(enabledFrom(null), true);
  assert.equal(enabledFrom("on"), true);
  assert.equal(enabledFrom("off"), false);
});

test("Enter on the board adds a shape or a text note in the middle, never a stroke", () => {
  const board = { w: 1600, h: 900 };
  assert.deepEqual(keyboardPlacement("rect", 0, board), { kind: "shape", x: 680, y: 380, w: 240, h: 140 });
  assert.deepEqual(keyboardPlacement("line", 0, board), { kind: "shape", x: 680, y: 450, w: 240, h: 0 });
  assert.deepEqual(keyboardPlacement("text", 0, board), { kind: "text", x: 680, y: 560 });
  const second = keyboardPlacement("ellipse", 1, board);
  assert.ok(second && second.x > 680 && second.y > 380, "a second one does not hide the first");
  for (const tool of ["pen", "highlighter", "eraser", "select"]) assert.equal(keyboardPlacement(tool, 0, board), null);
});
