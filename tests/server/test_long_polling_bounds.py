"""Long-polling, when turned on, has the websocket's bounds: a POST bigger than a message may be
is answered at once, and a client that stops polling is dropped once its backlog passes the
send buffer, instead of the server holding an ever-growing queue for it."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import aiohttp
import pytest
import socketio
from aiohttp.test_utils import TestServer

from server.app import SIO
from server.settings import Limits, Settings
from tests.support import Api, eventually


@pytest.fixture
def limits() -> Limits:
    return Limits(send_buffer_bytes=256 * 1024)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, long_polling=True)


async def test_a_polling_post_over_the_message_bound_is_answered_at_once(
    http: aiohttp.ClientSession, server: TestServer
) -> None:
    async with http.get("/socket.io/?EIO=4&transport=polling") as resp:
        sid = json.loads((await resp.text())[1:])["sid"]
    async with http.post(f"/socket.io/?EIO=4&transport=polling&sid={sid}",
                         data=b"4" + b"x" * (300 * 1024),
                         timeout=aiohttp.ClientTimeout(total=5)) as resp:
        assert resp.status == 413
    # and the socket that sent it is gone
    await eventually(lambda: sid not in server.app[SIO].eio.sockets, what="the socket closed")


async def test_a_polling_client_that_stops_polling_is_dropped(
    api: Api, server: TestServer
) -> None:
    s = await api.create_session()
    client = socketio.AsyncClient(serializer="msgpack", reconnection=False)
    await client.connect(str(server.make_url("/")), transports=["polling"],
                         auth={"token": api.token(s["join_urls"]["mentee"])})
    ack = await client.call("join", {"name": "Stalled"}, timeout=5)
    assert ack["ok"]
    sio = server.app[SIO]
    (eio_sid,) = list(sio.eio.sockets)
    client.eio.read_loop_task.cancel()  # it stops polling: nothing it is sent is read any more
    await asyncio.sleep(0)
    chunk = "x" * 16 * 1024
    for _ in range(64):  # 1 MiB for a client whose bound is 256 KiB
        if eio_sid not in sio.eio.sockets:
            break
        await sio.emit("chat", {"message": {"text": chunk}}, to=client.get_sid())
    await eventually(lambda: eio_sid not in sio.eio.sockets, what="the stalled client dropped")
    await client.eio.disconnect(abort=True)
