"""Time from "open rooms" to first decoded partner video in every breakout room.

A real Tandem server runs as a subprocess; a mentor and 2 x N headless participants (aiortc,
clients/headless.py, 160x120 test video) join one session. For each round the mentor creates N
rooms, assigns pairs and opens them; each participant then offers to its partner, as the web
client does, and notes when it decodes the partner's first video frame. A room "has video" when
both partners have decoded the other; the round's figure is the time until the last room has
video.

    python -m load_tests.breakout_video --rooms 2,4,6,8,10 --runs 5

All traffic stays on 127.0.0.1. The figures include WebRTC set-up (ICE, DTLS) done by aiortc in
this one process, so they are an upper bound for the server's share.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import aioice.ice

from clients.admin import join_token
from clients.headless import HeadlessParticipant
from clients.server import ServerProcess
from load_tests.stats import percentile
from load_tests.targets import tandem_process


def bench_server(workdir: Path) -> ServerProcess:
    """The Tandem server these media benchmarks measure (warnings only in its log)."""
    return tandem_process(workdir / "data", env={"TANDEM_LOG_LEVEL": "WARNING"})


async def _ok(p: HeadlessParticipant, event: str, data: Any = None) -> dict[str, Any]:
    ack = await p.call(event, data)
    if not ack.get("ok"):
        raise RuntimeError(f"{event} refused: {ack}")
    return ack


Pair = tuple[HeadlessParticipant, HeadlessParticipant]


async def _round(
    mentor: HeadlessParticipant, people: list[HeadlessParticipant], rooms: int, timeout: float
) -> list[float | None]:
    """One round: open ``rooms`` rooms of two; per room, the seconds until both partners decoded
    each other's video (None: not within ``timeout``)."""
    for p in people:
        p.first_frame_at.clear()
        p.frame_seen.clear()
    created = await _ok(mentor, "breakout_create", {"count": rooms})
    ids = [room["id"] for room in created["breakouts"]["rooms"]]  # "<round>:b<n>"
    for i, p in enumerate(people):
        await _ok(mentor, "breakout_assign", {"participant_id": p.id, "room": ids[i // 2]})
    opened = time.time()
    await _ok(mentor, "breakout_open", {})
    deadline = time.monotonic() + timeout
    pairs: list[Pair] = [(people[i], people[i + 1]) for i in range(0, len(people), 2)]
    while time.monotonic() < deadline and not all(_has_video(pair) for pair in pairs):
        await asyncio.sleep(0.02)
    times = [
        max(a.first_frame_at[b.id], b.first_frame_at[a.id]) - opened if _has_video((a, b))
        else None
        for a, b in pairs
    ]
    await _ok(mentor, "breakout_close", {"countdown_seconds": 0})
    await asyncio.sleep(0.5)  # let the peer connections of this round close
    return times


def _has_video(pair: Pair) -> bool:
    a, b = pair
    return b.id in a.first_frame_at and a.id in b.first_frame_at


async def measure(server: ServerProcess, rooms: int, runs: int, timeout: float) -> dict[str, Any]:
    async with server.admin_async() as api:
        session = await api.create_session(
            title=f"{rooms} rooms", max_participants=2 * rooms + 1
        )
    links = session["join_urls"]
    url = server.url
    mentor = HeadlessParticipant(
        url, join_token(links["mentor"]), "Mentor", video=False, media_in_main=False
    )
    people = [
        HeadlessParticipant(url, join_token(links["mentee"]), f"P{i}", media_in_main=False)
        for i in range(2 * rooms)
    ]
    per_room: list[float] = []
    all_rooms: list[float] = []
    failures = 0
    try:
        for p in [mentor, *people]:
            await p.start()
        for _ in range(runs):
            times = await _round(mentor, people, rooms, timeout)
            done = [t for t in times if t is not None]
            failures += len(times) - len(done)
            per_room.extend(done)
            if len(done) == len(times):
                all_rooms.append(max(done))
    finally:
        for p in [mentor, *people]:
            await p.close()
    return {
        "rooms": rooms,
        "runs": runs,
        "room_median_s": _percentile(per_room, 50),
        "room_p90_s": _percentile(per_room, 90),
        "all_rooms_median_s": _percentile(all_rooms, 50),
        "all_rooms_max_s": max(all_rooms) if all_rooms else None,
        "rooms_without_video": failures,
    }


def _percentile(values: list[float], q: float) -> float | None:
    return percentile(values, q) if values else None


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f} ms"


async def main_async(rooms: list[int], runs: int, timeout: float) -> list[dict[str, Any]]:
    # aioice leaves 127.0.0.1 out of its candidates; keep every packet on loopback.
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        async with bench_server(Path(workdir)) as server:
            for n in rooms:
                results.append(await measure(server, n, runs, timeout))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", default="2,4,6,8,10", help="comma-separated room counts")
    parser.add_argument("--runs", type=int, default=5, help="rounds per room count")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait per round")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    rooms = [int(n) for n in args.rooms.split(",")]
    load_before = os.getloadavg()[0]
    results = asyncio.run(main_async(rooms, args.runs, args.timeout))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"machine: {os.cpu_count()} cores, load average before the run {load_before:.2f}")
    print(
        "| rooms | people | median per room | p90 per room | median until every room | "
        "worst round | rooms without video |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(
            f"| {r['rooms']} | {2 * r['rooms'] + 1} | {_fmt(r['room_median_s'])} | "
            f"{_fmt(r['room_p90_s'])} | {_fmt(r['all_rooms_median_s'])} | "
            f"{_fmt(r['all_rooms_max_s'])} | {r['rooms_without_video']} |"
        )


if __name__ == "__main__":
    main()
