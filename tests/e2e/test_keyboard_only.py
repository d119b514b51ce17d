"""The keyboard-only journey: a mentee who never touches the mouse joins, mutes, turns the camera
off, chats, raises a hand, reacts, reads the shortcuts' help, draws a shape and writes a note on the
whiteboard, goes through a breakout room and back, leaves and rates the session. The mentor's page
(which runs the breakout) may use any Playwright action; the mentee's uses only ``page.keyboard``.

Every Tab checks that the focus is visible (an outline or a ring); the count of key presses is
printed (run with ``-s`` to see it) and screenshots are kept in $TANDEM_SCREENSHOTS when set.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from tandem_pages import close_page, command, join, new_page, participant_id, wait_state, wait_text

# What has the focus, and whether it shows: an outline, or a box-shadow ring, that is not none.
FOCUS_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {id: "", tag: "BODY", visible: false, text: ""};
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2;
  const ring = s.boxShadow && s.boxShadow !== "none";
  // A radio or checkbox shows its focus on its label (label + input:focus-visible rules).
  const label = el.labels && el.labels[0];
  const ls = label ? getComputedStyle(label) : null;
  const labelRing = !!ls && ls.outlineStyle !== "none" && parseFloat(ls.outlineWidth) >= 2;
  return {
    id: el.id, tag: el.tagName, visible: outline || ring || labelRing,
    text: (el.getAttribute("aria-label") || el.textContent || "").trim().slice(0, 40),
  };
}
"""

TWO_ITEMS_JS = (
    "() => document.querySelector('.wb-canvas').getAttribute('aria-label')"
    " === 'Whiteboard with 2 items'"
)


class Keys:
    """The mentee's keyboard: every press and every typed character is counted, and after each
    Tab the newly focused element must show its focus."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.presses = 0
        self.typed = 0
        self.unseen: list[str] = []

    async def press(self, key: str) -> None:
        self.presses += 1
        await self.page.keyboard.press(key)

    async def type(self, text: str) -> None:
        self.presses += len(text)
        self.typed += len(text)
        await self.page.keyboard.type(text)

    async def focused(self) -> dict[str, Any]:
        return dict(await self.page.evaluate(FOCUS_JS))

    async def tab_until(self, matches: Any, limit: int = 40, back: bool = False) -> dict[str, Any]:
        """Tab (or Shift+Tab) until ``matches(focused)``; the focus must show at every stop."""
        seen = []
        for _ in range(limit):
            await self.press("Shift+Tab" if back else "Tab")
            f = await self.focused()
            seen.append(f["id"] or f"{f['tag']}:{f['text']}")
            if f["tag"] != "BODY" and not f["visible"]:
                self.unseen.append(seen[-1])
            if matches(f):
                return f
        way = "Shift+Tab" if back else "Tab"
        raise AssertionError(f"not reached by {way}; focus went through {seen}")

    async def tab_to(self, element_id: str, back: bool = False) -> dict[str, Any]:
        return await self.tab_until(lambda f: f["id"] == element_id, back=back)


async def pressed(page: Any, element_id: str, value: str) -> None:
    await page.wait_for_function(
        "([id, v]) => document.getElementById(id)?.getAttribute('aria-pressed') === v",
        arg=[element_id, value],
    )


async def shot(page: Any, name: str) -> None:
    folder = os.environ.get("TANDEM_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(folder) / f"keyboard-{name}.png"))


async def board_image(page: Any, name: str) -> None:
    """The whiteboard's own pixels (cards of the call may cover part of it on screen)."""
    folder = os.environ.get("TANDEM_SCREENSHOTS")
    if folder:
        url = await page.evaluate("() => document.querySelector('.wb-canvas').toDataURL()")
        Path(folder, f"keyboard-{name}.png").write_bytes(base64.b64decode(url.split(",", 1)[1]))


