"""The retention rule's deletion from the Redis store (``RedisStore.expire``), on a real
``redis-server``: the sessions last used before a time, counted from their last use or their
scheduled end (entries of the log included), not from their creation; and not one that
someone joined while the rule was reading it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from clients.server import RedisProcess
from rooms.commands import Join, Leave
from rooms.roles import Role
from rooms.roster import Schedule, SessionPlan
from rooms.session import Session
from server.store.redis import RedisStore

INDEX = "tandem:sessions"


@pytest.fixture
async def store(redis: RedisProcess) -> AsyncIterator[RedisStore]:
    store = RedisStore(Redis.from_url(redis.url), "a")
    yield store
    await store.close()
    await store.redis.aclose()


def created(session_id: str, plan: SessionPlan | None = None) -> Session:
    return Session.create(session_id=session_id, title=session_id, max_participants=8,
                          now=100.0, plan=plan)


async def test_sessions_are_unused_from_their_last_use_not_their_creation(
        redis: RedisProcess, store: RedisStore) -> None:
    # Made through another process, which has given back the leases of its changes since: a
    # session whose lease is held (a change under way) is never deleted.
    other = RedisStore(Redis.from_url(redis.url), "b")
    await other.add(created("idle"))
    await other.add(created("ahead", SessionPlan(schedule=Schedule(10_000.0, 13_600.0))))
    await other.add(created("left"))
    await other.update("left", Join(connection_id="c1", role=Role.MENTEE, name="Ana",
                                    new_participant_id="ana", audio=True, video=True, at=200.0))
    await other.add(created("inside"))
    await other.update("inside", Join(connection_id="c2", role=Role.MENTEE, name="Ben",
                                      new_participant_id="ben", audio=True, video=True,
                                      at=200.0))
    await other.update("left", Leave(participant_id="ana", connection_id="c1", at=500.0))
    await other.close()
    await other.redis.aclose()
    assert not await store.redis.keys("tandem:s:*:lease")
    # (the log's entries are read with the snapshot: both joins and the leave are entries)
    assert await store.redis.llen("tandem:s:left:log") == 2

    assert await store.expire(400.0) == ["idle"]
    assert sorted(await store.session_ids()) == ["ahead", "inside", "left"]
    assert not await store.redis.exists("tandem:s:idle", "tandem:s:idle:log")
    # Each session found in use is scored by its last use, and read again only once that is
    # before the time asked about.
    scores = dict(await store.redis.zrange(INDEX, 0, -1, withscores=True))
    assert scores[b"ahead"] == 13_600.0
    assert scores[b"left"] == 500.0
    assert scores[b"inside"] > 1e9  # someone is connected: in use now (this clock's time)
    assert await store.expire(600.0) == ["left"]
    assert await store.expire(20_000.0) == ["ahead"]
    assert await store.session_ids() == ["inside"]


async def test_a_session_joined_while_the_rule_reads_it_is_kept(
        redis: RedisProcess, store: RedisStore, monkeypatch: pytest.MonkeyPatch) -> None:
    other = RedisStore(Redis.from_url(redis.url), "b")  # another process
    try:
        await store.add(created("old"))
        await store.add(created("older"))
        real_fetch = store.index._fetch

        async def fetch_then_join(sid: str) -> Any:
            answer = await real_fetch(sid)  # read as unused since 100.0 ...
            if sid == "old":  # ... and joined, through the other process, before the deletion
                await other.update(sid, Join(connection_id="c1", role=Role.MENTEE, name="Ana",
                                             new_participant_id="ana", audio=True, video=True,
                                             at=900.0))
                await other.close()  # its lease given back: the join is done, the entry kept
                assert not await store.redis.exists("tandem:s:old:lease")
            return answer

        monkeypatch.setattr(store.index, "_fetch", fetch_then_join)
        assert await store.expire(400.0) == ["older"]
        monkeypatch.setattr(store.index, "_fetch", real_fetch)
        assert await store.session_ids() == ["old"]
        # (as Redis holds it: this store's replica has not heard of the join)
        assert await store.sessions_where(
            lambda s: [p.name for p in s.participants.values()] == ["Ana"]) == ["old"]
        # the next pass reads it again, as in use
        assert await store.expire(400.0) == []
    finally:
        await other.close()
        await other.redis.aclose()


async def test_a_pass_cut_short_says_what_it_deleted(
        store: RedisStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Redis goes out of reach half way through the deletions: those made are said (the rule
    then scrubs Redis's files and purges the ledger of them), the others wait for the next pass."""
    for sid in ("one", "two", "three"):
        await store.add(created(sid))
    delete = store.index.delete
    calls: list[str] = []

    async def cut_after_the_first(sid: str, unused_at: int | None = None) -> bool:
        calls.append(sid)
        if len(calls) > 1:
            raise RedisConnectionError("Redis went away")
        return await delete(sid, unused_at)

    monkeypatch.setattr(store.index, "delete", cut_after_the_first)
    deleted = await store.expire(400.0)
    assert deleted == calls[:1] and len(calls) == 2
    monkeypatch.setattr(store.index, "delete", delete)
    assert sorted(await store.expire(400.0) + deleted) == ["one", "three", "two"]
