"""The channels between nodes (``server/cluster.py``) on a real ``redis-server``: a message
that fails where it is handled is logged and dropped alone, the node goes on listening, and the
session it was for is read again from Redis; and the cluster's own commands time out while
Redis does not answer, as every other command to Redis does."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path
from typing import Any

import msgpack
import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from clients.server import RedisProcess
from rooms.session import Session
from server import app as app_mod
from server.app import CONTEXT, create_app
from server.cluster import Cluster
from server.settings import Settings
from server.store import redis as redis_store
from server.store.redis import RedisStore, StoreUnavailable
from tests.server.cluster.test_lease import SID, chat, join
from tests.server.cluster.test_liveness import node
from tests.support import eventually


async def test_a_feature_failing_on_one_message_leaves_the_others_to_it(
        redis: RedisProcess, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []

    async def handler(session_id: str, message: list[Any]) -> None:
        seen.append(message[2])
        if message[2] == "boom":
            raise ValueError("a bug, with what Ana drew on the board")

    other = Redis.from_url(redis.url)
    try:
        async with node(redis.url, "x") as x:
            x.handlers["w"] = handler
            await x.subscribe_session("s1")
            for body in ("one", "boom", "two"):
                await other.publish("tandem:c:s1", msgpack.packb(["w", "y", body]))
            await eventually(lambda: len(seen) == 3, 10, what="the three messages handled")
            assert seen == ["one", "boom", "two"]
    finally:
        await other.aclose()
    failed = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(failed) == 1 and "s1" in failed[0] and "ValueError" in failed[0]
    assert "Ana" not in caplog.text


async def test_an_entry_that_fails_here_gets_the_session_read_again(
        redis: RedisProcess, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    elsewhere = RedisStore(Redis.from_url(redis.url), "b")
    try:
        async with node(redis.url, "x") as x:
            await x.store.add(Session.create(session_id=SID, title="Read again",
                                             max_participants=10, now=100.0))
            await elsewhere.read(SID, lambda s: None)
            # The next entry x reads fails with an error that is not the domain's (a bug, or
            # an entry of a newer version during a rolling deploy).
            real = redis_store.decode_command
            failures: list[bytes] = []

            def fails_once(data: bytes) -> Any:
                if not failures:
                    failures.append(data)
                    raise RuntimeError("an entry naming Ana that this version cannot read")
                return real(data)

            monkeypatch.setattr(redis_store, "decode_command", fails_once)
            await join(elsewhere, "ana", 110.0)
            await eventually(lambda: bool(failures), 10, what="x reading the entry")
            await chat(elsewhere, "ana", "still heard", 111.0)

            async def whole() -> bool:
                return await x.store.read(SID, lambda s: (
                    [p.id for p in s.participants.values()], [m.text for m in s.chat])) == (
                    ["ana"], ["still heard"])

            await eventually(whole, 10, what="x's replica as Redis holds the session")
    finally:
        await elsewhere.close()
        await elsewhere.redis.aclose()
    assert SID in caplog.text and "RuntimeError" in caplog.text
    assert "Ana" not in caplog.text


async def test_the_clusters_commands_time_out_while_redis_does_not_answer(
        redis: RedisProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_mod, "REDIS_TIMEOUT", 0.2)
    settings = Settings(data_dir=tmp_path, secret=b"s" * 32, admin_key="k" * 32,
                        redis_url=redis.url)
    cluster = create_app(settings)[CONTEXT].cluster
    assert isinstance(cluster, Cluster)
    # Its commands go on a client with the timeout of every command to Redis (the channels on
    # one of their own, which waits for messages).
    assert cluster.redis.get_connection_kwargs().get("socket_timeout") == app_mod.REDIS_TIMEOUT
    assert cluster.subscriber is not cluster.redis
    await cluster.note_session("s0")
    await cluster.ping()
    os.kill(redis.pid, signal.SIGSTOP)  # its connections stay open; nothing comes back
    try:
        # A guard only: without a timeout these would wait until TCP gives up.
        async with asyncio.timeout(20):
            with pytest.raises(StoreUnavailable):
                await cluster.note_session("s1")
            with pytest.raises(RedisError):
                await cluster.ping()
    finally:
        os.kill(redis.pid, signal.SIGCONT)
        for client in (cluster.redis, cluster.subscriber, cluster.store.redis):
            await client.aclose()
