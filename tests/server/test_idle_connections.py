"""A connection that holds a link but never joins is closed after ``join_within`` seconds; one
that joined stays."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

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
