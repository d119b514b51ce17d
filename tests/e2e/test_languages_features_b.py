"""The call's engagement, moderation, programme and whiteboard parts in the pseudo-language, in real
Chromium: a mentor and a mentee open their links with ``?lang=en-XA`` (tests/e2e/languages.py),
and at each step the words on screen must all come from the catalogue (names and texts typed
excepted) and axe must find no WCAG violation: the check-in card, the reactions menu, a raised
hand, the participation panel, the waiting room and a person's actions, the page's own "are you
sure?" dialogs, the whiteboard with items and its list of items, the rating after leaving and the
programme's fit question. In English: the whiteboard's list names what the other person added,
and says so politely once per item.

Each check looks at the whole page (``WHOLE_PAGE``); the selectors each step gives name the parts
it is about, and with ``WHOLE_PAGE = False`` the check looks only there (to find one area's words
while another's are being moved into the catalogue).
"""

from __future__ import annotations

import os
from typing import Any

from axe import assert_accessible
from languages import assert_translated, pseudo_url
from tandem_pages import (
    WAIT_MS,
    close_page,
    join,
    new_page,
    open_join_screen,
    participant_id,
    wait_state,
    wait_text,
)
from test_programme_fit import pair_session

WHOLE_PAGE = True
# What people typed, which the whole page shows (the header, the grid, the people list): the
# sessions' titles and the names.
TITLES = ["Pseudo engagement", "Pseudo moderation", "Pseudo board", "Pseudo rating",
          "Board in words", "Maya", "Ben"]


async def translated(page: Any, what: str, parts: list[str] | None, allowed: list[str] = (),
                     axe: bool = True) -> None:
    """No words outside the catalogue (in `parts`; anywhere when None or with WHOLE_PAGE), and axe
    passes."""
    root = None if WHOLE_PAGE or parts is None else ", ".join(parts)
    await assert_translated(page, what, allowed=[*allowed, *TITLES], root=root)
    if axe:
        await assert_accessible(page, what)


async def shot(page: Any, name: str) -> None:
    """With TANDEM_E2E_SCREENSHOTS=/some/dir, a screenshot of the page."""
    folder = os.environ.get("TANDEM_E2E_SCREENSHOTS")
    if folder:
        await page.screenshot(path=os.path.join(folder, f"languages-b-{name}.png"))


async def pseudo_join(browser: Any, url: str, name: str, until: str = "call") -> Any:
    return await join(browser, pseudo_url(url), name, until=until)


ENGAGE = ["#ctl-hand", "#ctl-react", "#ctl-participation", "#reaction-menu"]


async def test_check_in_reactions_hand_and_participation(tandem_server: Any, browser: Any) -> None:
    s = tandem_server.create_session(title="Pseudo engagement")
    maya = await pseudo_join(browser, s["join_urls"]["mentor"], "Maya")
    ben = await pseudo_join(browser, s["join_urls"]["mentee"], "Ben")
    try:
        card = ben.locator("#checkin-card")
        await card.wait_for()
        await translated(ben, "the check-in card", ["#checkin-card", *ENGAGE], ["Maya", "Ben"])
        await card.locator("textarea").fill("Plan my thesis")
        await card.locator("button[type=submit]").click()
        await wait_text(ben, "#checkin-card", "⟦")
        await translated(ben, "the check-in card, saved", ["#checkin-card"], ["Plan my thesis"],
                         axe=False)

        await ben.locator("#ctl-react").click()
        await ben.locator("#reaction-menu").wait_for()
        await translated(ben, "the reactions menu", ENGAGE)
        names = await ben.locator("#reaction-menu button").evaluate_all(
            "(bs) => bs.map((b) => b.getAttribute('aria-label'))")
        assert names[1] == "⟦Applause⟧", names
        await ben.locator('#reaction-menu [data-reaction="clap"]').click()

        await ben.locator("#ctl-hand").click()
        await wait_text(ben, "#ctl-hand", "⟦Lower hand⟧")
        assert await ben.locator("#ctl-hand").get_attribute("aria-pressed") == "true"
        await translated(ben, "a raised hand", ENGAGE)

        await maya.locator("#ctl-participation").click()
        await maya.wait_for_function(
            "() => document.querySelectorAll('#participation-panel tbody tr').length === 2")
        await wait_text(maya, ".participation-summary", "⟦")
        await translated(maya, "the mentor's participation panel",
                         [".participation-head", ".participation-summary", *ENGAGE])
        summary = await maya.locator(".participation-summary").inner_text()
        assert "minute" in summary or "second" in summary, summary
    finally:
        await close_page(ben)
        await close_page(maya)


