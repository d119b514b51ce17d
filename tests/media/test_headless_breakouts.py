"""Real aiortc participants in breakout rooms: each decodes video from its partner only, and
nobody's media crosses rooms."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from clients.headless import HeadlessParticipant
from tests.support import Api, eventually


@pytest.fixture
async def people(server: TestServer, api: Api) -> AsyncIterator[list[HeadlessParticipant]]:
    s = await api.create_session(max_participants=8)
    url = str(server.make_url("/"))
    mentor = HeadlessParticipant(url, api.token(s["join_urls"]["mentor"]), "Mentor",
                                 video=False, media_in_main=False)
    mentees = [HeadlessParticipant(url, api.token(s["join_urls"]["mentee"]), f"Mentee {i}",
                                   media_in_main=False) for i in range(4)]
    everyone = [mentor, *mentees]
    try:
        for p in everyone:
            await p.start()
        yield everyone
    finally:
        for p in everyone:
            await p.close()


async def barrier(p: HeadlessParticipant) -> None:
    """A round trip: once answered, everything the server sent ``p`` before it has arrived."""
    ack = await p.call("barrier", {})
    assert ack["error"]["code"] == "unknown_event", ack


async def ok(p: HeadlessParticipant, event: str, data: Any = None) -> dict[str, Any]:
    ack = await p.call(event, data)
    assert ack["ok"], ack
    return ack


async def test_pairs_see_only_each_other(people: list[HeadlessParticipant]) -> None:
    mentor, a, b, c, d = people
    await ok(mentor, "breakout_create", {"count": 2})
    for p, room in ((a, "1:b1"), (b, "1:b1"), (c, "1:b2"), (d, "1:b2")):
        await ok(mentor, "breakout_assign", {"participant_id": p.id, "room": room})
    await ok(mentor, "breakout_open", {})
    partners = {a: b, b: a, c: d, d: c}
    for p, partner in partners.items():
        await asyncio.wait_for(p.frame_seen.wait(), 20)
        assert partner.id in p.first_frame_at
    # Media flows only over a peer connection, and connections are set up through signals the
    # server relays within a room only: once a round trip shows that every signal sent to each
    # participant has arrived, the connections they have are all they will have.
    for p in people:
        await barrier(p)
    for p, partner in partners.items():
        assert set(p.links) == {partner.id}, p.name
        assert set(p.first_frame_at) == {partner.id}, p.name
    assert mentor.links == {} and mentor.first_frame_at == {}

    await ok(mentor, "breakout_close", {"countdown_seconds": 0})
    await eventually(lambda: all(not p.links for p in people), timeout=5,
                     what="every breakout connection to close")
    assert all(p.room == "main" for p in people)
    assert all(not p.links for p in people)  # these participants keep no media in the main room


async def test_mentor_visit_brings_mentor_media_into_the_room(
    people: list[HeadlessParticipant],
) -> None:
    mentor, a, b, _, _ = people
    mentor.media_in_main = False
    await ok(mentor, "breakout_create", {"count": 1})
    for p in (a, b):
        await ok(mentor, "breakout_assign", {"participant_id": p.id, "room": "1:b1"})
    await ok(mentor, "breakout_open", {})
    await asyncio.wait_for(a.frame_seen.wait(), 20)
    await ok(mentor, "breakout_visit", {"room": "1:b1"})
    await eventually(lambda: {a.id, b.id} <= set(mentor.first_frame_at), timeout=10,
                     what="the mentor decoding both mentees' video")
