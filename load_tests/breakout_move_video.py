"""Real Chromium: how long after a breakout move the new room's video decodes, when the rooms'
media goes through the server (the move changes what the person's subscribe connection carries;
no new connection is made).

A mentor and six mentees join; the mentor opens two rooms of three (A, B, C and D, E, F) and
stays alone in the main room. Once every mentee decodes their two roommates through the server,
the mentor swaps A and D (two ``breakout_assign`` commands sent together), and back again,
``--runs`` times. For each swap: the time from sending the commands until each mover decodes new
frames of both their new roommates, and until those roommates decode new frames of the mover
("new": two frames more on the slot that carries that person than it had at the move; a slot
that changed source may count a frame of its old source still in flight, so a figure can be
early by a frame or two).

    unshare -n sh -c 'ip link set lo up && .venv/bin/python -m load_tests.breakout_move_video'

The pages share one Chromium: that is enough here, as no page opens its camera during a move (a
page that opens the camera of a shared browser stalls the others' frames, which is why
``join_video`` gives each person a browser of their own).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.async_api import Page, async_playwright

from clients.server import REPO, ServerProcess
from load_tests.join_video import CHROMIUM_ARGS, _page
from load_tests.stats import percentile
from load_tests.targets import ADMIN_KEY, python_exe

# Per slot (mid) carrying someone's camera: who, and the video frames decoded on it so far.
SLOTS_JS = """
async () => {
  const h = window.tandemTestHooks;
  const pc = h.serverConnections && h.serverConnections.subscribe;
  if (!pc || pc.connectionState !== "connected") return null;
  const decoded = {};
  (await pc.getStats()).forEach((r) => {
    if (r.type === "inbound-rtp" && r.kind === "video") decoded[r.mid] = r.framesDecoded || 0;
  });
  return h.slots.filter((s) => s.participant_id && s.source === "camera")
    .map((s) => ({mid: s.mid, who: s.participant_id, decoded: decoded[s.mid] || 0}));
}
"""
COMMAND_JS = """
async (commands) => Promise.all(commands.map(([event, payload]) =>
  window.tandemTestHooks.socket.timeout(10000).emitWithAck(event, payload)))
"""
NEW_FRAMES = 2  # frames decoded on a slot since the move, carrying the wanted person


async def slots(page: Page) -> list[dict[str, Any]]:
    return list(await page.evaluate(SLOTS_JS) or [])


async def decodes(page: Page, wanted: set[str], base: dict[str, int] | None = None) -> bool:
    """Whether ``page`` decodes every ``wanted`` person's camera through the server, with at
    least NEW_FRAMES frames more on their slot than ``base`` (frames per mid at the move)."""
    seen = {s["who"]: s for s in await slots(page)}
    for who in wanted:
        slot = seen.get(who)
        if slot is None or slot["decoded"] < (base or {}).get(slot["mid"], 0) + NEW_FRAMES:
            return False
    return True


async def until(page: Page, wanted: set[str], base: dict[str, int] | None = None,
                timeout: float = 30.0) -> float:
    started = time.monotonic()
    while not await decodes(page, wanted, base):
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{len(wanted)} videos did not decode within {timeout} s")
        await asyncio.sleep(0.03)
    return time.monotonic() - started


async def swap(mentor: Page, pages: dict[str, Page], ids: dict[str, str],
               rooms: dict[str, set[str]], room_id: dict[str, str],
               a: str, d: str) -> tuple[list[float], list[float]]:
    """Move ``a`` and ``d`` into each other's rooms: (movers' times, roommates' times)."""
    ra = next(r for r, people in rooms.items() if a in people)
    rd = next(r for r, people in rooms.items() if d in people)
    bases = {name: {s["mid"]: s["decoded"] for s in await slots(page)}
             for name, page in pages.items()}
    rooms[ra].remove(a)
    rooms[rd].remove(d)
    rooms[rd].add(a)
    rooms[ra].add(d)
    started = time.monotonic()
    acks = await mentor.evaluate(COMMAND_JS, [
        ["breakout_assign", {"participant_id": ids[a], "room": room_id[rd]}],
        ["breakout_assign", {"participant_id": ids[d], "room": room_id[ra]}],
    ])
    assert all(ack and ack.get("ok") for ack in acks), acks

    async def watch(who: str, wanted: set[str]) -> float:
        await until(pages[who], {ids[w] for w in wanted}, bases[who])
        return time.monotonic() - started

    movers = [watch(a, rooms[rd] - {a}), watch(d, rooms[ra] - {d})]
    mates = [watch(m, {a}) for m in rooms[rd] - {a}] + [watch(m, {d}) for m in rooms[ra] - {d}]
    times = await asyncio.gather(*movers, *mates)
    return list(times[:2]), list(times[2:])


