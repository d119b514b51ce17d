"""Signing out of the admin console ("Forget the key") leaves nothing it showed in the page: on
a shared computer the next person finds no names, e-mail addresses or goals of the programme's
people, neither on screen nor in the page's hidden parts or its form fields (nor the key)."""

from __future__ import annotations

from typing import Any

from tandem_pages import WAIT_MS

CSV = ("name,email,role,goals,languages\n"
       "Ana Quillfeather,ana.q@example.org,mentor,Career change,English\n"
       "Ben Brightwater,ben.b@example.org,mentee,Exam anxiety,English\n")
HELD_JS = """() => document.documentElement.textContent + "\\n" +
  [...document.querySelectorAll("input, textarea")].map((e) => e.value).join("\\n")"""


async def test_signing_out_leaves_no_personal_data_in_the_page(tandem_server: Any,
                                                                browser: Any) -> None:
    ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    admin = await ctx.new_page()
    admin.set_default_timeout(WAIT_MS)
    await admin.goto(f"{tandem_server.base_url}/admin")
    await admin.get_by_label("Admin key").fill(tandem_server.admin_key)
    await admin.get_by_role("button", name="Sign in").click()
    await admin.get_by_role("button", name="Programme", exact=True).click()
    form = admin.locator("#cohort-form")
    await form.get_by_label("Programme").fill("P")
    await form.get_by_label("Cohort name").fill("Sign-out cohort")
    await admin.get_by_role("button", name="Create cohort").click()
    await admin.get_by_role("heading", name="People of Sign-out cohort").wait_for()
    await admin.get_by_label("CSV text (you can fix it here)").fill(CSV)
    await admin.get_by_role("button", name="Import", exact=True).click()
    await admin.locator("#people-list tbody tr", has_text="Ben Brightwater").wait_for()

    await admin.get_by_role("button", name="Forget the key").click()
    await admin.locator("#status", has_text="The key is forgotten in this tab.").wait_for()
    await admin.get_by_label("Admin key").wait_for()
    held = await admin.evaluate(HELD_JS)
    for value in ("Quillfeather", "Brightwater", "ana.q@", "ben.b@", "Exam anxiety",
                  "Career change", tandem_server.admin_key):
        assert value not in held, value
    assert await admin.evaluate("() => sessionStorage.length") == 0
    await ctx.close()
