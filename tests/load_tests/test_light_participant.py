"""The benchmarks' light participant (load_tests/light_participant.py) against a running Tandem with
real aiortc connections: silent while its room is peer to peer, then publishing and counting
everyone's video once the room goes through the server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from load_tests.light_participant import LightParticipant, on_loopback
from load_tests.sfu_forwarding import encoded_frames
from server.media.install import MEDIA
from server.settings import Settings
from tests.support import Api, eventually

WAIT = 15.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, media_addresses=("127.0.0.1",))


@pytest.fixture
async def light(api: Api, server: TestServer) -> AsyncIterator[Callable[..., Any]]:
    frames = encoded_frames(12)
    session = await api.create_session()
    made: list[LightParticipant] = []

    async def make(name: str) -> LightParticipant:
        person = LightParticipant(str(server.make_url("/")), session["join_urls"]["mentee"],
                                  name, frames)
        made.append(person)
        await person.start()
        return person

    with on_loopback():
        yield make
        for person in made:
            await person.close()


async def test_a_pair_is_silent_and_a_trio_receives_everyone_through_the_server(
    light: Callable[..., Any], server: TestServer
) -> None:
    ana, ben = await light("Ana"), await light("Ben")
    assert (ana.route, ben.route) == ("p2p", "p2p")
    assert ana.media.publish_pc is None and ben.media.publish_pc is None
    cleo = await light("Cleo")
    trio = (ana, ben, cleo)

    def everyone_receives_everyone() -> bool:
        return all(p.receives([o.id for o in trio if o is not p], frames=10) for p in trio)

    await eventually(everyone_receives_everyone, WAIT, what="video from everyone")
    assert all((p.id, "video") not in p.media.frames for p in trio)  # nobody gets their own
    stats = server.app[MEDIA].plane.stats()
    assert (stats.publishers, stats.subscribers) == (3, 3)
