"""Every connection of a process dropping at once (a network blip, a load balancer draining the
process): the event loop's time spent on the rooms' bookkeeping, with python-socketio's own
manager and with Tandem's (``server/membership.py``), side by side in one run.

Each connection is in its own room, its session's room and its breakout room (sessions of 20),
as a joined participant is. Every connection then disconnects the way the server does it
(``pre_disconnect``, then ``disconnect``), one after another, as the event loop would. Only the
bookkeeping is timed: no sockets, no handlers.

    python -m load_tests.disconnect_storm [--sizes 1000,4000,10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import socketio

from server.fanout import TandemSocketServer

ROOM_SIZE = 20


async def _storm(manager: socketio.AsyncManager, n: int) -> float:
    """Seconds to disconnect ``n`` connections from ``manager``, one by one."""
    sids = []
    for i in range(n):
        sid = await manager.connect(f"eio-{i}", "/")
        await manager.enter_room(sid, "/", f"session-{i // ROOM_SIZE}")
        await manager.enter_room(sid, "/", f"room-{i // ROOM_SIZE}-main")
        sids.append(sid)
    started = time.perf_counter()
    for sid in sids:
        manager.pre_disconnect(sid, "/")
        await manager.disconnect(sid, "/")
    took = time.perf_counter() - started
    assert not manager.rooms.get("/"), "connections left behind"
    return took


def _library() -> socketio.AsyncManager:
    manager = socketio.AsyncManager()
    socketio.AsyncServer(client_manager=manager)
    return manager


def _tandem() -> socketio.AsyncManager:
    manager: socketio.AsyncManager = TandemSocketServer(send_buffer_bytes=1 << 16).manager
    return manager


async def main(sizes: list[int], repeat: int) -> None:
    print(f"{'connections':>11}  {'python-socketio s':>17}  {'per disconnect us':>17}  "
          f"{'tandem s':>8}  {'per disconnect us':>17}")
    for n in sizes:
        # the best of a few runs each, alternating
        library = tandem = float("inf")
        for _ in range(repeat):
            library = min(library, await _storm(_library(), n))
            tandem = min(tandem, await _storm(_tandem(), n))
        print(f"{n:>11,}  {library:>17.3f}  {1e6 * library / n:>17.1f}  "
              f"{tandem:>8.3f}  {1e6 * tandem / n:>17.1f}")


def cli() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1000,4000,10000")
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    asyncio.run(main([int(s) for s in a.sizes.split(",")], a.repeat))


if __name__ == "__main__":
    cli()
