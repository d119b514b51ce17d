"""Media through the server, end to end over the socket: real aiortc peers publish to and
subscribe from a running Tandem, as the browser does (clients/server_media.py)."""

from __future__ import annotations

import asyncio
import fractions
import math
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from aiohttp.test_utils import TestServer
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from av import AudioFrame

from clients.server_media import ServerMedia
from rooms.attendance import RecordKind
from server.app import CONTEXT
from server.media.install import MEDIA
from server.settings import Settings
from tests.support import Api, Peer, eventually

WAIT = 15.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, media_addresses=("127.0.0.1",))


class ToneTrack(AudioStreamTrack):
    """A loud 440 Hz tone: speech as far as audio levels go."""

    async def recv(self) -> AudioFrame:
        frame = await super().recv()
        rate, count = frame.sample_rate, frame.samples
        t = (np.arange(count) + frame.pts) / rate
        tone = (np.sin(2 * math.pi * 440 * t) * 12000).astype(np.int16)
        loud = AudioFrame.from_ndarray(tone.reshape(1, -1), format="s16", layout="mono")
        loud.pts, loud.sample_rate = frame.pts, rate
        loud.time_base = fractions.Fraction(1, rate)
        return loud


class Person:
    """A participant: a socket and their media through the server."""

    def __init__(self, peer: Peer, session_id: str) -> None:
        self.peer = peer
        self.session_id = session_id
        self.media = ServerMedia(peer.call)
        peer.sio.on("media_offer", self.media.offered)
        peer.sio.on("media_slots", self._slots)
        self.slot_maps = 0

    async def _slots(self, data: dict[str, Any]) -> None:
        self.slot_maps += 1
        self.media.remap(data)

    async def connect(self, audio: AudioStreamTrack | None = None) -> None:
        await self.media.publish(audio or AudioStreamTrack(), VideoStreamTrack())
        await self.media.subscribe()

    def got_video_from(self, *people: Person, frames: int = 3) -> bool:
        return all(self.media.frames[(p.peer.id, "video")] >= frames for p in people)

    def got_audio_from(self, *people: Person, frames: int = 3) -> bool:
        return all(self.media.frames[(p.peer.id, "audio")] >= frames for p in people)


@pytest.fixture
async def people(api: Api, peers: Callable[[], Peer]) -> AsyncIterator[Callable[..., Any]]:
    made: list[Person] = []
    session: dict[str, Any] = {}

    async def make(name: str, role: str = "mentee", audio: bool = True,
                   video: bool = True) -> Person:
        if not session:
            session.update(await api.create_session())
        peer = peers()
        await peer.connect(api.token(session["join_urls"][role]))
        await peer.join(name, audio=audio, video=video)
        person = Person(peer, session["session_id"])
        made.append(person)
        return person

    yield make
    for person in made:
        await person.media.stop()


async def test_everyone_receives_everyone_elses_video_and_audio_through_the_server(
    people: Callable[..., Any], server: TestServer
) -> None:
    ana, ben, cleo = await people("Ana", "mentor"), await people("Ben"), await people("Cleo")
    for person in (ana, ben, cleo):
        await person.connect()
    await eventually(lambda: ana.got_video_from(ben, cleo) and ben.got_video_from(ana, cleo)
                     and cleo.got_video_from(ana, ben), WAIT, what="video from everyone")
    await eventually(lambda: ana.got_audio_from(ben, cleo) and cleo.got_audio_from(ana, ben),
                     WAIT, what="audio from everyone")
    # Nobody receives their own media.
    assert all((p.peer.id, "video") not in p.media.frames for p in (ana, ben, cleo))
    stats = server.app[MEDIA].plane.stats()
    assert (stats.peers, stats.publishers, stats.subscribers) == (6, 3, 3)


async def test_moving_to_a_breakout_changes_what_is_received_without_a_new_connection(
    people: Callable[..., Any]
) -> None:
    ana = await people("Ana", "mentor")
    ben, cleo, dan = await people("Ben"), await people("Cleo"), await people("Dan")
    for person in (ana, ben, cleo, dan):
        await person.connect()
    await eventually(lambda: ben.got_video_from(ana, cleo, dan), WAIT, what="main room video")
    subscribe_pc, offers = ben.media.subscribe_pc, ben.media.offers
    ack = await ana.peer.call("breakout_create", {"names": ["Trio"]})
    assert ack["ok"], ack
    for person in (ben, cleo, dan):
        ack = await ana.peer.call("breakout_assign",
                                  {"participant_id": person.peer.id, "room": "1:b1"})
        assert ack["ok"], ack
    assert (await ana.peer.call("breakout_open", {}))["ok"]
    # The trio now carries only each other; the mentor's slots are gone.
    await eventually(lambda: ben.media.carrying("video") == {cleo.peer.id, dan.peer.id},
                     WAIT, what="the breakout's slot map")
    before = dict(ben.media.frames)
    await eventually(lambda: all(ben.media.frames[(p.peer.id, "video")]
                                 > before.get((p.peer.id, "video"), 0) + 5
                                 for p in (cleo, dan)), WAIT, what="video in the breakout")
    assert ben.media.subscribe_pc is subscribe_pc
    assert ben.media.subscribe_pc.connectionState == "connected"
    assert ana.media.carrying("video") == set()  # alone in main
    assert ben.media.offers >= offers  # a slot pool may grow; the connection is the same


async def test_leaving_closes_the_server_peers_and_the_others_slots_empty(
    people: Callable[..., Any], server: TestServer
) -> None:
    ana, ben, cleo = await people("Ana", "mentor"), await people("Ben"), await people("Cleo")
    for person in (ana, ben, cleo):
        await person.connect()
    await eventually(lambda: ana.got_video_from(ben, cleo), WAIT, what="video")
    plane = server.app[MEDIA].plane
    assert (await cleo.peer.call("leave", {}))["ok"]
    await eventually(lambda: plane.stats().peers == 4, WAIT, what="Cleo's peers closed")
    await eventually(lambda: cleo.peer.id not in ana.media.carrying("video")
                     and cleo.peer.id not in ana.media.carrying("audio"), WAIT,
                     what="Cleo's slots emptied")
    await ben.peer.close()  # a drop: the disconnect closes the peers too
    await eventually(lambda: plane.stats().peers == 2, WAIT, what="Ben's peers closed")
    assert (await ana.peer.call("media_stop", {}))["ok"]
    await eventually(lambda: plane.stats().peers == 0 and plane.stats().tasks == 0, WAIT,
                     what="every server peer and task gone")


async def test_the_server_measures_speaking_from_audio_levels_and_records_it(
    people: Callable[..., Any], server: TestServer
) -> None:
    ana, ben, cleo = await people("Ana", "mentor"), await people("Ben"), await people("Cleo")
    await ben.connect(audio=ToneTrack())
    for person in (ana, cleo):
        await person.connect()
    # The mentor sees Ben speaking in the overview, measured by the server.
    update = await asyncio.wait_for(ana.peer.next("participant_speaking"), WAIT)
    assert update == {"participant_id": ben.peer.id, "speaking": True}
    # The page's own report is ignored for Ben now.
    ack = await ben.peer.call("speaking", {"speaking": False})
    assert ack == {"ok": True, "recorded": False}
    # The ledger says who measured it.
    ledger = server.app[CONTEXT].ledger
    records = await ledger.session_records(ana.session_id)
    spoken = [r for r in records if r.kind is RecordKind.SPEAKING and r.value == 1]
    assert [(r.participant_id, r.text) for r in spoken] == [(ben.peer.id, "measured")]
