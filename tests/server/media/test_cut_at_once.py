"""``MediaPlane.cut``: what a removal does to the plane the moment it is applied, before the
removed person's connections are closed (``stop``, which may wait for a call of theirs)."""

from __future__ import annotations

from media.plane import MediaPlane
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


async def test_a_cut_participant_gets_nothing_and_reaches_nobody_at_once(
    call: Call, events: Events, plane: MediaPlane  # noqa: F811
) -> None:
    await call.publisher("ana")
    await call.publisher("ben")
    ben = await call.subscriber("ben")
    cleo = await call.subscriber("cleo")
    await frames_flow(ben, "audio", {"ana"})
    await frames_flow(cleo, "audio", {"ana", "ben"})
    plane.cut(key("ben"))
    # At once: the slot maps reported as the cut is made carry nothing for Ben, and Ben's
    # media for nobody.
    assert ben.carried("audio") == {} and ben.carried("video") == {}
    assert set(cleo.carried("audio")) == {"ana"} and set(cleo.carried("video")) == {"ana"}
    await frames_flow(cleo, "audio", {"ana"})  # the others go on as before
    await plane.stop(key("ben"))
    assert plane.stats().subscribers == 1
