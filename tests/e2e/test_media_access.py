"""People without a usable camera or microphone, and observers, can still take part."""

from __future__ import annotations

import os
from typing import Any

from tandem_pages import (
    close_page,
    eventually_in_page,
    join,
    new_page,
    open_join_screen,
    participant_id,
    wait_media_from,
    wait_state,
    wait_text,
    wait_tile_camera_off,
    wait_video_shown,
)

SCREENSHOT_DIR = os.environ.get("TANDEM_E2E_SCREENSHOTS")


async def test_denied_camera_can_join_watch_only(
    tandem_server: Any, browser: Any, denying_browser: Any
) -> None:
    s = tandem_server.create_session(title="Camera check")
    mentor = await join(browser, s["join_urls"]["mentor"], name="Ana")
    ana = await participant_id(mentor)

    mentee = await new_page(denying_browser)
    # Headless Chromium without --use-fake-ui-for-media-stream already refuses permission prompts
    # (--deny-permission-prompts is accepted but changes nothing visible here); deny explicitly too,
    # so the test does not depend on that default.
    cdp = await mentee.context.new_cdp_session(mentee)
    for name in ("camera", "microphone"):
        await cdp.send(
            "Browser.setPermission",
            {"permission": {"name": name}, "setting": "denied", "origin": tandem_server.base_url},
        )
    await open_join_screen(mentee, s["join_urls"]["mentee"])
    # The page says what went wrong and how to fix it, and offers to join anyway.
    problem = mentee.locator("#media-problem")
    await problem.wait_for(state="visible")
    text = await problem.inner_text()
    assert "blocking your camera and microphone" in text, text
    assert "still join" in text
    join_button = mentee.locator("#join-button")
    assert await join_button.inner_text() == "Join to watch and chat"
    if SCREENSHOT_DIR:
        await mentee.screenshot(path=os.path.join(SCREENSHOT_DIR, "join-denied.png"))

    await mentee.get_by_label("Your name").fill("Ben")
    await join_button.click()
    await wait_state(mentee, "call")
    ben = await participant_id(mentee)

    # Without devices the microphone shows as muted; pressing it asks again and says why not.
    mic = mentee.get_by_role("button", name="Mute microphone")
    assert await mic.get_attribute("aria-pressed") == "true"
    await mic.click()
    await wait_text(mentee, "#call-alert", "blocking your microphone")
    assert await mic.get_attribute("aria-pressed") == "true"

    # The mentor sees Ben in the list and an initials tile.
    await wait_text(mentor, f'#participant-list li[data-id="{ben}"]', "Ben")
    await wait_text(mentor, f'#participant-list li[data-id="{ben}"]', "camera off")
    await wait_tile_camera_off(mentor, ben)
    # A page without camera or microphone permission gets no direct connection up here: Chromium
    # then gathers candidates on the default route's interface only, and this test host has no
    # route but loopback, so the page offers no candidate at all (on a real network it offers its
    # default interface, or an mDNS name a peer elsewhere cannot resolve). The direct connection
    # that does not come up is reported, and the pair goes through the server instead.
    for page in (mentee, mentor):
        await page.wait_for_function("() => window.tandemTestHooks.mediaRoute === 'server'",
                                     timeout=30_000)
    # The server offers Ben the mentor's media (his slot map carries her), and the mentor's own
    # server connections are up (Ben's page has no candidate to connect with, as above).
    await eventually_in_page(
        mentee, "(id) => window.tandemTestHooks.slots.some((s) => s.participant_id === id)", ana
    )
    await eventually_in_page(
        mentor,
        "() => { const c = window.tandemTestHooks.serverConnections;"
        " return !!c.subscribe && c.subscribe.connectionState === 'connected'; }",
        None,
    )

    await close_page(mentee)
    await close_page(mentor)


