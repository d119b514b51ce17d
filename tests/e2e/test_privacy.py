"""Privacy of the page, in real Chromium: on a shared computer a personal link opens as its own
person, never as whoever used the browser before; the check-in card and the rating form say who
will see what, share nothing with the mentor unless the person chooses to, and the mentor's
overview follows that choice."""

from __future__ import annotations

import json
from typing import Any

from tandem_pages import join, open_join_screen, participant_id, wait_state, wait_text

SAVED_JS = """() => Object.keys(localStorage).filter((k) => k.startsWith("tandem:session:"))
  .map((k) => localStorage.getItem(k))"""


async def test_a_second_persons_link_in_the_same_browser_opens_as_them(
    tandem_server: Any, browser: Any
) -> None:
    s = tandem_server.create_session(
        title="Shared computer",
        participants=[{"name": "Ben Mentee", "role": "mentee", "id": "ben"},
                      {"name": "Cleo Mentee", "role": "mentee", "id": "cleo"}])
    links = {p["person_id"]: p["url"] for p in s["personal_links"]}
    page = await join(browser, links["ben"])  # one context: one browser, one localStorage
    ben = await participant_id(page)
    ben_resume = json.loads((await page.evaluate(SAVED_JS))[0])["resume"]

    # Cleo opens her link in the same browser while Ben's page was still in the call (it would
    # go straight back in as Ben within ten minutes): she gets her own join screen.
    await page.goto(links["cleo"])
    await wait_state(page, "join")
    await wait_text(page, "#join-role", "Hello Cleo Mentee")
    assert await page.get_by_label("Your name").input_value() == "Cleo Mentee"
    assert ben_resume not in json.dumps(await page.evaluate(SAVED_JS))  # Ben's is gone
    await page.wait_for_function("() => !document.getElementById('join-button').disabled")
    await page.locator("#join-button").click()
    await wait_state(page, "call")
    cleo = await participant_id(page)
    assert cleo != ben
    (kept,) = [json.loads(e) for e in await page.evaluate(SAVED_JS)]
    assert (kept["participantId"], kept["name"]) == (cleo, "Cleo Mentee")

    # Leaving, then Ben's link again: Ben's join screen, without Cleo's name or credential.
    await page.get_by_role("button", name="Leave").click()
    await wait_state(page, "left")
    cleo_resume = json.loads((await page.evaluate(SAVED_JS))[0])["resume"]
    await open_join_screen(page, links["ben"])
    await wait_text(page, "#join-role", "Hello Ben Mentee")
    assert cleo_resume not in json.dumps(await page.evaluate(SAVED_JS))
    await page.context.close()


async def test_the_check_in_and_rating_say_who_sees_them_and_share_only_by_choice(
    tandem_server: Any, browser: Any
) -> None:
    s = tandem_server.create_session(
        title="Private feedback",
        participants=[{"name": "Ana Mentor", "role": "mentor", "id": "ana"},
                      {"name": "Ben Mentee", "role": "mentee", "id": "ben"}])
    links = {p["person_id"]: p["url"] for p in s["personal_links"]}
    ana = await join(browser, links["ana"])
    ben = await join(browser, links["ben"])

    # The check-in card says who reads it; sharing with the mentor is off until ticked.
    card = ben.locator("#checkin-card")
    await wait_text(ben, "#checkin-card", "your programme's admins can read it either way")
    share_goal = card.get_by_label("Show it to my mentor")
    assert not await share_goal.is_checked()
    await ben.get_by_label("What do you want from this session?").fill("Talk about my exams")
    await card.get_by_role("button", name="Save").click()
    await wait_text(ben, "#checkin-card", "saved")

    # The mentor's overview shows that Ben checked in, not what he wrote.
    await ana.get_by_role("button", name="Participation").click()
    await wait_text(ana, '#participation-panel tr[data-person="ben"]', "Checked in (private)")
    assert "Talk about my exams" not in await ana.locator("#participation-panel").inner_text()

    # The rating form says who sees what; anonymous and sharing exclude each other.
    await ben.get_by_role("button", name="Leave").click()
    await wait_state(ben, "left")
    form = ben.locator("#rating-form")
    await wait_text(ben, "#rating-form", "Your mentor sees only that you rated")
    await wait_text(ben, "#rating-form", "nobody sees your name")
    share = form.get_by_label("Share my rating and comment with my mentor")
    anonymous = form.get_by_label("Send without my name")
    assert not await share.is_checked() and not await anonymous.is_checked()
    await anonymous.check()
    assert await share.is_disabled()
    await anonymous.uncheck()
    await share.check()
    await ben.locator("#rating-form label[for='rating-4']").click()
    await form.get_by_label("Anything to add? (optional)").fill("Very kind and clear")
    await form.get_by_role("button", name="Send rating").click()
    await wait_text(ben, "#rating-form", "Thank you")

    # Shared: the mentor reads the rating and the comment, still not the check-in.
    await wait_text(ana, '#participation-panel tr[data-person="ben"]', "Very kind and clear")
    row = await ana.locator('#participation-panel tr[data-person="ben"]').inner_text()
    assert "4/5" in row and "Talk about my exams" not in row
    await wait_text(ana, ".participation-summary", "Ratings so far: 1, average 4/5.")
    report = tandem_server.call("GET", f"/api/attendance/sessions/{s['session_id']}")
    ben_row = next(p for p in report["people"] if p["person_id"] == "ben")
    assert (ben_row["check_in"], ben_row["check_in_shared"]) == ("Talk about my exams", False)
    assert (ben_row["rating"], ben_row["rating_shared"]) == (4, True)
    for p in (ana, ben):
        await p.context.close()
