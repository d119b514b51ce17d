"""The chat, the people list, breakout rooms, live captions and screen sharing speak only through
the language catalogue, in real Chromium.

A mentor and two mentees open their links in the pseudo-language (``?lang=en-XA``, every message
of the catalogue between ⟦ and ⟧: tests/e2e/languages.py) and use each feature; after each step
the text those features put on screen, and their labels, must come from the catalogue, apart from
what people typed (names, chat, room names). The check is languages.py's ``assert_translated``
over the whole page. One page in Spanish shows the words are really
Spanish, plurals included.
"""

from __future__ import annotations

from typing import Any

from languages import PSEUDO, assert_translated, pseudo_url
from tandem_pages import (
    close_page,
    eventually_in_page,
    join,
    new_page,
    open_join_screen,
    participant_id,
    wait_state,
    wait_text,
)
from test_captions import FAKE_SPEECH_JS, FROM_JS, turn_captions_on

NAMES = ["Ana", "Ben", "Cleo"]
TITLES = ["Words", "Show and tell", "Rooms", "Captioned"]


async def assert_features_translated(page: Any, what: str, allowed: list[str]) -> None:
    """assert_translated (tests/e2e/languages.py) over the whole page, names and titles typed
    by the test allowed."""
    await assert_translated(page, what, [*NAMES, *TITLES, *allowed])


async def join_pseudo(browser: Any, url: str, name: str) -> Any:
    return await join(browser, pseudo_url(url), name)


async def test_chat_and_people(browser: Any, tandem_server: Any) -> None:
    session = tandem_server.create_session(title="Words")
    urls = session["join_urls"]
    ana = await join_pseudo(browser, urls["mentor"], "Ana")
    ben = await join_pseudo(browser, urls["mentee"], "Ben")
    cleo = await join_pseudo(browser, urls["mentee"], "Cleo")
    try:
        assert await ana.evaluate("() => document.documentElement.lang") == PSEUDO
        await assert_features_translated(ana, "the mentor's call, nobody has written yet", [])
        typed = "Hello everyone, shall we start?"
        await ben.locator("#chat-input").fill(typed)
        await ben.locator("#chat-input").press("Enter")
        await wait_text(ana, "#chat-log", typed)
        await wait_text(ben, "#chat-log .chat-author", "Ben")
        for page, who in ((ana, "mentor"), (ben, "sender"), (cleo, "mentee")):
            await wait_text(page, "#participant-list", "Cleo")
            await assert_features_translated(page, f"the chat and the people list ({who})", [typed])
        # The mentor's own role in the chat, and the people list's details (muted, camera off).
        await ana.locator("#chat-input").fill("Welcome")
        await ana.locator("#chat-input").press("Enter")
        await wait_text(cleo, "#chat-log", "Welcome")
        await ben.locator("#ctl-mic").click()
        await ana.wait_for_function(
            "() => [...document.querySelectorAll('#participant-list .person-detail')]"
            ".some((e) => e.textContent.includes('muted'))")
        await assert_features_translated(cleo, "a mentor's message in the chat", [typed, "Welcome"])
        await assert_features_translated(ana, "people list, someone muted", [typed, "Welcome"])
    finally:
        for page in (ana, ben, cleo):
            await close_page(page)


async def test_screen_sharing(browser: Any, tandem_server: Any) -> None:
    session = tandem_server.create_session(title="Show and tell")
    urls = session["join_urls"]
    ana = await join_pseudo(browser, urls["mentor"], "Ana")
    ben = await join_pseudo(browser, urls["mentee"], "Ben")
    cleo = await join_pseudo(browser, urls["mentee"], "Cleo")
    try:
        # The button, the stage's caption, a refusal naming who shares, the mentor's stop.
        await assert_features_translated(ben, "the Share screen button", [])
        await assert_features_translated(ana, "the mentor's screen-share controls", [])
        await ben.get_by_role("button", name="Share screen").click()
        await ben.get_by_role("button", name="Stop sharing").wait_for()
        await wait_text(ana, "#screen-list", "Ben is sharing their screen")
        await wait_text(cleo, "#screen-list", "Ben is sharing their screen")
        await assert_features_translated(ben, "a mentee sharing their screen", [])
        await assert_features_translated(ana, "the mentor seeing a share", [])
        await assert_features_translated(cleo, "a mentee seeing a share", [])
        await ana.get_by_role("button", name="Share screen").click()
        await wait_text(ana, "#chat-log", "Ben is already sharing")
        await ana.get_by_role("button", name="Stop share").click()
        await ben.get_by_role("button", name="Share screen").wait_for()
        await wait_text(ben, "#chat-log", "Your screen share was stopped by a mentor")
        await assert_features_translated(ben, "a share stopped by the mentor", [])
    finally:
        for page in (ana, ben, cleo):
            await close_page(page)


