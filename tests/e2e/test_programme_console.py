"""The programme console end to end in real Chromium: an admin creates a cohort on /admin,
imports its people from a CSV (a wrong row first: nothing is imported and the row's error is
shown; fixed, everyone is), runs matching, reads each pair's score and reasons, forbids a pair
and runs again, publishes, schedules a weekly group session and copies a mentee's personal link
with the Copy button (read back from the clipboard). The mentee opens that link and joins under
their roster name; their mentor opens theirs, and "Rooms from the session's groups" puts the
mentee in their own pair's room.

Set TANDEM_E2E_SCREENSHOTS=/some/dir for a screenshot of every stage.
"""

from __future__ import annotations

import asyncio
import os
from datetime import date, timedelta
from typing import Any

from axe import assert_accessible
from tandem_pages import WAIT_MS, close_page, open_join_screen, participant_id, room_ids, wait_state

# Ana and Omar mentor one mentee each. Ben shares Ana's goal and wants her skill, Cleo shares
# Omar's interest and wants his skill; Dev shares nothing, so is left over. The first data row
# says "coach", which is no role.
BAD_CSV = """name,email,role,goals,interests,skills_offered,skills_wanted,languages,department
Ana Mentor,ana@example.org,mentor,Public speaking,,Python,,English,Physics
Omar Mentor,omar@example.org,coach,,Chess,Design,,English,Art
Ben Mentee,ben@example.org,mentee,Public speaking,,,Python,English,History
Cleo Mentee,cleo@example.org,mentee,,Chess,,Design,English,Biology
Dev Mentee,dev@example.org,mentee,,,,,English,Law
"""
GOOD_CSV = BAD_CSV.replace(",coach,", ",mentor,")


async def shot(page: Any, name: str) -> None:
    folder = os.environ.get("TANDEM_E2E_SCREENSHOTS")
    if folder:
        await page.evaluate("() => window.scrollTo(0, 0)")  # sticky table heads sit in place
        await page.screenshot(path=os.path.join(folder, f"console-{name}.png"), full_page=True)


async def person_page(browser: Any, **context: Any) -> Any:
    ctx = await browser.new_context(viewport={"width": 1280, "height": 800}, **context)
    page = await ctx.new_page()
    page.set_default_timeout(WAIT_MS)
    page.on("pageerror", lambda err: print(f"[page error] {err}"))
    return page


def pair_rows(page: Any) -> Any:
    return page.locator("#proposal-pairs tbody tr")


async def proposed_pairs(page: Any) -> dict[tuple[str, str], tuple[str, str]]:
    """(mentor, mentee) -> (score, why) as the proposal table shows them, read at one moment
    (a table the page redraws meanwhile is never read half old, half new)."""
    rows = await pair_rows(page).evaluate_all(
        "rows => rows.map(r => [...r.querySelectorAll('th, td')].slice(0, 4)"
        ".map(c => c.innerText.trim()))")
    return {(mentor, mentee): (score, why) for mentor, mentee, score, why in rows}


