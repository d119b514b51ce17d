"""The captions switches are held to a person's pace: turning captions on and off in a room of
two moves its media between peer to peer and the server, for both of them, and ends and opens
the recognition of its speakers, so one page toggling in a loop (20 a second, bursts of 40, as
other events) disrupted the other person's call and kept the media plane busy."""

from __future__ import annotations

from collections.abc import Callable

from server.settings import Limits
from tests.server.captions.test_captions import joined
from tests.support import Api, Clock, Peer

SWITCH_BURST = Limits().caption_switch_burst


async def test_toggling_captions_in_a_loop_is_rate_limited(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    s = await api.create_session()
    mia, _ = await joined(api, peers, s, "mentor", "Mia", audio=True)
    ana, _ = await joined(api, peers, s, "mentee", "Ana", audio=True)
    for event, on, off in (("captions_view", {"on": True}, {"on": False}),
                           ("captions_transcribe", {"on": False}, {"on": True}),
                           ("captions_source", {"source": "browser"}, {"source": "server"})):
        acks = [await ana.call(event, on if i % 2 == 0 else off) for i in range(20)]
        taken = [a for a in acks if a["ok"]]
        refused = [a for a in acks if not a["ok"]]
        assert len(taken) <= SWITCH_BURST, (event, acks)
        assert refused and all(a["error"]["code"] == "rate_limited" for a in refused), acks
    await mia.barrier()
    routes = mia.inbox["media_route"].qsize()
    assert routes <= SWITCH_BURST, routes
    clock.now += 10  # a person's pace: taken again
    assert (await ana.call("captions_view", {"on": False}))["ok"]
