"""Every connection of a process dropping at once (a network blip, a load balancer draining the
process), in two ways:

- the bookkeeping alone: the event loop's time on the rooms' bookkeeping, with python-socketio's
  own manager and with Tandem's (``server/membership.py``), side by side in one run. Each
  connection is in its own room, its session's room and its breakout room (sessions of 20), as a
  joined participant is, and disconnects the way the server does it (``pre_disconnect``, then
  ``disconnect``). Two ways: one after another; and together, as in a storm, where every
  connection has begun to disconnect (its handler waits for a commit) before the first is done,
  they finish in a shuffled order (a seeded one), and between two of them a connection that stays
  sends an event (the server asks ``is_connected`` of every inbound event). No sockets, no
  handlers.
- ``--sockets``: a real server (this checkout's, or ``TANDEM_DIR``'s) with that many clients
  joined in sessions of 20, whose connections are all reset at once. It prints the time until
  the server's ``tandem_connections`` gauge reads 0, the server's CPU until it has settled (no
  clock tick for a second), and the slowest ``/metrics`` answer meanwhile: how long the event
  loop kept everyone else waiting. Run it as root in a loopback-only namespace (the clients come
  from many loopback addresses).

    python -m load_tests.disconnect_storm [--sizes 1000,4000,10000] [--repeat 3]
    python -m load_tests.disconnect_storm --sockets 1000,4000,8000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import socketio

from load_tests.processes import cpu_split
from load_tests.sioclient import Client
from load_tests.targets import TandemTarget
from load_tests.worker import source_address
from server.fanout import TandemSocketServer

ROOM_SIZE = 20
# The server has settled once its CPU time has not grown by a clock tick for this long.
SETTLED_AFTER = 1.0
GAUGE = re.compile(r"^tandem_connections(?:\{[^}]*\})? (\S+)$", re.M)


# -- the bookkeeping alone ------------------------------------------------------------------------


async def _storm(manager: socketio.AsyncManager, n: int, *, together: bool = False) -> float:
    """Seconds to disconnect ``n`` connections from ``manager``: one by one, or ``together``
    (every ``pre_disconnect`` first, then every ``disconnect`` in a shuffled order, each after an
    inbound event's ``is_connected`` of a connection that stays)."""
    staying = await manager.connect("eio-staying", "/")
    sids = []
    for i in range(n):
        sid = await manager.connect(f"eio-{i}", "/")
        await manager.enter_room(sid, "/", f"session-{i // ROOM_SIZE}")
        await manager.enter_room(sid, "/", f"room-{i // ROOM_SIZE}-main")
        sids.append(sid)
    started = time.perf_counter()
    if together:
        for sid in sids:
            manager.pre_disconnect(sid, "/")
        for sid in random.Random(n).sample(sids, n):
            if not manager.is_connected(staying, "/"):
                raise AssertionError("a connection that stays was taken for one that leaves")
            await manager.disconnect(sid, "/")
    else:
        for sid in sids:
            manager.pre_disconnect(sid, "/")
            await manager.disconnect(sid, "/")
    took = time.perf_counter() - started
    await manager.disconnect(staying, "/")
    if manager.rooms.get("/") or manager.pending_disconnect:
        raise AssertionError("connections were left behind")
    return took


def _library() -> socketio.AsyncManager:
    manager = socketio.AsyncManager()
    socketio.AsyncServer(client_manager=manager)
    return manager


def _tandem() -> socketio.AsyncManager:
    manager: socketio.AsyncManager = TandemSocketServer(send_buffer_bytes=1 << 16).manager
    return manager


async def bookkeeping(sizes: list[int], repeat: int, *,
                      together: bool = False) -> list[tuple[int, float, float]]:
    """(connections, the library's seconds, Tandem's seconds): the best of ``repeat`` runs each,
    alternating."""
    out = []
    for n in sizes:
        library = tandem = float("inf")
        for _ in range(repeat):
            library = min(library, await _storm(_library(), n, together=together))
            tandem = min(tandem, await _storm(_tandem(), n, together=together))
        out.append((n, library, tandem))
    return out


def bookkeeping_table(rows: list[tuple[int, float, float]]) -> str:
    lines = [f"{'connections':>11}  {'python-socketio s':>17}  {'per disconnect us':>17}  "
             f"{'tandem s':>8}  {'per disconnect us':>17}"]
    for n, library, tandem in rows:
        lines.append(f"{n:>11,}  {library:>17.3f}  {1e6 * library / n:>17.1f}  "
                     f"{tandem:>8.3f}  {1e6 * tandem / n:>17.1f}")
    return "\n".join(lines)


# -- a real server --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Storm:
    connections: int
    gauge_zero_s: float  # until the server's connections gauge read 0
    settled_s: float  # until the server's CPU time stopped growing
    cpu_s: float  # the server's CPU time meanwhile
    slowest_answer_s: float  # the slowest /metrics answer meanwhile


async def _joined(target: TandemTarget, n: int) -> list[Client]:
    rooms = {f"r{i}": min(ROOM_SIZE, n - i * ROOM_SIZE) for i in range(-(-n // ROOM_SIZE))}
    credentials = await target.provision(rooms)
    clients: list[Client] = []
    gate = asyncio.Semaphore(64)

    async def one(i: int) -> None:
        auth, join = credentials[f"r{i // ROOM_SIZE}"]
        mine = auth[i % ROOM_SIZE] if isinstance(auth, list) else auth
        client = Client(target.url, source=source_address(target.url, i))
        async with gate:
            await client.connect(mine)
            answered: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            await client.emit("join", {**join, "name": f"p{i}"}, ack=answered.set_result)
            ack = await asyncio.wait_for(answered, 30)
        if not (isinstance(ack, dict) and ack.get("ok")):
            raise RuntimeError(f"client {i} could not join: {ack!r}")
        clients.append(client)

    await asyncio.gather(*(one(i) for i in range(n)))
    return clients


async def _open_connections(http: aiohttp.ClientSession, url: str) -> float:
    async with http.get(url + "/metrics") as r:
        text = await r.text()
    found = GAUGE.search(text)
    if found is None:
        raise RuntimeError("the server's /metrics has no tandem_connections")
    return float(found.group(1))


async def sockets(n: int) -> Storm:
    """``n`` clients joined to a real server, all reset at once."""
    target = TandemTarget()
    await target.start()
    try:
        clients = await _joined(target, n)
        async with aiohttp.ClientSession() as http:
            if (seen := await _open_connections(http, target.url)) != n:
                raise RuntimeError(f"{seen:.0f} connections open, not {n}")
            cpu_before, started = cpu_split(target.pid).total, time.perf_counter()
            for client in clients:
                assert client.transport is not None
                client.transport.abort()  # a reset: as a dropped network looks
            slowest = 0.0
            while True:
                asked = time.perf_counter()
                left = await _open_connections(http, target.url)
                slowest = max(slowest, time.perf_counter() - asked)
                if left == 0:
                    break
                await asyncio.sleep(0.02)
            gauge_zero = time.perf_counter() - started
            cpu, settled = cpu_split(target.pid).total, time.perf_counter()
            while time.perf_counter() - settled < SETTLED_AFTER:
                await asyncio.sleep(0.1)
                now = cpu_split(target.pid).total
                if now > cpu:
                    cpu, settled = now, time.perf_counter()
        return Storm(n, gauge_zero, settled - started, cpu - cpu_before, slowest)
    finally:
        target.stop()


def sockets_table(rows: list[Storm]) -> str:
    lines = [f"{'connections':>11}  {'gauge at 0 s':>12}  {'settled s':>9}  {'server CPU s':>12}  "
             f"{'CPU per disconnect us':>21}  {'slowest /metrics ms':>19}"]
    for r in rows:
        lines.append(f"{r.connections:>11,}  {r.gauge_zero_s:>12.2f}  {r.settled_s:>9.2f}  "
                     f"{r.cpu_s:>12.2f}  {1e6 * r.cpu_s / r.connections:>21.0f}  "
                     f"{1e3 * r.slowest_answer_s:>19.0f}")
    return "\n".join(lines)


def cli() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1000,4000,10000", help="the bookkeeping's sizes")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--sockets", help="connections to a real server, e.g. 1000,4000,8000")
    a = p.parse_args()
    if a.sockets:
        rows = [asyncio.run(sockets(int(n))) for n in a.sockets.split(",")]
        print(sockets_table(rows))
        return
    sizes = [int(s) for s in a.sizes.split(",")]
    for together in (False, True):
        print("together: every pre_disconnect, then every disconnect (shuffled, an event between)"
              if together
              else "one by one: pre_disconnect, then disconnect, for each connection")
        print(bookkeeping_table(asyncio.run(bookkeeping(sizes, a.repeat, together=together))))


if __name__ == "__main__":
    cli()
