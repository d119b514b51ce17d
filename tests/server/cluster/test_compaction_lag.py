"""A process a little behind when another takes a snapshot of a session (its log compacted)
still gets the entries it lacks, and delivers their events here: the log keeps the entries since
the snapshot before the last. Before, its replica was read again from the new snapshot and the
events between were never delivered here (a move made elsewhere: the person moved kept hearing
the old room through this process). A replica read again past changes whose events it can no
longer have (an erasure's snapshot empties the log) says so (``RedisStore.skipped``): the app
then closes its connections of that session (``test_captions_lag.py``)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from rooms.breakout_commands import BreakoutAssign, BreakoutCreate, BreakoutOpen
from rooms.commands import EraseParticipant, Join
from rooms.events import Event, ParticipantMoved
from rooms.roles import Role
from server.store import replica as replica_module
from tests.server.cluster import test_lease
from tests.server.cluster.test_lease import SID, Stores, join
from tests.support import eventually

stores = test_lease.stores  # the two stores, as two processes hold them


async def test_a_replica_behind_a_snapshot_delivers_what_it_lacked(
        stores: Stores, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = stores.a, stores.b
    await a.update(SID, Join(connection_id="c-mia", role=Role.MENTOR, name="Mia",
                             new_participant_id="mia", audio=True, video=True, at=110.0))
    await join(a, "ana", 111.0)
    await a.update(SID, BreakoutCreate("mia", "c-mia", 2, (), False, False, 112.0))
    room = await a.read(SID, lambda s: next(iter(s.round().rooms)))
    await a.update(SID, BreakoutAssign("mia", "c-mia", "ana", room, 113.0))
    await b.read(SID, lambda s: None)  # b holds the session; its channel is not read here
    delivered: list[str] = []
    skipped: list[str] = []

    async def deliver(events: Sequence[Event]) -> None:
        delivered.extend(type(e).__name__ for e in events)

    b.deliver_remote, b.skipped = deliver, skipped.append
    a.snapshot_min_bytes = 1  # the next change on a takes a snapshot
    monkeypatch.setattr(replica_module, "SNAPSHOT_FACTOR", 0)
    await a.update(SID, BreakoutOpen("mia", "c-mia", None, 114.0))  # (Ana moves)

    # b, behind by one snapshot, brings its replica up to date: it gets the entries.
    assert await b.read_latest(SID, lambda s: s.participants["ana"].room) == room
    await eventually(lambda: ParticipantMoved.__name__ in delivered, 5,
                     what="the move delivered on b")
    assert skipped == []


async def test_a_replica_read_again_past_an_erasure_says_so(stores: Stores) -> None:
    a, b = stores.a, stores.b
    await join(a, "ana", 111.0)
    await join(a, "ben", 112.0)
    await b.read(SID, lambda s: None)
    skipped: list[str] = []
    b.skipped = skipped.append
    await a.update(SID, EraseParticipant("ben", 113.0))  # kept as a snapshot alone
    assert await b.read_latest(SID, lambda s: sorted(s.participants)) == ["ana"]
    assert skipped == [SID]
    await join(a, "cy", 114.0)  # an entry after: b is not behind it, and says nothing of it
    assert "cy" in await b.read_latest(SID, lambda s: set(s.participants))
    assert skipped == [SID]
