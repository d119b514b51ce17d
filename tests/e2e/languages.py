"""Text on screen that did not come from the language catalogues.

Pages opened with ``?lang=en-XA`` (the pseudo-language of web_client/ui/i18n.js) show every
catalogue message, date and number between ⟦ and ⟧. ``untranslated(page, allowed)`` lists the
visible text nodes and labelling attributes that hold words outside those marks: words someone
typed (names, chat, titles: pass them as ``allowed``) and elements marked ``translate="no"``
excepted. ``assert_translated`` fails with each of them."""

from __future__ import annotations

from typing import Any

PSEUDO = "en-XA"

UNTRANSLATED_JS = r"""
(allowed) => {
  const open = "\u27e6", close = "\u27e7";
  const letter = /\p{L}/u;
  const attrs = ["aria-label", "title", "placeholder", "alt", "aria-valuetext",
                 "aria-roledescription", "aria-description"];
  // What remains of a text once every marked message and every allowed word is taken out.
  const rest = (text) => {
    let out = "", depth = 0;
    for (const ch of text) {
      if (ch === open) depth++;
      else if (ch === close) depth = Math.max(0, depth - 1);
      else if (depth === 0) out += ch;
    }
    for (const word of allowed) out = out.split(word).join(" ");
    return out;
  };
  const off = (node) => !!(node && node.closest && node.closest('[translate="no"], script, style, template, noscript'));
  const shown = (e) => {
    if (!e || e.closest("[hidden]") || e.closest('[aria-hidden="true"]') && !e.closest("[aria-label]")) return false;
    const style = getComputedStyle(e);
    return style.display !== "none" && style.visibility !== "hidden";
  };
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || off(parent) || !shown(parent)) continue;
    const left = rest(node.textContent || "");
    if (letter.test(left)) found.push(`<${parent.tagName.toLowerCase()}${parent.id ? "#" + parent.id : ""}> ${(node.textContent || "").trim().slice(0, 80)}`);
  }
  for (const e of document.querySelectorAll("*")) {
    if (off(e)) continue;
    for (const a of attrs) {
      const v = e.getAttribute(a);
      if (v && letter.test(rest(v))) found.push(`<${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""} ${a}="${v.slice(0, 80)}">`);
    }
  }
  if (letter.test(rest(document.title))) found.push(`<title> ${document.title}`);
  return found;
}
"""


def pseudo_url(url: str) -> str:
    """The page's address with the pseudo-language (before any ``#`` fragment)."""
    base, hash_, fragment = url.partition("#")
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}lang={PSEUDO}{hash_}{fragment}"


async def untranslated(page: Any, allowed: list[str] | tuple[str, ...] = ()) -> list[str]:
    found: list[str] = await page.evaluate(UNTRANSLATED_JS, list(allowed))
    return found


async def assert_translated(page: Any, context: str, allowed: list[str] | tuple[str, ...] = ()) -> None:
    found = await untranslated(page, allowed)
    assert not found, (
        f"{context}: text outside the catalogue (web_client/i18n/en.json, through t()):\n  "
        + "\n  ".join(found))