async def test_breakout_rooms_with_a_timer(browser: Any, tandem_server: Any) -> None:
    session = tandem_server.create_session(title="Rooms")
    urls = session["join_urls"]
    ana = await join_pseudo(browser, urls["mentor"], "Ana")
    ben = await join_pseudo(browser, urls["mentee"], "Ben")
    cleo = await join_pseudo(browser, urls["mentee"], "Cleo")
    rooms = ["Garden", "Library"]
    try:
        panel = ana.locator("#breakouts-panel")
        await panel.get_by_role("button", name="Create rooms").wait_for()
        await assert_features_translated(ana, "the breakout panel before a round", rooms)
        await panel.get_by_label("Room names (optional)").fill("\n".join(rooms))
        await panel.get_by_role("button", name="Create rooms").click()
        await panel.get_by_label("Room for Ben").wait_for()
        await assert_features_translated(ana, "the draft", rooms)
        await panel.get_by_label("Room for Ben").select_option(label="Garden")
        await panel.get_by_label("Room for Cleo").select_option(label="Library")
        await ana.wait_for_function(
            "() => window.tandemTestHooks.round && window.tandemTestHooks.round.rooms"
            ".every((r) => r.assigned.length === 1)")
        await assert_features_translated(ana, "the draft with everyone placed", rooms)
        # One minute: the last-minute warning comes at once, read out assertively.
        await panel.get_by_label("Length in minutes").fill("1")
        await panel.get_by_role("button", name="Open rooms").click()
        await ben.wait_for_function("() => window.tandemTestHooks.room !== 'main'")
        await wait_text(ben, "#room-status", "left")
        assert "Garden" in await ben.locator("#room-status").inner_text()
        await wait_text(ben, "#breakouts-urgent", "minute left in the breakout rooms")
        assert await ben.locator("#breakouts-urgent").get_attribute("aria-live") == "assertive"
        await assert_features_translated(ben, "a mentee in a breakout room with a timer", rooms)
        # Help: the mentee asks, the mentor's overview lists it with the time it was asked.
        await ben.get_by_role("button", name="Ask for help").click()
        await ben.get_by_role("button", name="Help asked").wait_for()
        await wait_text(ana, "#breakouts-panel .bo-help-list", "Ben")
        await wait_text(ana, "#chat-log", "Ben asks for help in Garden")
        await assert_features_translated(ben, "a mentee who asked for help", rooms)
        await assert_features_translated(ana, "the mentor's overview with a help request", rooms)
        # Closing (by the mentor, or by the timer on a slow machine): everyone in a breakout room
        # hears it at once.
        if await ana.evaluate("() => window.tandemTestHooks.round.state") == "open":
            await panel.get_by_label("Everyone returns to the main room").select_option("10")
            await panel.get_by_role("button", name="Close rooms").click()
        await wait_text(cleo, "#breakouts-urgent", "rooms are closing")
        await wait_text(cleo, "#room-status", "back to the main room in")
        await assert_features_translated(cleo, "a mentee while the rooms close", rooms)
        await assert_features_translated(ana, "the mentor's panel while the rooms close", rooms)
    finally:
        for page in (ana, ben, cleo):
            await close_page(page)


