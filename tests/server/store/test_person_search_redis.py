"""A deletion request's search of the Redis store, on a real ``redis-server``: each session is
read once (its snapshot and its whole log, which may hold entries from before the snapshot),
both to test its state and to look for the person in what Redis keeps; and the person's id is
found only as a whole value, as in the journal (``test_person_search.py``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from clients.server import RedisProcess
from rooms import commands as c
from rooms.breakout import Group
from rooms.breakout_commands import SetGroups
from rooms.erasure import names_person
from rooms.roles import Role
from rooms.session import Session
from server.store.redis import RedisStore
from tests.server.cluster.conftest import need_redis

T0 = 1_800_000_000.0
PERSON = "ana"
SESSIONS = ("named", "held", "banana", "quiet")


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisProcess]:
    need_redis()
    with RedisProcess(tmp_path / "redis") as r:
        yield r


@pytest.fixture
async def store(redis: RedisProcess) -> AsyncIterator[RedisStore]:
    client = Redis.from_url(redis.url)
    store = RedisStore(client, "x")
    for sid in SESSIONS:
        await store.add(Session.create(session_id=sid, title="T", max_participants=8, now=T0))
        await store.update(sid, c.Join("cm", Role.MENTOR, "Mentor", "m", True, True, T0))
    await store.update("named", SetGroups((Group("Pair", (PERSON, "m")),)))
    await store.update("held", SetGroups((Group("Pair", (PERSON, "m")),)))
    await store.update("held", SetGroups((Group("Pair", ("m",)),)))
    await store.update("banana", c.PostChat("m", "cm", "banana bread", T0 + 1))
    yield store
    await store.close()
    await client.aclose()


async def test_a_deletion_search_reads_each_session_once(
        redis: RedisProcess, store: RedisStore) -> None:
    monitor_client = Redis.from_url(redis.url)
    marker = "end of the search 5521"
    try:
        async with monitor_client.monitor() as monitor:
            found = await store.sessions_where(lambda s: names_person(s, PERSON),
                                               holding=PERSON)
            await store.redis.echo(marker)  # the barrier: seen after every read of the search
            reads: Counter[str] = Counter()
            while True:
                command = (await monitor.next_command())["command"]
                if marker in command:
                    break
                if command.startswith("LRANGE"):
                    reads[command.split()[1]] += 1
    finally:
        await monitor_client.aclose()
    assert reads == {f"tandem:s:{sid}:log": 1 for sid in SESSIONS}
    assert sorted(found) == ["held", "named"]
