"""A connection that holds a link but never joins is closed after ``join_within`` seconds; one
that joined stays."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp
import msgpack
import pytest
import socketio

from server.settings import Limits
from tests.support import Api, Peer

JOIN_WITHIN = 0.5


@pytest.fixture
def limits() -> Limits:
    return Limits(join_within=JOIN_WITHIN)


async def test_a_connection_that_does_not_join_is_closed_and_a_joined_one_stays(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    idle, member = peers(), peers()
    await idle.connect(api.token(s["join_urls"]["mentee"]))
    await member.connect(api.token(s["join_urls"]["mentee"]))
    assert (await member.join("Mia"))["ok"]
    await asyncio.wait_for(idle.disconnected.wait(), timeout=10)
    # The member's connection outlived the idle one's deadline: it still answers.
    assert (await member.call("chat", {"text": "still here"}))["ok"]
    assert not member.disconnected.is_set()


async def test_long_polling_is_off_unless_asked_for_and_a_big_poll_is_answered_at_once(
    api: Api, peers: Callable[[], Peer], http: aiohttp.ClientSession
) -> None:
    s = await api.create_session()
    polling = socketio.AsyncClient(serializer="msgpack", reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError, match="400"):
        await polling.connect(str(http._base_url), transports=["polling"],  # noqa: SLF001
                              auth={"token": api.token(s["join_urls"]["mentee"])})
    # A long-polling POST announcing more than a message may hold is answered, not left hanging.
    async with http.post("/socket.io/?EIO=4&transport=polling&sid=nobody",
                         data=b"x" * (300 * 1024),
                         timeout=aiohttp.ClientTimeout(total=5)) as resp:
        assert resp.status == 400
    websocket = peers()
    await websocket.connect(api.token(s["join_urls"]["mentee"]))
    assert (await websocket.join("Mia"))["ok"]


async def test_a_bare_engine_io_connection_is_closed_after_the_join_deadline(
    http: aiohttp.ClientSession, api: Api, peers: Callable[[], Peer]
) -> None:
    """A websocket that opens Engine.IO but never sends Socket.IO's CONNECT, while answering
    every ping, is closed like a connection that never joins."""
    s = await api.create_session()
    closed_after = await _stubborn(http)
    assert JOIN_WITHIN - 0.1 <= closed_after < JOIN_WITHIN + 1, closed_after
    # A socket.io connection opened meanwhile is not disturbed by the deadline of another.
    member = peers()
    await member.connect(api.token(s["join_urls"]["mentee"]))
    assert (await member.join("Mia"))["ok"]


async def test_a_connection_that_ignores_being_closed_is_closed_all_the_same(
    http: aiohttp.ClientSession, api: Api
) -> None:
    """A client that opens Socket.IO but never joins, and ignores the server's DISCONNECT and
    Engine.IO close while answering pings, loses its websocket at the deadline all the same."""
    s = await api.create_session()
    connect = msgpack.packb({"type": 0, "nsp": "/",
                             "data": {"token": api.token(s["join_urls"]["mentee"])}})
    closed_after = await _stubborn(http, connect)
    assert JOIN_WITHIN - 0.1 <= closed_after < JOIN_WITHIN + 1, closed_after


async def _stubborn(http: aiohttp.ClientSession, first: bytes | None = None) -> float:
    """Open an Engine.IO websocket (sending ``first`` once it is open), answer every ping and
    ignore everything else; return how long after opening the server closed it."""
    loop = asyncio.get_running_loop()
    async with http.ws_connect("/socket.io/?EIO=4&transport=websocket") as ws:
        opened = await ws.receive_str(timeout=5)
        assert opened.startswith("0{"), opened
        started = loop.time()
        if first is not None:
            await ws.send_bytes(first)
        async with asyncio.timeout(JOIN_WITHIN + 5):
            async for msg in ws:
                if msg.type is aiohttp.WSMsgType.TEXT and msg.data == "2":
                    await ws.send_str("3")
        return loop.time() - started
