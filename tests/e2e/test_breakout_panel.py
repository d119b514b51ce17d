"""Breakout rooms run from the mentor's panel (web_client/breakouts.js) in real Chromium.

A mentor page and four mentee pages: the mentor creates two rooms and assigns two pairs by
choosing a room for each person in the panel, and opens them. Each mentee decodes video from its
partner only (getStats on the connection to the partner) and has no connection to anyone else; a
mentee asks for help, the mentor sees it in the overview, goes to that room and sees and hears the
pair, and the request clears; a broadcast reaches both rooms' chat; the mentor's page is reloaded
and shows the open round again; the mentor closes the rooms and all five pages decode video from
all the others again.

Everything is driven through what the pages show (labels and buttons); the only page internals
read are `window.tandemTestHooks.peers` for getStats, as in the other tests.
"""

from __future__ import annotations

import os
from typing import Any

from tandem_pages import (
    close_page,
    join,
    participant_id,
    wait_media_from,
    wait_state,
    wait_text,
)
from test_accessibility import UNNAMED_CONTROLS_JS

MENTEES = ("Ben", "Chloé", "Dan", "Eve")
PAIRS = {"Ben": "Chloé", "Chloé": "Ben", "Dan": "Eve", "Eve": "Dan"}
ROOM_OF = {"Ben": "Room 1", "Chloé": "Room 1", "Dan": "Room 2", "Eve": "Room 2"}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

# Let the sidebar and the panel grow to their whole content (CSSOM: the page's CSP allows it).
UNCLIP_JS = """(on) => {
  for (const el of document.querySelectorAll(".sidebar, #breakouts-panel")) {
    el.style.maxHeight = on ? "none" : "";
    el.style.overflow = on ? "visible" : "";
  }
}"""
PEERS_JS = "(ids) => ids.filter((id) => window.tandemTestHooks.peers.has(id))"


async def shot(page: Any, name: str, *, phone: bool = False) -> None:
    """Save a screenshot when TANDEM_E2E_SCREENSHOTS names a folder (for looking, not asserting)."""
    folder = os.environ.get("TANDEM_E2E_SCREENSHOTS")
    if not folder:
        return
    if phone:
        await page.set_viewport_size(PHONE)
    try:
        await page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)
        panel = page.locator("#breakouts-panel")
        if await panel.is_visible():
            # The whole panel, not only what its scroll box shows.
            await page.evaluate(UNCLIP_JS, True)
            await panel.screenshot(path=os.path.join(folder, f"{name}-panel.png"))
            await page.evaluate(UNCLIP_JS, False)
    finally:
        if phone:
            await page.set_viewport_size(DESKTOP)