async def measure(runs: int, server_nice: int = 0) -> tuple[list[float], list[float]]:
    movers: list[float] = []
    mates: list[float] = []
    with tempfile.TemporaryDirectory() as workdir:
        server = ServerProcess(Path(workdir) / "data", admin_key=ADMIN_KEY, checkout=REPO,
                               python=python_exe(), env={"TANDEM_LOG_LEVEL": "WARNING"})
        async with server, async_playwright() as p:
            if server_nice:
                os.setpriority(os.PRIO_PROCESS, server.pid, server_nice)
            browser = await p.chromium.launch(executable_path="/usr/bin/chromium",
                                              args=CHROMIUM_ARGS)
            async with server.admin_async() as api:
                s = await api.create_session(title="Moves", max_participants=7)
            names = ["M", "A", "B", "C", "D", "E", "F"]
            pages: dict[str, Page] = {}
            for name in names:
                link = s["join_urls"]["mentor" if name == "M" else "mentee"]
                page = await _page(await browser.new_context(), link, name)
                await page.get_by_role("button", name="Join").first.click()
                await page.wait_for_function(
                    "() => window.tandemTestHooks && window.tandemTestHooks.participantId")
                pages[name] = page
            ids = {n: await pg.evaluate("() => window.tandemTestHooks.participantId")
                   for n, pg in pages.items()}
            mentor = pages.pop("M")
            rooms = {"one": {"A", "B", "C"}, "two": {"D", "E", "F"}}
            created = (await mentor.evaluate(COMMAND_JS, [
                ["breakout_create", {"names": ["one", "two"]}]]))[0]
            assert created and created.get("ok"), created
            room_id = {r["name"]: r["id"] for r in created["breakouts"]["rooms"]}
            assigns = [["breakout_assign", {"participant_id": ids[n], "room": room_id[r]}]
                       for r, people in rooms.items() for n in sorted(people)]
            assigns.append(["breakout_open", {"duration_seconds": None}])
            for command in assigns:  # one after another: the round opens last
                ack = (await mentor.evaluate(COMMAND_JS, [command]))[0]
                assert ack and ack.get("ok"), (command, ack)
            for people in rooms.values():
                for n in people:
                    await until(pages[n], {ids[o] for o in people - {n}}, timeout=60)
            await asyncio.sleep(2)  # the moves to the rooms' routes settle
            for run in range(runs):
                a, d = ("A", "D") if run % 2 == 0 else ("D", "A")
                moved, joined = await swap(mentor, pages, ids, rooms, room_id, a, d)
                movers += moved
                mates += joined
                print(f"swap {run + 1}: movers {', '.join(f'{t * 1000:.0f}' for t in moved)} ms;"
                      f" their new roommates {', '.join(f'{t * 1000:.0f}' for t in joined)} ms",
                      flush=True)
                await asyncio.sleep(2)
            await browser.close()
    return movers, mates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--server-nice", type=int, default=0,
                        help="the server's nice value (negative: ahead of the browsers, as a "
                             "server on a machine of its own would be; needs root)")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average before the run "
          f"{os.getloadavg()[0]:.2f}; Chromium with its fake camera, loopback", flush=True)
    if args.server_nice:
        print(f"the server runs at nice {args.server_nice}, the browsers at 0", flush=True)
    movers, mates = asyncio.run(measure(args.runs, args.server_nice))
    for label, times in (("a mover decodes both new roommates", movers),
                         ("a roommate decodes the mover", mates)):
        ms = [t * 1000 for t in times]
        print(f"{label}: median {percentile(ms, 50):.0f} ms, slowest {max(ms):.0f} ms "
              f"({len(ms)} measures)", flush=True)


if __name__ == "__main__":
    main()
