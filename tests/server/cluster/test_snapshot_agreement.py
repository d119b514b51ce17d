"""The log keeps its entries since the snapshot before the last, so a replica a little behind
gets the entries it lacks and delivers their events, in the cases where it did not: two
processes writing a session took two snapshots in a row (each counted the bytes since the last
one alone: Redis now decides when one is due); the catch-up after a channel drop read the
snapshot rather than the log; after the session's end every change was a snapshot alone.
Read again past those entries, the replica said so (``skipped``) and its process closed every
connection of the session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import pytest
from redis.asyncio import Redis

from clients.server import RedisProcess
from rooms.commands import End, Rate
from rooms.events import Event
from rooms.session import Session
from server.store.redis import RedisStore
from tests.server.cluster.test_lease import SID, chat, join

Three = tuple[RedisStore, RedisStore, RedisStore, Redis]

NEVER = 10**12  # a snapshot threshold no test reaches


@pytest.fixture
async def three(redis: RedisProcess) -> AsyncIterator[Three]:
    """Three processes' stores (their channels not read: each catches up from Redis)."""
    clients = [Redis.from_url(redis.url) for _ in range(4)]
    stores = [RedisStore(c, name, snapshot_min_bytes=NEVER)
              for c, name in zip(clients, "abc", strict=False)]
    await stores[0].add(Session.create(session_id=SID, title="Review", max_participants=50,
                                       now=100.0))
    try:
        yield stores[0], stores[1], stores[2], clients[3]
    finally:
        for s in stores:
            await s.close()
        for c in clients:
            await c.aclose()


async def two_writers_a_snapshot_due(three: Three) -> tuple[float, list[str], list[str]]:
    """a and b both wrote the session, enough entries that a's next change takes a snapshot;
    c holds the session as of now, and is watched. Returns the next time to use, and what c
    delivers and skips."""
    a, b, c, _redis = three
    await join(a, "ana", 110.0)
    await join(b, "ben", 111.0)
    at = 112.0
    # Enough entries that a snapshot is due under the default factor (2 x the snapshot).
    while a._replicas[SID].since_snapshot < 3 * a._replicas[SID].snapshot_bytes:
        await chat(a, "ana", "x" * 40, at)
        at += 1
    await chat(b, "ben", "b catches up", at)  # b holds every entry so far
    await c.read(SID, lambda s: None)  # c holds the session as of now
    delivered, skipped = watch(c)
    a.snapshot_min_bytes = b.snapshot_min_bytes = 1  # (the default factor decides)
    return at + 1, delivered, skipped


async def b_in_step_a_snapshot_due(three: Three) -> tuple[list[str], list[str]]:
    """a wrote the session until its next change takes a snapshot; b holds it as of now, and is
    watched. Returns what b delivers and skips from now on."""
    a, b, _c, _redis = three
    await join(a, "ana", 110.0)
    await b.read(SID, lambda s: None)
    delivered, skipped = watch(b)
    a.snapshot_min_bytes = 1
    while not a._replicas[SID].snapshot_due(1):
        await chat(a, "ana", "x" * 40, 111.0)
    await b.read_latest(SID, lambda s: None)  # b is in step here
    await b._drained(b._replicas[SID])
    delivered.clear()
    return delivered, skipped


def watch(store: RedisStore) -> tuple[list[str], list[str]]:
    delivered: list[str] = []
    skipped: list[str] = []

    async def deliver(events: Sequence[Event]) -> None:
        delivered.extend(type(e).__name__ for e in events)

    store.deliver_remote, store.skipped = deliver, skipped.append
    return delivered, skipped


async def test_a_snapshot_by_one_process_is_not_followed_by_another_at_once(
        three: Three) -> None:
    """Both processes write the session with the same snapshot setting: a snapshot taken by a
    is not followed by another at b's next change (b's own count of the bytes since the last
    snapshot did not know of a's)."""
    a, b, _c, redis = three
    at, _delivered, _skipped = await two_writers_a_snapshot_due(three)

    await chat(a, "ana", "first", at)  # a's snapshot is due: entry and snapshot
    base_after_a = int(await redis.hget(f"tandem:s:{SID}", "base"))
    await chat(b, "ben", "second", at + 1)  # b's next change
    base_after_b = int(await redis.hget(f"tandem:s:{SID}", "base"))
    assert base_after_b == base_after_a, (
        f"b took a second snapshot right after a's (base {base_after_a} -> {base_after_b}): "
        "its count since the last snapshot ignored a's")


async def test_a_replica_two_behind_two_snapshots_in_a_row_gets_the_entries(
        three: Three) -> None:
    """A process two entries behind (its channel a little late), across a's snapshot and b's
    next change, gets both entries and delivers their events."""
    a, b, c, _redis = three
    at, delivered, skipped = await two_writers_a_snapshot_due(three)

    await chat(a, "ana", "first", at)
    await chat(b, "ben", "second", at + 1)
    texts = await c.read_latest(SID, lambda s: [m.text for m in s.chat][-2:])
    assert texts == ["first", "second"]
    await c._drained(c._replicas[SID])  # what it queued is delivered
    assert (delivered.count("ChatPosted"), skipped) == (2, [])


async def test_resync_after_the_channel_was_down_gets_entries_the_log_still_holds(
        three: Three) -> None:
    """``resync`` (the channels back after a drop), as a gap on the channel, asks for what the
    log holds since the replica's entry (``LATEST``): a replica one entry behind a snapshot gets
    that entry and delivers its events (the snapshot alone skipped it)."""
    a, b, _c, _redis = three
    delivered, skipped = await b_in_step_a_snapshot_due(three)
    await chat(a, "ana", "during the drop", 112.0)  # entry and snapshot
    await b.resync()
    await b._drained(b._replicas[SID])
    assert await b.read(SID, lambda s: [m.text for m in s.chat][-1]) == "during the drop"
    assert (delivered.count("ChatPosted"), skipped) == (1, [])


async def test_control_read_latest_one_entry_behind_a_snapshot_gets_it(
        three: Three) -> None:
    """The same through ``read_latest``."""
    a, b, _c, _redis = three
    delivered, skipped = await b_in_step_a_snapshot_due(three)
    await chat(a, "ana", "during the drop", 112.0)
    await b.read_latest(SID, lambda s: None)
    await b._drained(b._replicas[SID])
    assert (delivered.count("ChatPosted"), skipped) == (1, [])


async def test_after_the_end_a_process_one_entry_behind_is_not_skipped(
        three: Three) -> None:
    """After the session's end only the end is kept as a snapshot alone: a later change (a
    rating, in the hour people may still rate) is an entry, so a process one entry behind that
    changes the session too gets it (each such change emptied the log, and that process was
    read again past the entry and closed every connection of the session)."""
    a, b, _c, _redis = three
    await join(a, "ana", 110.0)
    await join(a, "ben", 111.0)
    await a.update(SID, End("over", 120.0))
    await b.read(SID, lambda s: None)  # b in step, as of the end
    delivered, skipped = watch(b)
    await a.update(SID, Rate("ana", None, 5, None, False, 121.0))  # ana rates (through a)
    await b.update(SID, Rate("ben", None, 4, None, False, 121.5))  # ben too (through b)
    await b._drained(b._replicas[SID])
    assert skipped == []
