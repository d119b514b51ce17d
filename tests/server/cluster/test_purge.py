"""A command that is not journaled (an erasure, ``rooms.erasure``) in the Redis session store
(``server/store/redis.py``), on a real ``redis-server``: it is kept as a snapshot that replaces
the session's log in the same script (the log's entries name what was erased), and still
published, so that another process's replica applies it; and ``sessions_where`` finds sessions
by their state as Redis holds it, without making replicas of them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from clients.server import RedisProcess
from rooms.commands import CheckIn, Join, PostChat
from rooms.erasure import EraseParticipant
from rooms.roles import Role
from rooms.session import Session
from server.store.codec import decode_session, encode_session
from server.store.redis import RedisStore, StoreUnavailable
from tests.server.cluster.test_liveness import node
from tests.support import eventually

SID, QUIET = "purged-session", "quiet-session"
SAID, GOAL = "zebra crossing 4471", "learn the oboe 9023"


@pytest.fixture
async def raw(redis: RedisProcess) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis.url)
    yield client
    await client.aclose()


def join(pid: str, at: float) -> Join:
    return Join(connection_id=f"c-{pid}", role=Role.MENTEE, name=f"Person {pid}",
                new_participant_id=pid, audio=True, video=True, at=at)


def goal_of(pid: str) -> Callable[[Session], str | None]:
    def goal(s: Session) -> str | None:
        check_in = s.participants[pid].check_in
        return None if check_in is None else check_in.goal
    return goal


def says(text: str) -> Callable[[Session], bool]:
    return lambda s: any(m.text == text for m in s.chat)


async def test_a_command_not_journaled_replaces_the_log_and_reaches_other_replicas(
        redis: RedisProcess, raw: Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    # A check-in stands for an erasure: what a store sees of one is that it is not journaled.
    monkeypatch.setattr(CheckIn, "journaled", False, raising=False)
    async with node(redis.url, "x") as x, node(redis.url, "y") as y:
        await x.store.add(Session.create(session_id=SID, title="Erased", max_participants=10,
                                         now=100.0))
        await x.store.update(SID, join("ana", 110.0))
        await x.store.update(SID, PostChat("ana", "c-ana", SAID, 111.0))
        log = f"tandem:s:{SID}:log"
        assert await raw.llen(log) == 2
        assert await y.store.read(SID, goal_of("ana")) is None  # y holds a replica
        await x.store.update(SID, CheckIn("ana", "c-ana", GOAL, 112.0))
        assert await raw.llen(log) == 0
        seq, base, snap = await raw.hmget(f"tandem:s:{SID}", "seq", "base", "snap")
        assert seq == base == b"3"  # the snapshot is the erasure's own
        assert snap == await x.store.read(SID, encode_session)
        assert decode_session(snap).participants["ana"].check_in is not None

        async def applied_at_y() -> bool:
            return await y.store.read(SID, goal_of("ana")) == GOAL

        await eventually(applied_at_y, 10, what="y applying the published command")
        assert await y.store.read(SID, encode_session) == snap


async def test_sessions_where_reads_every_session_without_making_replicas(
        redis: RedisProcess) -> None:
    async with node(redis.url, "x") as x, node(redis.url, "y") as y:
        for sid in (SID, QUIET):
            await x.store.add(Session.create(session_id=sid, title="T", max_participants=10,
                                             now=100.0))
        await x.store.update(SID, join("ana", 110.0))
        await x.store.update(SID, PostChat("ana", "c-ana", SAID, 111.0))  # in the log
        assert await y.store.sessions_where(says(SAID)) == [SID]
        assert await y.store.sessions_where(lambda s: "ana" in s.participants) == [SID]
        assert sorted(await y.store.sessions_where(lambda s: True)) == sorted([SID, QUIET])
        assert await y.store.sessions_where(lambda s: False) == []
        assert y.store.replicas() == []


async def test_sessions_where_says_when_redis_is_out_of_reach() -> None:
    client = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=1)
    store = RedisStore(client, "z")
    try:
        with pytest.raises(StoreUnavailable):
            await store.sessions_where(lambda s: True)
    finally:
        await store.close()
        await client.aclose()


def held_on_disk(redis: RedisProcess, text: str) -> list[str]:
    """The files of Redis's data directory (its append-only file's parts, its snapshot) that
    hold ``text``."""
    return sorted(p.name for p in redis.data_dir.rglob("*")
                  if p.is_file() and text.encode() in p.read_bytes())


async def test_after_an_erasure_redis_files_are_rewritten_without_it(
        redis: RedisProcess, raw: Redis) -> None:
    store = RedisStore(Redis.from_url(redis.url), "x")
    try:
        await store.add(Session.create(session_id=SID, title="Erased", max_participants=10,
                                       now=100.0))
        await store.update(SID, join("ana", 110.0))
        await store.update(SID, PostChat("ana", "c-ana", SAID, 111.0))
        await store.update(SID, EraseParticipant("ana", 112.0))
        assert not await store.read(SID, says(SAID))
        # Redis's append-only file still holds the write that kept the message.
        assert held_on_disk(redis, SAID)
        assert await store.scrub()
        assert held_on_disk(redis, SAID) == []
        # and Redis still holds the session, as it was after the erasure
        assert (await raw.hget(f"tandem:s:{SID}", "seq")) == b"3"
    finally:
        await store.close()
        await store.redis.aclose()
