"""Breakout rooms run from the mentor's panel (web_client/features/breakouts/) in real Chromium.

Pairs: a mentor page and three mentee pages; the mentor creates two rooms, assigns a pair to one
and a third mentee to the other by choosing a room for each person in the panel, and opens them;
each mentee of the pair decodes video from its partner only, and nobody has a connection to
anyone outside their room. Help, visit and broadcast (three pages): a
mentee asks for help, the mentor sees it in the overview, goes to that room, sees and hears the
pair, the request clears; a broadcast reaches both rooms' chat. Reload and close (three pages):
the mentor's page is reloaded and shows the open round again; the mentor closes the rooms and
everyone decodes everyone again in the main room. Then the other ways to run a round.

Everything asserted is driven through what the pages show (labels and buttons); page internals are
read only through `window.tandemTestHooks`: the peer connections for getStats, and the round for
the room ids (opaque strings). Tests whose subject is not the creation of the rooms set them up
with the mentor's commands over her own socket, which is quicker than the panel and as real.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from axe import assert_accessible
from conftest import CHROMIUM, GRANT_ARGS
from tandem_pages import (
    close_page,
    command,
    ids_of,
    join,
    participant_id,
    room_ids,
    wait_media_from,
    wait_state,
    wait_text,
)
from test_accessibility import UNNAMED_CONTROLS_JS
from test_attendance import speech_like_wav

# Three mentees: a pair in Room 1 and one alone in Room 2 show both what a room carries and what
# it keeps out. (A fourth page would add six video streams to encode on the test machine's two
# cores and show nothing more.)
MENTEES = ("Ben", "Chloé", "Dan")
PARTNER = {"Ben": "Chloé", "Chloé": "Ben", "Dan": None}
ROOM_OF = {"Ben": "Room 1", "Chloé": "Room 1", "Dan": "Room 2"}
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


@pytest.fixture
async def talking_browser(playwright_instance: Any, tmp_path: Path) -> AsyncIterator[Any]:
    """Chromium whose microphone plays speech (the attendance test's recording)."""
    wav = tmp_path / "speech.wav"
    speech_like_wav(wav)
    b = await playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=[*GRANT_ARGS, f"--use-file-for-fake-audio-capture={wav}"]
    )
    try:
        yield b
    finally:
        await b.close()


def in_room(room_id: str, pid: str = "") -> str:
    """The panel's card of a room (by its opaque id), or a person's row in it."""
    card = f'#breakouts-panel .bo-room[data-room="{room_id}"]'
    return f'{card} .bo-person[data-pid="{pid}"]' if pid else card


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


async def open_rooms(
    mentor: Any, rooms: dict[str, list[str]], *, visit: str = ""
) -> dict[str, str]:
    """Create named rooms, assign people (room name -> participant ids), open them for ten
    minutes (and go to one of them); returns room name -> id."""
    ids = ids_of(await command(mentor, "breakout_create", {"names": list(rooms)}))
    for name, people in rooms.items():
        for pid in people:
            await command(mentor, "breakout_assign", {"participant_id": pid, "room": ids[name]})
    await command(mentor, "breakout_open", {"duration_seconds": 600})
    if visit:
        await command(mentor, "breakout_visit", {"room": ids[visit]})
    return ids


async def test_mentor_assigns_pairs_in_the_panel_and_each_pair_meets_alone(
    tandem_server: Any, browser: Any
) -> None:
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
    await panel.locator(".bo-draft .bo-room").nth(2).wait_for()  # two rooms and "Not assigned"
    rooms = await room_ids(mentor)
    assert sorted(rooms) == ["Room 1", "Room 2"]
    for name in MENTEES:
        await panel.get_by_label(f"Room for {name}").select_option(label=ROOM_OF[name])
        await mentor.locator(in_room(rooms[ROOM_OF[name]], ids[name])).wait_for()
    await wait_text(mentor, "#breakouts-panel .bo-draft", "Everyone is assigned")
    await panel.get_by_label("Length in minutes").fill("10")
    await shot(mentor, "breakouts-draft")
    await assert_accessible(mentor, "the mentor's call, breakout panel with a draft")
    await panel.get_by_role("button", name="Open rooms").click()

    # Each mentee is in its room (with its partner), decodes the partner's video and has no
    # connection at all to anyone outside the room: the other room or the mentor.
    for name in MENTEES:
        await wait_text(pages[name], "#room-status", ROOM_OF[name])
        await wait_text(pages[name], "#room-status", "left")
    for name in MENTEES:
        partner = PARTNER[name]
        if partner:
            await wait_media_from(pages[name], ids[partner])
    for name in MENTEES:
        others = [ids[o] for o in ids if o not in (name, PARTNER[name])]
        assert await pages[name].evaluate(PEERS_JS, others) == [], name
    assert await mentor.evaluate(PEERS_JS, [ids[n] for n in MENTEES]) == []
    await wait_text(mentor, "#breakouts-panel .bo-clock", "left")
    await wait_text(mentor, "#breakouts-panel .bo-where", "main room")
    await assert_accessible(mentor, "the mentor's call, breakout panel with rooms open")
    await assert_accessible(pages[MENTEES[0]], "a mentee's call in a breakout room")
    for name in MENTEES:
        await mentor.locator(in_room(rooms[ROOM_OF[name]], ids[name])).wait_for()

    for page in pages.values():
        await close_page(page)


