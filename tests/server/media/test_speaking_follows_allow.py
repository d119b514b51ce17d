"""The media plane measures speaking only from audio the session allows (``MediaPlane.allow``).
PROTOCOL: a page that goes on sending after a mute "is neither heard nor seen"; it must not be
shown speaking either, nor put at the front of everyone's cameras, nor counted as talking."""

from __future__ import annotations

import pytest

from media.forwarding import Source
from media.plane import MediaLimits, MediaPlane
from tests.media.conftest import loopback_only  # noqa: F401  (fixture)
from tests.media.sfu import Events
from tests.media.test_plane import (  # noqa: F401  (fixtures)
    Call,
    call,
    events,
    frames_flow,
    key,
    limits,
    plane,
)
from tests.support import eventually

CAMERA_ONLY = frozenset({"camera"})
AUDIO_AND_CAMERA = frozenset({"audio", "camera"})


def audio_of(plane: MediaPlane, name: str) -> Source:  # noqa: F811
    member = plane._members[key(name)]
    assert member.publication is not None and member.publication.audio is not None
    return member.publication.audio


async def plane_read(source: Source, frames: int) -> None:
    """A barrier: ``frames`` more of the source's audio frames reached the plane, whose levels
    it read first (each packet's level is read before its frame is taken)."""
    start = source.frames
    await eventually(lambda: source.frames >= start + frames, 10,
                     what=f"{frames} more audio frames reach the plane")


@pytest.mark.parametrize("limits", [MediaLimits(last_n=2)])
async def test_a_muted_publishers_loud_audio_neither_speaks_nor_orders_the_cameras(
    call: Call, events: Events, plane: MediaPlane  # noqa: F811
) -> None:
    pubs = [await call.publisher(n) for n in ("p1", "p2", "p3", "p4")]
    watcher = await call.subscriber("watcher")
    await frames_flow(watcher, "video", {"p1", "p2"})  # nobody spoke: joining order
    # A mentor muted p4; p4's page goes on sending its microphone, loud.
    plane.allow(key("p4"), CAMERA_ONLY)
    pubs[3].audio.loud = True
    await plane_read(audio_of(plane, "p4"), 50)  # a second of it: speaking starts in 150 ms
    assert (key("p4"), True) not in events.speaking, "a muted person was measured speaking"
    assert set(watcher.carried("video")) == {"p1", "p2"}, (
        "a muted person's audio put their camera at the front of everyone's")
    # Allowed again (their microphone on): their speaking is measured again.
    plane.allow(key("p4"), AUDIO_AND_CAMERA)
    await eventually(lambda: (key("p4"), True) in events.speaking, 10,
                     what="p4 measured speaking once their audio is allowed")
    await frames_flow(watcher, "video", {"p4", "p1"})


async def test_speaking_measured_before_a_mute_ends_with_it(
    call: Call, events: Events, plane: MediaPlane  # noqa: F811
) -> None:
    ana = await call.publisher("ana")
    await call.subscriber("ben")
    ana.audio.loud = True
    await eventually(lambda: events.speaking == [(key("ana"), True)], 10,
                     what="Ana speaking")
    plane.allow(key("ana"), CAMERA_ONLY)  # muted while talking; her page goes on sending
    assert events.speaking[-1] == (key("ana"), False), events.speaking
    await plane_read(audio_of(plane, "ana"), 50)
    assert events.speaking == [(key("ana"), True), (key("ana"), False)], events.speaking
