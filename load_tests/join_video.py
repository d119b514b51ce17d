"""Real Chromium: the time from the Nth person pressing "Join" to their first decoded remote video
frame, and to every remote video they should see decoding, for rooms of 2, 3, 4 and 8 people;
side by side with a reference checkout (by default the last one whose calls were a browser mesh
for every room size) in the same run.

Run it where WebRTC stays on loopback, in a network namespace with only loopback (as root):

    unshare -n sh -c 'ip link set lo up && .venv/bin/python -m load_tests.join_video --runs 5'

The reference is exported with ``git archive`` from this repository (``--reference REV``; ``none``
measures this checkout only).

A room of eight Chromium processes is more than a machine of two cores can run while measuring
anything. ``--earlier light`` makes everyone but the newcomer a light participant
(``light_participant``: pre-encoded video, frames counted, not decoded), so that only the
newcomer is a browser; that needs media through the server, so it measures rooms of three or
more of this checkout only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from clients.server import REPO, ServerProcess
from load_tests.light_participant import LightParticipant, on_loopback
from load_tests.sfu_forwarding import encoded_frames
from load_tests.stats import percentile
from load_tests.targets import ADMIN_KEY, python_exe

# The last commit before media went through the server: every room a mesh.
MESH_REFERENCE = "3bc8e75"
ROOM_SIZES = (2, 3, 4, 8)
LAST_N = 6  # camera videos the server forwards to each person (the default setting)
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
]
# How many remote videos the page decodes now, over its direct connections and its server
# subscribe connection (a checkout without server media has only the former).
DECODING = """async () => {
  const hooks = window.tandemTestHooks;
  if (!hooks || !hooks.participantId) return 0;
  const pcs = [...hooks.peers.values()];
  const server = hooks.serverConnections && hooks.serverConnections.subscribe;
  if (server) pcs.push(server);
  let count = 0;
  for (const pc of pcs) {
    const stats = await pc.getStats();
    stats.forEach((r) => {
      if (r.type === "inbound-rtp" && r.kind === "video" && r.framesDecoded > 0) count += 1;
    });
  }
  return count;
}"""


async def _page(context: BrowserContext, url: str, name: str) -> Page:
    page = await context.new_page()
    await page.goto(url)
    await page.fill("#name-input", name)
    return page


async def _decoding(page: Page) -> int:
    return int(await page.evaluate(DECODING))


async def _until(page: Page, count: int, timeout: float = 30.0) -> float:
    """Seconds until ``page`` decodes ``count`` remote videos (polled every 20 ms)."""
    started = time.monotonic()
    while await _decoding(page) < count:
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{count} remote videos did not decode within {timeout} s")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def once(browsers: Sequence[Browser], server: ServerProcess,
               size: int) -> tuple[float, float] | None:
    """One room of ``size``: (first remote frame, every remote video) for the last to join;
    None when the room did not get there within 30 s. Each person has a browser of their own,
    as each has a machine and a camera of their own: pages of one browser share its one fake
    camera, and a page that opens it stops every other page's frames for a second or two, which
    a room of several pages in one browser would measure instead of the call."""
    async with server.admin_async() as api:
        s = await api.create_session(title="Measure", max_participants=max(size, 2))
    contexts = [await browsers[i].new_context() for i in range(size)]
    try:
        pages = [await _page(c, s["join_urls"]["mentor" if i == 0 else "mentee"], f"P{i + 1}")
                 for i, c in enumerate(contexts)]
        for i, page in enumerate(pages[:-1]):
            await page.get_by_role("button", name="Join").first.click()
            await page.wait_for_function(
                "() => window.tandemTestHooks && window.tandemTestHooks.participantId")
            if i > 0:  # the room settles before the next one comes
                await _until(page, min(i, LAST_N))
        last = pages[-1]
        started = time.monotonic()
        await last.get_by_role("button", name="Join").first.click()
        await _until(last, 1)
        first = time.monotonic() - started
        await _until(last, min(size - 1, LAST_N))
        every = time.monotonic() - started
        return first, every
    except TimeoutError:
        return None
    finally:
        for context in contexts:
            await context.close()


Times = dict[int, list[tuple[float, float] | None]]


async def once_light(browser: Browser, server: ServerProcess, size: int,
                     frames: list[bytes]) -> tuple[float, float] | None:
    """As ``once``, with everyone before the newcomer a light participant."""
    async with server.admin_async() as api:
        s = await api.create_session(title="Measure", max_participants=size)
    earlier = [LightParticipant(server.url, s["join_urls"]["mentor" if i == 0 else "mentee"],
                                f"P{i + 1}", frames) for i in range(size - 1)]
    context = await browser.new_context()
    try:
        for person in earlier:
            await person.start()
        if len(earlier) >= 3:  # their room's media is through the server: it flows first
            ids = [p.id for p in earlier]
            deadline = time.monotonic() + 30
            while not all(p.receives([i for i in ids if i != p.id][:LAST_N]) for p in earlier):
                if time.monotonic() > deadline:
                    raise TimeoutError("the earlier participants' video did not flow")
                await asyncio.sleep(0.05)
        page = await _page(context, s["join_urls"]["mentee"], f"P{size}")
        started = time.monotonic()
        await page.get_by_role("button", name="Join").first.click()
        await _until(page, 1)
        first = time.monotonic() - started
        await _until(page, min(size - 1, LAST_N))
        return first, time.monotonic() - started
    except TimeoutError:
        return None
    finally:
        await context.close()
        for person in earlier:
            await person.close()


def show(label: str, size: int, times: list[tuple[float, float] | None]) -> None:
    done = [t for t in times if t is not None]
    failed = f", {len(times) - len(done)} of {len(times)} not within 30 s" if len(done) < len(
        times) else ""
    if not done:
        print(f"{label:<22} {size:>4} {'-':>19} {'-':>19}{failed}", flush=True)
        return
    first = percentile([t[0] for t in done], 50) * 1000
    every = percentile([t[1] for t in done], 50) * 1000
    print(f"{label:<22} {size:>4} {first:>16.0f} ms {every:>16.0f} ms{failed}", flush=True)


async def measure(label: str, checkout: Path, runs: int, sizes: Sequence[int],
                  light: bool = False) -> Times:
    """``light``: everyone before the newcomer is a light participant (``once_light``)."""
    results: Times = {}
    frames = encoded_frames() if light else []
    with tempfile.TemporaryDirectory() as workdir, on_loopback():
        server = ServerProcess(Path(workdir) / "data", admin_key=ADMIN_KEY, checkout=checkout,
                               python=python_exe(), env={"TANDEM_LOG_LEVEL": "WARNING"})
        async with server, async_playwright() as p:
            browsers = [await p.chromium.launch(executable_path="/usr/bin/chromium",
                                                args=CHROMIUM_ARGS)
                        for _ in range(1 if light else max(sizes))]
            for size in sizes:
                results[size] = [await (once_light(browsers[0], server, size, frames) if light
                                        else once(browsers, server, size))
                                 for _ in range(runs)]
                show(label, size, results[size])
            for browser in browsers:
                await browser.close()
    return results


def export(rev: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default=",".join(map(str, ROOM_SIZES)))
    parser.add_argument("--reference", default=MESH_REFERENCE,
                        help="git revision to measure side by side ('none': skip)")
    parser.add_argument("--earlier", choices=("browsers", "light"), default="browsers",
                        help="who joins before the newcomer: a browser each, or light "
                             "participants (rooms of 3 or more, this checkout only)")
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    if args.earlier == "light" and min(sizes) < 3:
        parser.error("--earlier light measures rooms of 3 or more (a pair is peer to peer)")
    load_before = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, load average before the run {load_before:.2f}; "
          f"median of {args.runs} runs, Chromium with its fake camera, loopback", flush=True)
    print(f"{'server':<22} {'room':>4} {'first remote frame':>19} {'every remote video':>19}",
          flush=True)
    if args.earlier == "light":
        print("everyone before the newcomer is a light participant (pre-encoded 640x360 VP8 at "
              "30 fps, frames counted, not decoded); the newcomer is Chromium", flush=True)
        asyncio.run(measure("earlier ones light", REPO, args.runs, sizes, light=True))
        return
    asyncio.run(measure("this checkout", REPO, args.runs, sizes))
    if args.reference != "none":
        with tempfile.TemporaryDirectory() as ref:
            asyncio.run(measure(f"reference {args.reference}", export(args.reference, Path(ref)),
                                args.runs, sizes))

if __name__ == "__main__":
    main()
