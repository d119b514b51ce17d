"""A part that fails while catching up after the channels were down (``after_reconnect``) is
logged and leaves the others, and the channels, working: before, it ended the process's
listener, which then never heard another process again."""

from __future__ import annotations

import asyncio

import pytest

from clients.server import RedisProcess
from tests.server.cluster.apps import Node, cut_channels, member, new_session, ok


async def test_a_failing_catch_up_leaves_the_channels_working(
        nodes: tuple[Node, Node], redis: RedisProcess, caplog: pytest.LogCaptureFixture) -> None:
    a, b = nodes
    s = await new_session(a)
    mia = await member(a, s, "mentor", "Mia")
    ben = await member(b, s, "mentee", "Ben")
    caught_up = asyncio.Event()

    async def broken() -> None:
        raise RuntimeError("a part's catch-up failed")

    async def last() -> None:
        caught_up.set()

    b.cluster.after_reconnect.insert(0, broken)
    b.cluster.after_reconnect.append(last)
    await cut_channels(redis)
    await asyncio.wait_for(caught_up.wait(), 10)
    assert "catching up after the channels were down failed in part" in caplog.text
    await ok(mia, "chat", {"text": "still heard"})
    assert (await ben.next("chat"))["message"]["text"] == "still heard"