async def test_captions_panel_and_lines(browser: Any, tandem_server: Any) -> None:
    session = tandem_server.create_session(title="Captioned", captions="keep")
    urls = session["join_urls"]
    # Cleo's browser "recognises" her speech (a stand-in for the Web Speech API).
    cleo = await new_page(browser)
    await cleo.add_init_script(FAKE_SPEECH_JS)
    await open_join_screen(cleo, pseudo_url(urls["mentee"]))
    await wait_text(cleo, ".join-captions", "Captions: a transcript is kept")
    await assert_features_translated(cleo, "the join page's captions line and notice", [])
    await cleo.locator("#join-button").wait_for()
    await cleo.locator("#name-input").fill("Cleo")
    await cleo.locator("#join-button").click()
    await wait_state(cleo, "call")
    ana = await join_pseudo(browser, urls["mentor"], "Ana")
    ben = await join_pseudo(browser, urls["mentee"], "Ben")
    spoken = "So the plan for this week."
    try:
        await turn_captions_on(ana)
        await turn_captions_on(ben)
        await ana.locator("#ctl-captions-options").click()
        await ana.locator("#captions-panel").wait_for()
        await assert_features_translated(ana, "the mentor's caption options", [])
        await ana.get_by_label("Extra large").check()
        assert await ana.locator("#captions").get_attribute("data-size") == "xl"
        await ana.locator("#captions-panel .captions-close").click()
        cleo_id = await participant_id(cleo)
        await cleo.locator("#ctl-captions-options").click()
        await cleo.get_by_label("Caption my speech in this browser").check()
        await cleo.wait_for_function("() => window.__recognition && window.__recognition.started")
        # Said again if a reconnect on a busy test machine lost the first (its send times out).
        for attempt in range(3):
            assert await cleo.evaluate("(t) => window.__hear(t, true)", spoken)
            try:
                await eventually_in_page(ana, FROM_JS, [cleo_id, "browser", True], timeout=10_000)
                break
            except AssertionError:
                if attempt == 2:
                    raise
        await wait_text(ana, "#captions", spoken)
        await wait_text(ben, "#captions", spoken)
        # The size is a custom property of the lines, kept across a reload.
        size = await ana.evaluate(
            "() => getComputedStyle(document.getElementById('captions'))"
            ".getPropertyValue('--caption-size').trim()")
        assert size == "2.2rem", size
        await assert_features_translated(ana, "caption lines (extra large)", [spoken])
        await assert_features_translated(ben, "caption lines", [spoken])
        await assert_features_translated(cleo, "captioned by their browser", [spoken])
        # Ben stops being transcribed: the others see "not captioned" when he speaks; his own
        # options say so.
        await ben.locator("#ctl-captions-options").click()
        await ben.get_by_label("Transcribe me").uncheck()
        await assert_features_translated(ben, "Transcribe me turned off", [spoken])
    finally:
        for page in (ana, ben, cleo):
            await close_page(page)


async def test_spanish_words_and_plurals(browser: Any, tandem_server: Any) -> None:
    """A page in Spanish: the breakout panel and a room's count of people in Spanish."""
    session = tandem_server.create_session(title="Sesión")
    urls = session["join_urls"]
    base, _, fragment = urls["mentor"].partition("#")
    ana = await new_page(browser)
    await open_join_screen(ana, f"{base}?lang=es#{fragment}")
    await ana.locator("#name-input").fill("Ana")
    await ana.locator("#join-button").click()
    await wait_state(ana, "call")
    ben = await join(browser, urls["mentee"], "Ben")
    try:
        panel = ana.locator("#breakouts-panel")
        await wait_text(ana, "#breakouts-panel .bo-toggle-label", "Salas de grupos")
        await panel.get_by_role("button", name="Crear salas").click()
        await wait_text(ana, "#breakouts-panel", "Sin sala")
        await panel.get_by_label("Sala para Ben").wait_for()
        lead = await panel.locator(".bo-lead").inner_text()
        assert lead.startswith("Borrador:"), lead
        assert "1 persona no tiene sala." in lead, lead
    finally:
        await close_page(ana)
        await close_page(ben)
