"""A board write the store did not take (Redis a moment out of reach, the disk failing): the
update stays in the process's document, so the next updates build on it. None of them may be
acknowledged before the store holds what they build on, and the other processes must get the
failed one too, or they hold every later one aside for ever."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from clients.server import RedisProcess
from rooms.errors import NotRecorded
from rooms.whiteboard import BoardKey
from server.whiteboard.boards import Boards, Change
from server.whiteboard.redis_store import RedisBoardStore
from server.whiteboard.store import BoardStore, Fence
from tests.server.cluster.conftest import need_redis
from tests.server.whiteboard.replica import Replica

KEY = BoardKey("s1", "main")


class FailingStore(BoardStore):
    """The file store, failing the next ``fail[update]`` appends of an update (as a full disk
    would), in their place in the queue."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, fsync=False)
        self.fail: dict[bytes, int] = {}

    def append(self, key: BoardKey, update: bytes,
               fence: Fence | None = None) -> asyncio.Future[None]:
        if not self.fail.get(update):
            return super().append(key, update, fence)
        self.fail[update] -= 1

        def fail(batch: object) -> None:
            raise OSError(28, "No space left on device")

        return self._submit(fail)


async def test_update_acknowledged_after_a_failed_one_is_readable_from_redis(
    tmp_path: Path
) -> None:
    need_redis()
    with RedisProcess(tmp_path / "redis") as redis:
        client = Redis.from_url(redis.url, socket_connect_timeout=1, socket_timeout=1)
        a = RedisBoardStore(client, prefix="t:", clock=lambda: 100.0)
        b = RedisBoardStore(client, prefix="t:", clock=lambda: 100.0)
        await a.start()
        await b.start()
        try:
            boards_a = Boards(a)
            board = await boards_a.get(KEY)
            drawer = Replica()
            drawer.stroke([1.0, 2.0])
            (u,) = drawer.take()
            redis.stop()  # Redis out of reach for a moment
            landed = boards_a.apply(board, Change(u, "p", "c1"), 1.0)
            with pytest.raises(NotRecorded):
                await landed.written  # the drawer is told not_recorded
            await redis.restart_async()
            second = drawer.stroke([3.0, 4.0])
            (v,) = drawer.take()
            landed = boards_a.apply(board, Change(v, "p", "c1"), 2.0)
            await landed.written  # acknowledged: "ok"
            # Another process (or this one after the board left its memory) loads it from Redis.
            loaded = await Boards(b).get(KEY)
            here: dict[str, Any] = board.to_json()
            there: dict[str, Any] = loaded.to_json()
        finally:
            await a.close()
            await b.close()
            await client.aclose()
        assert second in here
        assert there == here, ("acknowledged update missing from the board read from Redis",
                               sorted(here), sorted(there))


async def test_an_update_stored_after_a_failed_one_is_acknowledged_only_once_both_are(
    tmp_path: Path
) -> None:
    """The next update is queued before the failure is known (the page sends without waiting
    for acknowledgements): its own write succeeds, yet it builds on the failed one."""
    store = FailingStore(tmp_path / "shared")
    elsewhere = BoardStore(tmp_path / "elsewhere", fsync=False)
    await store.start()
    await elsewhere.start()
    try:
        published: list[bytes] = []
        boards = Boards(store, on_kept=lambda key, update: published.append(update))
        board = await boards.get(KEY)
        drawer = Replica()
        first = drawer.stroke([1.0, 2.0])
        (u,) = drawer.take()
        second = drawer.stroke([3.0, 4.0])
        (v,) = drawer.take()
        store.fail[u] = 1
        failed = boards.apply(board, Change(u, "p", "c1"), 1.0)
        later = boards.apply(board, Change(v, "p", "c1"), 1.0)
        with pytest.raises(OSError):
            await failed.written
        await later.written  # acknowledged: the store must hold both now
        assert set(board.to_json()) == {first, second}
        stored = await Boards(store).stored(KEY)  # read again, as after a restart
        assert set(stored.to_json()) == {first, second}
        # Another process had the board loaded (empty) and applies what this one published.
        other = Boards(elsewhere)
        there = await other.get(KEY)
        for update in published:
            other.merge(there, update, 2.0)
        assert set(there.to_json()) == {first, second}, "the other process lacks a change"
    finally:
        await store.close()
        await elsewhere.close()


async def test_while_the_store_still_lacks_a_failed_update_the_next_ones_are_not_confirmed(
    tmp_path: Path
) -> None:
    store = FailingStore(tmp_path)
    await store.start()
    try:
        boards = Boards(store)
        board = await boards.get(KEY)
        drawer = Replica()
        drawer.stroke([1.0, 2.0])
        (u,) = drawer.take()
        store.fail[u] = 2  # its second write fails too
        with pytest.raises(OSError):
            await boards.apply(board, Change(u, "p", "c1"), 1.0).written
        second = drawer.stroke([3.0, 4.0])
        (v,) = drawer.take()
        with pytest.raises(OSError):
            await boards.apply(board, Change(v, "p", "c1"), 2.0).written
        # The store takes it again: the next update lands with everything before it.
        third = drawer.stroke([5.0, 6.0])
        (w,) = drawer.take()
        await boards.apply(board, Change(w, "p", "c1"), 3.0).written
        stored = await Boards(store).stored(KEY)
        assert set(stored.to_json()) == set(board.to_json()) and {second, third} <= set(
            stored.to_json())
    finally:
        await store.close()


async def test_an_append_redis_did_not_take_gives_its_connection_back(tmp_path: Path) -> None:
    need_redis()
    with RedisProcess(tmp_path / "redis") as redis:
        # One connection: one kept by a failed write would leave none for the next.
        client = Redis.from_url(redis.url, socket_connect_timeout=1, socket_timeout=1,
                                max_connections=1)
        store = RedisBoardStore(client, prefix="t:", clock=lambda: 100.0)
        await store.start()
        try:
            drawer = Replica()
            for i in range(3):
                drawer.stroke([float(i), 1.0])
            first, u, v = drawer.take()
            await store.append(KEY, first)
            redis.stop()
            with pytest.raises(NotRecorded):
                await store.append(KEY, u)
            await redis.restart_async()
            await store.append(KEY, u)
            await store.append(KEY, v)
            assert (await store.load(KEY)).updates == (first, u, v)
        finally:
            await store.close()
            await client.aclose()
