"""The plane forwards what the session says each person sends: normal use still reaches the
room (a microphone turned on after joining muted, a camera turned on again, a share in a
breakout room after a move)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.server.media.test_forwarded_as_the_session_says import ben_shares
from tests.server.media.test_through_server import (  # noqa: F401  (fixtures)
    WAIT,
    ToneTrack,
    people,
    settings,
)
from tests.support import eventually


async def test_someone_who_joined_muted_is_heard_once_they_turn_their_microphone_on(
    people: Callable[..., Any]  # noqa: F811
) -> None:
    ana, ben = await people("Ana", "mentor"), await people("Ben", audio=False)
    cleo = await people("Cleo")
    await ben.connect(audio=ToneTrack())
    for person in (ana, cleo):
        await person.connect()
    await eventually(lambda: cleo.got_audio_from(ana, frames=10), WAIT, what="Cleo hears Ana")
    assert (await ben.peer.call("media_state", {"audio": True, "video": True}))["ok"]
    await eventually(lambda: cleo.got_audio_from(ben, frames=20), WAIT,
                     what="Cleo hears Ben once his microphone is on")


async def test_a_camera_turned_off_and_on_again_is_seen_again(
    people: Callable[..., Any]  # noqa: F811
) -> None:
    ana, ben, cleo = await people("Ana", "mentor"), await people("Ben"), await people("Cleo")
    for person in (ana, ben, cleo):
        await person.connect()
    await eventually(lambda: cleo.got_video_from(ben, frames=5), WAIT, what="Cleo sees Ben")
    assert (await ben.peer.call("media_state", {"audio": True, "video": False}))["ok"]
    assert (await ben.peer.call("media_state", {"audio": True, "video": True}))["ok"]
    seen = cleo.media.frames[(ben.peer.id, "video")]
    await eventually(lambda: cleo.media.frames[(ben.peer.id, "video")] >= seen + 10, WAIT,
                     what="Cleo sees Ben again")


async def test_a_share_started_in_a_breakout_after_a_move_is_seen_there(
    people: Callable[..., Any]  # noqa: F811
) -> None:
    ana, ben, cleo = await ben_shares(people)
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
