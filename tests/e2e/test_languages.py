"""The call page in other languages: every word from the catalogue, Spanish, Arabic right to left.

(a) In the pseudo-language (``?lang=en-XA``: every catalogue message between ⟦ ⟧) the join page
and a two-person call show no text from outside the catalogue but the names typed and the session's
title and goal. (b) In Spanish the join page and the call speak Spanish, pass axe, and the video
grid names each person and says their state in words. (c) In Arabic the page runs right to left:
the name's label starts at the right, the call bar's first control is at the right end, axe passes,
and nothing overlaps or leaves the window at 1280x800 and 390x844. (d) The join page's language
select shows the page again in the chosen language, and the choice is kept for the next visit.

Set ``TANDEM_E2E_SCREENSHOTS=/some/dir`` for screenshots of the Spanish and Arabic pages.
"""

from __future__ import annotations

import os
from typing import Any

from axe import assert_accessible
from languages import assert_translated, pseudo_url
from tandem_pages import close_page, new_page, wait_state
from test_layout import layout_problems

SCREENSHOT_DIR = os.environ.get("TANDEM_E2E_SCREENSHOTS")
TITLE, GOAL = "Weekly check-in", "Plan the first month"
MENTOR, MENTEE = "Ana Mentor", "Ben Mentee"
WIDE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def with_lang(url: str, code: str) -> str:
    """The join link with ``?lang=code`` (before its ``#token=`` fragment)."""
    base, hash_, fragment = url.partition("#")
    return f"{base}{'&' if '?' in base else '?'}lang={code}{hash_}{fragment}"


async def open_join(browser: Any, url: str, viewport: dict[str, int] = WIDE) -> Any:
    page = await new_page(browser, viewport)
    await page.goto(url)
    await wait_state(page, "join")
    await page.wait_for_function("() => !document.getElementById('join-button').disabled")
    return page


async def join_as(page: Any, name: str) -> None:
    """Join from the join page by its ids (the labels are in the page's language)."""
    await page.locator("#name-input").fill(name)
    await page.locator("#join-button").click()
    await wait_state(page, "call")


async def two_in_call(
    browser: Any, s: dict[str, Any], lang: str, viewport: dict[str, int] = WIDE
) -> tuple[Any, Any]:
    """The mentor and the mentee in a call, both in `lang`, each seeing both tiles."""
    pages = []
    for role, name in (("mentor", MENTOR), ("mentee", MENTEE)):
        page = await open_join(browser, with_lang(s["join_urls"][role], lang), viewport)
        await join_as(page, name)
        pages.append(page)
    for page in pages:
        await page.wait_for_function(
            "() => document.querySelectorAll('#video-grid > li').length === 2"
        )
    return pages[0], pages[1]


async def shot(page: Any, name: str) -> None:
    if SCREENSHOT_DIR:
        os.makedirs(SCREENSHOT_DIR, exist_ok=True)
        await page.screenshot(path=os.path.join(SCREENSHOT_DIR, f"{name}.png"))


# Where an element's text is (a block's box spans the whole line whatever the direction).
TEXT_BOX_JS = """
(sel) => {
  const range = document.createRange();
  range.selectNodeContents(document.querySelector(sel));
  const r = range.getBoundingClientRect();
  return {x: r.left, y: r.top, width: r.width, height: r.height};
}
"""


async def box(page: Any, selector: str) -> dict[str, float]:
    b = await page.locator(selector).first.bounding_box()
    assert b is not None, f"{selector} is not on screen"
    return dict(b)


async def test_every_word_on_the_join_page_and_in_the_call_comes_from_the_catalogue(
    tandem_server: Any, browser: Any
) -> None:
    s = tandem_server.create_session(title=TITLE, goal=GOAL)
    allowed = [TITLE, GOAL, MENTOR, MENTEE]
    mentor = await open_join(browser, pseudo_url(s["join_urls"]["mentor"]))
    await assert_translated(mentor, "the join page", allowed)
    await join_as(mentor, MENTOR)
    mentee = await open_join(browser, pseudo_url(s["join_urls"]["mentee"]))
    await join_as(mentee, MENTEE)
    for page in (mentor, mentee):
        await page.wait_for_function(
            "() => document.querySelectorAll('#video-grid > li').length === 2"
        )
        await page.locator(".controls").wait_for(state="visible")
    await assert_translated(mentor, "the mentor's call", allowed)
    await assert_translated(mentee, "the mentee's call", allowed)
    await close_page(mentee)
    await close_page(mentor)


