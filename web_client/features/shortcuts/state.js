// The call's keyboard shortcuts: one table, the rule that matches a key press to it, and whether
// they are on. Pure: no DOM, no network.
//
// Why Alt+Shift+letter: a bare letter belongs to the whiteboard (its tool keys, state.js TOOLS) and
// to whatever someone types; Ctrl+letter and Alt+letter are the browser's (Ctrl+W closes the tab,
// Alt+D/E/F reach the address bar and the menu); Ctrl+Alt and Insert/CapsLock chords are the screen
// readers' (NVDA, JAWS, Orca; VoiceOver is Ctrl+Option). Alt+Shift+letter is left to pages: Chromium
// takes only Alt+Shift+A, B, I and T, which the table avoids. On a Mac, Option+Shift turns the
// letter into another character, so a press is matched by its physical key (`code`) when `key` is
// not a plain letter. "?" (help) is the usual key of web applications for a list of shortcuts.

/** @typedef {"mic" | "camera" | "hand" | "react" | "chat" | "board" | "help"} ShortcutAction */
/** @typedef {{action: ShortcutAction, key: string, alt: boolean, shift: boolean, label: string, description: string}} Shortcut  description: "i18n:<catalogue key>" */

/** @param {ShortcutAction} action @param {string} letter @param {string} description @returns {Shortcut} */
const altShift = (action, letter, description) =>
  ({ action, key: letter, alt: true, shift: true, label: `Alt+Shift+${letter.toUpperCase()}`, description });

/** @type {readonly Shortcut[]} */
export const SHORTCUTS = Object.freeze([
  altShift("mic", "m", "i18n:shortcuts.mic"),
  altShift("camera", "v", "i18n:shortcuts.camera"),
  altShift("hand", "h", "i18n:shortcuts.hand"),
  altShift("react", "r", "i18n:shortcuts.react"),
  altShift("chat", "c", "i18n:shortcuts.chat"),
  altShift("board", "w", "i18n:shortcuts.board"),
  { action: "help", key: "?", alt: false, shift: false, label: "?", description: "i18n:shortcuts.help" },
]);

// Chords Chromium keeps for itself on Windows and Linux (Alt+Shift+A focuses a dialog, B the
// bookmarks bar, I sends feedback, T the toolbar).
export const BROWSER_ALT_SHIFT = Object.freeze(["a", "b", "i", "t"]);

export const STORAGE_KEY = "tandem:shortcuts";

/**
 * Whether the focus is where someone types: a key press there is text, never a shortcut.
 * @param {{tagName?: string, isContentEditable?: boolean, type?: string} | null} target
 */
export function isTyping(target) {
  if (!target) return false;
  if (target.isContentEditable) return true;
  const tag = (target.tagName || "").toUpperCase();
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag !== "INPUT") return false;
  // Buttons, checkboxes and radios take no text: Alt+Shift+M there is still a shortcut.
  return !["button", "checkbox", "radio", "submit", "reset", "range", "color", "file"].includes((target.type || "text").toLowerCase());
}

/**
 * The shortcut a key press means, or null.
 * @param {{key: string, code?: string, altKey: boolean, shiftKey: boolean, ctrlKey: boolean, metaKey: boolean, target?: any, repeat?: boolean}} e
 * @param {boolean} enabled  the person's setting: off means no shortcut fires, "?" included
 * @returns {Shortcut | null}
 */
export function matchShortcut(e, enabled) {
  if (!enabled || e.ctrlKey || e.metaKey || e.repeat || isTyping(e.target || null)) return null;
  const key = e.key.length === 1 ? e.key.toLowerCase() : "";
  const physical = e.code && /^Key[A-Z]$/.test(e.code) ? e.code.slice(3).toLowerCase() : "";
  for (const s of SHORTCUTS) {
    if (s.action === "help") {
      if (!e.altKey && e.key === "?") return s;
      continue;
    }
    if (e.altKey !== s.alt || e.shiftKey !== s.shift) continue;
    if (key === s.key || (!/^[a-z]$/.test(key) && physical === s.key)) return s;
  }
  return null;
}

/** Whether shortcuts are on (the default) from what was kept. @param {string | null} stored */
export function enabledFrom(stored) {
  return stored !== "off";
}
