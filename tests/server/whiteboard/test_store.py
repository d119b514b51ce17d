"""The durable board store on a real directory: logs, snapshots, torn tails, deletion."""

from __future__ import annotations

from pathlib import Path

from pycrdt import Doc, Map

from rooms.whiteboard import BoardKey
from server.whiteboard.boards import Boards, Change
from server.whiteboard.store import BoardMeta, BoardStore
from tests.server.whiteboard.replica import Replica

KEY = BoardKey("s1", "main")


def edits(n: int) -> tuple[Replica, list[bytes]]:
    r = Replica()
    for i in range(n):
        r.stroke([float(i), i + 0.5])
    return r, r.take()


def replay(snapshot: bytes | None, updates: tuple[bytes, ...]) -> dict[str, object]:
    doc: Doc[object] = Doc()
    for u in ([snapshot] if snapshot else []) + list(updates):
        doc.apply_update(u)
    return dict(doc.get("items", type=Map).to_py() or {})


async def test_appends_survive_and_a_torn_tail_is_cut(tmp_path: Path) -> None:
    store = BoardStore(tmp_path)
    await store.start()
    r, updates = edits(5)
    for u in updates:
        await store.append(KEY, u)
    await store.close()
    log = tmp_path / "s1" / "main.log"
    good = log.stat().st_size
    with open(log, "ab") as fh:  # a crash in the middle of the next record
        fh.write(b"\x00\x00\x01\x00\x12\x34")
    store = BoardStore(tmp_path)
    await store.start()
    stored = await store.load(KEY)
    assert stored.snapshot is None and list(stored.updates) == updates
    assert replay(None, stored.updates) == r.view()
    assert log.stat().st_size == good
    # A flipped byte inside a record ends the log there too (its checksum fails).
    data = bytearray(log.read_bytes())
    data[-3] ^= 0xFF
    log.write_bytes(bytes(data))
    assert len((await store.load(KEY)).updates) == 4
    await store.close()


async def test_compaction_keeps_everything_and_replay_after_it_is_harmless(
    tmp_path: Path
) -> None:
    store = BoardStore(tmp_path)
    await store.start()
    boards = Boards(store, compact_bytes=200)
    board = await boards.get(KEY)
    r, updates = edits(30)
    for u in updates:
        await boards.apply(board, Change(u, "p1", None), 0.0).written
    snap = tmp_path / "s1" / "main.snap"
    assert snap.exists() and board.stored_bytes < sum(len(u) for u in updates) + 1
    stored = await store.load(KEY)
    assert replay(stored.snapshot, stored.updates) == r.view()
    # As if the process died after the new snapshot but before the log was emptied.
    for u in updates[-3:]:
        await store.append(KEY, u)
    stored = await store.load(KEY)
    assert replay(stored.snapshot, stored.updates) == r.view()
    await store.close()
    store = BoardStore(tmp_path)
    await store.start()
    again = await Boards(store).get(KEY)
    assert again.to_json() == r.view()
    await store.close()


async def test_meta_pairs_listing_and_deletion(tmp_path: Path) -> None:
    store = BoardStore(tmp_path)
    await store.start()
    for sid in ("s1", "s2"):
        await store.write_meta(BoardMeta(sid, "Check-in", "pair-abc", 1.0, {"main": "Main room"}))
        await store.append(BoardKey(sid, "main"), edits(1)[1][0])
    await store.append(BoardKey("s1", "b1"), edits(1)[1][0])
    assert await store.pair_sessions("pair-abc") == ["s1", "s2"]
    assert await store.rooms("s1") == ["b1", "main"]
    meta = await store.read_meta("s1")
    assert meta is not None and meta.rooms == {"main": "Main room"}
    assert await store.delete_session("s1") is True
    assert await store.delete_session("s1") is False
    assert await store.rooms("s1") == [] and await store.read_meta("s1") is None
    assert await store.pair_sessions("pair-abc") == ["s2"]
    await store.close()


async def test_stored_updates_that_never_integrate_are_left_out_when_a_board_loads(
    tmp_path: Path
) -> None:
    """An earlier version kept updates whose dependencies never came (pending in the document,
    invisible): loading replays the log in order, each update once what it builds on is there,
    and leaves out those that never can be, in a new snapshot."""
    r = Replica()
    stroke = r.stroke([1, 1])
    create = r.take()[0]
    r.extend(stroke, [2, 2])
    extend = r.take()[0]
    orphan = Replica()
    lost = orphan.stroke([9, 9])
    orphan.take()
    orphan.extend(lost, [8, 8])
    store = BoardStore(tmp_path)
    await store.start()
    for u in (extend, orphan.take()[0], create):  # out of order, and one that never resolves
        await store.append(KEY, u)
    board = await Boards(store).get(KEY)
    assert board.to_json() == r.view()
    stored = await store.load(KEY)
    assert stored.updates == () and stored.snapshot is not None
    assert replay(stored.snapshot, ()) == r.view()
    await store.close()


async def test_deleting_some_boards_of_a_session_keeps_the_others_and_forgets_the_marks(
    tmp_path: Path
) -> None:
    store = BoardStore(tmp_path)
    await store.start()
    meta = BoardMeta("s1", "Title", "pair-abc", 1.0, {"main": "Main room", "1:b1": "Room 1"})
    meta = meta.with_marks("main", ("person:ana",)).with_marks("1:b1", ("person:ben",))
    meta = meta.with_marks("1:b1", ("person:ana", "person:ben"))
    assert meta.drawn_by == {"main": ("person:ana",), "1:b1": ("person:ben", "person:ana")}
    await store.write_meta(meta)
    await store.write_meta(BoardMeta("s2", "Title", "pair-abc", 2.0))
    for room in ("main", "1:b1"):
        await store.append(BoardKey("s1", room), edits(1)[1][0])
    assert await store.marked("person:ben") == {"s1": ["1:b1"]}
    assert await store.marked("person:ana") == {"s1": ["1:b1", "main"]}
    assert await store.created_before(1.5) == ["s1"]
    assert await store.delete_boards("s1", ["1:b1"]) == 1
    assert await store.rooms("s1") == ["main"]
    assert await store.marked("person:ben") == {}
    assert (await store.read_meta("s1")) == BoardMeta(
        "s1", "Title", "pair-abc", 1.0, {"main": "Main room", "1:b1": "Room 1"},
        {"main": ("person:ana",)})
    assert await store.pair_sessions("pair-abc") == ["s1", "s2"]
    # The last board of a session: its folder goes, and the pair's list forgets it.
    assert await store.delete_boards("s1", ["main"]) == 1
    assert not (tmp_path / "s1").exists()
    assert (tmp_path / "pairs" / "pair-abc").read_text() == "s2\n"
    assert await store.delete_session("s2")
    assert not (tmp_path / "pairs" / "pair-abc").exists()
    await store.close()