async def test_help_brings_the_mentor_and_a_broadcast_reaches_every_room(
    tandem_server: Any, browser: Any, talking_browser: Any
) -> None:
    s = tandem_server.create_session(title="Cohort session")
    mentor = await join(browser, s["join_urls"]["mentor"], name="Ana")
    # Ben's microphone plays speech, so that "speaking" has something to show; the fake
    # microphone's beep is often too short for it.
    ben = await join(talking_browser, s["join_urls"]["mentee"], name="Ben")
    dan = await join(browser, s["join_urls"]["mentee"], name="Dan")
    ana_id, ben_id, dan_id = [await participant_id(p) for p in (mentor, ben, dan)]
    rooms = await open_rooms(mentor, {"Room 1": [ben_id], "Room 2": [dan_id]})
    panel = mentor.locator("#breakouts-panel")
    await wait_text(ben, "#room-status", "Room 1")

    # Ben asks for help; the mentor sees who, where and when, and goes to that room.
    await ben.get_by_role("button", name="Ask for help").click()
    help_box = panel.locator(".bo-help-box")
    await help_box.wait_for(state="visible")
    await wait_text(mentor, "#breakouts-panel .bo-help-list", "Ben in Room 1, asked at")
    room1 = mentor.locator(in_room(rooms["Room 1"]))
    assert "bo-room-help" in (await room1.get_attribute("class") or "")
    await shot(mentor, "breakouts-open-help")
    await assert_accessible(mentor, "the mentor's call with a help request in the breakout panel")
    await assert_accessible(ben, "a mentee's call in a breakout room, after asking for help")
    await shot(mentor, "breakouts-phone", phone=True)
    await help_box.get_by_role("button", name="Go to Room 1").click()
    await help_box.wait_for(state="hidden")
    await ben.wait_for_function(
        "() => document.getElementById('ctl-help').getAttribute('aria-pressed') === 'false'"
    )
    await wait_text(mentor, "#breakouts-panel .bo-where", "You are visiting Room 1")
    await wait_text(mentor, "#room-status", "Room 1")
    await wait_media_from(mentor, ben_id)
    await wait_media_from(ben, ana_id)
    # Ben speaks: the overview shows it in the mentor's room.
    await mentor.wait_for_function(
        "(id) => !!document.querySelector("
        "`#breakouts-panel .bo-room-here .bo-speaking[data-pid='${id}']`)",
        arg=ben_id,
        polling=250,
    )
    assert await dan.evaluate(PEERS_JS, [ana_id]) == []

    # A broadcast reaches both rooms' chat (and not through the room's own chat only).
    text = "Five minutes left: start wrapping up"
    await panel.get_by_label("Message to every room").fill(text)
    await panel.get_by_role("button", name="Send to all rooms").click()
    for page in (ben, dan):
        await wait_text(page, "#chat-log", text)
    await wait_text(dan, "#chat-log .chat-broadcast", "to every room")
    await wait_text(mentor, "#breakouts-panel .bo-status", "sent to every room")

    for page in (mentor, ben, dan):
        await close_page(page)


