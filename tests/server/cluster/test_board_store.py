"""The Redis board store against a real ``redis-server``: the same contract as the files
(appends, compaction, meta, pairs, deletion), and compactions that race with appends and with
each other from two stores, as two processes would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from pycrdt import Doc, Map
from redis.asyncio import Redis

from clients.server import RedisProcess
from rooms.errors import BoardDeleted
from rooms.whiteboard import BoardKey
from server.whiteboard.boards import Boards, Change
from server.whiteboard.redis_store import RedisBoardStore, fold
from server.whiteboard.store import BoardMeta, StoredBoard
from tests.server.whiteboard.nodes import big_stroke
from tests.server.whiteboard.replica import Replica

KEY = BoardKey("s1", "main")
PREFIX = "t:"


def items(snapshot: bytes | None, updates: tuple[bytes, ...] | list[bytes]) -> dict[str, Any]:
    doc: Doc[Any] = Doc()
    for u in ([snapshot] if snapshot else []) + list(updates):
        doc.apply_update(u)
    return dict(doc.get("items", type=Map).to_py() or {})


def strokes(n: int, replica: Replica | None = None) -> tuple[Replica, list[bytes]]:
    r = replica or Replica()
    for i in range(n):
        r.stroke([float(i), i + 0.5])
    return r, r.take()


@pytest.fixture
async def client(redis: RedisProcess) -> AsyncIterator[Redis]:
    r = Redis.from_url(redis.url)
    yield r
    await r.aclose()


@pytest.fixture
async def stores(client: Redis) -> AsyncIterator[tuple[RedisBoardStore, RedisBoardStore]]:
    """Two stores on one Redis, as two processes have."""
    a = RedisBoardStore(client, prefix=PREFIX, clock=lambda: 100.0)
    b = RedisBoardStore(client, prefix=PREFIX, clock=lambda: 100.0)
    await a.start()
    await b.start()
    yield a, b
    await a.close()
    await b.close()


async def test_appends_and_compaction_keep_everything(
    stores: tuple[RedisBoardStore, RedisBoardStore]
) -> None:
    store, _ = stores
    boards = Boards(store, compact_bytes=200)
    board = await boards.get(KEY)
    r, updates = strokes(30)
    for u in updates:
        await boards.apply(board, Change(u, "p1", None), 0.0).written
    stored = await store.load(KEY)
    assert stored.snapshot is not None  # compacted on the way
    assert len(stored.updates) < len(updates)
    assert items(stored.snapshot, stored.updates) == r.view()
    again = await Boards(store).get(KEY)
    assert again.to_json() == r.view()
    assert await store.rooms("s1") == ["main"]


async def test_a_compaction_keeps_what_another_process_appended_while_it_folded(
    stores: tuple[RedisBoardStore, RedisBoardStore]
) -> None:
    a, b = stores
    ra, first = strokes(5)
    for u in first:
        await a.append(KEY, u)
    rb, late = strokes(3)
    read = a._snapshot_and_log

    async def read_then_b_appends(key: BoardKey) -> tuple[int, bytes, list[bytes]]:
        got = await read(key)
        for u in late:  # lands between the compaction's read and its write
            await b.append(KEY, u)
        return got

    a._snapshot_and_log = read_then_b_appends  # type: ignore[method-assign]
    await a.compact(KEY, items_state(first))
    stored = await a.load(KEY)
    assert list(stored.updates) == late  # only the folded entries were dropped
    assert items(stored.snapshot, stored.updates) == {**ra.view(), **rb.view()}


def items_state(updates: list[bytes]) -> bytes:
    doc: Doc[Any] = Doc()
    for u in updates:
        doc.apply_update(u)
    return doc.get_update()


async def test_a_compaction_that_meets_another_reads_again_and_loses_nothing(
    stores: tuple[RedisBoardStore, RedisBoardStore]
) -> None:
    a, b = stores
    ra, updates = strokes(6)
    for u in updates[:4]:
        await a.append(KEY, u)
    read = a._snapshot_and_log
    reads = 0

    async def read_then_b_compacts(key: BoardKey) -> tuple[int, bytes, list[bytes]]:
        nonlocal reads
        got = await read(key)
        reads += 1
        if reads == 1:  # b compacts after a read: a's version is stale
            await b.append(KEY, updates[4])
            await b.compact(KEY, items_state(updates[:2]))
            await b.append(KEY, updates[5])
        return got

    a._snapshot_and_log = read_then_b_compacts  # type: ignore[method-assign]
    await a.compact(KEY, b"")
    assert reads == 2
    stored = await a.load(KEY)
    assert stored.updates == ()
    assert items(stored.snapshot, ()) == ra.view()


async def test_a_board_deleted_during_a_compaction_stays_deleted(
    stores: tuple[RedisBoardStore, RedisBoardStore], client: Redis
) -> None:
    a, b = stores
    _, updates = strokes(3)
    for u in updates:
        await a.append(KEY, u)
    read = a._snapshot_and_log

    async def read_then_deleted(key: BoardKey) -> tuple[int, bytes, list[bytes]]:
        got = await read(key)
        await b.delete_session("s1")
        return got

    a._snapshot_and_log = read_then_deleted  # type: ignore[method-assign]
    await a.compact(KEY, items_state(updates))
    assert await a.rooms("s1") == []
    # all that is left is the tombstone and the versions' counter, which hold nothing of it
    assert sorted(await client.keys(f"{PREFIX}*")) == [f"{PREFIX}wb:s1/main/gone".encode(),
                                                      f"{PREFIX}wversions".encode()]
    assert await client.get(f"{PREFIX}wb:s1/main/gone") == b"1"
    assert await a.load(KEY) == StoredBoard(None, ())  # (a read gives it a birth again)


async def test_a_copy_of_a_deleted_board_is_not_compacted_into_the_board_drawn_after(
    stores: tuple[RedisBoardStore, RedisBoardStore]
) -> None:
    """b holds a board a deletes, and someone draws on it again through a; b, not told yet,
    keeps a stroke of its own and compacts: both are refused (b's copy was read before the
    deletion), and the new board holds only what was drawn on it."""
    a, b = stores
    first = Replica()
    secret = first.stroke([1.0, 2.0])
    (u,) = first.take()
    await a.append(KEY, u)
    boards = Boards(b, compact_bytes=1024)
    held = await boards.get(KEY)
    assert secret in held.to_json()
    assert await a.delete_boards("s1", ["main"]) == 1
    later = Replica()
    new = later.stroke([5.0, 6.0])
    (v,) = later.take()
    await a.append(KEY, v)
    mine = Replica()
    big_stroke(mine, "b")  # past the compaction's size
    (w,) = mine.take()
    landed = boards.apply(held, Change(w, "p", None), 1.0)
    with pytest.raises(BoardDeleted):
        await landed.written  # its append, and a compaction (past 1 KiB): both refused
    stored = await a.load(KEY)
    assert set(items(stored.snapshot, stored.updates)) == {new}, (
        "the deleted board, or a change made on it, was written back")


async def test_a_compaction_of_a_board_deleted_and_drawn_on_again_as_it_ran_writes_nothing(
    stores: tuple[RedisBoardStore, RedisBoardStore]
) -> None:
    """b's compaction reads the board's version, snapshot and log; before it writes, a deletes
    the board and someone draws on it again. The new board's version is not the one b read (a
    version is never drawn twice), so b's compaction neither writes the deleted board back nor
    trims the new board's acknowledged entries."""
    a, b = stores
    old = Replica()
    secret = old.stroke([1.0, 2.0])
    (u,) = old.take()
    await a.append(KEY, u)
    later = Replica()
    new = later.stroke([5.0, 6.0])
    (v,) = later.take()
    read = b._snapshot_and_log

    async def read_then_deleted_and_drawn(key: BoardKey) -> tuple[int, bytes, list[bytes]]:
        found = await read(key)
        assert await a.delete_boards("s1", ["main"]) == 1
        await a.append(KEY, v)
        return found

    b._snapshot_and_log = read_then_deleted_and_drawn  # type: ignore[method-assign]
    await b.compact(KEY, u)  # b's copy: the board as it read it
    stored = await a.load(KEY)
    left = items(stored.snapshot, stored.updates)
    assert secret not in left, "the deleted board was written back"
    assert set(left) == {new}, "the new board's entries were trimmed"


