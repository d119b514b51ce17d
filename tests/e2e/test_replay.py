"""A page whose connection drops gets back, after its automatic reconnect, exactly the chat
messages it missed: once each, in order, from its room's history (docs/PROTOCOL.md, "Missed
events")."""

from __future__ import annotations

from typing import Any

from axe import assert_accessible
from tandem_pages import (
    DROP_JS,
    close_page,
    command,
    join,
    participant_id,
    reconnect_after,
    wait_state,
    wait_text,
)

MESSAGES_JS = """
() => [...document.querySelectorAll('#chat-log .chat-message .chat-text')].map((e) => e.textContent)
"""
# With a text, the person sends it through the chat box in the same moment as the connection
# drops (`reconnect_after` set first): the page cannot know whether the server posted it (the
# answer is lost either way).
SEND_AS_IT_DROPS_JS = """
(text) => {
  document.getElementById('chat-input').value = text;
  document.getElementById('chat-form').requestSubmit();
  window.tandemTestHooks.socket.io.engine.close();
}
"""


async def test_a_dropped_page_shows_the_missed_messages_once_each_in_order(
    tandem_server: Any, browser: Any
) -> None:
    s = tandem_server.create_session(title="Missed messages")
    ana = await join(browser, s["join_urls"]["mentor"], name="Ana")
    ben = await join(browser, s["join_urls"]["mentee"], name="Ben")
    cleo = await join(browser, s["join_urls"]["observer"], name="Cleo")
    await command(ana, "chat", {"text": "Before the drop"})
    await wait_text(ben, "#chat-log", "Before the drop")

    await reconnect_after(ben, 4000)
    await ben.evaluate(DROP_JS)
    await wait_text(ana, "#chat-log", "Ben lost connection")
    for page, text in ((ana, "One: while you were away"), (cleo, "Two: still away"),
                       (ana, "Three: last one")):
        await command(page, "chat", {"text": text})
    # All three were taken (acknowledged) while Ben's page was still away.
    assert await ben.evaluate("() => window.tandemTestHooks.state") == "reconnecting"

    await wait_state(ben, "call", timeout=15_000)
    await wait_text(ana, "#chat-log", "Ben is back")
    # Shown once the catch-up after the rejoin is done (until then the hook still holds the
    # catch-up of the first join, which replayed nothing).
    await wait_text(ben, "#chat-log", "Three: last one")
    replayed = await ben.evaluate("() => window.tandemTestHooks.replay")
    assert replayed == {"room": "main", "replayed": 3, "gone": False}
    # A barrier: one more message after the catch-up; once it shows, anything else the catch-up
    # or the join could have added has been shown too.
    await command(ana, "chat", {"text": "Four: live again"})
    await wait_text(ben, "#chat-log", "Four: live again")
    assert await ben.evaluate(MESSAGES_JS) == [
        "Before the drop", "One: while you were away", "Two: still away", "Three: last one",
        "Four: live again",
    ]
    for page in (ana, ben, cleo):
        await close_page(page)


COUNT_JS = """
(text) => [...document.querySelectorAll('#chat-log .chat-message .chat-text')]
  .filter((e) => e.textContent === text).length
"""


async def test_a_message_sent_as_the_connection_drops_is_posted_once(
    tandem_server: Any, browser: Any
) -> None:
    s = tandem_server.create_session(title="Sent as it dropped")
    ana = await join(browser, s["join_urls"]["mentor"], name="Ana")
    ben = await join(browser, s["join_urls"]["mentee"], name="Ben")
    text = "Sent just as the line dropped"
    await reconnect_after(ben, 4000)
    await ben.evaluate(SEND_AS_IT_DROPS_JS, text)
    # Shown as waiting while the page is away (the answer never came).
    await ben.wait_for_selector("#chat-log .chat-unsent")
    assert await ben.evaluate("() => document.querySelectorAll('.chat-unsent').length") == 1
    await assert_accessible(ben, "the chat with a message waiting for the connection",
                            include="#chat-log")
    await wait_state(ben, "call", timeout=15_000)
    await wait_text(ana, "#chat-log", "Ben is back")
    # A barrier: a message from Ana after Ben's page sent its message again; once Ben's page
    # shows it, and Ana's page Ben's next one, every copy of the first has arrived everywhere.
    await command(ana, "chat", {"text": "Welcome back"})
    await wait_text(ben, "#chat-log", "Welcome back")
    await command(ben, "chat", {"text": "Thanks"})
    await wait_text(ana, "#chat-log", "Thanks")
    assert await ana.evaluate(COUNT_JS, text) == 1
    assert await ben.evaluate(COUNT_JS, text) == 1
    assert await ben.evaluate("() => document.querySelectorAll('.chat-unsent').length") == 0
    for page in (ana, ben):
        await close_page(page)


# The connection drops (`reconnect_after` a minute), then the person sends a message: it waits
# for the connection, unsent.
OFFLINE_SEND_JS = """
(text) => {
  window.tandemTestHooks.socket.io.engine.close();
  document.getElementById('chat-input').value = text;
  document.getElementById('chat-form').requestSubmit();
}
"""


# The chat messages the tab keeps until answered (the tab also keeps its link's token).
OUTGOING_JS = (
    "() => Object.keys(sessionStorage).filter((k) => k.startsWith('tandem:chat-outgoing:')).length"
)

