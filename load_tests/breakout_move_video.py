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

The mentor is a Socket.IO client in this process, as the mentor's own machine would be: the
commands do not wait behind six pages' video on the machine's two cores. Each page starts
watching its own decoding (``getStats`` every 20 ms) before the commands go, and notes the moment
by the system clock that this process reads too, so no round trip to the page is counted.

Six pages that each encode a camera and decode two on two cores measure mostly the machine:
their main threads answer late, whatever the server does. ``--others light`` keeps the movers
as Chromium pages and makes their roommates light participants (``light_participant``:
pre-encoded video, frames counted as they arrive, not decoded), so that the movers' decoding is
measured on a machine they have to themselves; the roommates' figure is then when the mover's
frames reach them.

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

import socketio
from playwright.async_api import Page, async_playwright

from clients.admin import join_token
from clients.server import REPO, ServerProcess
from load_tests.join_video import CHROMIUM_ARGS, _page
from load_tests.light_participant import LightParticipant, on_loopback
from load_tests.sfu_forwarding import encoded_frames
from load_tests.stats import percentile
from load_tests.targets import ADMIN_KEY, python_exe

# Per slot (mid) carrying someone's camera: who, and the video frames decoded on it so far.
SLOTS_FN = """
async function slots() {
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
SLOTS_JS = f"async () => {{ {SLOTS_FN} return await slots(); }}"
NEW_FRAMES = 2  # frames decoded on a slot since the move, carrying the wanted person
# The page's own clock (ms since the epoch) when it decodes NEW_FRAMES new frames of each wanted
# person (past ``base``, frames per mid at the move); null after ``timeout`` ms.
DECODED_AT_JS = f"""
async ([wanted, base, timeout]) => {{
  {SLOTS_FN}
  const started = Date.now();
  for (;;) {{
    const seen = new Map(((await slots()) || []).map((s) => [s.who, s]));
    if (wanted.every((who) => {{
      const s = seen.get(who);
      return s && s.decoded >= (base[s.mid] || 0) + {NEW_FRAMES};
    }})) return Date.now();
    if (Date.now() - started > timeout) return null;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }}
}}
"""


async def slots(page: Page) -> list[dict[str, Any]]:
    return list(await page.evaluate(SLOTS_JS) or [])


class PageWatch:
    """A person in Chromium: frames decoded per slot, watched by the page itself."""

    def __init__(self, page: Page) -> None:
        self.page = page

    async def base(self) -> dict[str, int]:
        return {s["mid"]: s["decoded"] for s in await slots(self.page)}

    async def decoded_at(self, wanted: list[str], base: dict[str, int],
                         timeout: float = 30.0) -> float | None:
        at = await self.page.evaluate(DECODED_AT_JS, [wanted, base, timeout * 1000])
        return None if at is None else float(at) / 1000


class LightWatch:
    """A light participant: encoded frames received per person, watched here."""

    def __init__(self, person: LightParticipant) -> None:
        self.person = person

    async def base(self) -> dict[str, int]:
        return {who: n for (who, kind), n in self.person.media.frames.items() if kind == "video"}

    async def decoded_at(self, wanted: list[str], base: dict[str, int],
                         timeout: float = 30.0) -> float | None:
        frames, started = self.person.media.frames, time.monotonic()
        while not all(frames[(who, "video")] >= base.get(who, 0) + NEW_FRAMES for who in wanted):
            if time.monotonic() - started > timeout:
                return None
            await asyncio.sleep(0.005)
        return time.time()


Watch = PageWatch | LightWatch


async def swap(mentor: socketio.AsyncClient, people: dict[str, Watch], ids: dict[str, str],
               rooms: dict[str, set[str]], room_id: dict[str, str],
               a: str, d: str) -> tuple[list[float], list[float]]:
    """Move ``a`` and ``d`` into each other's rooms: (movers' times, roommates' times)."""
    ra = next(r for r, members in rooms.items() if a in members)
    rd = next(r for r, members in rooms.items() if d in members)
    bases = {name: await watch.base() for name, watch in people.items()}
    rooms[ra].remove(a)
    rooms[rd].remove(d)
    rooms[rd].add(a)
    rooms[ra].add(d)

    async def watch(who: str, wanted: set[str]) -> float:
        at = await people[who].decoded_at(sorted(ids[w] for w in wanted), bases[who])
        if at is None:
            raise TimeoutError(f"{who} did not decode {sorted(wanted)} within 30 s")
        return at - started

    # Everyone watches before the commands go, so no figure waits for its watch to start.
    watches = [asyncio.ensure_future(w) for w in (
        [watch(a, rooms[rd] - {a}), watch(d, rooms[ra] - {d})]
        + [watch(m, {a}) for m in sorted(rooms[rd] - {a})]
        + [watch(m, {d}) for m in sorted(rooms[ra] - {d})])]
    await asyncio.sleep(0.5)
    started = time.time()
    acks = await asyncio.gather(
        command(mentor, "breakout_assign", {"participant_id": ids[a], "room": room_id[rd]}),
        command(mentor, "breakout_assign", {"participant_id": ids[d], "room": room_id[ra]}),
    )
    assert all(ack.get("ok") for ack in acks), acks
    times = await asyncio.gather(*watches)
    return list(times[:2]), list(times[2:])


