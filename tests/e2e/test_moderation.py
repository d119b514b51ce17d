"""A mentor keeps a session safe in real Chromium: the waiting room, a locked mute, removing
someone; what each person sees, in words."""

from __future__ import annotations

from typing import Any

from axe import assert_accessible
from tandem_pages import (
    close_page,
    command,
    join,
    new_page,
    participant_id,
    wait_state,
    wait_text,
)


async def test_a_mentor_admits_mutes_and_removes_a_mentee(tandem_server: Any,
                                                         browser: Any) -> None:
    s = tandem_server.create_session(title="Safe session", waiting_room="role_links")
    mentor = await join(browser, s["join_urls"]["mentor"], "Maya")
    # Ben waits, told so in words; nothing of the call shows
    mentee = await join(browser, s["join_urls"]["mentee"], "Ben", until="waiting")
    await wait_text(mentee, "#message-title", "Waiting for the mentor to let you in")
    assert await mentee.locator("#screen-call").is_hidden()
    await assert_accessible(mentee, "the waiting room")
    # Maya sees him waiting and lets him in
    admit = mentor.get_by_role("button", name="Admit Ben")
    await admit.wait_for()
    await assert_accessible(mentor, "the mentor's call with someone waiting")
    await admit.click()
    await wait_state(mentee, "call")
    ben = await participant_id(mentee)
    assert await mentor.locator("#waiting-room").is_hidden()

    # a locked mute: Ben's microphone goes off and its button cannot turn it on
    await mentor.locator("#mod-keep").check()
    await mentor.get_by_role("button", name="Manage Ben").click()
    await assert_accessible(mentor, "the mentor's call with a person's actions open")
    await mentor.get_by_role("button", name="Mute Ben").click()
    mic = mentee.locator("#ctl-mic")
    await mentee.wait_for_function(
        "() => document.getElementById('ctl-mic').disabled"
        " && document.getElementById('ctl-mic').getAttribute('aria-pressed') === 'true'")
    assert "turned your microphone off" in (await mic.get_attribute("title") or "")
    await wait_text(mentee, "#chat-log", "The mentor muted you")
    # and Maya lets him unmute (his actions stay open while they change)
    await mentor.get_by_role("button", name="Let Ben unmute").click()
    await mentee.wait_for_function("() => !document.getElementById('ctl-mic').disabled")
    await mic.click()
    await mentor.wait_for_function(
        "(id) => { const row = document.querySelector(`#participant-list [data-id='${id}']`);"
        " return row && !row.textContent.includes('muted'); }", arg=ben)

    # removing is asked again in a dialog: Cancel (or Escape) keeps him, with the focus back on
    # the button; "Remove Ben" removes him, and he is told kindly and is out
    remove = mentor.locator(f'#participant-list [data-id="{ben}"] [data-action="remove"]')
    await remove.click()
    dialog = mentor.get_by_role("alertdialog", name="Remove Ben from the session?")
    await dialog.wait_for()
    await mentor.keyboard.press("Escape")
    await dialog.wait_for(state="detached")
    assert await mentor.evaluate("() => document.activeElement.dataset.action") == "remove"
    await remove.click()
    await dialog.get_by_role("button", name="Remove Ben").click()
    await wait_state(mentee, "ended")
    await wait_text(mentee, "#message-title", "You have been removed from this session")
    await mentor.wait_for_function(
        "(id) => !document.querySelector(`#participant-list [data-id='${id}']`)", arg=ben)
    await close_page(mentee)
    await close_page(mentor)


async def test_a_locked_session_turns_newcomers_away_in_words(tandem_server: Any,
                                                             browser: Any) -> None:
    s = tandem_server.create_session(title="Locked session", waiting_room="off")
    mentor = await join(browser, s["join_urls"]["mentor"], "Maya")
    await mentor.get_by_role("button", name="Lock session").click()
    await mentor.wait_for_function(
        "() => document.getElementById('mod-lock').getAttribute('aria-pressed') === 'true'")
    late = await join(browser, s["join_urls"]["mentee"], "Late", until="refused")
    await wait_text(late, "#message-title", "This session is locked")
    await close_page(late)
    await close_page(mentor)


async def test_an_admin_revokes_a_personal_link_from_the_admin_page(tandem_server: Any,
                                                                   browser: Any) -> None:
    s = tandem_server.create_session(
        title="Revoked link", participants=[{"name": "Dana", "role": "mentee", "id": "dana"}])
    old = s["personal_links"][0]["url"]
    dana = await join(browser, old)  # her row appears in the admin's table once she has been
    mentor = await join(browser, s["join_urls"]["mentor"], "Maya")
    ack = await command(mentor, "moderate", {"participant_id": await participant_id(dana),
                                             "action": "mute", "lock": True})
    assert ack["ok"], ack
    await close_page(dana)
    await close_page(mentor)
    admin = await new_page(browser)
    admin.on("dialog", lambda dialog: dialog.accept())
    await admin.goto(f"{tandem_server.base_url}/admin#session={s['session_id']}")
    await admin.get_by_label("Admin key").fill(tandem_server.admin_key)
    await admin.get_by_role("button", name="Sign in").click()
    # the admin sees who moderated whom
    await wait_text(admin, "#moderation-log", "Maya muted Dana until allowed")
    await admin.get_by_role("button", name="Revoke link of Dana").click()
    new_url = admin.locator("#new-link-url")
    await admin.wait_for_function("() => document.getElementById('new-link-url').value")
    fresh = await new_url.input_value()
    assert fresh.startswith(tandem_server.base_url) and fresh != old
    stale = await new_page(browser)
    await stale.goto(old)
    await wait_state(stale, "refused")
    await wait_text(stale, "#message-title", "This link no longer works")
    again = await join(browser, fresh)
    await close_page(again)
    await close_page(stale)
    await close_page(admin)
