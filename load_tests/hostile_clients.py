"""Hostile clients: the round-trip latency of well-behaved members of a session while one hostile
client misbehaves in each way in turn, beside the same run with no hostile client.

The real server runs as a subprocess (its own data directory); this process holds every client
on the lean socket.io client. Each case has a session of its own: ``--clients`` members join it
and each sends an acknowledged ``chat`` ``--rate`` times a second (every member receives every
message); the latency of one is from its send to its acknowledgement. The hostile client, in a
case that has one, does its one thing for the whole case:

- ``unknown-keys``: ``join`` with 20,000 unknown keys, again as soon as it is answered;
- ``deep-nesting``: ``chat`` whose text is nested 500 levels deep (lists and maps);
- ``oversized``: ``chat`` with 250,000 characters (within one message, over the field's bound);
- ``flood``: ``chat`` at ``--flood-rate`` a second, far over its rate limit, without waiting;
- ``pending-board``: whiteboard updates whose dependencies never come (each stays pending in
  the server's document), 1 KB each, again as soon as answered;
- ``slow-consumer``: a member that stops reading and keeps asking for the board (about 0.5 MB
  each answer); dropped at the send-buffer bound, it connects again and goes on.

    .venv/bin/python -m load_tests.hostile_clients                      # 4 members, 6 s a case
    .venv/bin/python -m load_tests.hostile_clients --seconds 2 --cases none,flood
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import shutil
import socket
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pycrdt import Doc, Map

from clients.admin import join_token
from clients.server import ServerProcess
from load_tests.processes import cpu_split
from load_tests.sioclient import Client
from load_tests.stats import percentile
from load_tests.targets import tandem_process

CASES = ("none", "unknown-keys", "deep-nesting", "oversized", "flood", "pending-board",
         "slow-consumer")


@dataclass
class CaseResult:
    case: str
    seconds: float
    samples: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    member_errors: dict[str, int]
    hostile_sent: int
    hostile_answers: dict[str, int]
    hostile_connections: int
    server_cpu_percent: float
    server_rss_growth_mb: float


@dataclass
class Members:
    """The well-behaved members and the round trips they measured."""

    clients: list[Client] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


@dataclass
class Hostile:
    sent: int = 0
    answers: Counter[str] = field(default_factory=Counter)
    connections: int = 0

    def answered(self, ack: Any) -> None:
        if isinstance(ack, dict):
            self.answers["ok" if ack.get("ok") else str(ack.get("error", {}).get("code"))] += 1


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for i in range(depth):
        value = [value] if i % 2 else {"n": value}
    return value


def pending_updates(size: int = 1000) -> Iterator[bytes]:
    """Whiteboard updates, made one at a time, that each depend on the one before; the first is
    never sent, so none of them can be applied."""
    doc: Doc[Any] = Doc()
    items = doc.get("items", type=Map)
    out: list[bytes] = []
    doc.observe(lambda event: out.append(event.update))
    for i in itertools.count():
        with doc.transaction():
            items[f"pending-{i}"] = Map({"type": "text", "text": "x" * size})
        if i:
            yield out[-1]
        out.clear()


def board_filler(parts: int = 8, size: int = 60_000) -> list[bytes]:
    """Valid board updates (each within the 64 KiB bound) that make a board of about
    ``parts * size`` bytes."""
    doc: Doc[Any] = Doc()
    items = doc.get("items", type=Map)
    out: list[bytes] = []
    doc.observe(lambda event: out.append(event.update))
    for i in range(parts):
        with doc.transaction():
            items[f"filler-{i}"] = Map({"type": "text", "text": chr(ord("a") + i) * size})
    return out


# The hostile client connects from an address of its own, as it would from its own machine: the
# server's bounds per address (new connections a second) then fall on it, not on the members.
HOSTILE_ADDRESS = "127.0.0.2"


async def _connect(url: str, token: str, name: str | None, source: str | None = None) -> Client:
    c = Client(url, source=source)
    await c.connect({"token": token})
    if name is not None:
        ack = await c.call("join", {"name": name})
        if not ack.get("ok"):
            raise RuntimeError(f"join refused: {ack}")
    return c


async def _member(c: Client, members: Members, rate: float, until: float, offset: float) -> None:
    await asyncio.sleep(offset)
    n = 0
    start = time.perf_counter()
    while True:
        due = start + n / rate
        if due > until:
            return
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        sent = time.perf_counter()
        ack = await c.call("chat", {"text": f"hello {n}"})
        if isinstance(ack, dict) and ack.get("ok"):
            members.latencies.append(time.perf_counter() - sent)
        else:
            members.errors[str(ack)[:80]] += 1
        n += 1


HostileLoop = Callable[[Hostile, Callable[[], bool]], Awaitable[None]]


def hostile_loop(case: str, url: str, token: str, args: argparse.Namespace) -> HostileLoop:
    """The hostile client's behaviour in ``case``, run until ``done()``."""

    async def closed_loop(h: Hostile, done: Callable[[], bool], event: str, payload: Any,
                          join: bool) -> None:
        """Send, wait for the answer or the connection's end, connect again if it ended."""
        c: Client | None = None
        closed = asyncio.Event()
        while not done():
            if c is None or c.closed:
                closed.clear()
                c = Client(url, on_close=lambda _c: closed.set(), source=HOSTILE_ADDRESS)
                try:
                    await c.connect({"token": token})
                except Exception:  # refused (rate_limited: too many new connections)
                    h.answers["connection refused"] += 1
                    await asyncio.sleep(0.05)
                    continue
                if join:
                    await c.call("join", {"name": "Hostile"})
                h.connections += 1
            h.sent += 1
            ack = c.call(event, payload, timeout=10)
            ended = asyncio.ensure_future(closed.wait())
            await asyncio.wait([ack, ended], return_when=asyncio.FIRST_COMPLETED)
            ended.cancel()
            if ack.done() and not ack.cancelled() and ack.exception() is None:
                h.answered(ack.result())
            else:
                ack.cancel()
                h.answers["connection closed"] += 1
        if c is not None:
            await c.close()

    if case == "unknown-keys":
        keys = {f"k{i}": i for i in range(20_000)}
        return lambda h, done: closed_loop(h, done, "join", keys, False)
    if case == "deep-nesting":
        deep = {"text": _nested(500)}
        return lambda h, done: closed_loop(h, done, "chat", deep, True)
    if case == "oversized":
        big = {"text": "x" * 250_000}
        return lambda h, done: closed_loop(h, done, "chat", big, True)
    if case == "pending-board":
        updates = pending_updates()

        async def pending(h: Hostile, done: Callable[[], bool]) -> None:
            c = await _connect(url, token, "Hostile", HOSTILE_ADDRESS)
            h.connections += 1
            while not done():
                h.sent += 1
                h.answered(await c.call("board_update", {"room": "main",
                                                         "update": next(updates)}))
            await c.close()

        return pending
    if case == "flood":

        async def flood(h: Hostile, done: Callable[[], bool]) -> None:
            c = await _connect(url, token, "Hostile", HOSTILE_ADDRESS)
            h.connections += 1
            start, n = time.perf_counter(), 0
            while not done():
                for _ in range(10):
                    c.emit_nowait("chat", {"text": "flood"}, h.answered)
                    n += 1
                h.sent = n
                await asyncio.sleep(max(0.0, start + n / args.flood_rate - time.perf_counter()))
            await asyncio.sleep(0.5)
            await c.close()

        return flood
    if case == "slow-consumer":

        async def slow(h: Hostile, done: Callable[[], bool]) -> None:
            c: Client | None = None
            while not done():
                if c is None or c.closed:
                    try:
                        c = await _connect(url, token, "Hostile", HOSTILE_ADDRESS)
                    except Exception:  # refused (rate_limited: too many new connections)
                        h.answers["connection refused"] += 1
                        await asyncio.sleep(0.05)
                        continue
                    h.connections += 1
                    assert c.transport is not None
                    sock = c.transport.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
                    c.transport.pause_reading()  # type: ignore[attr-defined]
                try:
                    c.emit_nowait("board_sync", {"room": "main", "state": b""}, h.answered)
                    h.sent += 1
                except ConnectionError:
                    continue
                await asyncio.sleep(0.05)
            h.answers["dropped by the server"] = h.connections - (0 if c is None or c.closed
                                                                  else 1)
            if c is not None:
                await c.close()

        return slow
    raise ValueError(f"no such case {case!r}")


