"""Open: a media owner whose channel is behind (it has not applied the removal yet) goes on
forwarding the room to a removed person until the removal reaches it: nothing tells it
sooner, as everything another process says to it comes on the same subscription. The lag is
that of its channel (normally milliseconds; while it waits for the session's lock or a catch-up
read from Redis, longer; after a dropped channel, until it is back and has caught up)."""

from __future__ import annotations

import pytest

from tests.server.cluster.apps import Held, Node, new_session, ok
from tests.server.cluster.test_media import WAIT, loopback_only  # noqa: F401  (fixture)
from tests.server.cluster.test_removed_not_forwarded import IN_FLIGHT, someone
from tests.support import eventually


@pytest.mark.xfail(strict=True, reason="an owner behind on its channel learns of a removal "
                   "only through that channel: it forwards until the entry reaches it")
async def test_a_removed_person_stops_receiving_from_an_owner_behind_on_its_channel(
    nodes: tuple[Node, Node]
) -> None:
    a, b = nodes
    s = await new_session(a, max_participants=8)
    cleo = await someone(b, s, "mentee", "Cleo")  # b holds the session's media
    ben = await someone(a, s, "mentee", "Ben")
    ana = await someone(a, s, "mentor", "Ana")
    try:
        await eventually(lambda: ben.got_audio_from(ana, cleo, frames=10), WAIT,
                         what="Ben hears Ana and Cleo")
        behind = Held(b)
        behind.hold()
        try:
            await ok(ana.peer, "moderate", {"participant_id": ben.peer.id, "action": "remove"})
            heard = ben.media.frames[(ana.peer.id, "audio")]
            heard_cleo = cleo.media.frames[(ana.peer.id, "audio")]
            await eventually(
                lambda: cleo.media.frames[(ana.peer.id, "audio")] >= heard_cleo + 150, WAIT,
                what="three more seconds of Ana's audio reach Cleo")
            more = ben.media.frames[(ana.peer.id, "audio")] - heard
        finally:
            behind.release()
        assert more <= IN_FLIGHT, f"Ben, removed, received {more} more frames of Ana's audio"
    finally:
        for person in (ana, ben, cleo):
            await person.media.stop()