async def test_a_process_not_yet_told_of_a_deletion_does_not_bring_the_board_back(
    stores: tuple[RedisBoardStore, RedisBoardStore]
) -> None:
    a, b = stores
    r, updates = strokes(3)
    for u in updates:
        await a.append(KEY, u)
    held = await Boards(b).get(KEY)  # b holds the board in memory
    assert held.to_json() == r.view()
    assert await a.delete_boards("s1", ["main"]) == 1
    await b.compact(KEY, held.encoded())  # from what b still holds
    assert await a.load(KEY) == StoredBoard(None, ())
    # drawing on it again starts it again, with only what is drawn from then on
    again, fresh = strokes(1)
    await b.append(KEY, fresh[0])
    await b.compact(KEY, items_state(fresh))
    stored = await a.load(KEY)
    assert items(stored.snapshot, stored.updates) == again.view()


def test_fold_leaves_in_the_log_an_entry_whose_change_it_builds_on_is_not_there() -> None:
    r = Replica()
    stroke = r.stroke([1, 1])
    create = r.take()[0]
    r.extend(stroke, [2, 2])
    extend = r.take()[0]
    _, other = strokes(1)
    state, covered = fold([], [other[0], extend, create])
    # the extension came before its stroke: folded once the stroke is, but the log keeps it
    assert covered == 3
    assert items(state, ()) == {**items(None, other), **r.view()}
    state, covered = fold([], [other[0], extend])
    assert covered == 1
    assert items(state, ()) == items(None, other)


