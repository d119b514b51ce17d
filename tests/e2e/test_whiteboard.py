"""The whiteboard in real Chromium: a stroke drawn with the mouse on one page appears on another
page's board (in its document and on its canvas), undo takes it away again, a late joiner gets
the board, and a PNG export of a non-empty board is a real, non-blank image.

Most tests run the module on a test page of its own (tests/e2e/whiteboard_page.html, written
into a page of the server's origin), where the test can read the board's items; the last one
goes through the call page's Whiteboard button.
"""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path
from typing import Any

from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import TandemServer
from tests.e2e.tandem_pages import close_page, join, new_page

PAGE = Path(__file__).resolve().parent / "whiteboard_page.html"
RED = "#b91c1c"

# Pixels of the canvas close to the red of the stroke (the canvas may be anti-aliased).
RED_PIXELS_JS = """
() => {
  const c = document.querySelector(".wb-canvas");
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] > 140 && d[i + 1] < 90 && d[i + 2] < 90) n++;
  return n;
}
"""

# Non-white pixels of a PNG given as a data URL, decoded by the browser.
INK_IN_PNG_JS = """
async (url) => {
  const img = new Image();
  img.src = url;
  await img.decode();
  const c = document.createElement("canvas");
  c.width = img.naturalWidth;
  c.height = img.naturalHeight;
  const g = c.getContext("2d");
  g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let ink = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200) ink++;
  return {ink, w: c.width, h: c.height};
}
"""


async def open_board(browser: Any, server: TandemServer, url: str, name: str) -> Any:
    page = await new_page(browser)
    token = url.split("#token=", 1)[1]
    # A real response of the server first, so the page's origin (and its address space, which
    # Chromium checks before letting it open a socket to 127.0.0.1) is the server's own.
    await page.goto(f"{server.base_url}/healthz#token={token}&name={name}")
    await page.set_content(PAGE.read_text())
    await page.wait_for_function("window.boardReady === true || window.boardError")
    assert await page.evaluate("window.boardError || null") is None
    return page


async def draw_stroke(page: Any, points: list[tuple[float, float]]) -> None:
    box = await page.locator(".wb-canvas").bounding_box()
    x0, y0 = box["x"], box["y"]
    await page.mouse.move(x0 + points[0][0], y0 + points[0][1])
    await page.mouse.down()
    for x, y in points[1:]:
        await page.mouse.move(x0 + x, y0 + y, steps=4)
    await page.mouse.up()


async def test_a_mouse_stroke_appears_on_the_other_page_and_undo_removes_it(
    browser: Any, tandem_server: TandemServer
) -> None:
    s = tandem_server.create_session(title="Whiteboard")
    ana = await open_board(browser, tandem_server, s["join_urls"]["mentor"], "Ana")
    ben = await open_board(browser, tandem_server, s["join_urls"]["mentee"], "Ben")
    try:
        await ana.select_option(".wb-color", RED)
        await ana.select_option(".wb-width", "8")
        await draw_stroke(ana, [(100, 100), (200, 140), (300, 120), (400, 220)])

        # The document on Ben's page: one pen stroke, the same points as on Ana's.
        mine = await ana.evaluate("window.board.items()")
        assert len(mine) == 1 and len(mine[0]["points"]) >= 8
        await ben.wait_for_function(
            "(want) => JSON.stringify(window.board.items()) === want", arg=json.dumps(
                mine, separators=(",", ":")))
        theirs = await ben.evaluate("window.board.items()")
        assert theirs == mine
        assert theirs[0]["type"] == "pen" and theirs[0]["color"] == RED
        # What Ben's canvas shows: red ink where the stroke is.
        await ben.wait_for_function(f"({RED_PIXELS_JS})() > 200")
        assert await ben.locator(".wb-canvas").get_attribute("aria-label") == (
            "Whiteboard with 1 item")

        # The server kept it (admin REST, as JSON).
        status, body = tandem_server.request(
            "GET", f"/api/sessions/{s['session_id']}/boards/main")
        assert status == 200
        assert [i["type"] for i in body["items"].values()] == ["pen"]

        # Someone joining late gets the board at once.
        cal = await open_board(browser, tandem_server, s["join_urls"]["mentee"], "Cal")
        await cal.wait_for_function("window.board.items().length === 1")
        await close_page(cal)

        # Undo on Ana's page takes her stroke away everywhere.
        await ana.click(".wb-undo")
        await ben.wait_for_function("window.board.items().length === 0")
        await ben.wait_for_function(f"({RED_PIXELS_JS})() === 0")
    finally:
        await close_page(ana)
        await close_page(ben)


async def test_png_export_of_a_drawn_board_is_a_real_image_with_ink(
    browser: Any, tandem_server: TandemServer, tmp_path: Path
) -> None:
    s = tandem_server.create_session(title="Export")
    ana = await open_board(browser, tandem_server, s["join_urls"]["mentor"], "Ana")
    try:
        await draw_stroke(ana, [(50, 50), (250, 250), (450, 60)])
        await ana.click('[data-tool="rect"]')
        await draw_stroke(ana, [(500, 300), (700, 420)])
        await ana.wait_for_function("window.board.items().length === 2")
        async with ana.expect_download() as info:
            await ana.click(".wb-png")
        download = await info.value
        path = tmp_path / "board.png"
        await download.save_as(path)
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
        width, height = struct.unpack(">II", data[16:24])
        assert (width, height) == (1600, 900)
        url = "data:image/png;base64," + base64.b64encode(data).decode()
        decoded = await ana.evaluate(INK_IN_PNG_JS, url)
        assert decoded["w"] == 1600 and decoded["ink"] > 1000, decoded

        async with ana.expect_download() as info:
            await ana.click(".wb-svg")
        svg = (await (await info.value).path()).read_text()
        assert svg.count("<polyline") == 1 and svg.count("<rect") == 2  # background + rectangle
    finally:
        await close_page(ana)


async def test_the_call_page_shows_the_board_of_the_room(
    browser: Any, tandem_server: TandemServer
) -> None:
    s = tandem_server.create_session(title="Call with a board")
    ana = await join(browser, s["join_urls"]["mentor"], name="Ana")
    ben = await join(browser, s["join_urls"]["mentee"], name="Ben")
    try:
        for page in (ana, ben):
            assert await page.locator("#whiteboard").is_hidden()
            await page.click("#ctl-board")
            assert await page.locator("#ctl-board").get_attribute("aria-pressed") == "true"
            await page.wait_for_selector(".wb[data-synced='true'] .wb-canvas")
        await draw_stroke(ana, [(60, 60), (160, 90), (260, 60)])
        await ben.wait_for_function(
            "document.querySelector('.wb-canvas').dataset.items === '1'")
        assert await ben.locator(".wb-canvas").get_attribute("aria-label") == (
            "Whiteboard with 1 item")
        await assert_accessible(ana, "the call with the whiteboard open")
        await ben.click("#ctl-board")
        assert await ben.locator("#whiteboard").is_hidden()
    finally:
        await close_page(ana)
        await close_page(ben)
