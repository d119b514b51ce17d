"""The admin page's programme console in the pseudo-language (``?lang=en-XA``): every word the
console's sections draw comes from the language catalogue. Signed in, the admin imports a small
cohort (a wrong row first), runs matching (each pair's score and reasons in words, someone left
unmatched and why), forbids a pair and publishes; registers a webhook, sends it a test and reads
its delivery log; creates an admin (the key shown once) and reads the audit log, all of it and
one action's entries. At each step `assert_translated` (tests/e2e/languages.py) finds no text
outside the catalogue but what the test typed (names, terms, URLs) and identifiers shown as
such (`translate="no"`: actions, event names, CSV columns, targets, time zones).

The checks look inside the regions that the console's modules draw (web_client/admin/cohorts.js,
matching.js, webhooks.js, admins.js): the page's static text (admin.html) and the shared pieces of
admin/view.js (the Copy button) and admin/api.js (error texts) are checked by the admin page's
own language test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiohttp import web
from languages import assert_translated, pseudo_url
from tandem_pages import WAIT_MS

# Ana and Omar mentor; Ben shares Ana's goal and wants her skill, Cleo shares Omar's interest and
# wants his skill, Dev shares nothing and is left over. The first version says "coach", no role.
GOOD_CSV = """name,email,role,goals,interests,skills_offered,skills_wanted,languages,department
Ana Mentor,ana@example.org,mentor,Public speaking,,Python,,English,Physics
Omar Mentor,omar@example.org,mentor,,Chess,Design,,English,Art
Ben Mentee,ben@example.org,mentee,Public speaking,,,Python,English,History
Cleo Mentee,cleo@example.org,mentee,,Chess,,Design,English,Biology
Dev Mentee,dev@example.org,mentee,,,,,English,Law
"""
BAD_CSV = GOOD_CSV.replace(",mentor,,Chess", ",coach,,Chess")
PROGRAMME, COHORT = "Peer mentoring", "Pseudo cohort"
TYPED = [PROGRAMME, COHORT, "Ana Mentor", "Omar Mentor", "Ben Mentee", "Cleo Mentee", "Dev Mentee",
         "ana@example.org", "omar@example.org", "ben@example.org", "cleo@example.org",
         "dev@example.org", "Public speaking", "Chess", "Python", "Design", "English", "Physics",
         "Art", "History", "Biology", "Law"]

# What the programme view's modules draw (the person form's title and button while editing:
# until then they are the page's own).
COHORT_REGIONS = ("#cohort-select, #cohort-status, #people-title, #people-status, #people-list, "
                  "#person-error")
EDITING = f"{COHORT_REGIONS}, #person-form-title, #person-submit"
# The import's errors, but for the server's own words on what to fix (the third column).
IMPORT_ERRORS = ("#import-errors > h4, #import-errors caption, #import-errors thead, "
                 "#import-errors tbody tr > :not(:nth-child(3))")
MATCHING_REGIONS = ("#matching-status, #proposal-summary, #proposal-pairs, #proposal-forbidden, "
                    "#proposal-unmatched, #publish-error, #matches-list")
# The once-shown boxes, but for admin/view.js's Copy button (its name is checked apart).
WEBHOOK_REGIONS = ("#webhook-events label, #webhook-error, #webhook-secret h3, #webhook-secret p, "
                   "#webhook-secret label, #webhooks-status, #webhooks-list, #webhook-deliveries")
ADMIN_REGIONS = ("#admin-key h3, #admin-key p, #admin-key label, #admin-error, #admins-status, "
                 "#admins-list, #audit-status, #audit-list, #audit-limit")


async def admin_page(browser: Any, base_url: str, key: str) -> Any:
    ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await ctx.new_page()
    page.set_default_timeout(WAIT_MS)
    page.on("pageerror", lambda err: print(f"[page error] {err}"))
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.goto(pseudo_url(f"{base_url}/admin"))
    await page.locator("#key-input").fill(key)
    await page.locator("#key-form button[type=submit]").click()
    await page.locator("#views-nav").wait_for()
    return page


async def open_view(page: Any, view: str) -> None:
    await page.locator(f'#views-nav button[data-view="{view}"]').click()
    await page.locator(f"#view-{view}").wait_for()


async def copy_button_named(page: Any, box: str) -> None:
    """The Copy button of a once-shown box has its name from the catalogue."""
    name = await page.locator(f"{box} button").get_attribute("aria-label")
    assert name and name.startswith("⟦") and name.endswith("⟧"), name


async def test_cohorts_and_matching_speak_through_the_catalogue(tandem_server: Any,
                                                                browser: Any) -> None:
    page = await admin_page(browser, tandem_server.base_url, tandem_server.admin_key)
    await open_view(page, "programme")
    await page.locator("#cohort-programme").fill(PROGRAMME)
    await page.locator("#cohort-name").fill(COHORT)
    await page.locator("#cohort-form button[type=submit]").click()
    await page.locator("#people-title", has_text=f"People of {COHORT}").wait_for()
    await page.locator("#people-list", has_text="Nobody in this cohort yet.").wait_for()
    await page.locator("#cohort-status", has_text=f"Created the cohort {COHORT}").wait_for()
    await assert_translated(page, "a new cohort", TYPED, root=COHORT_REGIONS)

    # A wrong row: the errors table, its row and column (the column's CSV name as it is).
    await page.locator("#import-text").fill(BAD_CSV)
    await page.locator("#import-form button[type=submit]").click()
    errors = page.locator("#import-errors")
    await errors.get_by_text("1 row has errors: nothing was imported.").wait_for()
    assert await errors.locator("tbody td code[translate=no]").first.inner_text() == "role"
    await assert_translated(page, "an import's errors", TYPED, root=IMPORT_ERRORS)

    await page.locator("#import-text").fill(GOOD_CSV)
    await page.locator("#import-form button[type=submit]").click()
    imported = "Imported 5 people (5 new, 0 updated)."
    await page.locator("#people-status", has_text=imported).wait_for()
    await page.locator("#people-list tbody tr").nth(4).wait_for()
    caption = await page.locator("#people-list caption").inner_text()
    assert caption == "⟦5 people: 2 mentors, 3 mentees⟧", caption
    await assert_translated(page, "the cohort's people", TYPED, root=COHORT_REGIONS)
    # Editing a person: the form's title and button change words.
    dev = page.locator("#people-list tbody tr", has_text="Dev Mentee")
    await dev.locator("button").first.click()
    await page.locator("#person-form-title", has_text="Edit Dev Mentee").wait_for()
    await assert_translated(page, "editing a person", TYPED, root=EDITING)
    await page.locator("#person-cancel").click()

    # Matching: scores and reasons in words, Dev unmatched and why.
    await page.locator("#rules-form button[type=submit]").click()
    await page.locator("#proposal-summary", has_text="Proposed 2 pairs").wait_for()
    await page.locator("#matching-status", has_text="Matching done.").wait_for()
    ana_ben = page.locator("#proposal-pairs tbody tr", has_text="Ben Mentee")
    why = await ana_ben.locator("td").nth(2).inner_text()
    assert "⟦Goals ⟦+" in why and "both want Public speaking" in why, why
    assert "both speak English" in why, why
    await page.locator("#proposal-unmatched tbody tr", has_text="Dev Mentee").wait_for()
    await assert_translated(page, "a proposal", TYPED, root=MATCHING_REGIONS)

    # A forbidden pair, run again; then published: the matches with their days and frequency.
    await ana_ben.get_by_role("button", name="Forbid Ana Mentor and Ben Mentee").click()
    await page.locator("#matching-status", has_text="Forbade Ana Mentor and Ben Mentee").wait_for()
    await page.locator("#rules-form button[type=submit]").click()
    await page.locator("#proposal-forbidden", has_text="Ana Mentor and Ben Mentee").wait_for()
    await page.locator("#proposal-pairs tbody tr", has_text="Dev Mentee").wait_for()
    await assert_translated(page, "a proposal with a forbidden pair", TYPED, root=MATCHING_REGIONS)
    await page.locator("#publish-form button[type=submit]").click()
    await page.locator("#matching-status", has_text="Published 2 matches.").wait_for()
    await page.locator("#matches-list tbody tr").nth(1).wait_for()
    row = await page.locator("#matches-list tbody tr").first.inner_text()
    assert "⟦Weekly⟧" in row and "⟦published⟧" in row, row
    await assert_translated(page, "published matches", TYPED, root=MATCHING_REGIONS)
    await page.context.close()


# ------------------------------------------------------------------------- webhooks and admins


@pytest.fixture(scope="module")
def hooks_server(own_server: Any) -> Iterator[Any]:
    with own_server(flags=["--webhooks-allow-private"]) as server:
        yield server


@pytest.fixture
async def receiver_url() -> AsyncIterator[str]:
    """A webhook receiver on 127.0.0.1 that takes everything."""

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    finally:
        await runner.cleanup()


async def test_webhooks_speak_through_the_catalogue(hooks_server: Any, browser: Any,
                                                    receiver_url: str) -> None:
    page = await admin_page(browser, hooks_server.base_url, hooks_server.admin_key)
    await open_view(page, "webhooks")
    await page.locator("#webhooks-list", has_text="No webhooks yet.").wait_for()
    # A refusal of the form, then the webhook.
    await page.locator("#webhook-url").fill(receiver_url)
    await page.locator("#webhook-form button[type=submit]").click()
    await page.locator("#webhook-error", has_text="Choose at least one event.").wait_for()
    await assert_translated(page, "the webhook form refused", [receiver_url], root=WEBHOOK_REGIONS)
    await page.locator('#webhook-events input[value="session.ended"]').check()
    await page.locator("#webhook-description").fill("Attendance to the CRM")
    await page.locator("#webhook-form button[type=submit]").click()
    await page.locator("#webhook-secret h3", has_text=receiver_url).wait_for()
    await page.locator("#webhooks-list tbody tr").first.wait_for()
    typed = [receiver_url, "Attendance to the CRM"]
    await assert_translated(page, "a new webhook and its secret", typed, root=WEBHOOK_REGIONS)
    await copy_button_named(page, "#webhook-secret")

    # A test, followed in the log until it is delivered.
    await page.locator("#webhooks-list tbody tr button").nth(1).click()  # Send a test
    await page.locator("#webhooks-status", has_text="was delivered").wait_for()
    delivered = page.locator("#webhook-deliveries tbody tr", has_text="ping")
    assert "⟦HTTP 204⟧" in await delivered.inner_text()
    await assert_translated(page, "the delivery log", typed, root=WEBHOOK_REGIONS)
    await page.context.close()


async def test_admins_and_the_audit_log_speak_through_the_catalogue(hooks_server: Any,
                                                                    browser: Any) -> None:
    page = await admin_page(browser, hooks_server.base_url, hooks_server.admin_key)
    await open_view(page, "admins")
    await page.locator("#audit-status", has_text="⟦").wait_for()
    await assert_translated(page, "the admins view", root=ADMIN_REGIONS)

    await page.locator("#admin-name").fill("Rosa")
    await page.locator("#admin-email").fill("rosa@example.org")
    await page.locator("#admin-form button[type=submit]").click()
    await page.locator("#admin-key h3", has_text="The key of Rosa").wait_for()
    await page.locator("#admins-list tbody tr", has_text="Rosa").wait_for()
    await page.locator("#audit-list tbody tr", has_text="admin.created").wait_for()
    typed = ["Rosa", "rosa@example.org"]
    await assert_translated(page, "a new admin's key, the admins and the audit log", typed,
                            root=ADMIN_REGIONS)
    await copy_button_named(page, "#admin-key")
    entry = await page.locator("#audit-list tbody tr", has_text="admin.created").inner_text()
    assert "⟦Created an admin⟧" in entry and "⟦owner⟧" in entry, entry

    # One action's entries.
    await page.locator("#audit-action").fill("admin.created")
    await page.locator("#audit-form button[type=submit]").click()
    await page.locator("#audit-list caption", has_text="(admin.created only)").wait_for()
    await page.locator("#audit-status", has_text="All 1 entry.").wait_for()
    await assert_translated(page, "one action's entries", typed, root=ADMIN_REGIONS)
    await page.context.close()
