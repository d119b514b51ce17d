"""Display preferences and reflow: reduced motion and high contrast follow the device or the
person's choice, and the pages reflow without horizontal scrolling at 320 px wide (WCAG 1.4.10:
1280 px at 400% zoom) and at 640 px (a 1280x800 laptop at 200% zoom).

The reflow check reads every visible element's box: none may stick out of the window's width
(but for content inside a box that scrolls sideways by design, such as the video strip), and the
page itself must not scroll sideways."""

from __future__ import annotations

import os
from typing import Any

import pytest
from axe import assert_accessible
from tandem_pages import close_page, join, new_page, open_join_screen, wait_state

SCREENSHOT_DIR = os.environ.get("TANDEM_E2E_SCREENSHOTS")
REFLOW = [(320, 640), (640, 400)]

OVERFLOW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  if (document.documentElement.scrollWidth > width + 1) {
    out.push(`the page is ${document.documentElement.scrollWidth} px wide in a ${width} px window`);
  }
  // Boxes meant to scroll sideways (a strip of videos, a wide table) hold what they clip.
  const scrollsSideways = (e) => {
    for (let a = e.parentElement; a; a = a.parentElement) {
      const cs = getComputedStyle(a);
      if (["auto", "scroll", "hidden"].includes(cs.overflowX)) return true;
    }
    return false;
  };
  for (const e of document.body.querySelectorAll("*")) {
    if (!e.getClientRects().length || getComputedStyle(e).visibility === "hidden") continue;
    if (e.closest(".visually-hidden, dialog:not([open])")) continue;
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if ((r.right > width + 1 || r.left < -1) && !scrollsSideways(e)) {
      const name = e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
        (e.className && typeof e.className === "string" ? "." + e.className.split(" ")[0] : "");
      out.push(`${name} spans ${Math.round(r.left)}..${Math.round(r.right)} of ${width}`);
    }
  }
  return out.slice(0, 20);
}
"""


async def overflow(page: Any) -> list[str]:
    result: list[str] = await page.evaluate(OVERFLOW_JS)
    return result


@pytest.mark.parametrize(("width", "height"), REFLOW, ids=[f"{w}x{h}" for w, h in REFLOW])
async def test_pages_reflow_without_sideways_scrolling(
    tandem_server: Any, browser: Any, width: int, height: int
) -> None:
    s = tandem_server.create_session(title="Reflow check", goal="Plan the first month")
    viewport = {"width": width, "height": height}
    problems: list[str] = []
    page = await new_page(browser, viewport)
    await open_join_screen(page, s["join_urls"]["mentee"])
    problems += [f"join page: {p}" for p in await overflow(page)]
    await close_page(page)

    mentor = await join(browser, s["join_urls"]["mentor"], name="Ana Mentor", viewport=viewport)
    mentee = await join(browser, s["join_urls"]["mentee"], name="Ben Mentee", viewport=viewport)
    for page in (mentor, mentee):
        await page.wait_for_function(
            "() => document.querySelectorAll('#video-grid > li').length === 2")
        await wait_state(page, "call")
    for who, page in (("mentor", mentor), ("mentee", mentee)):
        problems += [f"{who} call: {p}" for p in await overflow(page)]
        for tab in ("#tab-chat", "#tab-people"):
            await page.locator(tab).click()
            problems += [f"{who} call, {tab}: {p}" for p in await overflow(page)]
    await close_page(mentee)
    await close_page(mentor)
    assert not problems, f"{width}x{height}:\n" + "\n".join(problems)


async def test_high_contrast_and_reduced_motion(tandem_server: Any, browser: Any) -> None:
    """The device's reduced-motion setting applies by itself; high contrast, chosen on the join
    page, is remembered, passes axe's contrast rules on the join page and in the call, and can be
    turned off from the call's Display dialog, which gives the focus back."""
    s = tandem_server.create_session(title="Display check")
    context = await browser.new_context(viewport={"width": 1280, "height": 800},
                                        reduced_motion="reduce")
    page = await context.new_page()
    await open_join_screen(page, s["join_urls"]["mentee"])
    assert await page.evaluate("() => document.documentElement.dataset.motion") == "reduce"
    assert await page.evaluate("() => document.documentElement.dataset.contrast") is None

    await page.locator("#join-display-slot summary").click()
    await page.locator("#join-display-slot").get_by_label("High contrast").check()
    assert await page.evaluate("() => document.documentElement.dataset.contrast") == "more"
    # The stylesheet is in the page's head, so the theme shows at once; up to 5 s are given to a
    # busy machine to restyle before the colours are read.
    colours = await page.evaluate("""async () => {
      const read = () => [getComputedStyle(document.body).backgroundColor,
                          getComputedStyle(document.querySelector('#join-title')).color];
      for (let i = 0; i < 100 && read().join(' ') !== 'rgb(0, 0, 0) rgb(255, 255, 255)'; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      return read();
    }""")
    assert colours == ["rgb(0, 0, 0)", "rgb(255, 255, 255)"], colours
    await assert_accessible(page, "join page, high contrast")
    if SCREENSHOT_DIR:
        await page.screenshot(path=os.path.join(SCREENSHOT_DIR, "display-high-contrast-join.png"))

    # Remembered: the next visit opens in high contrast.
    await page.reload()
    await wait_state(page, "join")
    assert await page.evaluate("() => document.documentElement.dataset.contrast") == "more"
    await page.get_by_label("Your name").fill("Kim")
    await page.locator("#join-button").click()
    await wait_state(page, "call")
    await assert_accessible(page, "call, high contrast")
    if SCREENSHOT_DIR:
        await page.screenshot(path=os.path.join(SCREENSHOT_DIR, "display-high-contrast-call.png"))

    # Off again from the call's Display dialog; the focus returns to its button.
    await page.locator("#ctl-display").click()
    await page.locator("#display-dialog").get_by_label("High contrast").uncheck()
    assert await page.evaluate("() => document.documentElement.dataset.contrast") is None
    await page.keyboard.press("Escape")
    focused = await page.evaluate("() => document.activeElement && document.activeElement.id")
    assert focused == "ctl-display"
    await close_page(page)
