"""Real Chromium: time from the second person pressing "Join" to the first decoded video frame
on both sides (RTCPeerConnection.getStats: inbound video framesDecoded > 0).

Run it where WebRTC stays on loopback, in a network namespace with only loopback (as root):

    unshare -n sh -c 'ip link set lo up && .venv/bin/python -m load_tests.join_video --runs 9'
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from playwright.async_api import Browser, async_playwright

from clients.server import ServerProcess
from load_tests.breakout_video import bench_server
from load_tests.stats import percentile

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
]
# True once every peer connection of the page has decoded at least one video frame.
ALL_DECODING = """() => {
  const peers = window.tandem && window.tandem.peers;
  if (!peers || peers.size === 0) return false;
  return Promise.all([...peers.values()].map((pc) => pc.getStats().then((stats) => {
    let decoding = false;
    stats.forEach((r) => {
      if (r.type === "inbound-rtp" && r.kind === "video" && r.framesDecoded > 0) decoding = true;
    });
    return decoding;
  }))).then((all) => all.every(Boolean));
}"""


async def once(browser: Browser, server: ServerProcess) -> float:
    async with server.admin_async() as api:
        s = await api.create_session(title="Measure")
    pages = []
    for role, name in (("mentor", "Ana"), ("mentee", "Ben")):
        context = await browser.new_context()
        page = await context.new_page()
        await page.goto(s["join_urls"][role])
        await page.fill("#name-input", name)
        pages.append(page)
    await pages[0].get_by_role("button", name="Join").first.click()
    await pages[0].wait_for_function("() => window.tandem && window.tandem.participantId")
    started = time.monotonic()
    await pages[1].get_by_role("button", name="Join").first.click()
    for page in pages:
        await page.wait_for_function(ALL_DECODING, timeout=30_000, polling=20)
    elapsed = time.monotonic() - started
    for page in pages:
        await page.context.close()
    return elapsed


async def main_async(runs: int) -> list[float]:
    with tempfile.TemporaryDirectory() as workdir:
        async with bench_server(Path(workdir)) as server, async_playwright() as p:
            browser = await p.chromium.launch(executable_path="/usr/bin/chromium",
                                              args=CHROMIUM_ARGS)
            times = [await once(browser, server) for _ in range(runs)]
            await browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    times = asyncio.run(main_async(args.runs))
    print(f"machine: {os.cpu_count()} cores, load average before the run {load_before:.2f}")
    print(f"join to first decoded video both ways, {len(times)} runs: "
          f"median {percentile(times, 50) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
