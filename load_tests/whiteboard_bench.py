"""Whiteboard benchmark: how long a board update takes to reach the other members of a room under
a steady drawing load, and what that load costs the server.

The real server runs as a subprocess (its own data directory, fsync on); one process here holds
every member of one room (30 by default) on the lean socket.io client. ``--drawers`` of them draw:
each sends ``--rate`` updates a second (a stroke growing point by point, as the page sends its
merged changes every 50 ms) and its pointer ``--cursor-rate`` times a second. Every update also
sets the drawer's sequence number in the board, so a member that applies what it receives (a
pycrdt replica, ``--measurers`` of the members) knows which updates have reached it, including
those merged into one relay: latency = receipt time - send time of each update, per receiving
member. The server's CPU is read from /proc over the measured window.

    .venv/bin/python -m load_tests.whiteboard_bench                 # 30 members, 5 drawing
    .venv/bin/python -m load_tests.whiteboard_bench --drawers 30    # everyone drawing at once
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pycrdt import Array, Doc, Map, TransactionEvent

from clients.admin import join_token
from clients.server import ServerProcess
from load_tests.sioclient import Client
from load_tests.stats import percentile
from load_tests.targets import tandem_process

STROKE_POINTS = 60  # a new stroke after this many points


@dataclass
class Result:
    members: int
    drawers: int
    rate_per_drawer: float
    cursor_rate: float
    seconds: float
    updates_sent: int
    updates_acked: int
    refused: dict[str, int]
    relays_received: int
    deliveries_per_second: float
    samples: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    server_cpu_percent: float
    generator_cpu_percent: float
    server_run_queue_wait_percent: float
    server_rss_mb: float
    board_bytes: int
    cores: int | None
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]


class Drawer:
    """A member who draws: a pycrdt replica whose own changes become the updates it sends."""

    def __init__(self, index: int) -> None:
        self.doc: Doc[Any] = Doc()
        self.items = self.doc.get("items", type=Map)
        self.key = f"bench-{index}"
        self.seq = 0
        self.stroke: Array[float] | None = None
        self.out: list[bytes] = []
        self.sent_at: dict[int, float] = {}
        self.doc.observe(self._collect)

    def _collect(self, event: TransactionEvent) -> None:
        self.out.append(event.update)

    def next_update(self, x: float, y: float) -> bytes:
        self.seq += 1
        with self.doc.transaction():
            if self.stroke is None or len(self.stroke) >= STROKE_POINTS * 2:
                self.stroke = Array([x, y])
                self.items[f"{self.key}-{self.seq}"] = Map(
                    {
                        "type": "pen",
                        "author": self.key,
                        "color": "#1d4ed8",
                        "width": 3.0,
                        "z": float(self.seq),
                        "x": 0.0,
                        "y": 0.0,
                        "points": self.stroke,
                    }
                )
            else:
                self.stroke.extend([x, y])
            self.items[self.key] = Map({"type": "text", "text": "", "seq": float(self.seq)})
        update = self.out[-1]
        self.out.clear()
        return update


@dataclass
class Measurer:
    """A member that applies what it receives and records when each drawer's update arrived."""

    drawers: list[Drawer]
    doc: Doc[Any] = field(default_factory=Doc)
    seen: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    measuring: bool = False

    def receive(self, update: bytes, now: float) -> None:
        self.doc.apply_update(update)
        items = self.doc.get("items", type=Map)
        for d in self.drawers:
            marker = items.get(d.key)
            if not isinstance(marker, Map):
                continue
            seq = int(marker.get("seq") or 0)
            last = self.seen.get(d.key, 0)
            if seq > last:
                if self.measuring:
                    for n in range(last + 1, seq + 1):
                        sent = d.sent_at.get(n)
                        if sent is not None:
                            self.latencies.append(now - sent)
                self.seen[d.key] = seq


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _run_queue_wait(pid: int) -> float:
    """Seconds the process's threads have waited for a CPU while runnable (contention)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _ms(values: list[float], q: float) -> float:
    return round(percentile(values, q) * 1000, 2)


@dataclass
class Room:
    """The members of the room on the lean client, and what they sent and received."""

    clients: list[Client] = field(default_factory=list)
    relays: int = 0  # board updates received, by any member
    sent: int = 0
    acked: int = 0
    refused: dict[str, int] = field(default_factory=dict)

    def on_event(self, client: Client, name: str, data: Any) -> None:
        if name != "board_update":
            return
        self.relays += 1
        if client.tag is not None:
            client.tag.receive(data["update"], time.perf_counter())

    def on_ack(self, ack: Any) -> None:
        if isinstance(ack, dict) and ack.get("ok"):
            self.acked += 1
        else:
            code = ack.get("error", {}).get("code", "?") if isinstance(ack, dict) else "?"
            self.refused[code] = self.refused.get(code, 0) + 1


async def _join(
    args: argparse.Namespace, url: str, tokens: dict[str, str], measurers: list[Measurer]
) -> Room:
    """Every member joins and syncs the board; the measurers apply what they receive."""
    room = Room()
    for i in range(args.members):
        # Drawers are the first members; measurers the last, so none measures its own updates.
        first_measurer = args.members - args.measurers
        tag = measurers[i - first_measurer] if i >= first_measurer else None
        c = Client(url, on_event=room.on_event, tag=tag)
        await c.connect({"token": tokens["mentor" if i == 0 else "mentee"]})
        ack = await c.call("join", {"name": f"Member {i}"})
        assert ack["ok"], ack
        ack = await c.call("board_sync", {"room": "main", "state": b""})
        assert ack["ok"], ack
        if tag is not None:
            tag.receive(ack["update"], time.perf_counter())
        room.clients.append(c)
    return room


async def _draw(
    args: argparse.Namespace, room: Room, drawer: Drawer, i: int, until: float
) -> None:
    """Drawer ``i``: ``--rate`` updates a second, its pointer every so often, until ``until``."""
    c = room.clients[i]
    period = 1.0 / args.rate
    cursor_every = max(1, round(args.rate / args.cursor_rate)) if args.cursor_rate else 0
    start = time.perf_counter() + (i / max(1, args.drawers)) * period  # spread the drawers
    n = 0
    while True:
        due = start + n * period
        now = time.perf_counter()
        if due > until:
            return
        if due > now:
            await asyncio.sleep(due - now)
        x, y = 100 + (n * 7) % 1400, 100 + (n * 13) % 700
        update = drawer.next_update(float(x), float(y))
        drawer.sent_at[drawer.seq] = time.perf_counter()
        c.emit_nowait("board_update", {"room": "main", "update": update}, room.on_ack)
        room.sent += 1
        if cursor_every and n % cursor_every == 0:
            c.emit_nowait("board_cursor", {"room": "main", "x": float(x), "y": float(y)})
        n += 1


@dataclass
class Window:
    """Counts and clocks at the start of the measured window, and their growth over it."""

    pid: int
    relays: int
    sent: int
    acked: int
    server_cpu: float
    wall: float
    generator_cpu: float
    server_wait: float

    @classmethod
    def start(cls, pid: int, room: Room) -> Window:
        relays, sent, acked = room.relays, room.sent, room.acked
        server_cpu, wall = _cpu_seconds(pid), time.perf_counter()
        generator_cpu = time.process_time()
        return cls(pid, relays, sent, acked, server_cpu, wall, generator_cpu, _run_queue_wait(pid))

    def end(self, room: Room) -> dict[str, float]:
        server_cpu, wall = _cpu_seconds(self.pid), time.perf_counter()
        generator_cpu = time.process_time()
        server_wait = _run_queue_wait(self.pid)
        window = wall - self.wall
        return {
            "window": window,
            "relays": room.relays - self.relays,
            "server_cpu_percent": round(100 * (server_cpu - self.server_cpu) / window, 1),
            "generator_cpu_percent": round(100 * (generator_cpu - self.generator_cpu) / window, 1),
            "server_run_queue_wait_percent": round(
                100 * (server_wait - self.server_wait) / window, 1
            ),
        }


async def run(args: argparse.Namespace, server: ServerProcess) -> Result:
    async with server.admin_async() as api:
        created = await api.create_session(title="Whiteboard bench", max_participants=args.members)
    tokens = {role: join_token(u) for role, u in created["join_urls"].items()}
    drawers = [Drawer(i) for i in range(args.drawers)]
    measurers = [Measurer(drawers) for _ in range(args.measurers)]
    room = await _join(args, server.url, tokens, measurers)

    load_before = os.getloadavg()
    warm_end = time.perf_counter() + args.warmup
    end = warm_end + args.seconds
    tasks = [asyncio.create_task(_draw(args, room, d, i, end)) for i, d in enumerate(drawers)]
    await asyncio.sleep(max(0.0, warm_end - time.perf_counter()))
    for m in measurers:
        m.measuring = True
    window = Window.start(server.pid, room)
    await asyncio.gather(*tasks)
    figures = window.end(room)
    await asyncio.sleep(1.0)  # let the last relays and acks arrive
    for m in measurers:
        m.measuring = False
    load_after = os.getloadavg()
    rss = _rss_mb(server.pid)
    async with server.admin_async() as api:
        boards = (await api.call("GET", f"/api/sessions/{created['session_id']}/boards"))["boards"]
    for c in room.clients:
        await c.close()
    lat = [x for m in measurers for x in m.latencies]
    seconds = figures["window"]
    return Result(
        members=args.members,
        drawers=args.drawers,
        rate_per_drawer=args.rate,
        cursor_rate=args.cursor_rate,
        seconds=round(seconds, 2),
        updates_sent=room.sent - window.sent,
        updates_acked=room.acked - window.acked,
        refused=room.refused,
        relays_received=int(figures["relays"]),
        deliveries_per_second=round(figures["relays"] / seconds, 1),
        samples=len(lat),
        p50_ms=_ms(lat, 50),
        p90_ms=_ms(lat, 90),
        p99_ms=_ms(lat, 99),
        max_ms=round(max(lat) * 1000, 2) if lat else 0.0,
        server_cpu_percent=figures["server_cpu_percent"],
        generator_cpu_percent=figures["generator_cpu_percent"],
        server_run_queue_wait_percent=figures["server_run_queue_wait_percent"],
        server_rss_mb=round(rss, 1),
        board_bytes=boards[0]["bytes"] if boards else 0,
        cores=os.cpu_count(),
        load_before=load_before,
        load_after=load_after,
    )


def _print(r: Result) -> None:
    print(
        f"{r.members} members, {r.drawers} drawing at {r.rate_per_drawer:g} updates/s "
        f"(+ pointer {r.cursor_rate:g}/s), {r.seconds:.1f} s measured, {r.cores} cores"
    )
    print(f"  updates: {r.updates_sent} sent, {r.updates_acked} acknowledged, refused {r.refused}")
    print(f"  relays received: {r.relays_received} ({r.deliveries_per_second:,.0f}/s)")
    print(
        f"  update to another member: p50 {r.p50_ms:.1f} ms, p90 {r.p90_ms:.1f} ms, "
        f"p99 {r.p99_ms:.1f} ms, max {r.max_ms:.1f} ms ({r.samples} samples)"
    )
    print(
        f"  server: {r.server_cpu_percent:.0f}% of one core, RSS {r.server_rss_mb:.0f} MB; "
        f"board {r.board_bytes:,} bytes stored; this load generator: "
        f"{r.generator_cpu_percent:.0f}% of one core"
    )
    print(
        f"  server waited for a CPU {r.server_run_queue_wait_percent:.0f}% of the time "
        "(other work on the machine)"
    )
    print(
        f"  load average before {' '.join(f'{x:.2f}' for x in r.load_before)}, after "
        f"{' '.join(f'{x:.2f}' for x in r.load_after)}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=30)
    parser.add_argument("--drawers", type=int, default=5)
    parser.add_argument("--rate", type=float, default=20.0, help="updates per second per drawer")
    parser.add_argument("--cursor-rate", type=float, default=10.0)
    parser.add_argument("--measurers", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not 0 < args.measurers <= args.members - 1 or args.drawers > args.members:
        raise SystemExit("need 1 <= measurers < members and drawers <= members")
    if args.drawers + args.measurers > args.members:
        raise SystemExit("drawers and measurers must be different members")

    workdir = Path(tempfile.mkdtemp(prefix="whiteboard-bench-"))
    server = tandem_process(
        workdir / "data",
        flags=["--max-session-size", str(max(25, args.members))],
        env={"TANDEM_LOG_LEVEL": "WARNING"},
    )
    try:
        async with server:
            r = await run(args, server)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    _print(r)
    if args.json:
        args.json.write_text(json.dumps(asdict(r), indent=2))


if __name__ == "__main__":
    asyncio.run(main())
