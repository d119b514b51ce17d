"""A mentor's mute and stop of a screen share, through the server's media. PROTOCOL: "mute ...
turn[s] the microphone ... off (with lock, the person cannot turn it back on: media_locked
...)". In a room whose media goes through the server, the server decides what it forwards: a
muted person's page that keeps sending (an outdated or modified page, or one that missed
``moderated``) is not heard by the room, and a stopped share is not seen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from tests.server.media.test_through_server import (  # noqa: F401  (fixtures)
    WAIT,
    ToneTrack,
    people,
    settings,
)
from tests.support import eventually

# Frames of audio (20 ms each) a slot may still hold or have in flight when the mute lands.
IN_FLIGHT = 50
# Video frames a slot may still hold when the share is stopped (its queue: 30).
SCREEN_IN_FLIGHT = 30


async def ben_shares(people: Callable[..., Any]) -> tuple[Any, Any, Any]:  # noqa: F811
    """Ana (mentor), Ben and Cleo through the server; Ben shares his screen, which Cleo sees
    (and hears Ana)."""
    ana, ben, cleo = await people("Ana", "mentor"), await people("Ben"), await people("Cleo")
    for person in (ana, cleo):
        await person.connect()
    assert (await ben.peer.call("screen_share", {"on": True}))["ok"]
    await ben.media.publish(AudioStreamTrack(), VideoStreamTrack(), screen=VideoStreamTrack())
    await ben.media.subscribe()
    await eventually(lambda: cleo.media.frames[(ben.peer.id, "screen")] >= 5
                     and cleo.got_audio_from(ana, frames=10), WAIT,
                     what="Cleo sees Ben's screen")
    return ana, ben, cleo


async def test_the_server_stops_forwarding_the_audio_of_someone_a_mentor_muted(
    people: Callable[..., Any]  # noqa: F811
) -> None:
    ana, ben, cleo = await people("Ana", "mentor"), await people("Ben"), await people("Cleo")
    await ben.connect(audio=ToneTrack())
    for person in (ana, cleo):
        await person.connect()
    await eventually(lambda: cleo.got_audio_from(ana, ben, frames=10), WAIT,
                     what="Cleo hears Ana and Ben")
    ack = await ana.peer.call("moderate", {"participant_id": ben.peer.id, "action": "mute",
                                           "lock": True})
    assert ack["ok"], ack
    # Ben's page ignores the mute and keeps sending its microphone.
    heard_ben = cleo.media.frames[(ben.peer.id, "audio")]
    heard_ana = cleo.media.frames[(ana.peer.id, "audio")]
    # A barrier in the media itself: three seconds more of Ana's audio reach Cleo.
    await eventually(lambda: cleo.media.frames[(ana.peer.id, "audio")] >= heard_ana + 150,
                     WAIT, what="three more seconds of Ana's audio")
    more = cleo.media.frames[(ben.peer.id, "audio")] - heard_ben
    assert more <= IN_FLIGHT, (
        f"Cleo still received {more} frames (20 ms each) of Ben's audio after a mentor "
        "muted him with a lock")
    # Allowed again, and his microphone on again: he is heard again.
    assert (await ana.peer.call("moderate", {"participant_id": ben.peer.id,
                                             "action": "allow"}))["ok"]
    assert (await ben.peer.call("media_state", {"audio": True, "video": False}))["ok"]
    again = cleo.media.frames[(ben.peer.id, "audio")]
    await eventually(lambda: cleo.media.frames[(ben.peer.id, "audio")] >= again + 50, WAIT,
                     what="Cleo hears Ben again")


async def test_the_server_stops_forwarding_a_screen_share_a_mentor_stopped(
    people: Callable[..., Any]  # noqa: F811
) -> None:
    """PROTOCOL: ``stop_screen`` "ends their screen share"; through the server the room keeps
    seeing it while the sharer's page goes on sending it."""
    ana, ben, cleo = await ben_shares(people)
    ack = await ana.peer.call("moderate", {"participant_id": ben.peer.id,
                                           "action": "stop_screen"})
    assert ack["ok"], ack
    seen = cleo.media.frames[(ben.peer.id, "screen")]
    heard_ana = cleo.media.frames[(ana.peer.id, "audio")]
    await eventually(lambda: cleo.media.frames[(ana.peer.id, "audio")] >= heard_ana + 150,
                     WAIT, what="three more seconds of Ana's audio")
    more = cleo.media.frames[(ben.peer.id, "screen")] - seen
    assert more <= SCREEN_IN_FLIGHT, (
        f"Cleo still received {more} frames of Ben's screen after a mentor stopped his share")
