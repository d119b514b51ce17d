"""``MediaPlane.cut`` holds for a call of the cut participant that was already on its way when
they were cut (``cut``: "a call of theirs in progress need not end first"): a subscribe queued
behind the ``stop`` that follows the cut gets nothing of the room."""

from __future__ import annotations

import asyncio

from media.plane import MediaPlane
from tests.media.conftest import loopback_only  # noqa: F401  (fixture)
from tests.media.sfu import Events, Subscriber
from tests.media.test_plane import (  # noqa: F401  (fixtures)
    Call,
    call,
    events,
    frames_flow,
    key,
    limits,
    plane,
)


async def test_a_subscribe_queued_behind_the_stop_of_a_cut_participant_gets_nothing(
    call: Call, events: Events, plane: MediaPlane  # noqa: F811
) -> None:
    await call.publisher("ana")
    ben = await call.subscriber("ben")
    await frames_flow(ben, "audio", {"ana"})
    plane.cut(key("ben"))  # Ben removed: the server then stops his connections
    stopping = asyncio.create_task(plane.stop(key("ben")))
    await asyncio.sleep(0)  # (a yield: the stop holds Ben's lock, closing his connections)
    # Ben's page was renegotiating as he was removed: its subscribe, checked before the
    # removal, reaches the plane behind the stop.
    again = Subscriber(plane, key("ben"))
    events.subscribers[key("ben")] = again
    late = asyncio.create_task(again.subscribe(True))
    await stopping
    await late
    try:
        assert again.carried("audio") == {} and again.carried("video") == {}, (
            "a removed participant's late subscribe received the room")
    finally:
        await again.pc.close()
        await plane.stop(key("ben"))


async def test_a_cut_ends_with_the_stop_when_nothing_of_theirs_waits(
    call: Call, events: Events, plane: MediaPlane  # noqa: F811
) -> None:
    """Let in again later (the same participant), they receive the room as anyone does."""
    await call.publisher("ana")
    ben = await call.subscriber("ben")
    await frames_flow(ben, "audio", {"ana"})
    plane.cut(key("ben"))
    await plane.stop(key("ben"))
    await ben.pc.close()
    again = await call.subscriber("ben")
    await frames_flow(again, "audio", {"ana"})
