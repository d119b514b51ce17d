"""A copy of a board read before the board was deleted writes nothing to Redis after the
deletion (``tests/server/whiteboard/nodes.py``: two apps sharing a real ``redis-server``).

A process applies a change to its copy, then queues the copy's write; another process's deletion
can reach Redis between the two. Checks made before the write (the page's generation, the
copy's ``deleted`` flag) cannot see that: the Redis store refuses the write itself (its fence
moved with the deletion), the change is refused (``board_deleted``) and the process drops its
copy. Copies read after the deletion, or before anything was stored, are written as usual."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from rooms.errors import BoardDeleted
from rooms.whiteboard import BoardKey
from server.whiteboard.boards import Boards, Change
from server.whiteboard.store import BoardMeta, StoredBoard
from tests.server.whiteboard.nodes import (
    PREFIX,
    Nodes,
    big_stroke,
    delete_boards,
    fresh_sync,
    pair_in_session,
)
from tests.server.whiteboard.replica import Replica, synced
from tests.support import WAIT, eventually

KEY = BoardKey("s1", "main")


def drawn(author: str) -> tuple[str, bytes]:
    """A stroke and the update that draws it."""
    r = Replica()
    stroke = r.stroke([1.0, 2.0, 3.0], author=author)
    (update,) = r.take()
    return stroke, update


def whole_copy_with_a_stroke(copy: bytes) -> bytes:
    """What a page sends when it sends its whole copy (``copy``) with a stroke of its own."""
    r = Replica()
    r.receive(copy)
    r.stroke([7.0, 8.0], author="page")
    return r.doc.get_update()


@pytest.mark.parametrize("case", ["board deleted", "session deleted",
                                  "read before anything was stored",
                                  "session deleted before anything was stored"])
async def test_a_write_from_a_copy_read_before_its_board_was_deleted_is_refused(
        nodes: Nodes, case: str) -> None:
    """b (a process never told of the deletion) holds a copy of the board; a deletes it; b's
    write of a change made on its copy is refused, and nothing of it is stored."""
    a = nodes.a.store
    boards = Boards(nodes.b.store)
    secret, first = drawn("ana")
    if case == "session deleted before anything was stored":
        # the board was opened (its room named) but nothing of it stored yet
        await a.write_meta(BoardMeta("s1", "Title", None, 1.0, {"main": "Main room"}))
        copy = await boards.get(KEY)
        copy.doc.apply_update(first)  # drawn on b, its write not made yet
    elif case == "read before anything was stored":
        copy = await boards.get(KEY)
        await a.append(KEY, first)
        boards.merge(copy, first, 0.0)  # as the channel brings it
    else:
        await a.append(KEY, first)
        copy = await boards.get(KEY)
    assert secret in copy.to_json()
    if case.startswith("session deleted"):
        assert await a.delete_session("s1") is True
    else:
        assert await a.delete_boards("s1", ["main"]) == 1
    update = whole_copy_with_a_stroke(copy.encoded())
    with pytest.raises(BoardDeleted):
        await boards.apply(copy, Change(update, "p", None), 1.0).written
    assert await a.load(KEY) == StoredBoard(None, ()), "the deleted board came back"
    assert await a.rooms("s1") == []
    # the copy is dropped: the board is read afresh on its next use
    assert copy.deleted and KEY not in boards.loaded
    assert (await boards.get(KEY)).to_json() == {}


@pytest.mark.parametrize("again", [False, True], ids=["left deleted", "drawn on again"])
async def test_a_compaction_of_a_copy_read_before_its_board_was_deleted_writes_nothing(
        nodes: Nodes, again: bool) -> None:
    a = nodes.a.store
    boards = Boards(nodes.b.store)
    secret, first = drawn("ana")
    await a.append(KEY, first)
    copy = await boards.get(KEY)
    assert await a.delete_boards("s1", ["main"]) == 1
    expected: set[str] = set()
    if again:  # someone draws on it again through a: a new board
        fresh, update = drawn("cleo")
        await a.append(KEY, update)
        expected = {fresh}
    with pytest.raises(BoardDeleted):
        await boards._compact(copy)
    assert set(await nodes.stored("s1")) == expected, "the deleted board was written back"
    assert KEY not in boards.loaded


async def test_copies_read_before_the_first_write_or_after_a_deletion_are_written(
        nodes: Nodes) -> None:
    a, b = Boards(nodes.a.store), Boards(nodes.b.store, compact_bytes=1024)
    # both read before anything was stored: both are written, the first one making the board
    ca, cb = await a.get(KEY), await b.get(KEY)
    one, first = drawn("ana")
    two, second = drawn("ben")
    await a.apply(ca, Change(first, "p", None), 0.0).written
    await b.apply(cb, Change(second, "p", None), 0.0).written
    assert set(await nodes.stored("s1")) == {one, two}
    assert await nodes.a.store.delete_boards("s1", ["main"]) == 1
    # read after the deletion: written, and compacted, even once the deletion's tombstone has
    # expired (as if its time had passed)
    later = Boards(nodes.b.store, compact_bytes=1024)
    copy = await later.get(KEY)
    await nodes.redis.delete(f"{PREFIX}wb:s1/main/gone")
    r = Replica()
    big = big_stroke(r, "cleo")
    (update,) = r.take()
    await later.apply(copy, Change(update, "p", None), 1.0).written
    stored = await nodes.a.store.load(KEY)
    assert stored.snapshot is not None  # compacted
    assert set(await nodes.stored("s1")) == {big}
    # and a second write of that copy, once it made the board, is written too
    more, update = drawn("cleo")
    await later.apply(copy, Change(update, "p", None), 2.0).written
    assert set(await nodes.stored("s1")) == {big, more}


@pytest.mark.parametrize("told", [False, True], ids=["b not told", "b told"])
@pytest.mark.parametrize("generation", [False, True], ids=["no generation", "generation"])
async def test_a_page_change_reaching_redis_after_its_board_was_deleted_is_refused(
        nodes: Nodes, told: bool, generation: bool) -> None:
    """Cleo's change, on b, passed every check and is on its way to Redis when a deletes the
    board: it reaches Redis after the deletion. It is refused (``board_deleted``), nothing of
    her copy is stored, and b drops its copy."""
    session_id, ana, ana_drew, urls = await pair_in_session(nodes, "Deleted under a write")
    secret = next(iter(ana_drew.view()))
    cleo = await nodes.b.person(urls["mentee"], "Cleo")
    rc = Replica()
    ack = await synced(cleo, rc)
    update = whole_copy_with_a_stroke(rc.doc.get_update())
    store = nodes.b.store
    append = store.append
    reached, release = asyncio.Event(), asyncio.Event()

    def held_append(key: BoardKey, body: bytes, *args: Any, **kw: Any) -> asyncio.Future[None]:
        if body != update:
            return append(key, body, *args, **kw)
        reached.set()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def later() -> None:
            await release.wait()
            try:
                future.set_result(await append(key, body, *args, **kw))
            except Exception as exc:
                future.set_exception(exc)

        nodes.b.ctx.gateway.spawn(later())
        return future

    store.append = held_append  # type: ignore[method-assign]
    if not told:
        await nodes.outage.begin()
    body: dict[str, Any] = {"room": "main", "update": update}
    if generation:
        body["generation"] = ack["generation"]
    sending = asyncio.ensure_future(cleo.call("board_update", body))
    await asyncio.wait_for(reached.wait(), WAIT)
    await delete_boards(nodes.a, session_id)
    if told:
        await eventually(lambda: nodes.b.board(session_id) is None,
                         what="b dropping the deleted board")
    release.set()
    refused = await sending
    assert refused["ok"] is False and refused["error"]["code"] == "board_deleted", refused
    # It was relayed as it was applied, before Redis refused it: it names the generation of
    # the deleted board, which Ana's page, synced again since, drops.
    relayed = await ana.next("board_update")
    assert relayed["generation"] == ack["generation"], relayed
    assert (await synced(ana, Replica()))["generation"] > ack["generation"]
    held = await nodes.stored(session_id)
    assert secret not in held and held == {}, "the deleted board was written back"
    assert await store.rooms(session_id) == []
    assert nodes.b.board(session_id) is None, "b kept its copy of the deleted board"
    if not told:
        await nodes.channel_back()
    assert await fresh_sync(nodes.b, urls["mentee"], "Dee") == {}
    for peer in (ana, cleo):
        await peer.close()


async def test_a_clear_on_a_process_not_told_of_the_deletion_writes_nothing(
        nodes: Nodes) -> None:
    """Mo, a mentor on b, clears the board while b has not heard of its deletion (b's channel
    is down): the clear is refused, and the deleted board does not come back (not even empty)."""
    session_id, ana, _, urls = await pair_in_session(nodes, "Cleared after deletion")
    mo = await nodes.b.person(urls["mentor"], "Mo")
    await synced(mo, Replica())
    await nodes.outage.begin()
    await delete_boards(nodes.a, session_id)
    refused = await mo.call("board_clear", {"room": "main"})
    assert refused["ok"] is False and refused["error"]["code"] == "board_deleted", refused
    assert await nodes.b.store.rooms(session_id) == [], "the deleted board came back"
    assert nodes.b.board(session_id) is None, "b kept its copy of the deleted board"
    await nodes.channel_back()
    for peer in (ana, mo):
        await peer.close()