async def test_observer_joins_without_camera_prompt(tandem_server: Any, browser: Any) -> None:
    s = tandem_server.create_session(title="Observed session")
    mentor = await join(browser, s["join_urls"]["mentor"], name="Ana")
    ana = await participant_id(mentor)

    observer = await new_page(browser)
    await observer.add_init_script(
        """
        window.__gumCalls = 0;
        const orig = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
        navigator.mediaDevices.getUserMedia = (c) => { window.__gumCalls += 1; return orig(c); };
        """
    )
    await open_join_screen(observer, s["join_urls"]["observer"])
    await wait_text(observer, "#join-role", "observer")
    assert await observer.locator("#join-button").inner_text() == "Join to watch"
    await observer.get_by_label("Your name").fill("Olu")
    await observer.locator("#join-button").click()
    await wait_state(observer, "call")
    olu = await participant_id(observer)
    assert await observer.evaluate("() => window.__gumCalls") == 0
    assert await observer.locator("#ctl-mic").is_hidden()

    await wait_text(mentor, f'#participant-list li[data-id="{olu}"]', "watching")
    await wait_media_from(observer, ana)

    await close_page(observer)
    await close_page(mentor)


async def test_phone_width_layout(tandem_server: Any, browser: Any) -> None:
    """At phone width the call still works: controls reachable, chat behind a tab."""
    s = tandem_server.create_session(title="On the bus")
    phone = {"width": 390, "height": 844}
    mentor = await join(browser, s["join_urls"]["mentor"], name="Ana")
    mentee = await join(browser, s["join_urls"]["mentee"], name="Ben", viewport=phone)
    ana = await participant_id(mentor)
    await wait_media_from(mentee, ana)

    # Chat is a tab on a phone: an unread count shows when a message arrives while People is open.
    await mentee.get_by_role("button", name="People").click()
    await mentor.get_by_label("Write a message").fill("Can you hear me?")
    await mentor.get_by_label("Write a message").press("Enter")
    await wait_text(mentee, "#chat-unread", "1")
    await mentee.get_by_role("button", name="Chat").click()
    await wait_text(mentee, "#chat-log", "Can you hear me?")
    assert await mentee.locator("#chat-unread").is_hidden()
    assert await mentee.get_by_role("button", name="Leave").is_visible()
    if SCREENSHOT_DIR:
        await mentee.screenshot(path=os.path.join(SCREENSHOT_DIR, "call-phone.png"))
    await close_page(mentee)
    await close_page(mentor)


async def test_camera_allowed_late_is_sent_to_the_others(tandem_server: Any, browser: Any) -> None:
    """Someone joins watch-only because the browser refused the devices, then allows them and
    presses the microphone and camera buttons: the others start receiving their media."""
    s = tandem_server.create_session(title="Late camera")
    mentor = await join(browser, s["join_urls"]["mentor"], name="Ana")
    ana = await participant_id(mentor)

    mentee = await new_page(browser)
    await mentee.add_init_script(
        """
        window.__refuseMedia = true;
        const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
        navigator.mediaDevices.getUserMedia = (c) => window.__refuseMedia
            ? Promise.reject(new DOMException("Permission denied", "NotAllowedError"))
            : real(c);
        """
    )
    await open_join_screen(mentee, s["join_urls"]["mentee"])
    assert await mentee.locator("#join-button").inner_text() == "Join to watch and chat"
    await mentee.get_by_label("Your name").fill("Ben")
    await mentee.locator("#join-button").click()
    await wait_state(mentee, "call")
    ben = await participant_id(mentee)
    await wait_media_from(mentee, ana)
    await wait_tile_camera_off(mentor, ben)

    # The person allows the camera and microphone in the browser, then turns them on.
    await mentee.evaluate("() => { window.__refuseMedia = false; }")
    await mentee.get_by_role("button", name="Mute microphone").click()
    await mentee.get_by_role("button", name="Turn camera off").click()
    await mentee.wait_for_function(
        """() => ["ctl-mic", "ctl-cam"].every(
            (id) => document.getElementById(id).getAttribute("aria-pressed") === "false")"""
    )
    await wait_media_from(mentor, ben)
    await wait_video_shown(mentor, ben)
    await wait_text(mentor, f'#participant-list li[data-id="{ben}"]', "mentee")
    detail = await mentor.locator(f'#participant-list li[data-id="{ben}"]').inner_text()
    assert "muted" not in detail and "camera off" not in detail, detail

    await close_page(mentee)
    await close_page(mentor)