async def test_a_whole_session_by_keyboard(tandem_server: Any, browser: Any) -> None:
    s = tandem_server.create_session(title="Keyboard only")
    mentor = await join(browser, s["join_urls"]["mentor"], name="Ana")

    # Join: Tab to the name, type it, Enter submits.
    page = await new_page(browser)
    keys = Keys(page)
    await page.goto(s["join_urls"]["mentee"])
    await wait_state(page, "join")
    await page.wait_for_function("() => !document.getElementById('join-button').disabled")
    if (await keys.focused())["id"] != "name-input":
        await keys.tab_to("name-input")
    await keys.type("Kim")
    await keys.press("Enter")
    await wait_state(page, "call")
    kim = await participant_id(page)
    await wait_text(mentor, "#participant-list", "Kim")

    # Mute and camera off with the shortcuts.
    await keys.press("Alt+Shift+M")
    await pressed(page, "ctl-mic", "true")
    await keys.press("Alt+Shift+V")
    await pressed(page, "ctl-cam", "true")
    await wait_text(mentor, f'#participant-list li[data-id="{kim}"]', "muted")

    # Chat: the shortcut puts the focus in the chat box; there "?" is text, not the help dialog.
    await keys.press("Alt+Shift+C")
    assert (await keys.focused())["id"] == "chat-input"
    await keys.type("Hello from the keyboard?")
    assert await page.evaluate("() => document.getElementById('shortcuts-dialog').open") is False
    await keys.press("Enter")
    await wait_text(mentor, "#chat-log", "Hello from the keyboard?")

    # Out of the text box, then raise a hand.
    await keys.press("Tab")
    assert (await keys.focused())["id"] == "chat-send"
    await keys.press("Alt+Shift+H")
    await pressed(page, "ctl-hand", "true")
    await mentor.wait_for_selector(f'#participant-list li.hand-raised[data-id="{kim}"]')

    # "?" opens the help dialog (a modal <dialog> with a heading and the table); Escape closes it
    # and the focus goes back to the Send button it came from.
    await keys.press("?")
    await page.wait_for_function("() => document.getElementById('shortcuts-dialog').open")
    assert (await keys.focused())["id"] == "shortcuts-close"
    await wait_text(page, "#shortcuts-dialog", "Alt+Shift+W")
    await shot(page, "help-dialog")
    # Tab stays among the dialog's controls (a modal dialog) and Escape always leaves it.
    f = await keys.tab_until(lambda f: f["id"] == "shortcuts-on")
    assert f["visible"]
    await keys.press("Escape")
    await page.wait_for_function("() => !document.getElementById('shortcuts-dialog').open")
    assert (await keys.focused())["id"] == "chat-send"

    # React: the shortcut opens the menu with the focus on its first reaction; Enter sends it.
    await keys.press("Alt+Shift+R")
    first = await keys.focused()
    assert first["tag"] == "BUTTON" and first["text"], first
    # The bubble shows for a few seconds only: an observer notes it even if a busy machine
    # looks later than that.
    await page.evaluate("""() => {
      window.sawReaction = false;
      new MutationObserver((changes) => {
        if (changes.some((c) => [...c.addedNodes].some(
            (n) => n instanceof Element && n.matches('.reaction-bubble')))) {
          window.sawReaction = true;
        }
      }).observe(document.body, { childList: true, subtree: true });
    }""")
    await keys.press("Enter")
    await page.wait_for_function("() => window.sawReaction === true", polling=100)
    assert (await keys.focused())["id"] == "chat-send", "the focus goes back where it was"

    # Whiteboard: the shortcut opens it with the focus on the canvas; R picks the rectangle and
    # Enter puts one in the middle; T and Enter start a text note, Enter keeps it.
    await keys.press("Alt+Shift+W")
    await pressed(page, "ctl-board", "true")
    assert (await keys.focused())["tag"] == "CANVAS"
    await keys.press("r")
    await keys.press("Enter")
    await wait_text(page, ".wb-status", "Rectangle added")
    await keys.press("t")
    await keys.press("Enter")
    assert (await keys.focused())["tag"] == "TEXTAREA"
    await keys.type("Note by keyboard")
    await keys.press("Enter")
    await page.wait_for_function(TWO_ITEMS_JS)
    assert (await keys.focused())["tag"] == "CANVAS"
    # The camera is still off: V on the board picked the select tool, never the camera.
    await keys.press("v")
    await pressed(page, "ctl-cam", "true")
    await shot(page, "whiteboard")
    # The mentor sees both on the shared board.
    await mentor.locator("#ctl-board").click()
    await mentor.wait_for_function(TWO_ITEMS_JS)
    await board_image(mentor, "board-mentor")
    await mentor.locator("#ctl-board").click()
    await keys.press("Alt+Shift+W")
    await pressed(page, "ctl-board", "false")
    assert (await keys.focused())["id"] == "chat-send", "closing the board gives the focus back"

    # A breakout Kim chooses: the mentor lets people choose; Kim Tabs to "Library" and presses
    # Enter, goes there when the rooms open, chats there, and is back when they close.
    await command(mentor, "breakout_create", {"names": ["Garden", "Library"], "allow_choice": True})
    await page.wait_for_selector("#breakouts-choose button.bo-choose-room")
    await keys.tab_until(lambda f: f["tag"] == "BUTTON" and f["text"].startswith("Library"))
    await shot(page, "breakout-choose")
    await keys.press("Enter")
    await page.wait_for_function(
        """() => [...document.querySelectorAll('#breakouts-choose button[aria-pressed=true]')]
            .some((b) => b.textContent.includes('Library'))"""
    )
    await command(mentor, "breakout_open", {"duration_seconds": 600})
    await wait_text(page, "#chat-log", "You are now in Library")
    await keys.press("Alt+Shift+C")
    await keys.type("In the room")
    await keys.press("Enter")
    await wait_text(page, "#chat-log", "In the room")
    await shot(page, "breakout")
    await command(mentor, "breakout_close", {"countdown_seconds": 0})
    await wait_text(page, "#chat-log", "You are now in Main room")

    # Leave: Tab (from the chat box) to Leave, Enter; then rate 4 with the arrows and send.
    await keys.tab_to("ctl-leave")
    await shot(page, "leave-focused")
    await keys.press("Enter")
    await wait_state(page, "left")
    await page.wait_for_selector("#rating-form")
    await keys.tab_to("rating-1")
    await keys.press("Space")
    for _ in range(3):
        await keys.press("ArrowRight")
    assert await page.evaluate("() => document.getElementById('rating-4').checked")
    await keys.tab_until(lambda f: f["tag"] == "BUTTON" and f["text"] == "Send rating")
    await shot(page, "rating")
    await keys.press("Enter")
    await wait_text(page, "#rating-form", "Thank you")

    print(
        f"\nkeyboard-only journey: {keys.presses} key presses "
        f"({keys.typed} of them typed characters, {keys.presses - keys.typed} other keys)"
    )
    assert keys.unseen == [], f"focus not visible on {keys.unseen}"
    await close_page(page)
    await close_page(mentor)