async def command(mentor: socketio.AsyncClient, event: str,
                  payload: dict[str, Any]) -> dict[str, Any]:
    ack: dict[str, Any] = await mentor.call(event, payload, timeout=10)
    return ack


async def measure(runs: int, server_nice: int = 0,
                  light: bool = False) -> tuple[list[float], list[float]]:
    """``light``: only the movers (A and D) are Chromium pages, their roommates are light."""
    movers: list[float] = []
    mates: list[float] = []
    frames = encoded_frames() if light else []
    lights: list[LightParticipant] = []
    with tempfile.TemporaryDirectory() as workdir, on_loopback():
        server = ServerProcess(Path(workdir) / "data", admin_key=ADMIN_KEY, checkout=REPO,
                               python=python_exe(), env={"TANDEM_LOG_LEVEL": "WARNING"})
        async with server, async_playwright() as p:
            if server_nice:
                os.setpriority(os.PRIO_PROCESS, server.pid, server_nice)
            browser = await p.chromium.launch(executable_path="/usr/bin/chromium",
                                              args=CHROMIUM_ARGS)
            async with server.admin_async() as api:
                s = await api.create_session(title="Moves", max_participants=7)
            mentor = socketio.AsyncClient(serializer="msgpack", reconnection=False)
            await mentor.connect(server.url, auth={"token": join_token(s["join_urls"]["mentor"])},
                                 transports=["websocket"], wait_timeout=10)
            ack = await command(mentor, "join", {"name": "M", "audio": False, "video": False})
            assert ack.get("ok"), ack
            people: dict[str, Watch] = {}
            ids: dict[str, str] = {}
            for name in ["A", "B", "C", "D", "E", "F"]:
                link = s["join_urls"]["mentee"]
                if light and name not in ("A", "D"):
                    person = LightParticipant(server.url, link, name, frames)
                    await person.start()
                    lights.append(person)
                    people[name], ids[name] = LightWatch(person), person.id
                    continue
                page = await _page(await browser.new_context(), link, name)
                await page.get_by_role("button", name="Join").first.click()
                await page.wait_for_function(
                    "() => window.tandemTestHooks && window.tandemTestHooks.participantId")
                people[name] = PageWatch(page)
                ids[name] = await page.evaluate("() => window.tandemTestHooks.participantId")
            rooms = {"one": {"A", "B", "C"}, "two": {"D", "E", "F"}}
            created = await command(mentor, "breakout_create", {"names": ["one", "two"]})
            assert created.get("ok"), created
            room_id = {r["name"]: r["id"] for r in created["breakouts"]["rooms"]}
            assigns = [("breakout_assign", {"participant_id": ids[n], "room": room_id[r]})
                       for r, members in rooms.items() for n in sorted(members)]
            assigns.append(("breakout_open", {"duration_seconds": None}))
            for event, payload in assigns:  # one after another: the round opens last
                ack = await command(mentor, event, payload)
                assert ack.get("ok"), (event, payload, ack)
            for members in rooms.values():
                for n in members:
                    at = await people[n].decoded_at([ids[o] for o in members - {n}], {}, 60)
                    assert at is not None, f"{n} does not see their room"
            await asyncio.sleep(2)  # the moves to the rooms' routes settle
            for run in range(runs):
                a, d = ("A", "D") if run % 2 == 0 else ("D", "A")
                moved, joined = await swap(mentor, people, ids, rooms, room_id, a, d)
                movers += moved
                mates += joined
                print(f"swap {run + 1}: movers {', '.join(f'{t * 1000:.0f}' for t in moved)} ms;"
                      f" their new roommates {', '.join(f'{t * 1000:.0f}' for t in joined)} ms",
                      flush=True)
                await asyncio.sleep(2)
            for person in lights:
                await person.close()
            await mentor.disconnect()
            await browser.close()
    return movers, mates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--server-nice", type=int, default=0,
                        help="the server's nice value (negative: ahead of the browsers, as a "
                             "server on a machine of its own would be; needs root)")
    parser.add_argument("--others", choices=("browsers", "light"), default="browsers",
                        help="the movers' roommates: Chromium pages, or light participants "
                             "(load_tests.light_participant), so that the two movers are the "
                             "only browsers on the machine")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average before the run "
          f"{os.getloadavg()[0]:.2f}; Chromium with its fake camera, loopback", flush=True)
    if args.server_nice:
        print(f"the server runs at nice {args.server_nice}, the browsers at 0", flush=True)
    light = args.others == "light"
    if light:
        print("the movers A and D are Chromium pages; B, C, E and F are light participants "
              "(pre-encoded 640x360 VP8 at 30 fps; they count the frames they receive)",
              flush=True)
    movers, mates = asyncio.run(measure(args.runs, args.server_nice, light))
    for label, times in (("a mover decodes both new roommates", movers),
                         ("a roommate " + ("receives" if light else "decodes") + " the mover",
                          mates)):
        ms = [t * 1000 for t in times]
        print(f"{label}: median {percentile(ms, 50):.0f} ms, slowest {max(ms):.0f} ms "
              f"({len(ms)} measures)", flush=True)


if __name__ == "__main__":
    main()
