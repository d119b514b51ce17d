"""A removed person stops receiving the room's media as soon as the media owner (another
process than the mentor's) applies the removal, not once it has delivered what came before
(its deliveries behind, as under load). PROTOCOL: remove "takes them out of the session"; the
owner went on forwarding the room to them until its deliveries caught up."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from rooms.events import Event
from rooms.lifecycles import Presence
from rooms.session import Session
from server.media.install import MEDIA
from tests.server.cluster.apps import Node, member, new_session, ok
from tests.server.cluster.test_media import WAIT, loopback_only  # noqa: F401  (fixture)
from tests.server.media.test_through_server import Person
from tests.support import eventually

# Frames of audio (20 ms each) a slot may still hold or have in flight when the removal lands.
IN_FLIGHT = 50


class DeliveriesHeld:
    """Holds back one app's delivery of the changes other processes made (applied there at
    once, as always), until released: a process whose deliveries are behind."""

    def __init__(self, node: Node) -> None:
        self.store = store = node.cluster.store
        self.gate = asyncio.Event()
        real = store.deliver_remote
        assert real is not None

        async def deliver(events: Sequence[Event]) -> None:
            await self.gate.wait()
            await real(events)

        store.deliver_remote = deliver

    def release(self) -> None:
        self.gate.set()


async def someone(node: Node, s: dict[str, Any], role: str, name: str) -> Person:
    person = Person(await member(node, s, role, name, audio=True, video=True), s["session_id"])
    await person.connect()
    return person


@pytest.mark.parametrize("ben_on", ["a", "b"])
async def test_a_removed_person_stops_receiving_once_the_owner_applies_it(
    nodes: tuple[Node, Node], ben_on: str
) -> None:
    a, b = nodes
    s = await new_session(a, max_participants=8)
    sid = s["session_id"]
    # Cleo's process is the first to need the session's media: it holds it (the owner).
    cleo = await someone(b, s, "mentee", "Cleo")
    assert sid in b.server.app[MEDIA].owners.held  # type: ignore[union-attr]
    ben = await someone(a if ben_on == "a" else b, s, "mentee", "Ben")
    ana = await someone(a, s, "mentor", "Ana")
    people = (ana, ben, cleo)
    try:
        await eventually(lambda: ben.got_audio_from(ana, cleo, frames=10)
                         and cleo.got_audio_from(ana, frames=10), WAIT,
                         what="Ben hears Ana and Cleo")
        behind = DeliveriesHeld(b)
        await ok(ana.peer, "moderate", {"participant_id": ben.peer.id, "action": "remove"})

        def ben_gone(session: Session) -> bool:
            return session.participants[ben.peer.id].presence is Presence.LEFT

        async def applied_on_the_owner() -> bool:
            return await b.ctx.store.read(sid, ben_gone)

        try:
            await eventually(applied_on_the_owner, WAIT, what="the removal applied on b")
            heard = ben.media.frames[(ana.peer.id, "audio")]
            heard_cleo = cleo.media.frames[(ana.peer.id, "audio")]
            # A barrier in the media itself: three more seconds of Ana's audio reach Cleo,
            # from the same plane.
            await eventually(
                lambda: cleo.media.frames[(ana.peer.id, "audio")] >= heard_cleo + 150, WAIT,
                what="three more seconds of Ana's audio reach Cleo")
            more = ben.media.frames[(ana.peer.id, "audio")] - heard
        finally:
            behind.release()
        assert more <= IN_FLIGHT, (
            f"Ben, removed, went on receiving {more} frames (20 ms each) of Ana's audio from "
            "the media owner, which had applied the removal, until it delivered it")
        await asyncio.wait_for(ben.peer.disconnected.wait(), WAIT)
    finally:
        for person in people:
            await person.media.stop()
