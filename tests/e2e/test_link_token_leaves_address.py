"""A session link carries its join token in the fragment (`/s/<id>#token=…`). Once the page has
read it, the token leaves the address bar (what a shared screen, a screenshot or a screen share
shows) and the browser's history (a shared family computer): the page replaces the address with
the path alone and keeps the token for the tab. A reload, or back and forward, still comes back
as the same participant; a dead link drops the kept token too."""

from __future__ import annotations

from typing import Any

from tandem_pages import close_page, join, participant_id, wait_state

KEPT_JS = "(sid) => sessionStorage.getItem('tandem:link:' + sid)"
SAVED_JS = "(sid) => localStorage.getItem('tandem:session:' + sid)"


def _link(s: dict[str, Any], role: str) -> tuple[str, str]:
    """The link's address without its fragment, and its token."""
    base, token = s["join_urls"][role].split("#token=", 1)
    assert token
    return base, token


async def test_the_token_leaves_the_address_bar_and_a_reload_rejoins_as_the_same_person(
        tandem_server: Any, browser: Any) -> None:
    s = tandem_server.create_session(title="Address bar")
    base, token = _link(s, "mentee")
    mentee = await join(browser, s["join_urls"]["mentee"], name="Ben")
    ben = await participant_id(mentee)
    assert token not in mentee.url
    assert mentee.url == base
    # The same history entry was replaced (no entry with the token behind this one).
    assert await mentee.evaluate("() => history.length") == 2  # about:blank, then the link

    await mentee.reload()
    await wait_state(mentee, "call")
    assert await participant_id(mentee) == ben
    assert mentee.url == base

    # Away and back through the history: the entry holds no token, the tab kept it.
    await mentee.go_back()
    assert mentee.url == "about:blank"
    await mentee.go_forward()
    await wait_state(mentee, "call")
    assert await participant_id(mentee) == ben
    assert token not in mentee.url
    session = tandem_server.get_session(s["session_id"])
    assert [p["name"] for p in session["participants"]] == ["Ben"]
    await close_page(mentee)


async def test_a_dead_link_drops_the_token_the_tab_kept(tandem_server: Any, browser: Any) -> None:
    s = tandem_server.create_session(title="Revoked")
    sid = s["session_id"]
    mentee = await join(browser, s["join_urls"]["mentee"], name="Ben")
    assert await mentee.evaluate(KEPT_JS, sid)
    await mentee.get_by_role("button", name="Leave").click()
    await wait_state(mentee, "left")
    tandem_server.call("POST", f"/api/sessions/{sid}/links/revoke",
                       {"role": "mentee", "reissue": False})
    await mentee.reload()  # with the token the tab kept: the server refuses it
    await wait_state(mentee, "refused")
    await mentee.get_by_role("heading", name="This link no longer works").wait_for()
    assert await mentee.evaluate(KEPT_JS, sid) is None
    assert await mentee.evaluate(SAVED_JS, sid) is None
    await mentee.reload()  # nothing left to open it with
    await wait_state(mentee, "refused")
    await mentee.get_by_role("heading", name="This link is incomplete").wait_for()
    await close_page(mentee)


async def test_the_link_in_a_second_tab_and_back_in_the_first(
        tandem_server: Any, browser: Any) -> None:
    """The same link opened again in a new tab brings its own token; the first tab, replaced,
    comes back ("Use this tab instead" reloads it) with the token it kept."""
    s = tandem_server.create_session(title="Two tabs")
    base, token = _link(s, "mentee")
    first = await join(browser, s["join_urls"]["mentee"], name="Ben")
    ben = await participant_id(first)
    second = await first.context.new_page()
    await second.goto(s["join_urls"]["mentee"])
    await wait_state(second, "call")
    assert await participant_id(second) == ben
    assert second.url == base
    await wait_state(first, "replaced")
    await first.get_by_role("button", name="Use this tab instead").click()
    await wait_state(first, "call")
    assert await participant_id(first) == ben
    assert first.url == base
    await wait_state(second, "replaced")
    await close_page(first)
