"""The session lease of ``server/store/redis.py``, with two stores as two processes hold them,
on a real ``redis-server``: a process that keeps changing a session keeps the lease between its
changes (one script per change instead of two), gives it back once it goes quiet, and gives it
up at once when another process asks for it, both processes' changes kept in one order."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import msgpack
import pytest
from redis.asyncio import Redis

from clients.server import RedisProcess
from rooms.commands import Join, PostChat
from rooms.errors import NotRecorded
from rooms.roles import Role
from rooms.session import Session
from server.store import redis as redis_store
from server.store.redis import KEEP_IDLE, RedisStore
from tests.support import eventually

SID = "lease-session"


@dataclass
class Stores:
    a: RedisStore
    b: RedisStore
    redis: Redis
    url: str


@pytest.fixture
async def stores(redis: RedisProcess) -> AsyncIterator[Stores]:
    clients = [Redis.from_url(redis.url) for _ in range(3)]
    a, b = RedisStore(clients[0], "a"), RedisStore(clients[1], "b")
    await a.add(Session.create(session_id=SID, title="Lease", max_participants=50, now=100.0))
    try:
        yield Stores(a, b, clients[2], redis.url)
    finally:
        await a.close()
        await b.close()
        for client in clients:
            await client.aclose()


async def scripts_run(redis: Redis) -> int:
    """How many Lua scripts Redis has run (its own count)."""
    stats = await redis.info("commandstats")
    return sum(int(stats.get(name, {}).get("calls", 0)) for name in ("cmdstat_evalsha",
                                                                      "cmdstat_eval"))


async def join(store: RedisStore, pid: str, at: float) -> None:
    await store.update(SID, Join(connection_id=f"c-{pid}", role=Role.MENTEE, name=f"Person {pid}",
                                 new_participant_id=pid, audio=True, video=True, at=at))


async def chat(store: RedisStore, pid: str, text: str, at: float) -> None:
    await store.update(SID, PostChat(participant_id=pid, connection_id=f"c-{pid}", text=text,
                                     at=at))


async def as_redis_holds_it(url: str) -> Session:
    """The session loaded afresh from Redis by a third process."""
    client = Redis.from_url(url)
    try:
        fresh = RedisStore(client, "c")
        return await fresh.read(SID, lambda s: s)
    finally:
        await client.aclose()


async def test_changes_in_a_row_keep_the_lease_and_it_is_given_back_when_quiet(
        stores: Stores) -> None:
    await join(stores.a, "ana", 110.0)
    before = await scripts_run(stores.redis)
    for i in range(10):
        await chat(stores.a, "ana", f"line {i}", 111.0 + i)
    # one script per change: the lease was kept from the join on (two each, without it)
    assert await scripts_run(stores.redis) - before == 10
    lease = f"tandem:s:{SID}:lease"
    assert await stores.redis.get(lease) == b"a"

    async def given_back() -> bool:
        return await stores.redis.get(lease) is None

    await eventually(given_back, 10 * KEEP_IDLE + 5, what="the kept lease given back")
    session = await as_redis_holds_it(stores.url)
    assert [m.text for m in session.chat] == [f"line {i}" for i in range(10)]


async def test_another_process_gets_a_kept_lease_and_nothing_is_lost(stores: Stores) -> None:
    await join(stores.a, "ana", 110.0)
    await chat(stores.a, "ana", "kept", 111.0)  # a keeps the lease after this change
    assert await stores.redis.get(f"tandem:s:{SID}:lease") == b"a"
    # b's change goes through while a holds the lease, and a's next one lands after it
    await join(stores.b, "ben", 112.0)
    await chat(stores.a, "ana", "after ben", 113.0)
    session = await as_redis_holds_it(stores.url)
    assert {p.id for p in session.participants.values()} == {"ana", "ben"}
    assert [m.text for m in session.chat] == ["kept", "after ben"]


async def test_two_processes_changing_one_session_at_once_keep_every_change(
        stores: Stores) -> None:
    await join(stores.a, "ana", 110.0)
    await join(stores.b, "ben", 110.5)

    async def talk(store: RedisStore, pid: str) -> None:
        for i in range(40):
            await chat(store, pid, f"{pid} {i}", 111.0 + i / 100)

    await asyncio.gather(talk(stores.a, "ana"), talk(stores.b, "ben"))
    session = await as_redis_holds_it(stores.url)
    said = [m.text for m in session.chat]
    assert len(said) == 80
    for pid in ("ana", "ben"):  # each one's lines all there, in the order they were said
        assert [t for t in said if t.startswith(pid)] == [f"{pid} {i}" for i in range(40)]


async def test_a_kept_lease_is_given_back_when_another_process_asks_on_the_channel(
        stores: Stores, monkeypatch: pytest.MonkeyPatch) -> None:
    # Kept for an hour unless asked: without the request on the channel, b would wait for it
    # until it gives up (LEASE_WAIT) and answer that the session is busy.
    monkeypatch.setattr(redis_store, "KEEP_MS", 3_600_000)
    monkeypatch.setattr(redis_store, "KEEP_IDLE", 3600.0)
    channel = stores.redis.pubsub()
    await channel.subscribe(stores.a.channel(SID))  # what the cluster does for process a

    async def forward() -> None:
        async for message in channel.listen():
            if message["type"] == "message":
                await stores.a.received(SID, msgpack.unpackb(message["data"]))

    forwarding = asyncio.create_task(forward())
    try:
        await join(stores.a, "ana", 110.0)
        await chat(stores.a, "ana", "kept", 111.0)
        assert await stores.redis.get(f"tandem:s:{SID}:lease") == b"a"
        await join(stores.b, "ben", 112.0)
        await chat(stores.a, "ana", "after ben", 113.0)
    finally:
        forwarding.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await forwarding
        await channel.aclose()
    session = await as_redis_holds_it(stores.url)
    assert {p.id for p in session.participants.values()} == {"ana", "ben"}
    assert [m.text for m in session.chat] == ["kept", "after ben"]


async def test_closing_gives_back_a_kept_lease_and_leaves_no_give_back_running(
        redis: RedisProcess) -> None:
    client = Redis.from_url(redis.url)
    store = RedisStore(client, "a")
    try:
        await store.add(Session.create(session_id=SID, title="Lease", max_participants=50,
                                       now=100.0))
        await join(store, "ana", 110.0)
        assert await client.get(f"tandem:s:{SID}:lease") == b"a"  # kept after the change
        # Another process asks for it while a change of the session is under way here (its
        # lock held), and this one closes: the give-back waiting for that change goes with it,
        # and the lease is given back by the close itself.
        rep = store._replicas[SID]
        async with rep.lock:
            store._let_go(SID, rep, wanted=True)
            assert len(store._tasks) == 1
            await store.close()
            assert len(store._tasks) == 0
        assert await client.get(f"tandem:s:{SID}:lease") is None
    finally:
        await client.aclose()


async def test_a_change_refused_by_redis_is_not_read_from_the_replica(stores: Stores) -> None:
    await join(stores.a, "ana", 110.0)
    await chat(stores.a, "ana", "kept", 111.0)  # a keeps the lease after this change
    # a's kept lease ran out while it was held up, and b holds it now: a applies the next change
    # to its replica, and Redis refuses its append.
    await stores.redis.set(f"tandem:s:{SID}:lease", "b", px=60_000)
    with pytest.raises(NotRecorded):
        await chat(stores.a, "ana", "never kept", 112.0)
    # What a answers from then on is what Redis holds, not the change it was refused.
    assert await stores.a.read(SID, lambda s: [m.text for m in s.chat]) == ["kept"]
    session = await as_redis_holds_it(stores.url)
    assert [m.text for m in session.chat] == ["kept"]
