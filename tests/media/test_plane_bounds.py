"""The media plane's bounds, and that nothing outlives a connection: peers, tasks, memory."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from collections.abc import AsyncIterator

import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription

from media.aiortc_internals import close_peer_connection
from media.plane import MediaLimits, MediaPlane
from rooms.errors import IllegalTransition, MediaUnavailable, NoOfferPending
from tests.media.sfu import Events, Publisher, client_pc
from tests.support import eventually


@pytest.fixture
def events() -> Events:
    return Events()


async def make_plane(events: Events, **limits: object) -> MediaPlane:
    return MediaPlane(MediaLimits(**limits), **events.callbacks())  # type: ignore[arg-type]


@pytest.fixture
async def closing() -> AsyncIterator[list[MediaPlane | RTCPeerConnection]]:
    things: list[MediaPlane | RTCPeerConnection] = []
    yield things
    for thing in things:
        await thing.close()


async def test_the_plane_refuses_connections_past_its_limit(
    events: Events, closing: list[MediaPlane | RTCPeerConnection]
) -> None:
    plane = await make_plane(events, max_peers=2)
    closing.append(plane)
    await plane.subscribe(("s", "a"), "main", True)
    await plane.subscribe(("s", "b"), "main", True)
    with pytest.raises(MediaUnavailable) as refused:
        await plane.subscribe(("s", "c"), "main", True)
    assert refused.value.code == "media_unavailable"
    assert plane.stats().peers == 2
    await plane.stop(("s", "a"))
    await plane.subscribe(("s", "c"), "main", True)  # room again once one is closed


async def test_a_room_takes_a_bounded_number_of_publishers(
    events: Events, closing: list[MediaPlane | RTCPeerConnection]
) -> None:
    plane = await make_plane(events, max_publishers_per_room=1)
    closing.append(plane)
    first, second = Publisher(plane, ("s", "a")), Publisher(plane, ("s", "b"))
    closing += [first.pc, second.pc]
    await first.publish()
    with pytest.raises(MediaUnavailable):
        await second.publish()
    second.room = "other"
    await second.publish()
    assert plane.stats().publishers == 2


async def test_a_peer_that_never_connects_is_closed_and_reported(
    events: Events, closing: list[MediaPlane | RTCPeerConnection]
) -> None:
    plane = await make_plane(events, connect_timeout=0.3)
    closing.append(plane)
    await plane.subscribe(("s", "a"), "main", True)  # nobody answers
    await eventually(lambda: events.closed == [(("s", "a"), "subscribe", "timeout")], 5,
                     what="the unanswered peer is closed")
    await eventually(lambda: plane.stats() == type(plane.stats())(0, 0, 0, 0, 0), 5,
                     what="the plane forgets it")


async def test_answers_and_audio_only_need_a_subscribe_connection(
    events: Events, closing: list[MediaPlane | RTCPeerConnection]
) -> None:
    plane = await make_plane(events)
    closing.append(plane)
    with pytest.raises(NoOfferPending) as no_offer:
        await plane.answer(("s", "a"), "v=0")
    assert no_offer.value.code == "illegal_transition"
    with pytest.raises(IllegalTransition):
        plane.set_video(("s", "a"), False)
    offer, _ = await plane.subscribe(("s", "a"), "main", True)
    client = client_pc()
    closing.append(client)
    await client.setRemoteDescription(RTCSessionDescription(offer, "offer"))
    await client.setLocalDescription(await client.createAnswer())
    await plane.answer(("s", "a"), client.localDescription.sdp)
    with pytest.raises(NoOfferPending):  # the offer was answered already
        await plane.answer(("s", "a"), client.localDescription.sdp)


async def cycle(plane: MediaPlane, i: int) -> None:
    key = ("s", f"p{i}")
    publisher = Publisher(plane, key)
    subscriber = client_pc()
    try:
        await publisher.publish()
        offer, _ = await plane.subscribe(key, "main", True)
        await subscriber.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        await subscriber.setLocalDescription(await subscriber.createAnswer())
        await plane.answer(key, subscriber.localDescription.sdp)
        await plane.stop(key)
    finally:
        await close_peer_connection(publisher.pc)
        await close_peer_connection(subscriber)


def open_peer_connections() -> int:
    # Closed ones may outlive a test: pytest's log capture keeps the tracebacks of aiortc's own
    # connect tasks that fail when a connection closes while connecting.
    gc.collect()
    return sum(isinstance(o, RTCPeerConnection) and o.connectionState != "closed"
               for o in gc.get_objects())


async def test_publish_subscribe_stop_cycles_leave_nothing_behind(events: Events) -> None:
    plane = await make_plane(events)
    loop = asyncio.get_running_loop()
    unhandled: list[str] = []
    # aiortc's own connect task fails when a connection closes while connecting, and the loop
    # logs it; pytest's log capture would keep each traceback, and the connection with it.
    loop.set_exception_handler(lambda _, context: unhandled.append(repr(context.get("exception"))))
    try:
        for i in range(5):  # warm up: caches, certificates, first imports
            await cycle(plane, i)
        await asyncio.sleep(0.2)
        tasks_before = {t for t in asyncio.all_tasks() if not t.done()}
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for i in range(5, 105):
            await cycle(plane, i)
        # the speaking ticker ends at its next tick once nobody publishes
        await eventually(lambda: plane.stats() == type(plane.stats())(0, 0, 0, 0, 0), 2,
                         what="the plane is empty")
        def new_tasks() -> set[str]:
            return {str(t.get_coro()) for t in asyncio.all_tasks()
                    if not t.done() and t not in tasks_before and t is not asyncio.current_task()}

        try:
            await eventually(lambda: not new_tasks(), 5, what="every task of the cycles ends")
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {new_tasks()}") from None
        await eventually(lambda: open_peer_connections() == 0, 5, every=0.5,
                         what="every peer connection is closed")
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
        # A cycle allocates about 1 MB of Python objects (four peer connections, transports,
        # SDP, statistics); one kept cycle would show. Measured here: under 0.1 MB after 150
        # cycles. The process's RSS grows by about 27 MB over the first 50 cycles and then stays
        # flat (native allocator arenas of the DTLS and decoder threads), so RSS is not the
        # measure of a leak here.
        assert grown < 500_000, f"{grown} bytes more after 100 cycles"
        assert all("RTCIceTransport is closed" in e for e in unhandled), unhandled
    finally:
        tracemalloc.stop()
        loop.set_exception_handler(None)
        await plane.close()
