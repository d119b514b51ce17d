"""A person deleted on request while in a call, in real Chromium: they are sent away in words,
and the mentor's page drops everything it showed of them (their tile, their row, their chat
message and the notices naming them)."""

from __future__ import annotations

import secrets
from typing import Any

from tandem_pages import close_page, join, new_page, participant_id, wait_state, wait_text

SAID = "My school is Hillcrest Primary"


async def test_a_person_deleted_in_a_call_is_sent_away_and_gone_from_the_mentors_page(
        tandem_server: Any, browser: Any) -> None:
    ben_id = f"ben-{secrets.token_hex(4)}"  # (the e2e server is shared: an id of its own)
    s = tandem_server.create_session(
        title="Erased in a call", waiting_room="off",
        participants=[{"name": "Maya Mentor", "role": "mentor", "id": f"maya-{ben_id}"},
                      {"name": "Benedikt Quill", "role": "mentee", "id": ben_id}])
    links = {p["person_id"]: p["url"] for p in s["personal_links"]}
    maya = await join(browser, links[f"maya-{ben_id}"])
    ben_page = await join(browser, links[ben_id])
    ben = await participant_id(ben_page)
    await ben_page.get_by_label("Write a message").fill(SAID)
    await ben_page.get_by_label("Write a message").press("Enter")
    await wait_text(maya, "#chat-log", SAID)
    await maya.locator(f'#video-grid li[data-id="{ben}"]').wait_for()

    deleted = tandem_server.call("DELETE", f"/api/attendance/people/{ben_id}")
    assert deleted["deleted"]["sessions"] == 1

    await wait_state(ben_page, "ended")
    await wait_text(ben_page, "#message-title", "You have been removed from this session")
    # Nothing of him is left on Maya's page: tile, row, message, notices with his name.
    await maya.wait_for_function(
        """([id, said]) => !document.querySelector(`#video-grid li[data-id='${id}']`)
             && !document.querySelector(`#participant-list [data-id='${id}']`)
             && !document.getElementById('chat-log').textContent.includes(said)
             && !document.body.textContent.includes('Benedikt')""", arg=[ben, SAID])
    # His personal link no longer opens the session.
    again = await new_page(browser)
    await again.goto(links[ben_id])
    await wait_state(again, "refused")
    await wait_text(again, "#message-title", "This link no longer works")
    for page in (again, ben_page, maya):
        await close_page(page)