async def test_shortcuts_turned_off_stay_off_until_turned_on(
    tandem_server: Any, browser: Any
) -> None:
    s = tandem_server.create_session(title="Shortcuts off")
    page = await join(browser, s["join_urls"]["mentee"], name="Kim")
    keys = Keys(page)

    # Off in the help dialog ("?", Tab to the box, Space, Escape).
    await keys.press("?")
    await keys.tab_to("shortcuts-on")
    await keys.press("Space")
    await keys.press("Escape")
    await page.wait_for_function("() => !document.getElementById('shortcuts-dialog').open")
    assert await page.evaluate("() => localStorage.getItem('tandem:shortcuts')") == "off"

    # After a reload too: neither Alt+Shift+M nor "?" does anything. The Tab after them is the
    # barrier: key presses are handled in order, so once the focus has moved the shortcut's
    # handler would have run.
    await page.reload()
    await wait_state(page, "call")
    await page.evaluate("() => (window.focusedBefore = document.activeElement)")
    await keys.press("Alt+Shift+M")
    await keys.press("?")
    await keys.press("Tab")
    await page.wait_for_function("() => document.activeElement !== window.focusedBefore")
    assert await page.get_attribute("#ctl-mic", "aria-pressed") == "false"
    assert await page.evaluate("() => document.getElementById('shortcuts-dialog').open") is False

    # The Shortcuts button still opens the dialog; on again, and the focus returns to the button.
    await keys.tab_to("ctl-shortcuts")
    await keys.press("Enter")
    await page.wait_for_function("() => document.getElementById('shortcuts-dialog').open")
    await keys.tab_to("shortcuts-on")
    await keys.press("Space")
    await keys.tab_to("shortcuts-close")
    await keys.press("Enter")
    assert (await keys.focused())["id"] == "ctl-shortcuts"
    await keys.press("Alt+Shift+M")
    await pressed(page, "ctl-mic", "true")
    assert keys.unseen == [], f"focus not visible on {keys.unseen}"
    await close_page(page)
