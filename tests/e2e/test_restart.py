"""The server killed with SIGKILL in the middle of a breakout round, with a timer running, chat
said, a hand raised and a board drawn on, then started again on the same port: every page
reconnects by itself, into the same room, with the same chat, hand, deadline and board."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from clients.admin import join_token
from clients.server import ServerProcess
from tests.e2e.tandem_pages import close_page, command, join, wait_state, wait_text
from tests.e2e.test_whiteboard import draw_stroke

ADMIN_KEY = "restart-e2e-admin-key-0123456789"

# True once the page is back in the call as the same person, in the given room, with the round's
# deadline as it was.
BACK_JS = """
([pid, room, endsAt]) => {
  const h = window.tandemTestHooks;
  return !!h && h.state === "call" && h.participantId === pid && h.room === room
    && !!h.round && h.round.ends_at === endsAt;
}
"""


async def test_pages_come_back_by_themselves_after_a_sigkill(
    browser: Any, tmp_path: Path
) -> None:
    async with ServerProcess(tmp_path / "data", admin_key=ADMIN_KEY) as server:
        s = server.admin().create_session(title="Group session", max_participants=8)
        base = server.url + "/s/" + s["session_id"] + "#token="
        ana = await join(browser, base + join_token(s["join_urls"]["mentor"]), name="Ana")
        ben = await join(browser, base + join_token(s["join_urls"]["mentee"]), name="Ben")
        cleo = await join(browser, base + join_token(s["join_urls"]["mentee"]), name="Cleo")
        pages = {"Ana": ana, "Ben": ben, "Cleo": cleo}
        try:
            ids = {n: await p.evaluate("() => window.tandemTestHooks.participantId")
                   for n, p in pages.items()}
            created = await command(ana, "breakout_create", {"names": ["Pair A"]})
            room = created["breakouts"]["rooms"][0]["id"]
            for name in ("Ben", "Cleo"):
                await command(ana, "breakout_assign", {"participant_id": ids[name], "room": room})
            opened = await command(ana, "breakout_open", {"duration_seconds": 900})
            ends_at = opened["breakouts"]["ends_at"]
            await wait_text(ben, "#room-status", "Pair A")
            await wait_text(cleo, "#room-status", "Pair A")

            # Chat, a hand and a drawing in the breakout room.
            await ben.get_by_label("Write a message").fill("Just between the two of us")
            await ben.get_by_label("Write a message").press("Enter")
            await wait_text(cleo, "#chat-log", "Just between the two of us")
            await cleo.get_by_role("button", name="Raise hand").first.click()
            hand = f'#participant-list li[data-id="{ids["Cleo"]}"].hand-raised'
            await ben.locator(hand).wait_for()
            for page in (ben, cleo):
                await page.click("#ctl-board")
                await page.wait_for_selector(".wb[data-synced='true'] .wb-canvas")
            await draw_stroke(ben, [(60, 60), (160, 90), (260, 60)])
            await cleo.wait_for_function(
                "document.querySelector('.wb-canvas').dataset.items === '1'")

            server.kill()
            killed = time.monotonic()
            await server.restart_async()
            restarted = time.monotonic()
            for name, page in pages.items():
                where = "main" if name == "Ana" else room
                await page.wait_for_function(BACK_JS, arg=[ids[name], where, ends_at],
                                             timeout=30_000)
            back = time.monotonic()
            print(f"\nkill -9 to a server answering again: {restarted - killed:.2f} s; "
                  f"to all three pages back in their rooms: {back - killed:.2f} s")

            # The same chat (once), the same hand, the same board; the deadline checked above.
            for page in (ben, cleo):
                assert await page.locator("#chat-log").get_by_text(
                    "Just between the two of us").count() == 1
            await ben.locator(hand).wait_for()
            await wait_state(cleo, "call")
            await cleo.wait_for_selector(".wb[data-synced='true'] .wb-canvas")
            await cleo.wait_for_function(
                "document.querySelector('.wb-canvas').dataset.items === '1'")
            # And the room still works: a new message reaches the other page.
            await cleo.get_by_label("Write a message").fill("Still here")
            await cleo.get_by_label("Write a message").press("Enter")
            await wait_text(ben, "#chat-log", "Still here")
        finally:
            for page in pages.values():
                await close_page(page)