async def test_a_message_waiting_for_the_connection_is_sent_after_a_reload(
    tandem_server: Any, browser: Any
) -> None:
    s = tandem_server.create_session(title="Reloaded while waiting")
    ana = await join(browser, s["join_urls"]["mentor"], name="Ana")
    ben = await join(browser, s["join_urls"]["mentee"], name="Ben")
    text = "Typed as the line went down"
    await reconnect_after(ben, 60_000)
    await ben.evaluate(OFFLINE_SEND_JS, text)
    await ben.wait_for_selector("#chat-log .chat-unsent")
    await wait_text(ana, "#chat-log", "Ben lost connection")
    # The person reloads the page, as people do when the connection seems broken: the page goes
    # straight back in as Ben and sends the message that was waiting.
    await ben.reload()
    await wait_state(ben, "call")
    await wait_text(ana, "#chat-log", text)
    # A barrier: a message from Ana after it; once Ben's page shows it, Ben's page has shown
    # everything the room said before.
    await command(ana, "chat", {"text": "Got it"})
    await wait_text(ben, "#chat-log", "Got it")
    assert await ana.evaluate(COUNT_JS, text) == 1
    assert await ben.evaluate(COUNT_JS, text) == 1
    assert await ben.evaluate("() => document.querySelectorAll('.chat-unsent').length") == 0
    # Answered: nothing is kept for another reload.
    assert await ben.evaluate(OUTGOING_JS) == 0

    # A message waiting when the person leaves is not sent, then or when they come back.
    await reconnect_after(ben, 60_000)
    await ben.evaluate(OFFLINE_SEND_JS, "Never mind")
    await ben.wait_for_selector("#chat-log .chat-unsent")
    assert await ben.evaluate(OUTGOING_JS) == 1
    await ben.locator("#ctl-leave").click()
    await wait_state(ben, "left")
    assert await ben.evaluate(OUTGOING_JS) == 0
    # Rejoin: the join page first (after Leave), then the call as the same Ben.
    ben_id = await participant_id(ben)
    await ben.get_by_role("button", name="Rejoin the session").click()
    await wait_state(ben, "join")
    await ben.wait_for_function("() => !document.getElementById('join-button').disabled")
    await ben.locator("#join-button").click()
    await wait_state(ben, "call")
    assert await participant_id(ben) == ben_id
    # A barrier: Ben's next message; once Ana has it, anything Ben's page sent before it has
    # arrived too.
    await command(ben, "chat", {"text": "Back for real"})
    await wait_text(ana, "#chat-log", "Back for real")
    assert await ana.evaluate(COUNT_JS, "Never mind") == 0
    for page in (ana, ben):
        await close_page(page)


# The mentor sends a broadcast and adds five minutes through the panel in the same moment as the
# connection drops (`reconnect_after` 4 s, as above).
MENTOR_DROP_JS = """
(text) => {
  const panel = document.getElementById('breakouts-panel');
  document.getElementById('bo-broadcast').value = text;
  panel.querySelector('form.bo-broadcast').requestSubmit();
  [...panel.querySelectorAll('button')].find((b) => b.textContent === 'Add 5 min').click();
  window.tandemTestHooks.socket.io.engine.close();
}
"""
ENDS_AT_JS = "() => window.tandemTestHooks.round && window.tandemTestHooks.round.ends_at"


async def test_a_broadcast_and_added_time_sent_again_after_a_drop_apply_once(
    tandem_server: Any, browser: Any
) -> None:
    s = tandem_server.create_session(title="Sent again by the mentor")
    ana = await join(browser, s["join_urls"]["mentor"], name="Ana")
    ben = await join(browser, s["join_urls"]["mentee"], name="Ben")
    ben_id = await participant_id(ben)
    rooms = await command(ana, "breakout_create", {"names": ["Room 1"]})
    room = rooms["breakouts"]["rooms"][0]["id"]
    await command(ana, "breakout_assign", {"participant_id": ben_id, "room": room})
    ends_at = (await command(ana, "breakout_open", {"duration_seconds": 600}))["breakouts"][
        "ends_at"]
    await wait_text(ben, "#room-status", "Room 1")
    await ana.wait_for_function(f"() => ({ENDS_AT_JS})() === {ends_at}")
    text = "Wrap up in five minutes"

    # Both answers are lost with the connection (whether the server applied them or not): the
    # panel says so, and keeps the text.
    await reconnect_after(ana, 4000)
    await ana.evaluate(MENTOR_DROP_JS, text)
    await wait_text(ana, "#breakouts-panel .bo-error", "No answer from Tandem")
    # Both first tries were applied (what makes sending them again a question): Ben has the
    # broadcast, and the round ends five minutes later, while Ana's page is still away.
    await wait_text(ben, "#chat-log", text)
    await ben.wait_for_function(f"() => ({ENDS_AT_JS})() === {ends_at + 300}")
    await wait_state(ana, "call", timeout=15_000)
    # Sent again from the panel, as the mentor would: each keeps the id of its failed try.
    panel = ana.locator("#breakouts-panel")
    assert await panel.get_by_label("Message to every room").input_value() == text
    await panel.get_by_role("button", name="Send to all rooms").click()
    await wait_text(ana, "#breakouts-panel .bo-status", "sent to every room")
    await panel.get_by_role("button", name="Add 5 min").click()
    await wait_text(ana, "#breakouts-panel .bo-status", "5 minutes added")
    # A barrier: a broadcast after both, on the same connection; once both pages show it, any
    # second copy of the first has arrived too, and any second move of the round's end.
    await command(ana, "breakout_broadcast", {"text": "Barrier"})
    for page in (ana, ben):
        await wait_text(page, "#chat-log", "Barrier")
        assert await page.evaluate(COUNT_JS, text) == 1
        assert await page.evaluate(ENDS_AT_JS) == ends_at + 300
    for page in (ana, ben):
        await close_page(page)
