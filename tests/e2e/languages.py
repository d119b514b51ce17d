"""Text on screen that did not come from the language catalogues.

Pages opened with ``?lang=en-XA`` (the pseudo-language of web_client/ui/i18n.js) show every
catalogue message, date and number between ⟦ and ⟧. ``untranslated(page, allowed)`` lists the
visible text nodes and labelling attributes that hold words outside those marks: words someone
typed (names, chat, titles: pass them as ``allowed``) and elements marked ``translate="no"``
excepted. ``assert_translated`` fails with each of them. Both look at the whole page, or, given
``root`` (a CSS selector), only inside the elements it matches."""

from __future__ import annotations

from typing import Any

PSEUDO = "en-XA"

UNTRANSLATED_JS = r"""
([allowed, root]) => {
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
  const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "");
  const off = (node) => !!(node && node.closest
    && node.closest('[translate="no"], script, style, template, noscript'));
  const shown = (e) => {
    if (!e || e.closest("[hidden]")) return false;
    if (e.closest('[aria-hidden="true"]') && !e.closest("[aria-label]")) return false;
    const style = getComputedStyle(e);
    return style.display !== "none" && style.visibility !== "hidden";
  };
  const found = [];
  const roots = root === null ? [document.body] : [...document.querySelectorAll(root)];
  if (root !== null && !roots.length) found.push(`(nothing matches ${root})`);
  for (const top of roots) {
    const walker = document.createTreeWalker(top, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!parent || off(parent) || !shown(parent)) continue;
      const left = rest(node.textContent || "");
      if (letter.test(left)) found.push(
        `<${name(parent)}> ${(node.textContent || "").trim().slice(0, 80)}`);
    }
    const elements = root === null
      ? document.querySelectorAll("*") : [top, ...top.querySelectorAll("*")];
    for (const e of elements) {
      if (off(e)) continue;
      for (const a of attrs) {
        const v = e.getAttribute(a);
        if (v && letter.test(rest(v))) found.push(`<${name(e)} ${a}="${v.slice(0, 80)}">`);
      }
    }
  }
  if (root === null && letter.test(rest(document.title))) found.push(`<title> ${document.title}`);
  return [...new Set(found)];
}
"""


def pseudo_url(url: str) -> str:
    """The page's address with the pseudo-language (before any ``#`` fragment)."""
    base, hash_, fragment = url.partition("#")
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}lang={PSEUDO}{hash_}{fragment}"


async def untranslated(page: Any, allowed: list[str] | tuple[str, ...] = (),
                       root: str | None = None) -> list[str]:
    """What is on screen outside the catalogue: in the whole page, or only inside the elements
    that the CSS selector ``root`` matches (one or more; a selector that matches nothing is
    reported, so that a check is never silently empty)."""
    found: list[str] = await page.evaluate(UNTRANSLATED_JS, [list(allowed), root])
    return found


async def assert_translated(page: Any, context: str, allowed: list[str] | tuple[str, ...] = (),
                            root: str | None = None) -> None:
    found = await untranslated(page, allowed, root)
    assert not found, (
        f"{context}: text outside the catalogue (web_client/i18n/en.json, through t()):\n  "
        + "\n  ".join(found))