async def test_meta_pairs_listing_and_deletion(
    stores: tuple[RedisBoardStore, RedisBoardStore], client: Redis
) -> None:
    store, other = stores
    for sid in ("s1", "s2"):
        await store.write_meta(BoardMeta(sid, "Check-in", "pair-abc", 1.0, {"main": "Main room"}))
        await store.append(BoardKey(sid, "main"), strokes(1)[1][0])
    await store.append(BoardKey("s1", "1:b1"), strokes(1)[1][0])
    assert await store.pair_sessions("pair-abc") == ["s1", "s2"]
    assert await store.rooms("s1") == ["1:b1", "main"]
    meta = await store.read_meta("s1")
    assert meta == BoardMeta("s1", "Check-in", "pair-abc", 1.0, {"main": "Main room"})
    # another process writes the meta from what it holds: names and marks are merged
    await other.write_meta(BoardMeta("s1", "Check-in", "pair-abc", 1.0, {"1:b1": "Room 1"},
                                     {"1:b1": ("person:ben",)}))
    await store.write_meta(BoardMeta("s1", "Check-in", "pair-abc", 1.0, {"main": "Main room"},
                                     {"1:b1": ("person:ana",), "main": ("person:ana",)}))
    meta = await store.read_meta("s1")
    assert meta is not None
    assert meta.rooms == {"main": "Main room", "1:b1": "Room 1"}
    assert meta.drawn_by == {"1:b1": ("person:ben", "person:ana"), "main": ("person:ana",)}
    assert await store.pair_sessions("pair-abc") == ["s1", "s2"]  # listed once
    assert await store.created_before(1.5) == ["s1", "s2"]
    assert await store.delete_session("s1") is True
    assert await store.delete_session("s1") is False
    assert await store.rooms("s1") == [] and await store.read_meta("s1") is None
    assert await store.pair_sessions("pair-abc") == ["s2"]
    assert await store.marked("person:ana") == {}
    # nothing of the deleted session is left in Redis, not even in an index
    left = [k.decode() for k in await client.keys(f"{PREFIX}*")
            if not k.endswith(b"/gone")]  # tombstones, which hold nothing
    assert not [k for k in left if "s1" in k or "ana" in k or "ben" in k], left
    assert "s1" not in await client.lrange(f"{PREFIX}wp:pair-abc", 0, -1)


async def test_deleting_some_boards_of_a_session_keeps_the_others_and_forgets_the_marks(
    stores: tuple[RedisBoardStore, RedisBoardStore], client: Redis
) -> None:
    store, _ = stores
    meta = BoardMeta("s1", "Title", "pair-abc", 1.0, {"main": "Main room", "1:b1": "Room 1"})
    meta = meta.with_marks("main", ("person:ana",)).with_marks("1:b1", ("person:ben",))
    meta = meta.with_marks("1:b1", ("person:ana", "person:ben"))
    await store.write_meta(meta)
    await store.write_meta(BoardMeta("s2", "Title", "pair-abc", 2.0))
    for room in ("main", "1:b1"):
        await store.append(BoardKey("s1", room), strokes(1)[1][0])
    assert await store.marked("person:ben") == {"s1": ["1:b1"]}
    assert await store.marked("person:ana") == {"s1": ["1:b1", "main"]}
    assert await store.created_before(1.5) == ["s1"]
    assert await store.delete_boards("s1", ["1:b1"]) == 1
    assert await store.rooms("s1") == ["main"]
    assert await store.marked("person:ben") == {}
    assert not await client.exists(f"{PREFIX}wk:person:ben")
    assert await store.read_meta("s1") == BoardMeta(
        "s1", "Title", "pair-abc", 1.0, {"main": "Main room", "1:b1": "Room 1"},
        {"main": ("person:ana",)})
    assert await store.pair_sessions("pair-abc") == ["s1", "s2"]
    # the last board of a session: its meta goes, and the pair's list forgets it
    assert await store.delete_boards("s1", ["main"]) == 1
    assert await store.read_meta("s1") is None
    assert await store.pair_sessions("pair-abc") == ["s2"]
    assert not await client.exists(f"{PREFIX}wk:person:ana")
    assert await store.delete_session("s2")
    assert not await client.exists(f"{PREFIX}wp:pair-abc")


async def test_appends_from_one_store_reach_redis_in_the_order_asked(
    stores: tuple[RedisBoardStore, RedisBoardStore]
) -> None:
    store, _ = stores
    _, updates = strokes(200)
    await asyncio.gather(*[store.append(KEY, u) for u in updates])
    assert list((await store.load(KEY)).updates) == updates


async def test_redis_out_of_reach_is_not_recorded(redis: RedisProcess) -> None:
    client = Redis.from_url(redis.url, socket_timeout=1.0, socket_connect_timeout=1.0)
    store = RedisBoardStore(client, prefix=PREFIX)
    await store.start()
    try:
        redis.stop()
        failing: list[Callable[[], Awaitable[object]]] = [
            lambda: store.append(KEY, strokes(1)[1][0]),
            lambda: store.load(KEY),
            lambda: store.write_meta(BoardMeta("s1", "T", None, 1.0)),
        ]
        for call in failing:
            with pytest.raises(Exception) as caught:
                await call()
            assert getattr(caught.value, "code", None) == "not_recorded"
    finally:
        await store.close()
        await client.aclose()
