"""A link that no longer works takes what the browser kept with it: someone whose link was
revoked (also what a deletion request does to a personal link) opens it again and is refused,
and their name and resume credential are gone from the browser's storage at once, not a day
later (the shared family computer of a mentee)."""

from __future__ import annotations

from typing import Any

from tandem_pages import close_page, join, wait_state

SAVED_JS = "(sid) => localStorage.getItem('tandem:session:' + sid)"


async def test_a_revoked_link_leaves_nothing_of_its_person_in_the_browser(
        tandem_server: Any, browser: Any) -> None:
    s = tandem_server.create_session(title="Check-in")
    sid = s["session_id"]
    mentee = await join(browser, s["join_urls"]["mentee"], name="Ben Private")
    await mentee.wait_for_function(f"() => !!({SAVED_JS})({sid!r})")
    assert "Ben Private" in await mentee.evaluate(SAVED_JS, sid)
    await mentee.get_by_role("button", name="Leave").click()
    await wait_state(mentee, "left")
    tandem_server.call("POST", f"/api/sessions/{sid}/links/revoke",
                       {"role": "mentee", "reissue": False})
    await mentee.reload()
    await wait_state(mentee, "refused")
    assert await mentee.evaluate(SAVED_JS, sid) is None
    await close_page(mentee)
