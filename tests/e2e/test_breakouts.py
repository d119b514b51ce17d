"""Breakout rooms, the participant's side: media and chat follow the room, then everyone returns.

The mentor's breakout commands are sent from the mentor's page over its own socket (the mentor's
panel itself is tested in test_breakout_panel.py); everything asserted is what the pages show and
receive.
"""

from __future__ import annotations

import os
from typing import Any

from tandem_pages import (
    close_page,
    command,
    ids_of,
    join,
    participant_id,
    tile,
    wait_media_from,
    wait_text,
    wait_video_shown,
)


async def test_breakout_room_and_back(tandem_server: Any, browser: Any) -> None:
    s = tandem_server.create_session(title="Cohort session")
    ana_page = await join(browser, s["join_urls"]["mentor"], name="Ana")
    ben_page = await join(browser, s["join_urls"]["mentee"], name="Ben")
    chloe_page = await join(browser, s["join_urls"]["mentee"], name="Chloé")
    ana, ben, chloe = [await participant_id(p) for p in (ana_page, ben_page, chloe_page)]
    await wait_media_from(ben_page, chloe)
    await wait_media_from(ana_page, ben)

    pair_a = ids_of(await command(ana_page, "breakout_create", {"names": ["Pair A"]}))["Pair A"]
    for who in (ben, chloe):
        await command(ana_page, "breakout_assign", {"participant_id": who, "room": pair_a})
    await command(ana_page, "breakout_open", {"duration_seconds": 600})

    # Ben and Chloé are in Pair A with a countdown, and see and hear each other there.
    for page in (ben_page, chloe_page):
        await wait_text(page, "#room-status", "Pair A")
        await wait_text(page, "#room-status", "left")
        await wait_text(page, "#chat-log", "You are now in Pair A")
    await wait_media_from(ben_page, chloe)
    await wait_media_from(chloe_page, ben)
    await wait_video_shown(chloe_page, ben)
    # The mentor is not in their room: no tile for her there, and she sees where they went.
    await (await tile(ben_page, ana)).wait_for(state="detached")
    await (await tile(ana_page, ben)).wait_for(state="detached")
    await wait_text(ana_page, f'#participant-list li[data-id="{ben}"]', "in Pair A")

    # Chat stays in the room.
    await ben_page.get_by_label("Write a message").fill("Only for Pair A")
    await ben_page.get_by_label("Write a message").press("Enter")
    await wait_text(chloe_page, "#chat-log", "Only for Pair A")

    # Ben asks for help.
    help_button = ben_page.get_by_role("button", name="Ask for help")
    await help_button.click()
    await ben_page.wait_for_function(
        "() => document.getElementById('ctl-help').getAttribute('aria-pressed') === 'true'"
    )
    if os.environ.get("TANDEM_E2E_SCREENSHOTS"):
        await wait_video_shown(ben_page, chloe)
        path = os.path.join(os.environ["TANDEM_E2E_SCREENSHOTS"], "breakout.png")
        await ben_page.screenshot(path=path)

    # The mentor closes the rooms: everyone is back in the main room with media again.
    await command(ana_page, "breakout_close", {"countdown_seconds": 0})
    for page in (ben_page, chloe_page):
        await wait_text(page, "#chat-log", "You are now in Main room")
    await wait_media_from(ana_page, ben)
    await wait_media_from(ana_page, chloe)
    await wait_media_from(ben_page, ana)
    await wait_media_from(chloe_page, ana)
    await wait_media_from(ben_page, chloe)
    assert "Only for Pair A" not in await ana_page.locator("#chat-log").inner_text()
    assert await ben_page.locator("#ctl-help").is_hidden()

    for page in (ana_page, ben_page, chloe_page):
        await close_page(page)
