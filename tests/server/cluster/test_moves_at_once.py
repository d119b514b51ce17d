"""A move given in another process is acted on the moment it is applied here
(``RedisStore.applied``, ``Delivery.applied``), before its events wait for their delivery behind
earlier ones: the person moved leaves the old room's channel before anything else of that room,
which other processes send without waiting, can reach them."""

from __future__ import annotations

from collections.abc import Sequence

import msgpack
from redis.asyncio import Redis

from rooms.breakout_commands import BreakoutAssign, BreakoutCreate, BreakoutOpen
from rooms.commands import Join
from rooms.events import Event, ParticipantMoved
from rooms.roles import Role
from tests.server.cluster import test_lease
from tests.server.cluster.test_lease import SID, Stores, join
from tests.support import eventually

stores = test_lease.stores  # the two stores, as two processes hold them


async def commands_published(pubsub: object, count: int) -> list[list[object]]:
    """The next ``count`` commands on the session's channel, decoded as a process reads them."""
    out: list[list[object]] = []

    async def got_them() -> bool:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)  # type: ignore[attr-defined]
        if message is not None and message["type"] == "message":
            decoded = msgpack.unpackb(message["data"], raw=False)
            if decoded[0] == "c":
                out.append(decoded)
        return len(out) >= count

    await eventually(got_them, 5, what=f"{count} commands on the channel")
    return out


async def test_a_move_given_elsewhere_is_acted_on_before_its_delivery(stores: Stores) -> None:
    a, b = stores.a, stores.b
    await a.update(SID, Join(connection_id="c-mia", role=Role.MENTOR, name="Mia",
                             new_participant_id="mia", audio=True, video=True, at=110.0))
    await join(a, "ana", 111.0)
    await b.read(SID, lambda s: None)  # b holds the session (someone of it is connected there)
    told: list[tuple[str, list[str]]] = []

    def applied(events: Sequence[Event]) -> None:
        told.append(("applied", [type(e).__name__ for e in events]))

    async def deliver(events: Sequence[Event]) -> None:
        told.append(("delivered", [type(e).__name__ for e in events]))

    b.applied, b.deliver_remote = applied, deliver
    pubsub = Redis.from_url(stores.url).pubsub()
    await pubsub.subscribe(a.channel(SID))
    try:
        await a.update(SID, BreakoutCreate("mia", "c-mia", 2, (), False, False, 112.0))
        room = await a.read(SID, lambda s: next(iter(s.round().rooms)))
        await a.update(SID, BreakoutAssign("mia", "c-mia", "ana", room, 113.0))
        await a.update(SID, BreakoutOpen("mia", "c-mia", None, 114.0))
        messages = await commands_published(pubsub, 3)
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
    # b reads them off the channel one after another, as its listener does (nothing awaited
    # between them lets a delivery run).
    for message in messages:
        await b.received(SID, message)
    moved = [kinds for what, kinds in told if ParticipantMoved.__name__ in kinds]
    assert told and all(what == "applied" for what, _ in told), told
    assert moved, "the move was not told at once"

    async def delivered() -> bool:
        return any(what == "delivered" and ParticipantMoved.__name__ in kinds
                   for what, kinds in told)

    await eventually(delivered, 5, what="the move's delivery on b")
    assert await b.read(SID, lambda s: s.participants["ana"].room) == room
