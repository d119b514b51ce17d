"""Engine.IO's pings and ping timeouts as ``server/liveness.py`` runs them for the websockets of
``server/fanout.py`` (the tests' settings ping every second and wait one more for the pong): a
quiet client that answers its pings stays connected for as long as it likes, and a sweep that
wakes late, after the event loop was held up, drops nobody whose pong is merely still unread.
A client that stops answering is dropped: ``test_fanout.py``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from server import liveness
from server.app import SIO
from tests.support import Api, Peer, eventually


def count_pings(monkeypatch: pytest.MonkeyPatch, then: Callable[[], None] = lambda: None
                ) -> list[float]:
    """The times of the pings the timers send (each followed by ``then``)."""
    sent: list[float] = []
    ping = liveness._ping

    def counted(socket: Any, write: Callable[[bytes], None]) -> None:
        ping(socket, write)
        sent.append(time.monotonic())
        then()

    monkeypatch.setattr(liveness, "_ping", counted)
    return sent


async def joined(api: Api, server: TestServer, peers: Callable[[], Peer]) -> tuple[Peer, Any]:
    s = await api.create_session()
    peer = peers()
    await peer.connect(api.token(s["join_urls"]["mentee"]))
    await peer.join("Ben")
    (socket,) = [x for x in server.app[SIO].eio.sockets.values() if not x.closed]
    return peer, socket


async def test_a_quiet_client_answering_its_pings_stays_connected(
    api: Api, server: TestServer, peers: Callable[[], Peer], monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = count_pings(monkeypatch)
    peer, socket = await joined(api, server, peers)

    async def pinged_four_times() -> bool:
        return len(sent) >= 4

    # Four intervals with nothing else sent either way (longer than Engine.IO's own wait for
    # a packet to send, ping interval + ping timeout, which would close the socket).
    await eventually(pinged_four_times, timeout=8, what="four pings")
    assert (await peer.call("chat", {"text": "still here"}))["ok"]
    assert not peer.disconnected.is_set() and not socket.closed


class FakeSocket:
    """What the sweep reads of an Engine.IO socket, and its close."""

    def __init__(self, last_ping: float | None) -> None:
        self.last_ping = last_ping
        self.closing = self.closed = False
        self.checked = 0

    async def check_ping_timeout(self) -> None:
        self.checked += 1
        self.closed = True


class Sockets(dict[str, FakeSocket]):
    """The sockets, counting the sweeps that judged them (each reads them all once)."""

    judged = 0

    def items(self) -> Any:
        self.judged += 1
        return super().items()


class FakeEngine:
    """What the sweep uses of Engine.IO's server: its sockets and its stop event. (The loop
    must be held up at a chosen moment, which a real server's own timers cannot be made to.)"""

    ping_timeout = 1.0

    def __init__(self, **sockets: FakeSocket) -> None:
        self.sockets = Sockets(sockets)
        self.service_task_event: asyncio.Event | None = None

    def create_event(self) -> asyncio.Event:
        return asyncio.Event()

async def test_the_sweep_closes_a_socket_whose_pong_is_late_and_only_that_one() -> None:
    quiet, answering = FakeSocket(time.time()), FakeSocket(None)  # pinged; pong received
    eio = FakeEngine(quiet=quiet, answering=answering)
    task = asyncio.ensure_future(liveness.sweep(eio))
    await eventually(lambda: quiet.closed, timeout=3, what="the quiet socket closed")
    assert (quiet.checked, answering.checked) == (1, 0)
    assert eio.service_task_event is not None
    eio.service_task_event.set()
    await task


async def test_a_sweep_woken_late_by_a_held_up_loop_waits_for_the_pongs_read_meanwhile() -> None:
    socket = FakeSocket(None)
    eio = FakeEngine(s=socket)
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(liveness.sweep(eio))
    await asyncio.sleep(0.1)
    # A ping goes out, then the loop is held up past the ping timeout; the pong, sent in time,
    # is read only once the loop runs again (10 ms after, here).
    socket.last_ping = time.time()
    judged = eio.sockets.judged
    time.sleep(1.5)
    loop.call_later(0.01, setattr, socket, "last_ping", None)
    # Barrier: two sweeps have judged the sockets since (the late one judges nobody).
    await eventually(lambda: eio.sockets.judged >= judged + 2, timeout=4,
                     what="two sweeps after the loop was held up")
    assert socket.checked == 0 and not socket.closed
    assert eio.service_task_event is not None
    eio.service_task_event.set()
    await task
