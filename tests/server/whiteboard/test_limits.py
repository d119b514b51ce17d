"""The whiteboard's bounds through the real socket path: one update's size, the board's size,
the rate of updates; each refused with its own code, nobody else affected."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from server.settings import Limits
from tests.server.whiteboard.replica import Replica, send, synced
from tests.server.whiteboard.test_events import member, relayed
from tests.support import Api, Clock, Peer


@pytest.fixture
def limits() -> Limits:
    return Limits(board_update_bytes=4096, board_bytes=16 * 1024, board_update_rate=5.0,
                  board_update_burst=5.0)


async def test_bounds_say_what_happened_and_nobody_else_is_affected(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    s = await api.create_session()
    ana, a = await member(api, peers, s, "mentor", "Ana")
    ben, b = await member(api, peers, s, "mentee", "Ben")
    assert (await synced(ben, Replica()))["limits"] == {"update_bytes": 4096,
                                                       "board_bytes": 16 * 1024}
    # One update over its size.
    b.stroke([float(i) for i in range(1000)])
    ack = (await send(ben, b))[0]
    assert ack["error"]["code"] == "payload_too_large"
    await ana.nothing("board_update")
    # The board grows until it is full; then board_full, with the board as it was.
    refused = None
    for _ in range(30):
        clock.now += 10  # keep under the rate limit
        a.stroke([float(i) for i in range(200)])
        ack = (await send(ana, a))[0]
        if not ack["ok"]:
            refused = ack
            break
        await relayed(ben, Replica())
    assert refused is not None and refused["error"]["code"] == "board_full", refused
    late, c = await member(api, peers, s, "mentee", "Cal")
    assert 0 < len(c.view()) < len(a.view())
    # Clearing always works and makes room again.
    clock.now += 10
    assert (await ana.call("board_clear", {"room": "main"}))["ok"]
    cleared = await relayed(late, c)
    assert cleared["from"] == [ana.id] and c.view() == {}
    fresh = Replica()
    await synced(ana, fresh)
    fresh.stroke([float(i) for i in range(200)])
    assert (await send(ana, fresh))[0]["ok"]
    # The rate of updates per connection.
    codes = []
    for i in range(8):
        fresh.stroke([float(i)])
        codes += [ack.get("error", {}).get("code", "ok") for ack in await send(ana, fresh)]
    assert codes.count("rate_limited") >= 2 and codes[0] == "ok"
