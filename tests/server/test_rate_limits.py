"""Bounds on what one connection may send, with small limits to reach them quickly."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from server.settings import Limits
from tests.server.sessions.test_events import OFFER, pair
from tests.support import Api, Peer


@pytest.fixture
def limits() -> Limits:
    return Limits(chat_rate=1.0, chat_burst=3.0, signal_rate=1.0, signal_burst=5.0)


async def test_chat_flood_is_rate_limited_without_affecting_others(
    api: Api, peers: Callable[[], Peer]
) -> None:
    _, mentor, mentee = await pair(api, peers)
    acks = [await mentee.call("chat", {"text": f"m{i}"}) for i in range(5)]
    assert [a["ok"] for a in acks] == [True, True, True, False, False]
    assert acks[3]["error"]["code"] == "rate_limited"
    assert (await mentor.call("chat", {"text": "mine"}))["ok"]


async def test_signal_flood_is_rate_limited(api: Api, peers: Callable[[], Peer]) -> None:
    _, mentor, mentee = await pair(api, peers)
    acks = [await mentor.call("signal", {"to": mentee.id, "description": OFFER})
            for _ in range(6)]
    assert [a["ok"] for a in acks] == [True] * 5 + [False]
    assert acks[5]["error"]["code"] == "rate_limited"
    relayed = [await mentee.next("signal") for _ in range(5)]
    assert all(r["from"] == mentor.id for r in relayed)
    await mentee.nothing("signal")


async def test_unknown_events_are_rate_limited_too(api: Api, peers: Callable[[], Peer]) -> None:
    _, mentor, _ = await pair(api, peers)
    codes = [(await mentor.call("nonsense", {}))["error"]["code"] for _ in range(45)]
    assert codes[:40] == ["unknown_event"] * 40  # the default burst of other events
    assert codes[40:] == ["rate_limited"] * 5
