"""Text people type is shown as text, never read as HTML, in real Chromium: a display name, a
chat message, a breakout room's name and a caption on the call page; a cohort's name, a
person's name and goal imported from a CSV, a session's title and an admin's name in the admin
console. Each is markup that would run a script if it were parsed; the pages must show it
literally, make no element of it, and trip no line of their content policy (no violation also
shows that the page's own socket, on its own origin, is allowed)."""

from __future__ import annotations

from typing import Any

from tandem_pages import (
    WAIT_MS,
    close_page,
    command,
    ids_of,
    new_page,
    open_join_screen,
    participant_id,
    wait_state,
    wait_text,
)

HOSTILE = '<img src=x onerror="window.__xss=1">'
WATCH_JS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
"""
INJECTED_JS = """() => ({
  elements: document.querySelectorAll('img[src="x"], [onerror]').length,
  ran: window.__xss === 1,
  violations: window.__violations || [],
})"""


async def _clean(page: Any) -> None:
    found = await page.evaluate(INJECTED_JS)
    assert found == {"elements": 0, "ran": False, "violations": []}, found


async def _watched(browser: Any, url: str, name: str) -> Any:
    page = await new_page(browser)
    await page.context.add_init_script(WATCH_JS)
    await open_join_screen(page, url)
    await page.get_by_label("Your name").fill(name)
    await page.locator("#join-button").click()
    await wait_state(page, "call")
    return page


async def test_names_and_chat_are_shown_as_text_on_the_call_page(tandem_server: Any,
                                                                  browser: Any) -> None:
    s = tandem_server.create_session(title="Check-in")
    mentor = await _watched(browser, s["join_urls"]["mentor"], f"Ana {HOSTILE}")
    mentee = await _watched(browser, s["join_urls"]["mentee"], "Ben")
    await wait_text(mentee, "#participant-list", f"Ana {HOSTILE}")
    await mentor.get_by_label("Write a message").fill(f"hi {HOSTILE}")
    await mentor.get_by_label("Write a message").press("Enter")
    await wait_text(mentee, "#chat-log", f"hi {HOSTILE}")
    await wait_text(mentor, "#chat-log", f"hi {HOSTILE}")
    # A breakout room's name, in the mentor's panel and on the page of the mentee moved there.
    rooms = ids_of(await command(mentor, "breakout_create", {"names": [f"Room {HOSTILE}"]}))
    await command(mentor, "breakout_assign", {"participant_id": await participant_id(mentee),
                                              "room": rooms[f"Room {HOSTILE}"]})
    await command(mentor, "breakout_open", {})
    await wait_text(mentor, "body", f"Room {HOSTILE}")
    await wait_text(mentee, "body", f"Room {HOSTILE}")
    await _clean(mentee)
    await _clean(mentor)
    await close_page(mentee)
    await close_page(mentor)


async def test_cohort_and_people_are_shown_as_text_in_the_console(tandem_server: Any,
                                                                   browser: Any) -> None:
    tandem_server.create_session(title=f"Title {HOSTILE}")
    tandem_server.call("POST", "/api/admins", {"name": f"Admin {HOSTILE}"}, expect=201)
    ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    await ctx.add_init_script(WATCH_JS)
    admin = await ctx.new_page()
    admin.set_default_timeout(WAIT_MS)
    await admin.goto(f"{tandem_server.base_url}/admin")
    await admin.get_by_label("Admin key").fill(tandem_server.admin_key)
    await admin.get_by_role("button", name="Sign in").click()
    await wait_text(admin, "body", f"Title {HOSTILE}")  # the sessions list
    await admin.get_by_role("button", name="Programme", exact=True).click()
    form = admin.locator("#cohort-form")
    await form.get_by_label("Programme").fill(f"P {HOSTILE}")
    await form.get_by_label("Cohort name").fill(f"C {HOSTILE}")
    await admin.get_by_role("button", name="Create cohort").click()
    await admin.get_by_role("heading", name=f"People of C {HOSTILE}").wait_for()
    csv = ("name,email,role,goals,languages\n"
           f"Ana {HOSTILE},ana@example.org,mentor,Goal {HOSTILE},English\n"
           f"Ben,ben@example.org,mentee,Goal {HOSTILE},English\n")
    await admin.get_by_label("CSV text (you can fix it here)").fill(csv)
    await admin.get_by_role("button", name="Import", exact=True).click()
    await admin.get_by_text("Imported 2 people (2 new, 0 updated).").wait_for()
    await admin.locator("#people-list tbody tr", has_text=f"Ana {HOSTILE}").wait_for()
    await admin.get_by_role("button", name="Admins and audit").click()
    await wait_text(admin, "#admins-panel", f"Admin {HOSTILE}")
    await _clean(admin)
    await ctx.close()


async def test_captions_are_shown_as_text(tandem_server: Any, browser: Any) -> None:
    s = tandem_server.create_session(title="Captioned", captions="keep")
    mentor = await _watched(browser, s["join_urls"]["mentor"], f"Ana {HOSTILE}")
    mentee = await _watched(browser, s["join_urls"]["mentee"], "Mia")
    link = tandem_server.call("POST", f"/api/sessions/{s['session_id']}/links",
                              {"role": "captioner"}, expect=201)
    captioner = await _watched(browser, link["url"], "Cai")
    await mentee.locator("#ctl-captions").click()
    await mentee.wait_for_function("() => window.tandemTestHooks.captionsOn")
    await command(captioner, "caption_text", {
        "speaker_id": await participant_id(mentor), "utterance": "u1",
        "text": f"said {HOSTILE}", "final": True})
    await wait_text(mentee, "#captions", f"Ana {HOSTILE}: said {HOSTILE}")
    await _clean(mentee)
    for page in (captioner, mentee, mentor):
        await close_page(page)