async def test_waiting_room_a_persons_actions_and_the_remove_and_end_dialogs(
    tandem_server: Any, browser: Any
) -> None:
    s = tandem_server.create_session(title="Pseudo moderation", waiting_room="role_links")
    maya = await pseudo_join(browser, s["join_urls"]["mentor"], "Maya")
    ben = await pseudo_join(browser, s["join_urls"]["mentee"], "Ben", until="waiting")
    try:
        await wait_text(ben, "#message-title", "⟦Waiting for the mentor to let you in⟧")
        await translated(ben, "the waiting room", ["#screen-message"])
        admit = maya.locator("#waiting-list button.button-primary")
        await admit.wait_for()
        await translated(maya, "someone waiting", ["#waiting-list", "#mod-lock", "#mod-end"],
                         ["Ben"])
        await admit.click()
        await wait_state(ben, "call")
        pid = await participant_id(ben)

        row = f'#participant-list [data-id="{pid}"]'
        await maya.locator(f"{row} .person-manage").click()
        await maya.locator(f'{row} [data-action="remove"]').wait_for()
        await translated(maya, "a person's actions", [f"{row} .person-actions"], ["Ben"])

        # Removing is asked in the page's dialog, named for the action; Escape cancels.
        remove = maya.locator(f'{row} [data-action="remove"]')
        await remove.click()
        dialog = maya.locator(".confirm-dialog")
        await dialog.wait_for()
        assert await dialog.get_attribute("role") == "alertdialog"
        assert await maya.evaluate("() => document.activeElement.closest('dialog') !== null")
        await shot(maya, "remove-dialog")
        await translated(maya, "the dialog before removing a person", [".confirm-dialog"], ["Ben"])
        assert await dialog.locator(".confirm-dialog-confirm").inner_text() == "⟦Remove Ben⟧"
        await maya.keyboard.press("Escape")
        await dialog.wait_for(state="detached")
        assert await maya.evaluate("() => document.activeElement.dataset.action") == "remove"

        # "End for everyone" too; Cancel keeps the session.
        await maya.locator("#mod-end").click()
        await dialog.wait_for()
        await translated(maya, "the dialog before ending the session", [".confirm-dialog"])
        await dialog.locator(".confirm-dialog-cancel").click()
        await dialog.wait_for(state="detached")
        assert await maya.evaluate("() => document.activeElement.id") == "mod-end"
        assert await ben.evaluate("() => window.tandemTestHooks.state") == "call"
    finally:
        await close_page(ben)
        await close_page(maya)


async def open_whiteboard(page: Any) -> None:
    await page.locator("#ctl-board").click()
    await page.wait_for_selector(".wb[data-synced='true'] .wb-canvas")


async def add_by_keyboard(page: Any, tool_key: str, text: str | None = None) -> None:
    """The keyboard's way to draw: a tool's letter, then Enter on the focused canvas."""
    await page.locator(".wb-canvas").focus()
    await page.keyboard.press(tool_key)
    await page.keyboard.press("Enter")
    if text is not None:
        box = page.locator(".wb-text-input")
        await box.wait_for()
        await box.fill(text)
        await page.keyboard.press("Enter")