async def run_case(case: str, server: ServerProcess, args: argparse.Namespace) -> CaseResult:
    async with server.admin_async() as api:
        # No waiting room: the harness starts the server with TANDEM_WAITING_ROOM=off (and an
        # older checkout has none).
        created = await api.create_session(title=f"Hostile: {case}", max_participants=25)
    tokens = {role: join_token(u) for role, u in created["join_urls"].items()}
    members = Members()
    for i in range(args.clients):
        members.clients.append(await _connect(server.url, tokens["mentee"], f"Member {i}"))
    if case == "slow-consumer":
        for update in board_filler():
            ack = await members.clients[0].call("board_update", {"room": "main",
                                                                 "update": update})
            assert ack.get("ok"), ack
    hostile = Hostile()
    start = time.perf_counter()
    until = start + args.seconds
    task = None
    if case != "none":
        loop = hostile_loop(case, server.url, tokens["mentor"], args)
        task = asyncio.ensure_future(loop(hostile, lambda: time.perf_counter() >= until))
    rss, cpu = _rss_mb(server.pid), cpu_split(server.pid).total
    await asyncio.gather(*(
        _member(c, members, args.rate, until, i / (args.rate * args.clients))
        for i, c in enumerate(members.clients)))
    window = time.perf_counter() - start
    cpu_used = cpu_split(server.pid).total - cpu
    rss_growth = _rss_mb(server.pid) - rss
    if task is not None:
        await task
    for c in members.clients:
        await c.close()
    lat = members.latencies

    def ms(q: float) -> float:
        return round(percentile(lat, q) * 1000, 2)

    return CaseResult(
        case=case, seconds=round(window, 2), samples=len(lat), p50_ms=ms(50), p95_ms=ms(95),
        p99_ms=ms(99), max_ms=round(max(lat) * 1000, 2) if lat else float("nan"),
        member_errors=dict(members.errors), hostile_sent=hostile.sent,
        hostile_answers=dict(hostile.answers), hostile_connections=hostile.connections,
        server_cpu_percent=round(100 * cpu_used / window, 1),
        server_rss_growth_mb=round(rss_growth, 1),
    )


