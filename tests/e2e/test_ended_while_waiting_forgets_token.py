"""A session that ends while someone waits to be let in is a dead link for them as for those in
the call: the page forgets the join token its tab kept (screens/link.js) with the rest of what
it saved, whichever way the end reaches it (here the waiting room's refusal, ``declined`` with
the reason ``session_ended``)."""

from __future__ import annotations

from typing import Any

from tandem_pages import close_page, join, wait_state

KEPT_JS = "(sid) => sessionStorage.getItem('tandem:link:' + sid)"


async def test_a_session_ended_while_waiting_drops_the_token_the_tab_kept(
        tandem_server: Any, browser: Any) -> None:
    s = tandem_server.create_session(title="Ends while waiting", waiting_room="role_links")
    sid = s["session_id"]
    mentor = await join(browser, s["join_urls"]["mentor"], "Maya")
    mentee = await join(browser, s["join_urls"]["mentee"], "Ben", until="waiting")
    assert await mentee.evaluate(KEPT_JS, sid)
    tandem_server.end_session(sid)
    await wait_state(mentee, "ended")
    assert await mentee.evaluate(KEPT_JS, sid) is None, (
        "the tab kept the join token of a session that ended while its person waited")
    for page in (mentor, mentee):
        await close_page(page)
