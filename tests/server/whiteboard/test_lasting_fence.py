"""A copy of a board read while nothing of it was stored stays fenced off by a later deletion
for as long as the copy lives, not only while the deletion's tombstone lasts
(``server.whiteboard.redis_store``: the copy's fence is a birth drawn as it was read, which a
deletion removes and which is never drawn again). Two stores sharing a real ``redis-server``
(``tests/server/whiteboard/nodes.py``); the tombstone's time is run out with Redis's own clock
(``PEXPIRE``), not waited for."""

from __future__ import annotations

import pytest

from rooms.errors import BoardDeleted
from rooms.whiteboard import BoardKey
from server.whiteboard.boards import Boards, Change
from server.whiteboard.store import BoardMeta
from tests.server.whiteboard.nodes import PREFIX, Nodes
from tests.server.whiteboard.replica import Replica

KEY = BoardKey("s1", "main")


def drawn(author: str) -> tuple[str, bytes]:
    r = Replica()
    stroke = r.stroke([1.0, 2.0, 3.0], author=author)
    (update,) = r.take()
    return stroke, update


async def expire_tombstones(nodes: Nodes) -> None:
    """Whatever a deletion left to expire, expired now (its time set to have passed, rather
    than waited for)."""
    expiring = [key async for key in nodes.redis.scan_iter(match=f"{PREFIX}w*")
                if await nodes.redis.pttl(key) > 0]
    assert expiring, "the deletion left no tombstone to expire"
    for key in expiring:
        await nodes.redis.pexpire(key, 0)  # a time already past: the key expires at once


@pytest.mark.parametrize("deletion", ["boards", "session"])
async def test_a_copy_read_with_no_board_stored_is_refused_after_a_deletion_long_past(
        nodes: Nodes, deletion: str) -> None:
    """b reads the board while nothing of it is stored; a draws on it (b's copy gets the
    stroke, as the channel brings it); a deletes it; the deletion's tombstone expires. b's
    write of a change made on its copy is refused, and nothing of the deleted board comes back."""
    a = nodes.a.store
    await a.write_meta(BoardMeta("s1", "Title", None, 1.0, {"main": "Main room"}))
    boards = Boards(nodes.b.store)
    copy = await boards.get(KEY)
    secret, first = drawn("ana")
    await a.append(KEY, first)
    boards.merge(copy, first, 0.0)
    assert secret in copy.to_json()
    if deletion == "session":
        assert await a.delete_session("s1") is True
    else:
        assert await a.delete_boards("s1", ["main"]) == 1
    await expire_tombstones(nodes)
    assert not [k async for k in nodes.redis.scan_iter(match=f"{PREFIX}wb:s1/*")]
    r = Replica()
    r.receive(copy.encoded())
    stroke = next(iter(r.view()))
    r.extend(stroke, [4.0])  # the deleted stroke, drawn on
    (update,) = r.take()
    with pytest.raises(BoardDeleted):
        await boards.apply(copy, Change(update, "p", None), 1.0).written
    assert not await nodes.redis.exists(f"{PREFIX}wb:s1/main/log"), "the deleted board came back"
    assert await a.rooms("s1") == []
    assert copy.deleted and KEY not in boards.loaded


async def test_births_drawn_by_reads_go_with_the_session_and_other_rooms_copies_are_kept(
        nodes: Nodes) -> None:
    """A read of a room with nothing stored leaves its birth (the copy's fence): deleting
    another room's board leaves it, and the copy's write is taken; the session stays listed for
    the retention rule while a birth is left, and deleting the session leaves nothing of it."""
    a = nodes.a.store
    boards = Boards(nodes.b.store)
    breakout = BoardKey("s1", "1:b1")
    await a.write_meta(BoardMeta("s1", "Title", None, 1.0, {"main": "Main room"}))
    await a.append(KEY, drawn("ana")[1])
    copy = await boards.get(breakout)  # nothing stored of it
    assert await a.delete_boards("s1", ["main"]) == 1
    assert await a.read_meta("s1") is None  # its last board went: the meta goes
    assert await a.created_before(float("inf")) == ["s1"]  # listed: a birth is left
    kept, update = drawn("ben")
    await boards.apply(copy, Change(update, "p", None), 1.0).written
    assert await nodes.stored("s1", "1:b1") == {kept: copy.to_json()[kept]}
    assert await a.rooms("s1") == ["1:b1"]
    other = await boards.get(BoardKey("s1", "2:b1"))  # another copy of nothing stored
    assert await a.delete_session("s1") is True
    left = [k.decode() async for k in nodes.redis.scan_iter(match=f"{PREFIX}*")
            if b"s1" in k and not k.endswith(b"/gone")]
    assert left == [] and await a.created_before(float("inf")) == [], left
    with pytest.raises(BoardDeleted):
        await boards.apply(other, Change(drawn("cleo")[1], "p", None), 2.0).written