async def test_mentor_runs_pairs_from_the_panel(tandem_server: Any, browser: Any) -> None:
    s = tandem_server.create_session(title="Cohort session", goal="Practise interviews in pairs")
    mentor = await join(browser, s["join_urls"]["mentor"], name="Ana")
    pages = {"Ana": mentor}
    for name in MENTEES:
        pages[name] = await join(browser, s["join_urls"]["mentee"], name=name)
    ids = {name: await participant_id(page) for name, page in pages.items()}

    # The panel is the mentor's only: mentees see neither it nor a chooser (no allow_choice).
    panel = mentor.locator("#breakouts-panel")
    await panel.wait_for(state="visible")
    for name in MENTEES:
        assert await pages[name].locator("#breakouts-panel").is_hidden()
        assert await pages[name].locator("#breakouts-choose").is_hidden()

    # Two numbered rooms; a pair in each, chosen person by person.
    await panel.get_by_label("Number of rooms").fill("2")
    await panel.get_by_role("button", name="Create rooms").click()
    await panel.locator('.bo-room[data-room="b2"]').wait_for()
    for name in MENTEES:
        await panel.get_by_label(f"Room for {name}").select_option(label=ROOM_OF[name])
        room = "b1" if ROOM_OF[name] == "Room 1" else "b2"
        await panel.locator(
            f'.bo-room[data-room="{room}"] .bo-person[data-pid="{ids[name]}"]'
        ).wait_for()
    await wait_text(mentor, "#breakouts-panel .bo-draft", "Everyone is assigned")
    await panel.get_by_label("Length in minutes").fill("10")
    await shot(mentor, "breakouts-draft")
    await panel.get_by_role("button", name="Open rooms").click()

    # Each mentee is in its room with its partner, decodes the partner's video and has no
    # connection at all to the other pair or to the mentor.
    for name in MENTEES:
        await wait_text(pages[name], "#room-status", ROOM_OF[name])
        await wait_text(pages[name], "#room-status", "left")
    for name in MENTEES:
        await wait_media_from(pages[name], ids[PAIRS[name]])
    for name in MENTEES:
        others = [ids[o] for o in ids if o not in (name, PAIRS[name])]
        assert await pages[name].evaluate(PEERS_JS, others) == [], name
    assert await mentor.evaluate(PEERS_JS, [ids[n] for n in MENTEES]) == []
    await wait_text(mentor, "#breakouts-panel .bo-clock", "left")
    await wait_text(mentor, "#breakouts-panel .bo-where", "main room")

    # Ben asks for help; the mentor sees who, where and when, and goes to that room.
    await pages["Ben"].get_by_role("button", name="Ask for help").click()
    help_box = panel.locator(".bo-help-box")
    await help_box.wait_for(state="visible")
    await wait_text(mentor, "#breakouts-panel .bo-help-list", "Ben in Room 1, asked at")
    room1 = panel.locator('.bo-room[data-room="b1"]')
    assert "bo-room-help" in (await room1.get_attribute("class") or "")
    await shot(mentor, "breakouts-open-help")
    await shot(mentor, "breakouts-phone", phone=True)
    await help_box.get_by_role("button", name="Go to Room 1").click()
    await help_box.wait_for(state="hidden")
    await pages["Ben"].wait_for_function(
        "() => document.getElementById('ctl-help').getAttribute('aria-pressed') === 'false'"
    )
    await wait_text(mentor, "#breakouts-panel .bo-where", "You are visiting Room 1")
    await wait_text(mentor, "#room-status", "Room 1")
    for name in ("Ben", "Chloé"):
        await wait_media_from(mentor, ids[name])
        await wait_media_from(pages[name], ids["Ana"])
    # The fake microphones beep: someone in the mentor's room shows as speaking in the overview.
    await mentor.wait_for_function(
        "() => !!document.querySelector('#breakouts-panel .bo-room-here .bo-speaking')",
        polling=250,
    )
    assert await pages["Dan"].evaluate(PEERS_JS, [ids["Ana"]]) == []

    # A broadcast reaches both rooms' chat (and not through the room's own chat only).
    text = "Five minutes left: start wrapping up"
    await panel.get_by_label("Message to every room").fill(text)
    await panel.get_by_role("button", name="Send to all rooms").click()
    for name in MENTEES:
        await wait_text(pages[name], "#chat-log", text)
    await wait_text(pages["Dan"], "#chat-log .chat-broadcast", "to every room")
    await wait_text(mentor, "#breakouts-panel .bo-status", "sent to every room")

    # The mentor's page is reloaded: the panel shows the open round, where everyone is, and
    # that the mentor is still in Room 1.
    await mentor.reload()
    await wait_state(mentor, "call")
    panel = mentor.locator("#breakouts-panel")
    await wait_text(mentor, "#breakouts-panel .bo-clock", "left")
    await wait_text(mentor, "#breakouts-panel .bo-where", "You are visiting Room 1")
    for name in MENTEES:
        room = "b1" if ROOM_OF[name] == "Room 1" else "b2"
        await panel.locator(
            f'.bo-room[data-room="{room}"] .bo-person[data-pid="{ids[name]}"]'
        ).wait_for()
    await wait_media_from(mentor, ids["Ben"])

    # Close with the default 10-second countdown: everyone sees it, then all five are back in
    # the main room and decode video from all the others.
    assert await panel.get_by_label("Everyone returns to the main room").input_value() == "10"
    await panel.get_by_role("button", name="Close rooms").click()
    await wait_text(mentor, "#breakouts-panel .bo-clock", "back in the main room in")
    await wait_text(pages["Dan"], "#room-status", "back to the main room in")
    for page in pages.values():
        await wait_text(page, "#chat-log", "You are now in Main room", timeout=60_000)
    await panel.get_by_role("button", name="Create rooms").wait_for()
    for name, page in pages.items():
        for other in pages:
            if other != name:
                await wait_media_from(page, ids[other], timeout=90_000)

    for page in pages.values():
        await close_page(page)


