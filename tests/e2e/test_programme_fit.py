"""A programme's pair in the call page, in real Chromium: a cohort of a mentor and a mentee made
over REST, matched, published and given a session that started a few minutes ago. The mentor
joins by their personal link and sees their mentee's goals in the people panel; the mentee, who
sees no such section, joins, leaves, is asked "is this a good fit?" (said to be seen by the
programme's coordinators only), answers "Not sure" from the keyboard and is thanked in a polite
status line; the cohort's match health then shows the answer.

Set TANDEM_E2E_SCREENSHOTS=/some/dir for screenshots of the panel and the question.
"""

from __future__ import annotations

import os
import urllib.request
from datetime import UTC, date, datetime, timedelta
from typing import Any

from axe import assert_accessible
from tandem_pages import WAIT_MS, close_page, join, new_page, open_join_screen, wait_state

CSV = """name,email,role,languages,goals
Maya Mentor,maya@example.org,mentor,English,
Tom Mentee,tom@example.org,mentee,English,Build a portfolio;Change careers
"""


async def shot(page: Any, name: str) -> None:
    folder = os.environ.get("TANDEM_E2E_SCREENSHOTS")
    if folder:
        await page.screenshot(path=os.path.join(folder, f"fit-{name}.png"), full_page=True)


def import_csv(server: Any, cohort_id: str, text: str) -> None:
    req = urllib.request.Request(
        f"{server.base_url}/api/cohorts/{cohort_id}/import", data=text.encode(), method="POST",
        headers={**server.headers, "Content-Type": "text/csv"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(req, timeout=10) as reply:
        assert reply.status == 200


def pair_session(server: Any) -> tuple[str, str, dict[str, str]]:
    """A cohort with one published match and its session, started three minutes ago: the
    cohort's id, the match's id, and each person's link by name."""
    cohort = server.call("POST", "/api/cohorts",
                         {"programme": "Peer mentoring", "name": "Fit cohort"}, expect=201)
    import_csv(server, cohort["id"], CSV)
    proposal = server.call("POST", f"/api/cohorts/{cohort['id']}/proposal", {})
    assert len(proposal["pairs"]) == 1, proposal
    published = server.call("POST", f"/api/cohorts/{cohort['id']}/publish",
                            {"starts_on": date.today().isoformat(), "weeks": 12})
    match_id = published["matches"][0]["id"]
    starts = (datetime.now(UTC) - timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M")
    schedule = server.call("POST", f"/api/cohorts/{cohort['id']}/schedules", {
        "match_id": match_id, "title": "Maya and Tom", "starts": starts, "time_zone": "UTC",
        "minutes": 60}, expect=201)
    links = {link["name"]: link["url"] for link in schedule["sessions"][0]["links"]}
    return cohort["id"], match_id, links


async def test_a_mentor_sees_their_mentees_goals_and_the_mentee_answers_the_fit_question(
    tandem_server: Any, browser: Any
) -> None:
    cohort_id, match_id, links = pair_session(tandem_server)
    mentor = await join(browser, links["Maya Mentor"])
    goals = mentor.get_by_role("region", name="Your mentees' goals")
    await goals.wait_for()
    assert await goals.get_by_role("listitem").all_inner_texts() == [
        "Tom Mentee: Build a portfolio, Change careers"]
    await mentor.get_by_role("button", name="Not now").click()  # the check-in card
    await goals.scroll_into_view_if_needed()
    await shot(mentor, "1-mentor-goals")
    await assert_accessible(mentor, "the mentor's call with the mentees' goals")

    # The mentee's page asks too, and gets no one's goals: the section stays hidden.
    mentee = None
    try:
        mentee = await new_page(browser)
        await open_join_screen(mentee, links["Tom Mentee"])
        async with mentee.expect_response(lambda r: r.url.endswith("/api/mine")) as mine:
            await mentee.locator("#join-button").click()
            await wait_state(mentee, "call")
        assert await (await mine.value).json() == {"mentees": [], "ask_fit": True}
        assert await mentee.locator("#mentee-goals").is_hidden()

        await mentee.locator("#ctl-leave").click()
        choices = mentee.get_by_role("group", name="Is this a good fit?")
        await choices.wait_for()
        privacy = mentee.locator("#fit-privacy")
        assert await privacy.inner_text() == (
            "Only your programme's coordinators see your answer; your mentor is not told.")
        assert await choices.get_attribute("aria-describedby") == "fit-intro fit-privacy"
        assert await choices.get_by_role("button").all_inner_texts() == [
            "Good fit", "Not sure", "Not a good fit"]
        assert await mentee.get_by_role("button", name="Skip").is_visible()
        await shot(mentee, "2-mentee-question")
        await assert_accessible(mentee, "the fit question after leaving")

        # Answered from the keyboard; the thanks come in the polite status line.
        await choices.get_by_role("button", name="Not sure").focus()
        await mentee.keyboard.press("Enter")
        status = mentee.locator("#fit-status")
        await mentee.wait_for_function(
            "() => document.getElementById('fit-status').textContent.startsWith('Thank you')",
            timeout=WAIT_MS)
        assert await status.get_attribute("role") == "status"
        assert await status.inner_text() == (
            "Thank you. “Not sure” went to your programme's coordinators only.")
        assert await choices.count() == 0
        await shot(mentee, "3-mentee-answered")
        await assert_accessible(mentee, "the fit question, answered")

        health = tandem_server.call("GET", f"/api/cohorts/{cohort_id}/health")
        pair = next(p for p in health["pairs"] if p["match_id"] == match_id)
        assert pair["fit"] == "not_sure"
        # The mentor, still in the call, is asked nothing meanwhile.
        assert await mentor.locator("#fit-question").count() == 0
    finally:
        if mentee is not None:
            await close_page(mentee)
        await close_page(mentor)
