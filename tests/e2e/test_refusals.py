"""Unusable links, sessions that end, a second tab: the page says what happened, in words."""

from __future__ import annotations

from typing import Any

from tandem_pages import (
    close_page,
    join,
    new_page,
    open_join_screen,
    participant_id,
    wait_state,
    wait_text,
)


def forge(url: str) -> str:
    """Alter one character in the middle of the token's signature (not the last one, whose low bits
    base64 may ignore)."""
    base, token = url.split("#token=")
    i = len(token) - 10
    replacement = "A" if token[i] != "A" else "B"
    return f"{base}#token={token[:i]}{replacement}{token[i + 1 :]}"


async def test_forged_link_is_refused_in_words(tandem_server: Any, browser: Any) -> None:
    s = tandem_server.create_session(title="Private session")
    page = await new_page(browser)
    await page.goto(forge(s["join_urls"]["mentee"]))
    await wait_state(page, "refused")
    await wait_text(page, "#message-title", "This link doesn't work")
    body = await page.locator("#message-body").inner_text()
    assert "programme coordinator" in body
    assert "token_invalid" in await page.locator("#message-code").inner_text()
    # Nothing of the session leaks, and the camera was never asked for.
    assert "Private session" not in await page.locator("body").inner_text()
    assert await page.locator("#screen-join").is_hidden()
    await close_page(page)


async def test_link_without_token_is_explained(tandem_server: Any, browser: Any) -> None:
    s = tandem_server.create_session()
    page = await new_page(browser)
    await page.goto(s["join_urls"]["mentee"].split("#")[0])
    await wait_state(page, "refused")
    await wait_text(page, "#message-title", "This link is incomplete")
    await close_page(page)


async def test_ended_session_link_is_explained(tandem_server: Any, browser: Any) -> None:
    s = tandem_server.create_session()
    tandem_server.end_session(s["session_id"])
    page = await new_page(browser)
    await page.goto(s["join_urls"]["mentor"])
    await wait_state(page, "ended")
    await wait_text(page, "#message-title", "This session has ended")
    await close_page(page)


async def test_refusal_at_connect_is_shown_and_not_retried(
    tandem_server: Any, browser: Any
) -> None:
    """The preview passed, then the session ended before the person pressed Join: the socket.io
    connection is refused (connect_error with data.code) and the page stops there."""
    s = tandem_server.create_session()
    page = await new_page(browser)
    await open_join_screen(page, s["join_urls"]["mentee"])
    await page.get_by_label("Your name").fill("Ben")
    tandem_server.end_session(s["session_id"])
    await page.locator("#join-button").click()
    await wait_state(page, "ended")
    await wait_text(page, "#message-title", "This session has ended")
    assert await page.evaluate("() => window.tandemTestHooks.socket.active") is False
    await close_page(page)


async def test_session_ended_during_call(tandem_server: Any, browser: Any) -> None:
    s = tandem_server.create_session()
    mentor = await join(browser, s["join_urls"]["mentor"], name="Ana")
    mentee = await join(browser, s["join_urls"]["mentee"], name="Ben")
    tandem_server.end_session(s["session_id"])
    for page in (mentor, mentee):
        await wait_state(page, "ended")
        await wait_text(page, "#message-title", "The session has ended")
        await close_page(page)


async def test_second_tab_replaces_the_first(tandem_server: Any, browser: Any) -> None:
    s = tandem_server.create_session()
    first = await join(browser, s["join_urls"]["mentee"], name="Ben")
    ben = await participant_id(first)
    # Same browser profile (same localStorage), same link, opened again in a new tab.
    second = await first.context.new_page()
    await second.goto(s["join_urls"]["mentee"])
    await wait_state(second, "call")
    assert await participant_id(second) == ben
    await wait_state(first, "replaced")
    await wait_text(first, "#message-title", "You opened this session somewhere else")
    await first.context.close()


async def test_full_session_is_explained(tandem_server: Any, browser: Any) -> None:
    s = tandem_server.create_session(max_participants=2)
    first = await join(browser, s["join_urls"]["mentor"], name="Ana")
    second = await join(browser, s["join_urls"]["mentee"], name="Ben")
    third = await join(browser, s["join_urls"]["mentee"], name="Chloé", until="refused")
    await wait_text(third, "#message-title", "This session is full")
    # Trying again is offered, since a seat may free up.
    assert await third.get_by_role("button", name="Try again").is_visible()
    for page in (first, second, third):
        await close_page(page)


async def test_expired_link_wording(tandem_server: Any, browser: Any) -> None:
    """Links live at least 60 s, so the server's answer for an expired link is stood in for here
    (the server side of expiry has its own tests): the page must explain it in words."""
    s = tandem_server.create_session()
    page = await new_page(browser)

    async def expired(route: Any) -> None:
        await route.fulfill(
            status=401,
            content_type="application/json",
            body='{"error": {"code": "token_expired", "message": "The join link has expired."}}',
        )

    await page.route("**/api/join/preview", expired)
    await page.goto(s["join_urls"]["mentee"])
    await wait_state(page, "refused")
    await wait_text(page, "#message-title", "This link has expired")
    await wait_text(page, "#message-body", "Ask your programme coordinator for a new one.")
    assert await page.get_by_role("button", name="Try again").count() == 0
    await close_page(page)