def table(results: list[CaseResult]) -> str:
    lines = [
        "| hostile client | p50 ms | p95 ms | p99 ms | max ms | round trips (refused) "
        "| server CPU | RSS growth | hostile: sent, answers, connections |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        answers = ", ".join(f"{k} {v}" for k, v in sorted(r.hostile_answers.items()))
        hostile = "" if r.case == "none" else (
            f"{r.hostile_sent} sent; {answers}; {r.hostile_connections} connection(s)")
        lines.append(
            f"| {r.case} | {r.p50_ms:.1f} | {r.p95_ms:.1f} | {r.p99_ms:.1f} | {r.max_ms:.1f} "
            f"| {r.samples} ({sum(r.member_errors.values())}) | {r.server_cpu_percent:.0f}% "
            f"| {r.server_rss_growth_mb:+.1f} MB "
            f"| {hostile} |")
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> list[CaseResult]:
    workdir = Path(tempfile.mkdtemp(prefix="hostile-clients-"))
    # The server's own bound on new connections per address, as `tandem serve` has it.
    server = tandem_process(workdir / "data", env={"TANDEM_LOG_LEVEL": "WARNING",
                                                   "TANDEM_CONNECT_RATE": "20"})
    try:
        async with server:
            return [await run_case(case, server, args) for case in args.cases]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4, help="well-behaved members")
    parser.add_argument("--rate", type=float, default=4.0,
                        help="acknowledged chats a second per member (the limit is 5)")
    parser.add_argument("--seconds", type=float, default=6.0, help="per case")
    parser.add_argument("--flood-rate", type=float, default=2000.0)
    parser.add_argument("--cases", type=lambda s: s.split(","), default=list(CASES))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    unknown = set(args.cases) - set(CASES)
    if unknown:
        parser.error(f"unknown cases {sorted(unknown)}; the cases are {', '.join(CASES)}")
    return args


def main() -> None:
    args = parse_args()
    load_before = os.getloadavg()
    results = asyncio.run(run(args))
    print(f"{args.clients} members each sending {args.rate:g} acknowledged chats a second, "
          f"{args.seconds:g} s per case, {os.cpu_count()} cores, load average before "
          f"{' '.join(f'{x:.2f}' for x in load_before)}, after "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))


if __name__ == "__main__":
    main()
