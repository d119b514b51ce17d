"""Two and three people in a call: video and audio arrive peer to peer, chat, mute, reload."""

from __future__ import annotations

import os
from typing import Any

from tandem_pages import (
    close_page,
    join,
    participant_id,
    tile,
    wait_media_from,
    wait_state,
    wait_text,
    wait_tile_camera_off,
    wait_video_shown,
)

SCREENSHOT_DIR = os.environ.get("TANDEM_E2E_SCREENSHOTS")


async def test_mentor_and_mentee_see_hear_and_chat(tandem_server: Any, browser: Any) -> None:
    s = tandem_server.create_session(title="Weekly check-in", goal="Plan the first month")
    mentor = await join(browser, s["join_urls"]["mentor"], name="Ana Mentor")
    mentee = await join(browser, s["join_urls"]["mentee"], name="Ben Mentee")
    ana, ben = await participant_id(mentor), await participant_id(mentee)
    assert ana != ben

    # Each decodes the other's fake camera and receives the other's microphone.
    await wait_media_from(mentor, ben)
    await wait_media_from(mentee, ana)

    # Both appear in each other's participant list and video grid with their names.
    await wait_text(mentor, "#participant-list", "Ben Mentee")
    await wait_text(mentee, "#participant-list", "Ana Mentor")
    await wait_text(mentor, f'#video-grid li[data-id="{ben}"] .tile-name', "Ben Mentee")
    await wait_text(mentor, "#chat-log", "Ben Mentee joined")

    # The video is on screen in the tile, not only decoded.
    await wait_video_shown(mentor, ben)
    await wait_video_shown(mentee, ana)
    await wait_video_shown(mentor, ana)  # self view
    if SCREENSHOT_DIR:
        await mentor.screenshot(path=os.path.join(SCREENSHOT_DIR, "call-two-desktop.png"))

    # A chat message sent by the mentee appears on the mentor's page.
    await mentee.get_by_label("Write a message").fill("Hello Ana, thanks for making time!")
    await mentee.get_by_label("Write a message").press("Enter")
    await wait_text(mentor, "#chat-log", "Hello Ana, thanks for making time!")
    await wait_text(mentee, "#chat-log", "Hello Ana, thanks for making time!")
    await mentee.wait_for_function("() => document.getElementById('chat-input').value === ''")

    # The mentor mutes: the mentee sees the muted indicator on the mentor's tile.
    mute = mentor.get_by_role("button", name="Mute microphone")
    assert await mute.get_attribute("aria-pressed") == "false"
    await mute.click()
    assert await mute.get_attribute("aria-pressed") == "true"
    badge = (await tile(mentee, ana)).locator(".badge-muted")
    await badge.wait_for(state="visible")
    await wait_text(mentee, f'#participant-list li[data-id="{ana}"]', "muted")

    # Camera off shows the initials tile on the other side.
    await mentor.get_by_role("button", name="Turn camera off").click()
    await (await tile(mentee, ana)).locator(".badge-camoff").wait_for(state="visible")
    await wait_tile_camera_off(mentee, ana)

    if SCREENSHOT_DIR:
        await mentee.screenshot(path=os.path.join(SCREENSHOT_DIR, "call-two-muted.png"))

    # Unmute: the indicator goes away again.
    await mute.click()
    await badge.wait_for(state="hidden")

    # The mentee leaves on purpose: the mentor is told "left", not "lost connection".
    await mentee.get_by_role("button", name="Leave").click()
    await wait_state(mentee, "left")
    await wait_text(mentor, "#chat-log", "Ben Mentee left")
    await (await tile(mentor, ben)).wait_for(state="detached")

    # Left by mistake: "Rejoin" goes back through the join screen, as the same participant.
    await mentee.get_by_role("button", name="Rejoin the session").click()
    await wait_state(mentee, "join")
    assert await mentee.get_by_label("Your name").input_value() == "Ben Mentee"
    await mentee.wait_for_function("() => !document.getElementById('join-button').disabled")
    await mentee.locator("#join-button").click()
    await wait_state(mentee, "call")
    assert await participant_id(mentee) == ben
    await wait_text(mentor, "#chat-log", "Ben Mentee is back")
    await wait_text(mentee, "#chat-log", "Hello Ana, thanks for making time!")
    await wait_media_from(mentor, ben)
    await wait_media_from(mentee, ana)

    await close_page(mentee)
    await close_page(mentor)


