"""The relay keeps nothing of a session that ended or left this process's memory, a send that was
waiting (coalesced) when it did included; that send still reaches the room."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp.test_utils import TestServer

from rooms.whiteboard import BoardKey
from server.whiteboard.install import WHITEBOARD
from server.whiteboard.relay import Relay
from tests.server.whiteboard.replica import send
from tests.server.whiteboard.test_events import AUTH, member, relayed
from tests.support import Api, Peer, eventually

# Long enough that the test's next steps come before a waiting send goes.
INTERVAL = 1.0


def _holds(relay: Relay, session_id: str) -> bool:
    return any(k.session_id == session_id for k in [*relay.outboxes, *relay.cursors])


async def test_the_relay_lets_go_of_a_session_evicted_with_a_send_waiting(
    api: Api, peers: Callable[[], Peer], server: TestServer
) -> None:
    events = server.app[WHITEBOARD]
    events.relay.relay_interval = INTERVAL
    s = await api.create_session()
    session_id = s["session_id"]
    ana, a = await member(api, peers, s, "mentor", "Ana")
    ben, b = await member(api, peers, s, "mentee", "Ben")
    a.stroke([1.0, 2.0])
    assert (await send(ana, a))[0]["ok"]
    await relayed(ben, b)  # the first goes at once
    second = a.stroke([3.0, 4.0])
    assert (await send(ana, a))[0]["ok"]
    assert events.relay.outboxes[BoardKey(session_id, "main")].scheduled  # it waits
    events.forget_here(session_id)  # the session leaves this process's memory
    await relayed(ben, b)  # the waiting send still goes
    assert second in b.view()
    await eventually(lambda: not _holds(events.relay, session_id),
                     what="the relay to let go of the session")


async def test_the_relay_lets_go_of_a_session_that_ended_with_a_send_waiting(
    api: Api, peers: Callable[[], Peer], server: TestServer
) -> None:
    events = server.app[WHITEBOARD]
    events.relay.relay_interval = INTERVAL
    s = await api.create_session()
    session_id = s["session_id"]
    ana, a = await member(api, peers, s, "mentor", "Ana")
    a.stroke([1.0, 2.0])
    a.stroke([3.0, 4.0])
    assert all(ack["ok"] for ack in await send(ana, a))
    assert events.relay.outboxes[BoardKey(session_id, "main")].scheduled
    async with api.http.post(f"/api/sessions/{session_id}/end", headers=AUTH) as resp:
        assert resp.status == 200
    await eventually(lambda: not _holds(events.relay, session_id),
                     what="the relay to let go of the session")
