"""A session that ends while a page is away: its connection had dropped (a lost network, a missed
ping under load, or the server closing it before the event was sent), so the page learns of the
end from the refusal of its reconnect, not from the ``session_ended`` event. The person was in
the session: the page shows the session-ended view, not the refusal a link of an ended session
gets."""

from __future__ import annotations

from typing import Any

from tandem_pages import DROP_JS, close_page, join, wait_state, wait_text

# The drop, with socket.io's own reconnecting held back until the session has ended (so the end
# surely happens while the page is away); `RECONNECT_JS` lets it reconnect as it would have.
HOLD_AND_DROP_JS = f"""() => {{
  window.tandemTestHooks.socket.io.reconnection(false);
  ({DROP_JS})();
}}"""
RECONNECT_JS = """() => {
  const socket = window.tandemTestHooks.socket;
  socket.io.reconnection(true);
  socket.connect();
}"""


async def test_session_ended_while_reconnecting_shows_the_ended_view(
    tandem_server: Any, browser: Any
) -> None:
    s = tandem_server.create_session()
    mentor = await join(browser, s["join_urls"]["mentor"], name="Ana")
    mentee = await join(browser, s["join_urls"]["mentee"], name="Ben")
    await mentee.evaluate(HOLD_AND_DROP_JS)
    await wait_state(mentee, "reconnecting")
    tandem_server.end_session(s["session_id"])
    await wait_state(mentor, "ended")  # the one still connected is told by the event
    await wait_text(mentor, "#message-title", "The session has ended")
    await mentee.evaluate(RECONNECT_JS)  # refused: connect_error with code session_ended
    await wait_state(mentee, "ended")
    await wait_text(mentee, "#message-title", "The session has ended")
    assert await mentee.locator("#message-code").is_hidden()  # no support code: not an error
    assert await mentee.evaluate("() => window.tandemTestHooks.socket.active") is False
    for page in (mentor, mentee):
        await close_page(page)
