"""A refused event is logged, but one connection cannot flood the log: at most one line per
connection, kind of refusal and minute, and the next line counts those held back."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from server.settings import Limits
from tests.support import Api, Clock, Peer


@pytest.fixture
def limits() -> Limits:
    return Limits(chat_rate=1000.0, chat_burst=1000.0)  # the clock stands still here


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "server.gateway" and "refused" in r.getMessage()]


async def test_a_flood_of_refused_events_writes_one_line_a_minute_with_a_count(
    api: Api, peers: Callable[[], Peer], clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    s = await api.create_session()
    flooder, other = peers(), peers()
    await flooder.connect(api.token(s["join_urls"]["mentee"]))
    await other.connect(api.token(s["join_urls"]["mentee"]))
    await flooder.join("Ben")
    await other.join("Mia")
    caplog.set_level(logging.DEBUG, logger="server.gateway")
    for _ in range(30):
        ack = await flooder.call("chat", {"text": 5})
        assert ack["error"]["code"] == "invalid_payload"
    assert len(refusals(caplog)) == 1
    # Another kind of refusal, and another connection, have lines of their own.
    assert (await flooder.call("join", {"name": "Ben"}))["error"]["code"] == "already_joined"
    assert (await other.call("chat", {"text": 5}))["error"]["code"] == "invalid_payload"
    assert len(refusals(caplog)) == 3
    clock.now += 61
    assert (await flooder.call("chat", {"text": 5}))["error"]["code"] == "invalid_payload"
    lines = refusals(caplog)
    assert len(lines) == 4 and "29 more" in lines[-1], lines
    assert "chat" in lines[-1] and "invalid_payload" in lines[-1]
