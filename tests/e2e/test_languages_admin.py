"""The admin page in other languages, in real Chromium.

In the pseudo-language (``?lang=en-XA``, every catalogue message between ⟦ ⟧) the sign-in, the
sessions list (with a session's transcript buttons), the programme summary, one session's
attendance report (a session a mentee has joined: the table, the timeline, the links), and the programme console's sessions and match health show no word outside
the catalogue but the names and titles this test made. The cohort, people, matching, webhooks and
admins sections are checked by their own test; here they are left out of the check
(``translate="no"`` for the moment of it). In Spanish the page speaks Spanish and passes axe.
"""

from __future__ import annotations

import os
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from axe import assert_accessible
from languages import assert_translated, pseudo_url, untranslated
from tandem_pages import close_page, join, new_page, wait_text

# The console sections whose words another part of the page's conversion owns.
OTHERS = ["#cohort-panel", "#people-panel", "#matching-panel"]

SKIP_OTHERS_JS = """
([selectors, on]) => {
  for (const s of selectors) {
    const e = document.querySelector(s);
    if (on) e.setAttribute("translate", "no"); else e.removeAttribute("translate");
  }
}
"""

PEOPLE_CSV = (
    "name,email,role,languages,time_zone\n"
    "Iris Mentor,iris@example.org,mentor,English,Europe/Madrid\n"
    "Noel Mentee,noel@example.org,mentee,English,America/New_York\n"
)


async def shot(page: Any, name: str) -> None:
    folder = os.environ.get("TANDEM_E2E_SCREENSHOTS")
    if folder:
        await page.screenshot(path=os.path.join(folder, f"admin-languages-{name}.png"), full_page=True)


async def published_cohort(server: Any, programme: str) -> dict[str, Any]:
    """A cohort of one mentor and one mentee, matched, published and with a weekly group
    session scheduled, made through the admin API."""
    auth = {"Authorization": f"Bearer {server.admin_key}"}
    async with aiohttp.ClientSession(server.base_url, headers=auth) as http:

        async def call(method: str, path: str, expect: int = 200, **kw: Any) -> Any:
            async with http.request(method, path, **kw) as resp:
                assert resp.status == expect, await resp.text()
                return await resp.json()

        cohort = await call("POST", "/api/cohorts", 201, json={"programme": programme, "name": "Autumn"})
        base = f"/api/cohorts/{cohort['id']}"
        await call("POST", f"{base}/import", data=PEOPLE_CSV, headers={"Content-Type": "text/csv"})
        await call("POST", f"{base}/proposal", json={"max_time_zone_hours": None})
        await call("POST", f"{base}/publish", json={
            "starts_on": date.today().isoformat(), "weeks": 8, "frequency": "weekly"})
        tomorrow = date.today() + timedelta(days=1)
        await call("POST", f"{base}/schedules", 201, json={
            "title": "Circle time", "starts": f"{tomorrow.isoformat()}T18:00",
            "time_zone": "Europe/Madrid", "minutes": 45, "repeat": "weekly", "count": 2})
    return dict(cohort)


async def sign_in(page: Any, url: str, key: str) -> None:
    await page.goto(url)
    await page.locator("#key-input").fill(key)
    await page.locator("#key-form button[type=submit]").click()
    await page.locator("#sessions-panel").wait_for()


async def show_programme(page: Any, cohort_id: str) -> None:
    """The programme console with this cohort: its schedule card and health table drawn."""
    await page.locator('#views-nav [data-view="programme"]').click()
    await page.locator(f'#cohort-select option[value="{cohort_id}"]').wait_for(state="attached")
    await page.locator("#cohort-select").select_option(cohort_id)
    await page.locator("#schedules-list .links-table tbody tr").nth(3).wait_for()
    await page.locator("#health-table tbody tr").first.wait_for()
    await page.locator("#health-status").filter(has_text="1").wait_for()