async def test_choice_groups_time_and_errors_from_the_panel(
    tandem_server: Any, browser: Any
) -> None:
    """The other ways to run a round from the panel, with two pages: participants choose their
    room, time is changed, the mentor visits and reassigns, closes at once; the server's refusals
    are shown; rooms come from the session's groups when it has some."""
    s = tandem_server.create_session(title="Choose your table")
    mentor = await join(browser, s["join_urls"]["mentor"], name="Ana")
    ben = await join(browser, s["join_urls"]["mentee"], name="Ben")
    ana_id, ben_id = await participant_id(mentor), await participant_id(ben)
    panel = mentor.locator("#breakouts-panel")
    await panel.wait_for()
    assert await mentor.evaluate(UNNAMED_CONTROLS_JS) == []

    # No groups in this session: the button says so (the server's words) and is disabled.
    groups_button = panel.get_by_role("button", name="Rooms from the session's groups")
    await groups_button.click()
    await wait_text(mentor, "#bo-groups-help", "no pre-defined groups")
    assert await groups_button.is_disabled()

    # A refusal from the server is shown in the alert region.
    await panel.get_by_label("Room names (optional)").fill("Garden\ngarden")
    await panel.get_by_role("button", name="Create rooms").click()
    await wait_text(mentor, "#breakouts-panel .bo-error", "cannot have the same name")
    await shot(mentor, "breakouts-create")

    # Named rooms that the participants choose themselves.
    await panel.get_by_label("Room names (optional)").fill("Garden\nLibrary")
    await panel.get_by_label("Let participants choose their room").check()
    await panel.get_by_role("button", name="Create rooms").click()
    await panel.locator('.bo-room[data-room="b2"]').wait_for()
    assert await mentor.locator("#breakouts-panel .bo-error").inner_text() == ""
    chooser = ben.locator("#breakouts-choose")
    await chooser.wait_for()
    await chooser.get_by_role("button", name="Library").click()
    await panel.locator(f'.bo-room[data-room="b2"] .bo-person[data-pid="{ben_id}"]').wait_for()
    # Ben's own page shows his choice once his copy of the round arrives (it may come after the
    # mentor's): wait for it rather than read it at once.
    await chooser.locator('button[aria-pressed="true"]', has_text="Library").wait_for()
    await shot(ben, "breakouts-choose", phone=True)

    # By keyboard: the arrow key on Ben's select moves him; the re-drawn select keeps the focus.
    await panel.get_by_label("Room for Ben").focus()
    await mentor.keyboard.press("ArrowUp")
    await panel.locator(f'.bo-room[data-room="b1"] .bo-person[data-pid="{ben_id}"]').wait_for()
    await mentor.wait_for_function(
        "(key) => document.activeElement && document.activeElement.dataset.key === key",
        arg=f"assign:{ben_id}",
    )
    await ben.wait_for_function(
        """() => [...document.querySelectorAll('#breakouts-choose button[aria-pressed=true]')]
            .some((b) => b.textContent.includes('Garden'))"""
    )
    await chooser.get_by_role("button", name="Library").click()
    await panel.locator(f'.bo-room[data-room="b2"] .bo-person[data-pid="{ben_id}"]').wait_for()

    # Open with no time limit; Ben changes room himself while it is open.
    await panel.get_by_label("No time limit").check()
    await panel.get_by_role("button", name="Open rooms").click()
    await wait_text(ben, "#room-status", "Library")
    await wait_text(mentor, "#breakouts-panel .bo-clock", "No time limit")
    await chooser.get_by_role("button", name="Garden").click()
    await wait_text(ben, "#room-status", "Garden")
    await panel.locator(f'.bo-room[data-room="b1"] .bo-person[data-pid="{ben_id}"]').wait_for()

    # A help request withdrawn by the asker leaves the mentor's overview.
    await ben.get_by_role("button", name="Ask for help").click()
    help_box = panel.locator(".bo-help-box")
    await help_box.wait_for(state="visible")
    await wait_text(mentor, "#breakouts-panel .bo-help-list", "Ben in Garden")
    await ben.get_by_role("button", name="Help asked").click()
    await help_box.wait_for(state="hidden")

    # Time: +5 min sets a limit; -1 min takes exactly a minute off it.
    await panel.get_by_role("button", name="Add 5 minutes").click()
    await wait_text(mentor, "#breakouts-panel .bo-clock", "left")
    ends_at = await mentor.evaluate("() => window.tandemTestHooks.round.ends_at")
    await panel.get_by_role("button", name="Take 1 minute off").click()
    await mentor.wait_for_function(
        "(t) => Math.abs(window.tandemTestHooks.round.ends_at - (t - 60)) < 0.01", arg=ends_at
    )
    await wait_text(ben, "#room-status", "left")

    # Visit Garden and come back; then move Ben back to the main room from the overview.
    await panel.get_by_role("button", name="Visit Garden").click()
    await wait_text(mentor, "#breakouts-panel .bo-where", "You are visiting Garden")
    await wait_media_from(ben, ana_id)
    await panel.get_by_role("button", name="Back to main room").click()
    await wait_text(mentor, "#breakouts-panel .bo-where", "You are in the main room")
    await panel.get_by_label("Move Ben to").select_option(label="Main room (no breakout room)")
    await wait_text(ben, "#chat-log", "You are now in Main room")
    await wait_media_from(mentor, ben_id)

    # Close at once: the panel offers new rooms, Ben's chooser goes away.
    await panel.get_by_label("Everyone returns to the main room").select_option(label="at once")
    await panel.get_by_role("button", name="Close rooms").click()
    await panel.get_by_role("button", name="Create rooms").wait_for()
    await chooser.wait_for(state="hidden")
    await close_page(ben)
    await close_page(mentor)

    # A session with groups: one room per group, members placed by name (Eve is not here yet).
    groups = [{"name": "Pair 1", "members": ["Dan", "Ana"]}, {"name": "Pair 2", "members": ["Eve"]}]
    s = tandem_server.create_session(title="Pairs", groups=groups)
    mentor = await join(browser, s["join_urls"]["mentor"], name="Ana")
    dan = await join(browser, s["join_urls"]["mentee"], name="Dan")
    dan_id = await participant_id(dan)
    panel = mentor.locator("#breakouts-panel")
    await panel.get_by_role("button", name="Rooms from the session's groups").click()
    await wait_text(mentor, '#breakouts-panel .bo-room[data-room="b1"]', "Pair 1")
    await panel.locator(f'.bo-room[data-room="b1"] .bo-person[data-pid="{dan_id}"]').wait_for()
    await wait_text(mentor, '#breakouts-panel .bo-room[data-room="b2"]', "Nobody yet")
    await wait_text(mentor, '#breakouts-panel .bo-room[data-room="b1"]', "Ana (you)")
    await panel.get_by_role("button", name="Discard").click()
    await panel.get_by_role("button", name="Create rooms").wait_for()
    await close_page(dan)
    await close_page(mentor)