async def test_spanish_join_page_and_call(tandem_server: Any, browser: Any) -> None:
    s = tandem_server.create_session(title=TITLE, goal=GOAL)
    page = await open_join(browser, with_lang(s["join_urls"]["mentee"], "es"))
    assert await page.evaluate("() => document.documentElement.lang") == "es"
    assert await page.locator("label[for='name-input']").inner_text() == "Tu nombre"
    assert await page.locator("#join-button").inner_text() == "Entrar ahora"
    assert "Entras como mentorado." in await page.locator("#join-role").inner_text()
    await assert_accessible(page, "the Spanish join page")
    await shot(page, "es-join-1280x800")
    await page.set_viewport_size(PHONE)
    await shot(page, "es-join-390x844")
    await close_page(page)

    mentor, mentee = await two_in_call(browser, s, "es")
    ana = await mentor.evaluate("() => window.tandemTestHooks.participantId")
    await mentor.get_by_role("button", name="Silenciar micrófono").wait_for()
    assert await mentor.locator("#ctl-leave").inner_text() == "Salir"
    assert await mentor.evaluate("() => document.title") == f"{TITLE} · Tandem"
    # The grid names each person (and role) and says their state in Spanish, in the tile's
    # description: the mentor mutes, and the mentee's tile of the mentor says so.
    await mentor.get_by_role("button", name="Silenciar micrófono").click()
    ana_tile = mentee.locator(f'#video-grid li[data-id="{ana}"]')
    await mentee.get_by_role("listitem", name=f"{MENTOR}, mentor").wait_for()
    await mentee.wait_for_function(
        """(id) => {
          const tile = document.querySelector(`#video-grid li[data-id="${id}"]`);
          const said = document.getElementById(tile.getAttribute("aria-describedby"));
          return said && said.textContent.includes("silenciado");
        }""",
        arg=ana,
    )
    assert await ana_tile.get_attribute("aria-label") == f"{MENTOR}, mentor"
    await assert_accessible(mentee, "the Spanish call")
    await shot(mentee, "es-call-1280x800")
    await mentee.set_viewport_size(PHONE)
    await shot(mentee, "es-call-390x844")
    await close_page(mentee)
    await close_page(mentor)


async def join_page_problems(page: Any, where: str) -> list[str]:
    """The join page's parts inside the window (no sideways scrolling) and apart from each other."""
    m = await page.evaluate(
        """() => {
          const sel = ["#join-language", "label[for='join-language']", ".join-top .brand",
                       "#join-title", "#join-role", "#preview-tile", "#preview-mic", "#preview-cam",
                       "label[for='name-input']", "#name-input", "#join-button"];
          const boxes = {};
          for (const s of sel) {
            const e = document.querySelector(s);
            if (!e || !e.getClientRects().length) continue;
            const r = e.getBoundingClientRect();
            boxes[s] = {x: r.left, y: r.top + scrollY, w: r.width, h: r.height,
                        clipped: e.scrollWidth > e.clientWidth + 1};
          }
          return {boxes, vw: document.documentElement.clientWidth,
                  sw: document.documentElement.scrollWidth};
        }"""
    )
    problems = []
    if m["sw"] > m["vw"] + 1:
        problems.append(f"{where}: the join page scrolls sideways ({m['sw']} > {m['vw']})")
    items = list(m["boxes"].items())
    for name, b in items:
        if b["x"] < -0.5 or b["x"] + b["w"] > m["vw"] + 0.5:
            problems.append(f"{where}: {name} is cut at the side")
        if b["clipped"] and name not in ("#preview-tile", "#name-input", "#join-language"):
            problems.append(f"{where}: {name} cuts its text")
    for i, (a, ba) in enumerate(items):
        for c, bc in items[i + 1 :]:
            if "#preview-tile" in (a, c) and ("#preview-mic" in (a, c) or "#preview-cam" in (a, c)):
                continue
            dx = min(ba["x"] + ba["w"], bc["x"] + bc["w"]) - max(ba["x"], bc["x"])
            dy = min(ba["y"] + ba["h"], bc["y"] + bc["h"]) - max(ba["y"], bc["y"])
            if dx > 0.5 and dy > 0.5:
                problems.append(f"{where}: {a} overlaps {c}")
    return problems