async def test_the_admin_page_in_the_pseudo_language_has_no_words_outside_the_catalogue(
    tandem_server: Any, browser: Any
) -> None:
    programme = f"pseudo-{uuid.uuid4().hex[:6]}"
    s = tandem_server.create_session(
        title="Pseudo check", programme=programme, captions="keep",
        participants=[{"name": "Lena Mentor", "role": "mentor", "id": "lena"},
                      {"name": "Tomas Mentee", "role": "mentee", "id": "tomas"}])
    links = {p["person_id"]: p["url"] for p in s["personal_links"]}
    tomas = await join(browser, links["tomas"])
    names = ["Pseudo check", programme, "Lena Mentor", "Tomas Mentee"]

    admin = await new_page(browser)
    await admin.goto(pseudo_url(f"{tandem_server.base_url}/admin"))
    await admin.wait_for_function("() => document.documentElement.lang === 'en-XA'")
    await assert_translated(admin, "the admin page's sign-in")

    await admin.locator("#key-input").fill(tandem_server.admin_key)
    await admin.locator("#key-form button[type=submit]").click()
    # only this test's sessions: the shared server holds other tests' titles
    await admin.locator("#filter-programme").fill(programme)
    await admin.locator("#filter-form button[type=submit]").click()
    await admin.locator("#sessions-table tbody tr").filter(has_text="Pseudo check").wait_for()
    assert await admin.locator("#sessions-table tbody tr").count() == 1
    await wait_text(admin, "#status", "1 session")
    await admin.locator(".transcript-links").wait_for()  # the session keeps a transcript
    await assert_translated(admin, "the sessions list", names)
    await admin.locator("#programme-button").click()
    await admin.locator("#programme-table tbody tr").nth(1).wait_for()
    await assert_translated(admin, "the programme summary", names)

    # One session's report: Tomas joined, Lena did not come.
    await admin.locator("#sessions-table tbody tr button").first.click()
    await admin.locator('#people-table tbody tr[data-person="tomas"]').wait_for()
    await admin.locator("#timeline svg rect.timeline-bar").first.wait_for()
    await wait_text(admin, "#status", "Updated")
    assert "Main room" in await admin.locator("#people-table").inner_text()
    await assert_translated(admin, "a session's attendance report", names)
    # the check sees the report: the names typed for it are the words it would otherwise list
    found = "\n".join(await untranslated(admin, ["Pseudo check", programme]))
    assert "Tomas Mentee" in found and "Lena Mentor" in found, found

    # The programme console's sessions and match health.
    cohort = await published_cohort(tandem_server, programme)
    await show_programme(admin, cohort["id"])
    await admin.evaluate(SKIP_OTHERS_JS, [OTHERS, True])
    await assert_translated(admin, "the console's sessions and match health",
                            ["Circle time", "Europe/Madrid", "Iris Mentor", "Noel Mentee"])
    await admin.evaluate(SKIP_OTHERS_JS, [OTHERS, False])

    for page in (admin, tomas):
        await close_page(page)


async def test_the_admin_page_in_spanish_speaks_spanish_and_is_accessible(
    tandem_server: Any, browser: Any
) -> None:
    programme = f"es-{uuid.uuid4().hex[:6]}"
    s = tandem_server.create_session(
        title="Sesión de prueba", programme=programme,
        participants=[{"name": "Marta", "role": "mentor", "id": "marta"}])
    cohort = await published_cohort(tandem_server, programme)

    admin = await new_page(browser)
    await admin.goto(f"{tandem_server.base_url}/admin?lang=es")
    await admin.wait_for_function("() => document.documentElement.lang === 'es'")
    assert await admin.title() == "Administración · Tandem"
    await admin.get_by_label("Clave de administración").wait_for()
    assert await admin.get_by_label("Idioma", exact=True).input_value() == "es"
    await assert_accessible(admin, "the admin page's sign-in, in Spanish")

    await sign_in(admin, f"{tandem_server.base_url}/admin?lang=es#session={s['session_id']}",
                  tandem_server.admin_key)
    await admin.get_by_role("heading", name="Sesiones", exact=True).wait_for()
    await admin.locator("#session-title", has_text="Sesión de prueba").wait_for()
    await admin.locator('#people-table tbody tr[data-person="marta"]').wait_for()
    await wait_text(admin, "#status", "Actualizado")
    table = await admin.locator("#people-table").inner_text()
    assert "Estado" in table and "Esperado" in table, table
    assert await admin.get_by_role("button", name="Revocar el enlace de mentorados").is_visible()
    await shot(admin, "es-session")
    await assert_accessible(admin, "a session's attendance, in Spanish")

    await show_programme(admin, cohort["id"])
    card = await admin.locator("#schedules-list").inner_text()
    assert "Cada semana, 2 sesiones desde el" in card, card
    assert "Su hora local" in card and "Copiar" in card, card
    # each person's local time in their own zone: Noel's is New York's
    tomorrow = date.today() + timedelta(days=1)
    madrid = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 18, tzinfo=ZoneInfo("Europe/Madrid"))
    new_york = madrid.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M")
    noel = await admin.locator("#schedules-list .links-table tbody tr", has_text="Noel Mentee").first.inner_text()
    assert new_york in noel and "18:00" in noel, noel
    health = await admin.locator("#health-panel").inner_text()
    assert "Estado de las parejas" in health and "Nunca" in health and "Iris Mentor y Noel Mentee" in health, health
    await shot(admin, "es-console")
    await assert_accessible(admin, "the console's sessions and match health, in Spanish")

    await close_page(admin)
