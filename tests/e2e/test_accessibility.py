"""Keyboard use and names for every control, on the join page and in the call."""

from __future__ import annotations

from typing import Any

from axe import assert_accessible
from tandem_pages import close_page, join, new_page, open_join_screen, wait_state, wait_text

# Visible controls without an accessible name (approximation of the accessible-name algorithm:
# aria-label, aria-labelledby, a <label>, the text inside, or a title).
UNNAMED_CONTROLS_JS = """
() => {
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
      && getComputedStyle(el).visibility !== "hidden";
  const name = (el) => {
    if ((el.getAttribute("aria-label") || "").trim()) return true;
    const by = el.getAttribute("aria-labelledby");
    const text = (id) => (document.getElementById(id)?.textContent || "").trim();
    if (by && by.split(/\\s+/).some(text)) return true;
    if (el.labels && [...el.labels].some((l) => l.textContent.trim())) return true;
    if ((el.textContent || "").trim()) return true;
    return !!(el.getAttribute("title") || "").trim();
  };
  const controls = "button, input, textarea, select, a[href], [tabindex]:not([tabindex='-1'])";
  return [...document.querySelectorAll(controls)]
    .filter(visible)
    .filter((el) => !name(el))
    .map((el) => el.outerHTML.slice(0, 120));
}
"""


# Stylesheets of the page that did not load (a wrong path leaves the page unstyled, with focus
# outlines and hidden regions gone, while every other check still passes).
UNLOADED_STYLESHEETS_JS = """
() => [...document.querySelectorAll("link[rel=stylesheet]")]
  .filter((link) => !link.sheet || link.sheet.cssRules.length === 0)
  .map((link) => link.getAttribute("href"))
"""


async def tab_to(page: Any, element_id: str, limit: int = 40) -> list[str]:
    """Press Tab until the element has focus; returns the ids passed on the way."""
    seen: list[str] = []
    for _ in range(limit):
        await page.keyboard.press("Tab")
        focused = await page.evaluate("() => document.activeElement && document.activeElement.id")
        seen.append(focused or "?")
        if focused == element_id:
            return seen
    raise AssertionError(f"#{element_id} not reached by Tab; focus went through {seen}")


async def test_join_page_by_keyboard(tandem_server: Any, browser: Any) -> None:
    s = tandem_server.create_session(title="Keyboard check")
    page = await new_page(browser)
    await open_join_screen(page, s["join_urls"]["mentee"])
    assert await page.evaluate(UNNAMED_CONTROLS_JS) == []
    await assert_accessible(page, "the join page")

    # Join with the name field empty: the error is tied to the field and focus goes back to it.
    await tab_to(page, "join-button")
    await page.keyboard.press("Enter")
    await wait_text(page, "#name-error", "Please type your name")
    assert await page.evaluate("() => document.activeElement.id") == "name-input"
    assert await page.get_by_label("Your name").get_attribute("aria-invalid") == "true"
    await assert_accessible(page, "the join page showing a field error")

    await page.keyboard.type("Kim")
    await page.keyboard.press("Enter")  # submits the form
    await wait_state(page, "call")
    await close_page(page)


async def test_call_controls_by_keyboard(tandem_server: Any, browser: Any) -> None:
    s = tandem_server.create_session(title="Keyboard call")
    other = await join(browser, s["join_urls"]["mentor"], name="Ana")
    page = await join(browser, s["join_urls"]["mentee"], name="Kim")
    await wait_text(page, "#participant-list", "Ana")
    assert await page.evaluate(UNNAMED_CONTROLS_JS) == []
    # The page's own stylesheets and those the features add (breakouts, engagement, whiteboard).
    sheets = await page.evaluate("() => document.querySelectorAll('link[rel=stylesheet]').length")
    assert sheets >= 4, sheets
    assert await page.evaluate(UNLOADED_STYLESHEETS_JS) == []
    await assert_accessible(page, "the call, people tab open")

    # Chat: reachable by Tab, Enter sends.
    await tab_to(page, "chat-input")
    await page.keyboard.type("Typed with the keyboard")
    await page.keyboard.press("Enter")
    await wait_text(other, "#chat-log", "Typed with the keyboard")
    await assert_accessible(page, "the call, chat tab open with a message")

    # Mute with the keyboard: Tab to the button, Space toggles aria-pressed.
    await tab_to(page, "ctl-mic")
    mic = page.locator("#ctl-mic")
    await page.keyboard.press("Space")
    await page.wait_for_function(
        "() => document.getElementById('ctl-mic').getAttribute('aria-pressed') === 'true'"
    )
    await wait_text(other, "#participant-list", "muted")

    # The Alt+Shift+M shortcut (outside text fields) unmutes again; a bare M does nothing.
    await page.locator("#call-title").focus()
    await page.keyboard.press("m")
    await page.keyboard.press("Alt+Shift+M")
    await page.wait_for_function(
        "() => document.getElementById('ctl-mic').getAttribute('aria-pressed') === 'false'"
    )
    assert await mic.get_attribute("aria-label") == "Mute microphone"

    # Focus is visible: the focused control gets an outline.
    await tab_to(page, "ctl-leave")
    outline = await page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), outline

    await close_page(page)
    await close_page(other)
