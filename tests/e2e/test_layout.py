"""The call page's layout at common sizes: named regions do not overlap and stay on screen.

A mentor and a mentee join at each size; with nothing open, then chat, people, the breakout panel
(mentor) and the whiteboard, the test reads the bounding boxes of the page's regions and checks
that none covers another (but for a region meant to hold another), that each is inside the window,
and that no region cuts its own content into a small scrolling box. Every problem of a size is
collected and reported together.

Wide screens (more than 820 px) show the whole call in the window: the header, the check-in card,
the stage and the side panel above the call bar. On a phone the page scrolls under a call bar that
stays at the bottom: regions must not overlap in the page, and what one writes in (the check-in,
the chat box and its hint) must be clear of the call bar once scrolled into view.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from tandem_pages import close_page, join, wait_state

SCREENSHOT_DIR = os.environ.get("TANDEM_E2E_SCREENSHOTS")

VIEWPORTS = [(1280, 800), (1366, 768), (1920, 1080), (390, 844)]
NARROW = 820  # style.css: at this width and below the side panel is a tab under the stage

# The regions, by name. "page" coordinates add the scroll offset, so that on a phone (the page
# scrolls) two regions are compared where they are in the page, not where the window shows them.
REGIONS_JS = """
() => {
  const shown = (el) => !!el && el.getClientRects().length > 0
    && getComputedStyle(el).visibility !== "hidden";
  // The part of an element its scrolling ancestors let show (a section of the side panel
  // scrolled out of the panel is out of view, not cut).
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    let [l, t, rt, b] = [r.left, r.top, r.right, r.bottom];
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const cs = getComputedStyle(a);
      if (cs.overflowX === "visible" && cs.overflowY === "visible") continue;
      const c = a.getBoundingClientRect();
      [l, t, rt, b] = [Math.max(l, c.left), Math.max(t, c.top),
                       Math.min(rt, c.right), Math.min(b, c.bottom)];
    }
    return {x: l, y: t, w: Math.max(0, rt - l), h: Math.max(0, b - t)};
  };
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return {x: r.left, y: r.top, w: r.width, h: r.height,
            py: r.top + window.scrollY, px: r.left + window.scrollX, seen: visible(el)};
  };
  const named = {
    header: ".call-header",
    checkin: "#checkin-card",
    grid: "#video-grid",
    whiteboard: "#whiteboard",
    sidebar: ".sidebar",
    breakouts: "#breakouts-panel",
    people: "#panel-people",
    chat: "#panel-chat",
    chat_input: "#chat-input",
    chat_hint: "#chat-hint",
    controls: ".controls",
  };
  const regions = {};
  for (const [name, sel] of Object.entries(named)) {
    const el = document.querySelector(sel);
    if (shown(el)) regions[name] = box(el);
  }
  const tiles = [...document.querySelectorAll("#video-grid > li")].filter(shown).map((li) => ({
    id: li.dataset.id || "?", ...box(li),
  }));
  // A box that scrolls its own content (overflow auto or hidden with more content than room).
  const cut = [];
  for (const sel of [".stage", "#breakouts-panel", "#panel-people", "#participant-list",
                     "#video-grid", "#chat-hint", "#checkin-card"]) {
    const el = document.querySelector(sel);
    if (!shown(el)) continue;
    if (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1) {
      cut.push(`${sel} shows ${el.clientWidth}x${el.clientHeight}`
               + ` of ${el.scrollWidth}x${el.scrollHeight}`);
    }
  }
  return {
    regions, tiles, cut,
    vw: document.documentElement.clientWidth, vh: window.innerHeight,
    scrollWidth: document.documentElement.scrollWidth,
    scrollHeight: document.documentElement.scrollHeight,
  };
}
"""

# Scroll an element into view as a person (or focus) would, then give its box and the call bar's.
INTO_VIEW_JS = """
(sel) => {
  const el = document.querySelector(sel);
  if (!el || el.getClientRects().length === 0) return null;
  el.scrollIntoView({block: "nearest", inline: "nearest"});
  const r = el.getBoundingClientRect();
  const c = document.querySelector(".controls").getBoundingClientRect();
  return {el: {x: r.left, y: r.top, w: r.width, h: r.height},
          bar: {x: c.left, y: c.top, w: c.width, h: c.height}, vh: window.innerHeight};
}
"""

# Pairs meant to be apart. Inside the side panel its sections must be apart from each other.
APART = [
    ("header", "checkin"),
    ("header", "grid"),
    ("header", "whiteboard"),
    ("header", "sidebar"),
    ("checkin", "grid"),
    ("checkin", "whiteboard"),
    ("checkin", "sidebar"),
    ("grid", "whiteboard"),
    ("grid", "sidebar"),
    ("whiteboard", "sidebar"),
    ("breakouts", "people"),
    ("breakouts", "chat"),
    ("people", "chat"),
    ("chat_input", "chat_hint"),
]
# What the call bar must never cover, wide or narrow (on a phone, once scrolled into view).
CLEAR_OF_BAR = ("checkin", "chat_input", "chat_hint")
# On wide screens the call bar must not cover any of these either.
CLEAR_OF_BAR_WIDE = ("header", "grid", "whiteboard", "sidebar", "breakouts", "people", "chat")


def overlap(a: dict[str, float], b: dict[str, float], key: str = "y") -> float:
    """The area two boxes share (in page coordinates for key "py", in the window for "y")."""
    ax, bx = (a["px"], b["px"]) if key == "py" else (a["x"], b["x"])
    ay, by = a[key], b[key]
    dx = min(ax + a["w"], bx + b["w"]) - max(ax, bx)
    dy = min(ay + a["h"], by + b["h"]) - max(ay, by)
    return dx * dy if dx > 0.5 and dy > 0.5 else 0.0


def fmt(b: dict[str, float]) -> str:
    return f"({b['x']:.0f},{b['y']:.0f} {b['w']:.0f}x{b['h']:.0f})"


async def layout_problems(page: Any, where: str, narrow: bool) -> list[str]:
    m = await page.evaluate(REGIONS_JS)
    regions, tiles, vw, vh = m["regions"], m["tiles"], m["vw"], m["vh"]
    problems: list[str] = []
    key = "py" if narrow else "y"

    if m["scrollWidth"] > vw + 1:
        problems.append(f"{where}: the page scrolls sideways ({m['scrollWidth']} > {vw})")
    if not narrow and m["scrollHeight"] > vh + 1:
        problems.append(f"{where}: the page scrolls down ({m['scrollHeight']} > {vh})")
    for name in ("grid", "controls", "chat_input"):
        if name not in regions and not (name == "chat_input" and narrow):
            problems.append(f"{where}: {name} is not shown")
    for a, b in APART:
        if a in regions and b in regions and overlap(regions[a], regions[b], key):
            problems.append(f"{where}: {a} {fmt(regions[a])} overlaps {b} {fmt(regions[b])}")
    for i, t in enumerate(tiles):
        for u in tiles[i + 1 :]:
            if overlap(t, u, key):
                problems.append(
                    f"{where}: tile {t['id']} {fmt(t)} overlaps tile {u['id']} {fmt(u)}"
                )
        for other in ("whiteboard", "checkin", "sidebar", "header"):
            if other in regions and overlap(t, regions[other], key):
                problems.append(f"{where}: tile {t['id']} {fmt(t)} overlaps {other}")
    # Inside the window: horizontally always; vertically on wide screens, where the page does not
    # scroll. What a scrolling box (the side panel, the stage) shows is what counts there.
    for name, b in [*regions.items(), *((f"tile {t['id']}", t) for t in tiles)]:
        if b["x"] < -0.5 or b["x"] + b["w"] > vw + 0.5:
            problems.append(f"{where}: {name} {fmt(b)} is cut at the side (window {vw})")
        seen = b["seen"]
        if not narrow and seen["h"] > 0 and (seen["y"] < -0.5 or seen["y"] + seen["h"] > vh + 0.5):
            problems.append(
                f"{where}: {name} {fmt(seen)} is cut at the top or bottom (window {vh})"
            )
    if not narrow and "controls" in regions:
        bar = regions["controls"]
        for name, b in [
            *((n, regions[n]) for n in CLEAR_OF_BAR_WIDE if n in regions),
            *((f"tile {t['id']}", t) for t in tiles),
        ]:
            if overlap(b["seen"], bar):
                problems.append(f"{where}: the call bar {fmt(bar)} covers {name} {fmt(b['seen'])}")
    problems += [f"{where}: {c}" for c in m["cut"]]

    for name, sel in (
        ("checkin", "#checkin-card"),
        ("chat_input", "#chat-input"),
        ("chat_hint", "#chat-hint"),
    ):
        if name not in regions:
            continue
        seen = await page.evaluate(INTO_VIEW_JS, sel)
        el, bar = seen["el"], seen["bar"]
        if overlap(el, bar):
            problems.append(f"{where}: the call bar {fmt(bar)} covers {name} {fmt(el)}")
        if el["y"] < -0.5 or el["y"] + el["h"] > seen["vh"] + 0.5:
            problems.append(f"{where}: {name} {fmt(el)} is off screen once scrolled to")
    await page.evaluate("() => window.scrollTo(0, 0)")
    return problems


async def show(page: Any, state: str, narrow: bool) -> None:
    """Open one panel: on a phone chat and people are tabs; on wide screens both are always on."""
    if state == "chat" and narrow:
        await page.locator("#tab-chat").click()
    elif state == "people" and narrow:
        await page.locator("#tab-people").click()
    elif state == "breakouts":
        panel = page.locator("#breakouts-panel")
        await panel.wait_for(state="visible")
        if await panel.locator(".bo-toggle").get_attribute("aria-expanded") != "true":
            await panel.locator(".bo-toggle").click()
    elif state == "whiteboard":
        await page.locator("#ctl-board").click()
        await page.locator("#whiteboard .wb-canvas").wait_for(state="visible")
    # Let the layout settle (the whiteboard fits its canvas on the next frame).
    await page.evaluate(
        "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"
    )


@pytest.mark.parametrize(("width", "height"), VIEWPORTS, ids=[f"{w}x{h}" for w, h in VIEWPORTS])
async def test_call_layout_fits(tandem_server: Any, browser: Any, width: int, height: int) -> None:
    s = tandem_server.create_session(title="Layout check", goal="Plan the first month")
    viewport = {"width": width, "height": height}
    narrow = width <= NARROW
    mentor = await join(browser, s["join_urls"]["mentor"], name="Ana Mentor", viewport=viewport)
    mentee = await join(browser, s["join_urls"]["mentee"], name="Ben Mentee", viewport=viewport)
    for page in (mentor, mentee):
        await page.wait_for_function(
            "() => document.querySelectorAll('#video-grid > li').length === 2"
        )
        await wait_state(page, "call")
    # The mentee is asked what they want from the session; the card stays while the panels open.
    await mentee.locator("#checkin-card").wait_for(state="visible")

    problems: list[str] = []
    for state in ("nothing", "chat", "people", "breakouts", "whiteboard"):
        for who, page in (("mentor", mentor), ("mentee", mentee)):
            if state == "breakouts" and who == "mentee":
                continue
            await show(page, state, narrow)
            problems += await layout_problems(page, f"{width}x{height} {who} {state}", narrow)
            if SCREENSHOT_DIR:
                await page.screenshot(
                    path=os.path.join(SCREENSHOT_DIR, f"layout-{width}x{height}-{who}-{state}.png")
                )
    await close_page(mentee)
    await close_page(mentor)
    assert not problems, "\n".join(problems)