async def test_a_reloaded_panel_shows_the_round_and_closing_brings_everyone_back(
    tandem_server: Any, browser: Any
) -> None:
    s = tandem_server.create_session(title="Cohort session")
    mentor = await join(browser, s["join_urls"]["mentor"], name="Ana")
    ben = await join(browser, s["join_urls"]["mentee"], name="Ben")
    dan = await join(browser, s["join_urls"]["mentee"], name="Dan")
    pages = {"Ana": mentor, "Ben": ben, "Dan": dan}
    ids = {name: await participant_id(page) for name, page in pages.items()}
    rooms = await open_rooms(
        mentor, {"Room 1": [ids["Ben"]], "Room 2": [ids["Dan"]]}, visit="Room 1"
    )
    await wait_text(mentor, "#breakouts-panel .bo-where", "You are visiting Room 1")

    # The mentor's page is reloaded: the panel shows the open round, where everyone is, and
    # that the mentor is still in Room 1.
    await mentor.reload()
    await wait_state(mentor, "call")
    panel = mentor.locator("#breakouts-panel")
    await wait_text(mentor, "#breakouts-panel .bo-clock", "left")
    await wait_text(mentor, "#breakouts-panel .bo-where", "You are visiting Room 1")
    await mentor.locator(in_room(rooms["Room 1"], ids["Ben"])).wait_for()
    await mentor.locator(in_room(rooms["Room 2"], ids["Dan"])).wait_for()
    await wait_media_from(mentor, ids["Ben"])

    # Close with the default 10-second countdown: everyone sees it, then all three are back in
    # the main room and decode video from the others.
    assert await panel.get_by_label("Everyone returns to the main room").input_value() == "10"
    await panel.get_by_role("button", name="Close rooms").click()
    await wait_text(mentor, "#breakouts-panel .bo-clock", "back in the main room in")
    await wait_text(dan, "#room-status", "back to the main room in")
    for page in pages.values():
        await wait_text(page, "#chat-log", "You are now in Main room")
    await panel.get_by_role("button", name="Create rooms").wait_for()
    for name, page in pages.items():
        for other in pages:
            if other != name:
                await wait_media_from(page, ids[other])

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

    # No groups in this session: the button says so and is disabled.
    groups_button = panel.get_by_role("button", name="Rooms from the session's groups")
    await groups_button.click()
    await wait_text(mentor, "#bo-groups-help", "no pre-defined groups")
    assert await groups_button.is_disabled()

    # A problem with the names (the server's rule, checked before sending) is shown in the
    # alert region.
    await panel.get_by_label("Room names (optional)").fill("Garden\ngarden")
    await panel.get_by_role("button", name="Create rooms").click()
    await wait_text(mentor, "#breakouts-panel .bo-error", "cannot have the same name")
    await shot(mentor, "breakouts-create")

    # Named rooms that the participants choose themselves.
    await panel.get_by_label("Room names (optional)").fill("Garden\nLibrary")
    await panel.get_by_label("Let participants choose their room").check()
    await panel.get_by_role("button", name="Create rooms").click()
    await panel.locator(".bo-draft .bo-room").nth(2).wait_for()
    rooms = await room_ids(mentor)
    garden, library = rooms["Garden"], rooms["Library"]
    assert await mentor.locator("#breakouts-panel .bo-error").inner_text() == ""
    chooser = ben.locator("#breakouts-choose")
    await chooser.wait_for()
    await chooser.get_by_role("button", name="Library").click()
    await mentor.locator(in_room(library, ben_id)).wait_for()
    # Ben's own page shows his choice once his copy of the round arrives (it may come after the
    # mentor's): wait for it rather than read it at once.
    await chooser.locator('button[aria-pressed="true"]', has_text="Library").wait_for()
    await shot(ben, "breakouts-choose", phone=True)
    await assert_accessible(ben, "a mentee's call with the breakout room chooser")
    await assert_accessible(mentor, "the mentor's breakout panel with rooms to choose")

    # By keyboard: the arrow key on Ben's select moves him; the re-drawn select keeps the focus.
    await panel.get_by_label("Room for Ben").focus()
    await mentor.keyboard.press("ArrowUp")
    await mentor.locator(in_room(garden, ben_id)).wait_for()
    await mentor.wait_for_function(
        "(key) => document.activeElement && document.activeElement.dataset.key === key",
        arg=f"assign:{ben_id}",
    )
    await ben.wait_for_function(
        """() => [...document.querySelectorAll('#breakouts-choose button[aria-pressed=true]')]
            .some((b) => b.textContent.includes('Garden'))"""
    )
    await chooser.get_by_role("button", name="Library").click()
    await mentor.locator(in_room(library, ben_id)).wait_for()

    # Open with no time limit; Ben changes room himself while it is open.
    await panel.get_by_label("No time limit").check()
    await panel.get_by_role("button", name="Open rooms").click()
    await wait_text(ben, "#room-status", "Library")
    await wait_text(mentor, "#breakouts-panel .bo-clock", "No time limit")
    await chooser.get_by_role("button", name="Garden").click()
    await wait_text(ben, "#room-status", "Garden")
    await mentor.locator(in_room(garden, ben_id)).wait_for()

    # A help request withdrawn by the asker leaves the mentor's overview.
    await ben.get_by_role("button", name="Ask for help").click()
    help_box = panel.locator(".bo-help-box")
    await help_box.wait_for(state="visible")
    await wait_text(mentor, "#breakouts-panel .bo-help-list", "Ben in Garden")
    await ben.get_by_role("button", name="Help asked").click()
    await help_box.wait_for(state="hidden")

    # Time: +5 min sets a limit; -1 min takes exactly a minute off it.
    await panel.get_by_role("button", name="Add 5 min").click()
    await wait_text(mentor, "#breakouts-panel .bo-clock", "left")
    ends_at = await mentor.evaluate("() => window.tandemTestHooks.round.ends_at")
    await panel.get_by_role("button", name="Take 1 min off").click()
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
    await panel.locator(".bo-draft .bo-room").nth(2).wait_for()
    rooms = await room_ids(mentor)
    await wait_text(mentor, in_room(rooms["Pair 1"]), "Pair 1")
    await mentor.locator(in_room(rooms["Pair 1"], dan_id)).wait_for()
    await wait_text(mentor, in_room(rooms["Pair 2"]), "Nobody yet")
    await wait_text(mentor, in_room(rooms["Pair 1"]), "Ana (you)")
    await panel.get_by_role("button", name="Discard").click()
    await panel.get_by_role("button", name="Create rooms").wait_for()
    await close_page(dan)
    await close_page(mentor)