async def test_arabic_runs_right_to_left(tandem_server: Any, browser: Any) -> None:
    s = tandem_server.create_session(title=TITLE, goal=GOAL)
    page = await open_join(browser, with_lang(s["join_urls"]["mentor"], "ar"))
    assert await page.evaluate(
        "() => [document.documentElement.lang, document.documentElement.dir]"
    ) == ["ar", "rtl"]
    problems: list[str] = []
    for viewport in (WIDE, PHONE):
        size = f"{viewport['width']}x{viewport['height']}"
        await page.set_viewport_size(viewport)
        # The name's label (its text) starts at the right, where its field starts.
        label = await page.evaluate(TEXT_BOX_JS, "label[for='name-input']")
        field = await box(page, "#name-input")
        assert abs((label["x"] + label["width"]) - (field["x"] + field["width"])) < 4, (
            label,
            field,
        )
        assert label["x"] > field["x"] + 20, (label, field)
        problems += await join_page_problems(page, f"Arabic join page {size}")
        await shot(page, f"ar-join-{size}")
    await page.set_viewport_size(WIDE)
    await assert_accessible(page, "the Arabic join page")
    await close_page(page)

    mentor, mentee = await two_in_call(browser, s, "ar")
    await mentee.locator("#checkin-card").wait_for(state="visible")
    await assert_accessible(mentor, "the Arabic call")
    for viewport in (WIDE, PHONE):
        size = f"{viewport['width']}x{viewport['height']}"
        for who, page in (("mentor", mentor), ("mentee", mentee)):
            await page.set_viewport_size(viewport)
            await page.evaluate(
                "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"
            )
            # The call bar reads from the right: the microphone first, Leave last (leftmost).
            mic, leave = await box(page, "#ctl-mic"), await box(page, "#ctl-leave")
            assert mic["x"] > leave["x"], (size, mic, leave)
            bar = await box(page, ".controls")
            assert mic["x"] + mic["width"] > bar["x"] + bar["width"] * 0.6, (size, mic, bar)
            problems += await layout_problems(
                page, f"Arabic {size} {who}", viewport["width"] <= 820
            )
            await shot(page, f"ar-call-{size}-{who}")
    await close_page(mentee)
    await close_page(mentor)
    assert not problems, "\n".join(problems)


async def test_the_chosen_language_shows_at_once_and_is_kept(
    tandem_server: Any, browser: Any
) -> None:
    s = tandem_server.create_session(title=TITLE)
    url = s["join_urls"]["mentee"]
    page = await open_join(browser, url, PHONE)
    assert await page.evaluate("() => document.documentElement.lang") == "en"
    picker = page.get_by_label("Language")
    b = await picker.bounding_box()
    assert b is not None and b["x"] >= 0 and b["x"] + b["width"] <= PHONE["width"], b
    async with page.expect_navigation():
        await picker.select_option("es")
    await wait_state(page, "join")
    assert await page.evaluate("() => document.documentElement.lang") == "es"
    # The button says "Starting your camera…" until the camera is on (open_join_screen).
    await page.wait_for_function("() => !document.getElementById('join-button').disabled")
    assert await page.locator("#join-button").inner_text() == "Entrar ahora"
    assert await page.get_by_label("Idioma").input_value() == "es"
    # The next visit, in the same browser, is in Spanish too.
    again = await page.context.new_page()
    await again.goto(url)
    await wait_state(again, "join")
    assert await again.evaluate("() => document.documentElement.lang") == "es"
    await close_page(page)