async def test_three_people_all_see_each_other(tandem_server: Any, browser: Any) -> None:
    s = tandem_server.create_session(title="Group session")
    mentor = await join(browser, s["join_urls"]["mentor"], name="Ana")
    mentee1 = await join(browser, s["join_urls"]["mentee"], name="Ben")
    await mentor.get_by_label("Write a message").fill("Welcome, both of you")
    await mentor.get_by_label("Write a message").press("Enter")
    await wait_text(mentee1, "#chat-log", "Welcome, both of you")
    mentee2 = await join(browser, s["join_urls"]["mentee"], name="Chloé")
    # A late joiner gets the chat history.
    await wait_text(mentee2, "#chat-log", "Welcome, both of you")
    pages = [mentor, mentee1, mentee2]
    ids = [await participant_id(p) for p in pages]
    assert len(set(ids)) == 3

    for page, me in zip(pages, ids, strict=True):
        for other in ids:
            if other != me:
                await wait_media_from(page, other)
                await wait_video_shown(page, other)
        await wait_text(page, "#people-count", "3")

    if SCREENSHOT_DIR:
        await mentee2.screenshot(path=os.path.join(SCREENSHOT_DIR, "call-three.png"))

    for p in pages:
        await close_page(p)


async def test_reload_comes_back_as_same_participant(tandem_server: Any, browser: Any) -> None:
    s = tandem_server.create_session(title="Reload check")
    mentor = await join(browser, s["join_urls"]["mentor"], name="Ana")
    mentee = await join(browser, s["join_urls"]["mentee"], name="Ben")
    ana, ben = await participant_id(mentor), await participant_id(mentee)
    await wait_media_from(mentor, ben)
    await wait_media_from(mentee, ana)

    await mentor.get_by_label("Write a message").fill("Before the reload")
    await mentor.get_by_label("Write a message").press("Enter")
    await wait_text(mentee, "#chat-log", "Before the reload")

    await mentee.reload()
    # The reloaded page goes straight back in (no join screen), as the same participant.
    await wait_state(mentee, "call")
    assert await participant_id(mentee) == ben
    await wait_text(mentee, "#chat-log", "Before the reload")

    # The mentor saw Ben drop and come back.
    await wait_text(mentor, "#chat-log", "Ben lost connection")
    await wait_text(mentor, "#chat-log", "Ben is back")
    await wait_text(mentor, "#people-count", "2")

    # Video and audio flow again both ways, on new peer connections.
    await wait_media_from(mentee, ana)
    await wait_media_from(mentor, ben)

    # The session knows Ben once, not twice.
    session = tandem_server.get_session(s["session_id"])
    names = [p["name"] for p in session["participants"]]
    assert sorted(names) == ["Ana", "Ben"], names

    await close_page(mentee)
    await close_page(mentor)


async def test_network_drop_reconnects_as_same_participant(
    tandem_server: Any, browser: Any
) -> None:
    """socket.io reconnects by itself after the connection drops; the page re-sends `join` with its
    resume token and the call is rebuilt."""
    s = tandem_server.create_session(title="Flaky wifi")
    mentor = await join(browser, s["join_urls"]["mentor"], name="Ana")
    mentee = await join(browser, s["join_urls"]["mentee"], name="Ben")
    ana, ben = await participant_id(mentor), await participant_id(mentee)
    await wait_media_from(mentor, ben)

    # Drop the mentee's transport, as a network loss would (not a deliberate disconnect).
    await mentee.evaluate("() => window.tandemTestHooks.socket.io.engine.close()")
    await wait_text(mentor, "#chat-log", "Ben lost connection")
    await wait_text(mentor, "#chat-log", "Ben is back")
    await wait_state(mentee, "call")
    assert await participant_id(mentee) == ben
    await mentee.locator("#connection-banner").wait_for(state="hidden")

    # New peer connections carry media again both ways.
    await wait_media_from(mentor, ben)
    await wait_media_from(mentee, ana)

    await close_page(mentee)
    await close_page(mentor)
