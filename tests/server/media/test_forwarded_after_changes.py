"""The plane forwards what the session says each person sends: normal use still reaches the
room (a microphone turned on after joining muted, a camera turned on again, a share in a
breakout room after a move)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from tests.server.media.test_through_server import (  # noqa: F401  (fixtures)
    WAIT,
    Person,
    ToneTrack,
    settings,
)
from tests.support import Api, Peer, eventually


@pytest.fixture
async def someone(api: Api, peers: Callable[[], Peer]) -> AsyncIterator[Callable[..., Any]]:
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


async def test_someone_who_joined_muted_is_heard_once_they_turn_their_microphone_on(
    someone: Callable[..., Any]
) -> None:
    ana, ben = await someone("Ana", "mentor"), await someone("Ben", audio=False)
    cleo = await someone("Cleo")
    await ben.connect(audio=ToneTrack())
    for person in (ana, cleo):
        await person.connect()
    await eventually(lambda: cleo.got_audio_from(ana, frames=10), WAIT, what="Cleo hears Ana")
    assert (await ben.peer.call("media_state", {"audio": True, "video": True}))["ok"]
    await eventually(lambda: cleo.got_audio_from(ben, frames=20), WAIT,
                     what="Cleo hears Ben once his microphone is on")


async def test_a_camera_turned_off_and_on_again_is_seen_again(
    someone: Callable[..., Any]
) -> None:
    ana, ben, cleo = await someone("Ana", "mentor"), await someone("Ben"), await someone("Cleo")
    for person in (ana, ben, cleo):
        await person.connect()
    await eventually(lambda: cleo.got_video_from(ben, frames=5), WAIT, what="Cleo sees Ben")
    assert (await ben.peer.call("media_state", {"audio": True, "video": False}))["ok"]
    assert (await ben.peer.call("media_state", {"audio": True, "video": True}))["ok"]
    seen = cleo.media.frames[(ben.peer.id, "video")]
    await eventually(lambda: cleo.media.frames[(ben.peer.id, "video")] >= seen + 10, WAIT,
                     what="Cleo sees Ben again")


async def test_a_share_started_in_a_breakout_after_a_move_is_seen_there(
    someone: Callable[..., Any]
) -> None:
    ana, ben, cleo = await someone("Ana", "mentor"), await someone("Ben"), await someone("Cleo")
    for person in (ana, cleo):
        await person.connect()
    assert (await ben.peer.call("screen_share", {"on": True}))["ok"]
    await ben.media.publish(AudioStreamTrack(), VideoStreamTrack(), screen=VideoStreamTrack())
    await ben.media.subscribe()
    await eventually(lambda: cleo.media.frames[(ben.peer.id, "screen")] >= 5, WAIT,
                     what="Cleo sees Ben's screen")
    for ack in [await ana.peer.call("breakout_create", {"names": ["Pair"]}),
                *[await ana.peer.call("breakout_assign", {"participant_id": p.peer.id,
                                                          "room": "1:b1"}) for p in (ben, cleo)],
                await ana.peer.call("breakout_open", {})]:
        assert ack["ok"], ack
    await eventually(lambda: cleo.media.carrying("video") == {ben.peer.id}, WAIT,
                     what="Cleo's slot map in the breakout")
    assert (await ben.peer.call("screen_share", {"on": True}))["ok"]
    seen = cleo.media.frames[(ben.peer.id, "screen")]
    await eventually(lambda: cleo.media.frames[(ben.peer.id, "screen")] >= seen + 10, WAIT,
                     what="Cleo sees Ben's screen in the breakout")