async def test_the_whiteboard_its_list_of_items_and_the_clear_dialog(
    tandem_server: Any, browser: Any
) -> None:
    s = tandem_server.create_session(title="Pseudo board")
    maya = await pseudo_join(browser, s["join_urls"]["mentor"], "Maya")
    ben = await pseudo_join(browser, s["join_urls"]["mentee"], "Ben")
    try:
        for page in (maya, ben):
            await open_whiteboard(page)
        await add_by_keyboard(ben, "r")
        await add_by_keyboard(ben, "t", "Plan the week")
        await maya.wait_for_function(
            "() => document.querySelector('.wb-canvas').dataset.items === '2'")
        await maya.locator(".wb-items-toggle").click()
        await maya.wait_for_function(
            "() => document.querySelectorAll('.wb-items-list li').length === 2")
        await shot(maya, "whiteboard-items")
        await translated(maya, "the whiteboard with its list of items", ["#whiteboard"],
                         ["Ben", "Plan the week"])
        tools = await maya.locator(".wb-tool").evaluate_all(
            "(bs) => bs.map((b) => b.getAttribute('aria-keyshortcuts'))")
        assert tools == ["v", "p", "h", "r", "o", "a", "l", "t", "e"], tools

        await maya.locator(".wb-clear").click()
        dialog = maya.locator(".confirm-dialog")
        await dialog.wait_for()
        await shot(maya, "clear-dialog")
        await translated(maya, "the dialog before clearing the board", [".confirm-dialog"])
        await dialog.locator(".confirm-dialog-confirm").click()
        await dialog.wait_for(state="detached")
        assert await maya.evaluate("() => document.activeElement.classList.contains('wb-clear')")
        await wait_text(maya, ".wb-status", "⟦The board was cleared.⟧", timeout=2 * WAIT_MS)
        await wait_text(maya, ".wb-items", "⟦The board is empty.⟧")
    finally:
        await close_page(ben)
        await close_page(maya)


async def test_the_rating_after_leaving(tandem_server: Any, browser: Any) -> None:
    s = tandem_server.create_session(title="Pseudo rating")
    ben = await pseudo_join(browser, s["join_urls"]["mentee"], "Ben")
    try:
        await ben.locator("#ctl-leave").click()
        await wait_state(ben, "left")
        await ben.locator("#rating-form").wait_for()
        await translated(ben, "the rating form after leaving", ["#screen-message"])
        await ben.locator("#rating-form button[type=submit]").click()
        await wait_text(ben, "#rating-form .rating-status", "⟦")
        await translated(ben, "the rating form asking for a number", ["#screen-message"])
    finally:
        await close_page(ben)


async def test_the_programme_fit_question(tandem_server: Any, browser: Any) -> None:
    _, _, links = pair_session(tandem_server)
    tom = await new_page(browser)
    try:
        await open_join_screen(tom, pseudo_url(links["Tom Mentee"]))
        await tom.locator("#join-button").click()
        await wait_state(tom, "call")
        await tom.locator("#ctl-leave").click()
        await tom.locator("#fit-question .fit-choice").first.wait_for(timeout=WAIT_MS)
        await translated(tom, "the fit question", ["#screen-message"])
        await tom.locator("#fit-question .fit-skip").click()
        await wait_text(tom, "#fit-status", "⟦")
        await translated(tom, "the fit question, skipped", ["#screen-message"])
    finally:
        await close_page(tom)


async def test_the_whiteboard_lists_and_announces_what_the_other_person_added(
    tandem_server: Any, browser: Any
) -> None:
    s = tandem_server.create_session(title="Board in words")
    maya = await join(browser, s["join_urls"]["mentor"], "Maya")
    ben = await join(browser, s["join_urls"]["mentee"], "Ben")
    try:
        for page in (maya, ben):
            await open_whiteboard(page)
        items = maya.get_by_role("list", name="Items on the board")
        await maya.get_by_role("button", name="List of items").click()
        assert await maya.get_by_role("button", name="List of items").get_attribute(
            "aria-expanded") == "true"
        await wait_text(maya, ".wb-items", "The board is empty.")

        live = maya.locator(".wb-items-live")
        assert await live.get_attribute("aria-live") == "polite"
        await add_by_keyboard(ben, "r")
        await wait_text(maya, ".wb-items-live", "Added to the board: Rectangle by Ben")
        await add_by_keyboard(ben, "t", "Plan the week")
        await wait_text(maya, ".wb-items-live",
                        "Added to the board: Text note by Ben: Plan the week")
        assert await items.get_by_role("listitem").all_inner_texts() == [
            "Rectangle by Ben", "Text note by Ben: Plan the week"]
        # Ben's own list says whose they are; his own additions are not announced to him.
        await ben.get_by_role("button", name="List of items").click()
        assert await ben.get_by_role("list", name="Items on the board").get_by_role(
            "listitem").all_inner_texts() == ["Your rectangle", "Your text note: Plan the week"]
        assert (await ben.locator(".wb-items-live").inner_text()).strip() == ""
        await assert_accessible(maya, "the whiteboard with its list of items")
    finally:
        await close_page(ben)
        await close_page(maya)