async def test_an_admin_runs_a_programme_from_the_console_and_a_mentee_joins_by_their_link(
    tandem_server: Any, browser: Any
) -> None:
    admin = await person_page(browser, permissions=["clipboard-read", "clipboard-write"])
    await admin.goto(f"{tandem_server.base_url}/admin")
    await assert_accessible(admin, "the admin page's sign-in")
    await admin.get_by_label("Admin key").fill(tandem_server.admin_key)
    await admin.get_by_role("button", name="Sign in").click()
    await admin.get_by_role("button", name="Programme", exact=True).click()

    # A cohort.
    cohort_form = admin.locator("#cohort-form")
    await cohort_form.get_by_label("Programme").fill("Peer mentoring")
    await cohort_form.get_by_label("Cohort name").fill("Console cohort")
    await admin.get_by_role("button", name="Create cohort").click()
    await admin.get_by_role("heading", name="People of Console cohort").wait_for()
    await shot(admin, "1-cohort")
    await assert_accessible(admin, "the admin page, programme console with a cohort")

    # A wrong row: nothing is imported, and the table says which row and column to fix.
    await admin.get_by_label("CSV text (you can fix it here)").fill(BAD_CSV)
    await admin.get_by_role("button", name="Import", exact=True).click()
    errors = admin.locator("#import-errors")
    await errors.get_by_text("1 row has errors: nothing was imported.").wait_for()
    first = errors.locator("tbody tr").first
    assert await first.locator("th").inner_text() == "2"
    assert await first.locator("td").first.inner_text() == "role"
    assert await first.locator("td").nth(1).inner_text() == (
        "The role is “mentor” or “mentee”, not “coach”.")
    assert await admin.locator("#people-list").inner_text() == "Nobody in this cohort yet."
    await admin.locator("#people-status", has_text="1 row has errors").wait_for()
    await shot(admin, "2-import-errors")
    await assert_accessible(admin, "the programme console with import errors")
    # "Show" selects the row in the text box, where it is fixed.
    await errors.get_by_role("button", name="Show row 2 in the CSV text").click()
    selected = await admin.evaluate(
        "() => { const t = document.getElementById('import-text');"
        " return t.value.slice(t.selectionStart, t.selectionEnd); }")
    assert selected.startswith("Omar Mentor,")
    await admin.get_by_label("CSV text (you can fix it here)").fill(GOOD_CSV)
    await admin.get_by_role("button", name="Import", exact=True).click()
    await admin.get_by_text("Imported 5 people (5 new, 0 updated).").wait_for()
    assert await errors.is_hidden()
    await admin.locator("#people-list tbody tr").nth(4).wait_for()
    await shot(admin, "3-people")
    # A person is edited in place: the form opens with what they hold, and saves over it.
    await admin.get_by_role("button", name="Edit Dev Mentee").click()
    assert await admin.locator("#person-name").input_value() == "Dev Mentee"
    await assert_accessible(admin, "the programme console editing a person")
    await admin.locator("#person-department").fill("Physics")
    await admin.get_by_role("button", name="Save changes").click()
    await admin.locator("#people-status", has_text="Saved Dev Mentee.").wait_for()
    await admin.locator("#people-list tbody tr", has_text="Dev Mentee").filter(
        has_text="Physics").wait_for()

    # Matching: every pair with its score and why; Dev is left over, with the reason.
    await admin.get_by_role("button", name="Run matching").click()
    await admin.locator("#proposal-summary").get_by_text("Proposed 2 pairs").wait_for()
    pairs = await proposed_pairs(admin)
    assert set(pairs) == {("Ana Mentor", "Ben Mentee"), ("Omar Mentor", "Cleo Mentee")}, pairs
    for score, why in pairs.values():
        assert float(score) > 0 and why
    assert "Goals +" in pairs[("Ana Mentor", "Ben Mentee")][1]
    unmatched = admin.locator("#proposal-unmatched tbody tr")
    assert (await unmatched.count()) == 1
    assert "Dev Mentee" in await unmatched.first.inner_text()
    assert "Every compatible mentor (2) is full." in await unmatched.first.inner_text()
    await shot(admin, "4-proposal")
    await assert_accessible(admin, "the programme console with a proposal")

    # Forbid Ana and Ben, run again: they are not proposed, and the forbidden list says so.
    await admin.get_by_role("button", name="Forbid Ana Mentor and Ben Mentee").click()
    assert await admin.get_by_role(
        "button", name="Forbid Ana Mentor and Ben Mentee").get_attribute("aria-pressed") == "true"
    await admin.get_by_role("button", name="Run matching").click()
    await admin.locator("#proposal-forbidden").get_by_text("Ana Mentor and Ben Mentee").wait_for()
    # the new proposal is drawn once Ana is proposed with Dev, whom Ben's place frees for her
    await pair_rows(admin).filter(has_text="Dev Mentee").wait_for()
    pairs = await proposed_pairs(admin)
    assert ("Ana Mentor", "Ben Mentee") not in pairs and ("Omar Mentor", "Cleo Mentee") in pairs
    await shot(admin, "5-proposal-after-forbid")

    # Publish, then a weekly group session for everyone matched.
    await admin.get_by_role("button", name="Publish matches").click()
    await admin.locator("#matches-list tbody tr").nth(len(pairs) - 1).wait_for()
    form = admin.locator("#schedule-form")
    await form.get_by_label("Who meets").select_option(label="Everyone matched (a group session)")
    await form.get_by_label("Title").fill("Monthly circle")
    tomorrow = date.today() + timedelta(days=1)
    await form.get_by_label("First session (local time)").fill(f"{tomorrow.isoformat()}T18:00")
    await form.get_by_label("Time zone").fill("Europe/Madrid")
    await form.get_by_label("Repeat").select_option("weekly")
    await form.get_by_label("Sessions", exact=True).fill("2")
    await admin.get_by_role("button", name="Schedule", exact=True).click()
    await admin.get_by_role("heading", name="Monthly circle: Everyone matched").wait_for()
    links = admin.locator(".links-table tbody tr")
    await links.nth(2 * (2 * len(pairs)) - 1).wait_for()  # everyone matched, two sessions

    # Copy Cleo's link for the first session: "Copied" shows, and the clipboard holds it.
    copy = admin.get_by_role("button", name="Copy the link of Cleo Mentee for session 1")
    await copy.click()
    await admin.locator(".links-table .copied", has_text="Copied").wait_for()
    await admin.get_by_text("Copied Cleo Mentee's link for session 1.").wait_for()
    cleo_link = await admin.evaluate("() => navigator.clipboard.readText()")
    shown = admin.get_by_label("Personal link of Cleo Mentee, session 1")
    assert cleo_link == await shown.input_value()
    omar_link = await admin.get_by_label("Personal link of Omar Mentor, session 1").input_value()
    assert cleo_link.startswith(tandem_server.base_url) and cleo_link != omar_link
    await shot(admin, "6-session-links")
    await assert_accessible(admin, "the programme console with session links")

    # Cleo opens her link: the join page knows her name; she joins as a mentee.
    cleo = await person_page(browser)
    await open_join_screen(cleo, cleo_link)
    assert await cleo.get_by_label("Your name").input_value() == "Cleo Mentee"
    await cleo.locator("#join-button").click()
    await wait_state(cleo, "call")
    cleo_id = await participant_id(cleo)
    await shot(cleo, "7-mentee-in-call")

    # Omar opens his: "Rooms from the session's groups" puts Cleo in his pair's room.
    omar = await person_page(browser)
    await open_join_screen(omar, omar_link)
    await omar.locator("#join-button").click()
    await wait_state(omar, "call")
    panel = omar.locator("#breakouts-panel")
    await panel.get_by_role("button", name="Rooms from the session's groups").click()
    await panel.locator(".bo-draft .bo-room").nth(1).wait_for()
    rooms = await room_ids(omar)
    own, other = rooms["Omar Mentor's group"], rooms["Ana Mentor's group"]
    card = omar.locator(f'#breakouts-panel .bo-room[data-room="{own}"]')
    await card.locator(f'.bo-person[data-pid="{cleo_id}"]').wait_for()
    assert "Cleo Mentee" in await card.inner_text()
    assert "Cleo Mentee" not in await omar.locator(
        f'#breakouts-panel .bo-room[data-room="{other}"]').inner_text()
    # Only a mentor has the panel: Cleo came in as a mentee.
    assert await cleo.locator("#breakouts-panel").count() == 0 or await cleo.locator(
        "#breakouts-panel").is_hidden()
    await shot(omar, "8-mentor-groups")
    await assert_accessible(omar, "the mentor's call, breakout panel with the session's groups")

    # At the programme's end the admin deletes the cohort (after confirming): it is gone.
    admin.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await admin.get_by_role("button", name="Delete this cohort").click()
    await admin.locator("#cohort-status", has_text="Deleted the cohort").wait_for()
    # (Other tests' cohorts may remain on the shared server: this one is no longer offered.)
    await admin.locator("#cohort-select option", has_text="Console cohort").wait_for(
        state="detached")
    assert await admin.get_by_role("heading", name="People of Console cohort").count() == 0

    for page in (cleo, omar, admin):
        await close_page(page)
