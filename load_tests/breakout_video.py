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
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import aioice.ice

from clients.headless import HeadlessParticipant
from load_tests.targets import free_port

ADMIN_KEY = "breakout-bench-admin-key-0123"
REPO = Path(__file__).resolve().parent.parent


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {ADMIN_KEY}"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        data: dict[str, Any] = json.loads(resp.read())
        return data


class Server:
    def __init__(self, data_dir: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "TANDEM_ADMIN_KEY": ADMIN_KEY, "TANDEM_LOG_LEVEL": "WARNING"}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--data-dir",
                data_dir,
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


async def _ok(p: HeadlessParticipant, event: str, data: Any = None) -> dict[str, Any]:
    ack = await p.call(event, data)
    if not ack.get("ok"):
        raise RuntimeError(f"{event} refused: {ack}")
    return ack


async def measure(url: str, rooms: int, runs: int, timeout: float) -> dict[str, Any]:
    session = _post(
        url + "/api/sessions", {"title": f"{rooms} rooms", "max_participants": 2 * rooms + 1}
    )
    token = session["join_urls"]
    mentor = HeadlessParticipant(
        url, token["mentor"].split("#token=")[1], "Mentor", video=False, media_in_main=False
    )
    people = [
        HeadlessParticipant(url, token["mentee"].split("#token=")[1], f"P{i}", media_in_main=False)
        for i in range(2 * rooms)
    ]
    per_room: list[float] = []
    all_rooms: list[float] = []
    failures = 0
    try:
        for p in [mentor, *people]:
            await p.start()
        for _ in range(runs):
            for p in people:
                p.first_frame_at.clear()
                p.frame_seen.clear()
            await _ok(mentor, "breakout_create", {"count": rooms})
            for i, p in enumerate(people):
                await _ok(
                    mentor, "breakout_assign", {"participant_id": p.id, "room": f"b{i // 2 + 1}"}
                )
            opened = time.time()
            await _ok(mentor, "breakout_open", {})
            deadline = time.monotonic() + timeout
            pairs = [(people[i], people[i + 1]) for i in range(0, len(people), 2)]
            while time.monotonic() < deadline:
                if all(b.id in a.first_frame_at and a.id in b.first_frame_at for a, b in pairs):
                    break
                await asyncio.sleep(0.02)
            times = []
            for a, b in pairs:
                if b.id in a.first_frame_at and a.id in b.first_frame_at:
                    times.append(max(a.first_frame_at[b.id], b.first_frame_at[a.id]) - opened)
                else:
                    failures += 1
            per_room.extend(times)
            if len(times) == len(pairs):
                all_rooms.append(max(times))
            await _ok(mentor, "breakout_close", {"countdown_seconds": 0})
            await asyncio.sleep(0.5)  # let the peer connections of this round close
    finally:
        for p in [mentor, *people]:
            await p.close()
    return {
        "rooms": rooms,
        "runs": runs,
        "room_median_s": statistics.median(per_room) if per_room else None,
        "room_p90_s": _quantile(per_room, 0.9),
        "all_rooms_median_s": statistics.median(all_rooms) if all_rooms else None,
        "all_rooms_max_s": max(all_rooms) if all_rooms else None,
        "rooms_without_video": failures,
    }


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f} ms"


async def main_async(rooms: list[int], runs: int, timeout: float) -> list[dict[str, Any]]:
    # aioice leaves 127.0.0.1 out of its candidates; keep every packet on loopback.
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
    results = []
    with tempfile.TemporaryDirectory() as data_dir:
        server = Server(data_dir)
        try:
            server.wait_ready()
            for n in rooms:
                results.append(await measure(server.url, n, runs, timeout))
        finally:
            server.stop()
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
