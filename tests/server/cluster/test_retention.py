"""The retention rule's question to the Redis store (``RedisStore.unused_since``), on a real
``redis-server``: which sessions were last used before a time, counted from their last use or
their scheduled end (entries of the log included), not from their creation."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

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
        store: RedisStore) -> None:
    await store.add(created("idle"))
    await store.add(created("ahead", SessionPlan(schedule=Schedule(10_000.0, 13_600.0))))
    await store.add(created("left"))
    await store.update("left", Join(connection_id="c1", role=Role.MENTEE, name="Ana",
                                    new_participant_id="ana", audio=True, video=True, at=200.0))
    await store.add(created("inside"))
    await store.update("inside", Join(connection_id="c2", role=Role.MENTEE, name="Ben",
                                      new_participant_id="ben", audio=True, video=True,
                                      at=200.0))
    await store.update("left", Leave(participant_id="ana", connection_id="c1", at=500.0))
    # (the log's entries are read with the snapshot: both joins and the leave are entries)
    assert await store.redis.llen("tandem:s:left:log") == 2

    assert await store.unused_since(400.0) == ["idle"]
    # Each session found in use is scored by its last use, and read again only once that is
    # before the time asked about.
    scores = dict(await store.redis.zrange(INDEX, 0, -1, withscores=True))
    assert scores[b"idle"] == 100.0
    assert scores[b"ahead"] == 13_600.0
    assert scores[b"left"] == 500.0
    assert scores[b"inside"] > 1e9  # someone is connected: in use now (this clock's time)
    assert sorted(await store.unused_since(600.0)) == ["idle", "left"]
    assert sorted(await store.unused_since(20_000.0)) == ["ahead", "idle", "left"]
